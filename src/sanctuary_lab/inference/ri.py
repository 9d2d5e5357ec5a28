"""Randomization inference: permute the treatment, re-estimate, compare.

Two permutation schemes:

* ``"units"`` (cross-sections): the treatment values are shuffled across rows (units), or
  within blocks (e.g. strata) when ``blocks`` is given.
* ``"paths"`` (panels): each unit's whole treatment path over time (its adoption date, or its
  coverage trajectory) is handed to another unit — units are shuffled, time patterns kept.

The re-estimation is vectorised by Frisch–Waugh–Lovell: the outcome and the non-treatment
regressors are partialled out of the fixed effects once, all permuted treatment columns are
demeaned in one call, and each permutation's coefficients come from a small solve. The p-value
is ``(1 + #{|b_perm| >= |b_obs|}) / (1 + P)`` (two-sided; exact-valid under the sharp null, see
Young 2019, *QJE* 134(2), and Heß 2017, *Stata Journal* 17(3)).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.inference.partial import absorb, fe_codes, residualize

#: Numbers (rows × permuted columns) handled per chunk of permutations.
CHUNK_CELLS = 5_000_000


@dataclass(frozen=True)
class RIResult:
    """Permutation distribution (P × m), observed estimates (m,), p-values (m,), seed."""

    observed: np.ndarray
    draws: np.ndarray
    p_values: np.ndarray
    seed: int | None


def permute_units(treat: pd.Series, rng: np.random.Generator) -> np.ndarray:
    """Treatment values shuffled across rows."""
    return rng.permutation(treat.to_numpy())


def _block_masks(col: pd.Series) -> list[np.ndarray]:
    codes, uniques = pd.factorize(col, sort=True)
    return [codes == k for k in range(len(uniques))]


def path_permuter(
    df: pd.DataFrame, treatment: str, unit: str, time: str
) -> Callable[[np.random.Generator], np.ndarray]:
    """A function drawing one path permutation (see :func:`permute_paths`); pivots once."""
    wide = df.pivot_table(index=unit, columns=time, values=treatment, aggfunc="first")
    wide = wide.ffill(axis=1).bfill(axis=1)
    mat = wide.to_numpy()
    rows = wide.index.get_indexer(df[unit])
    cols = wide.columns.get_indexer(df[time])

    def draw(rng: np.random.Generator) -> np.ndarray:
        donors = rng.permutation(mat.shape[0])
        return mat[donors][rows, cols]

    return draw


def permute_paths(
    df: pd.DataFrame, treatment: str, unit: str, time: str, rng: np.random.Generator
) -> np.ndarray:
    """Each unit receives another unit's treatment path (aligned on calendar time).

    Where the donor's path lacks a period the recipient has (unbalanced panels), the donor's
    nearest earlier (else later) value is used.
    """
    return path_permuter(df, treatment, unit, time)(rng)


def randomization_inference(
    data: pd.DataFrame,
    *,
    outcome: str,
    treatment: str,
    build_terms: Callable[[pd.DataFrame], np.ndarray],
    controls: list[str],
    fe: list[str],
    weights: str | None,
    scheme: str,
    unit: str | None = None,
    time: str | None = None,
    n_perm: int = 999,
    seed: int | None = None,
    blocks: str | None = None,
) -> RIResult:
    """Permutation distribution of the treatment coefficients.

    Parameters
    ----------
    data
        Estimation sample.
    outcome, treatment
        Outcome column and the column that is permuted.
    build_terms
        Maps a frame (with a possibly permuted treatment column) to the n × m matrix of the
        reported treatment terms (e.g. the treatment itself, or treatment × stratum dummies).
    controls, fe, weights
        Other regressors, fixed-effect columns and the weight column.
    scheme
        ``"units"`` or ``"paths"`` (needs ``unit`` and ``time``).
    n_perm, seed
        Number of permutations and the seed of the generator.
    blocks
        ``"units"`` scheme only: permute within the levels of this column (e.g. strata).
    """
    if scheme not in ("units", "paths"):
        raise SpecError(f"unknown permutation scheme {scheme!r}; use 'units' or 'paths'")
    if scheme == "paths" and (unit is None or time is None):
        raise SpecError("path permutation needs the unit and time columns")
    if n_perm < 1:
        raise SpecError(f"n_boot (permutations) must be >= 1, got {n_perm}")
    rng = np.random.default_rng(seed)
    codes = fe_codes(data, fe)
    w = None if weights is None else data[weights].to_numpy(dtype=float)
    sw = np.ones(len(data)) if w is None else np.sqrt(w)
    y = absorb(data[outcome].to_numpy(dtype=float), codes, w) * sw
    wmat = None
    if controls:
        wmat = absorb(data[controls].to_numpy(dtype=float), codes, w) * sw[:, None]
    y = residualize(y, wmat)

    observed_terms = build_terms(data)
    n, m = observed_terms.shape
    perm_frame = data.copy()
    if scheme == "paths":
        draw = path_permuter(data, treatment, str(unit), str(time))
    elif blocks is None:
        values = data[treatment].to_numpy()

        def draw(g: np.random.Generator) -> np.ndarray:
            return g.permutation(values)
    else:
        values = data[treatment].to_numpy()
        groups = [np.flatnonzero(k) for k in _block_masks(data[blocks])]

        def draw(g: np.random.Generator) -> np.ndarray:
            out = values.copy()
            for idx in groups:
                out[idx] = values[g.permutation(idx)]
            return out

    def estimates(batch: list[np.ndarray]) -> np.ndarray:
        big = absorb(np.column_stack(batch).astype(float), codes, w) * sw[:, None]
        big = residualize(big, wmat)
        stacked = big.reshape(n, len(batch), m).transpose(1, 0, 2)  # (P, n, m)
        xtx = np.einsum("pni,pnj->pij", stacked, stacked)
        xty = np.einsum("pni,n->pi", stacked, y)
        return np.einsum("pij,pj->pi", np.linalg.pinv(xtx), xty)

    # permutations in chunks of about CHUNK_CELLS numbers, to bound memory on large panels
    chunk = max(1, CHUNK_CELLS // max(n * m, 1))
    results = [estimates([observed_terms])]
    done = 0
    while done < n_perm:
        batch = []
        for _ in range(min(chunk, n_perm - done)):
            perm_frame[treatment] = draw(rng)
            batch.append(build_terms(perm_frame))
        results.append(estimates(batch))
        done += len(batch)
    est = np.concatenate(results)
    obs, draws = est[0], est[1:]
    exceed = (np.abs(draws) >= np.abs(obs) * (1 - 1e-9)).sum(axis=0)
    p = (1 + exceed) / (1 + n_perm)
    return RIResult(observed=obs, draws=draws, p_values=p, seed=seed)
