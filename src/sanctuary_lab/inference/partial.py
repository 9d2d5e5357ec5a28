"""Frisch–Waugh–Lovell partialling: absorb fixed effects and weights once, reuse for resampling.

The wild cluster bootstrap and randomization inference both work on the linear model after the
fixed effects are projected out (as pyfixest and the ``wildboottest`` package do) and after the
rows are scaled by the square root of the regression weights (WLS as OLS on transformed data).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sanctuary_lab.inference.fixest import demean

#: Convergence tolerance of the alternating-projections demeaner (tight: goldens compare to 1e-6).
DEMEAN_TOL = 1e-10


def fe_codes(df: pd.DataFrame, fe: Sequence[str]) -> np.ndarray | None:
    """Integer codes (n × n_fe, uint64) for the fixed-effect columns, or ``None`` without FE."""
    if not fe:
        return None
    return np.column_stack([pd.factorize(df[c], sort=True)[0] for c in fe]).astype(np.uint64)


def absorb(
    mat: np.ndarray, codes: np.ndarray | None, weights: np.ndarray | None = None
) -> np.ndarray:
    """Demean the columns of ``mat`` by the fixed effects (weighted), or by the mean without FE.

    Without fixed effects the columns are centred (the intercept is partialled out).
    """
    mat = np.asarray(mat, dtype=float)
    was_1d = mat.ndim == 1
    if was_1d:
        mat = mat[:, None]
    w = np.ones(mat.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    if codes is None:
        out = mat - (w @ mat) / w.sum()
    else:
        out, _ = demean(np.ascontiguousarray(mat), codes, w, tol=DEMEAN_TOL, maxiter=100_000)
    return out[:, 0] if was_1d else out


def residualize(target: np.ndarray, basis: np.ndarray | None) -> np.ndarray:
    """Residuals of the columns of ``target`` on ``basis`` (least squares; no intercept added)."""
    if basis is None or basis.shape[1] == 0:
        return target
    coef, *_ = np.linalg.lstsq(basis, target, rcond=None)
    return target - basis @ coef


def cluster_codes(values: pd.Series | np.ndarray) -> tuple[np.ndarray, int]:
    """Dense integer cluster ids 0..G-1 and G."""
    codes, uniques = pd.factorize(pd.Series(values), sort=True)
    return codes.astype(np.int64), len(uniques)
