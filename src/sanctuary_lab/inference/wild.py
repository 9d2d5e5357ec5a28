"""Vectorised wild cluster restricted (WCR) bootstrap for one coefficient of a linear model.

Implements the WCR-11 bootstrap of Cameron, Gelbach and Miller (2008) with the closed forms of
Roodman, MacKinnon, Nielsen and Webb (2019, "Fast and wild", *Stata Journal* 19(1)): the null
``beta_k = beta0`` is imposed, restricted residuals are multiplied by cluster-level Rademacher or
Webb weights, and the bootstrap t-statistic is a ratio of a linear and a quadratic form in the
G weights, so all draws are computed with two matrix products. Fixed effects are projected out
first (as in pyfixest's ``wildboottest``). Confidence intervals invert the bootstrap test
(bisection on ``beta0`` with the same weight draws).

This module is the project's one wild cluster bootstrap convention, shared with the batched
multiverse implementation (:mod:`sanctuary_lab.multiverse.wild`):

* **weights**: Rademacher (+-1) or Webb's six-point table :data:`WEBB`
  (+-sqrt(1/2), +-1, +-sqrt(3/2), each with probability 1/6), drawn by :func:`draw_weights`;
  with Rademacher weights and ``2**G < n_boot`` all ``2**G`` sign vectors are enumerated, which
  makes the result deterministic;
* **tie rule** (:func:`bootstrap_p_values`): the two-sided p-value is the share of draws with
  ``|t*| >= |t| * (1 - 1e-9)``: a bootstrap statistic equal to the observed one up to a relative
  1e-9 counts as at least as extreme. Such ties are not rare — under full enumeration the
  all-ones and all-minus-ones sign vectors reproduce the observed sample exactly — and the rule
  makes them count the same way whatever the floating-point noise (the conservative choice).
  Away from ties this equals the ``wildboottest`` package's ``mean(|t| < |t*|)``.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import sparse

from sanctuary_lab.core.errors import SpecError

WeightsType = Literal["rademacher", "webb"]
#: Webb (2014) six-point weights, ascending.
WEBB = np.sqrt(np.array([3.0, 2.0, 1.0, 1.0, 2.0, 3.0]) / 2) * np.array([-1, -1, -1, 1, 1, 1])
#: Relative tolerance within which a bootstrap |t*| ties the observed |t| (ties count as extreme).
TIE_RTOL = 1e-9


@dataclass(frozen=True)
class WildResult:
    """Outcome of one wild cluster bootstrap test."""

    t_stat: float
    p_value: float
    ci_low: float
    ci_high: float
    n_draws: int
    full_enumeration: bool


def draw_weights(
    n_clusters: int,
    n_boot: int,
    weights_type: str,
    seed: int | None,
    key: str | None = None,
) -> tuple[np.ndarray, bool]:
    """Cluster weights, shape (B, G), and whether they are the full Rademacher enumeration.

    Full enumeration for Rademacher when ``2**G < n_boot`` (G < 30). Random draws come from
    ``numpy.random.default_rng(seed)``, or from ``default_rng([seed, crc32(key)])`` when a
    ``key`` is given (the multiverse seeds each block by its key, so results do not depend on
    chunking or on the execution backend).
    """
    if weights_type not in ("rademacher", "webb"):
        raise SpecError(f"unknown weights_type {weights_type!r}; choose 'rademacher' or 'webb'")
    if weights_type == "rademacher" and n_clusters < 30 and 2**n_clusters < n_boot:
        grid = np.array(list(itertools.product([-1.0, 1.0], repeat=n_clusters)))
        return grid, True
    if key is None:
        rng = np.random.default_rng(seed)
    else:
        rng = np.random.default_rng([int(seed or 0), zlib.crc32(key.encode())])
    table = np.array([-1.0, 1.0]) if weights_type == "rademacher" else WEBB
    return rng.choice(table, size=(n_boot, n_clusters)), False


def bootstrap_p_values(t_obs: np.ndarray | float, t_boot: np.ndarray) -> np.ndarray:
    """Two-sided bootstrap p-values under the project's tie rule, batched.

    Parameters
    ----------
    t_obs
        Observed statistics, shape (m,) (or a scalar).
    t_boot
        Bootstrap statistics, shape (m, B) (or (B,)).

    Returns
    -------
    numpy.ndarray
        ``mean(|t*| >= |t| * (1 - TIE_RTOL))`` per row; NaN bootstrap statistics count as not
        extreme.
    """
    t_obs = np.asarray(t_obs, dtype=float)
    t_boot = np.asarray(t_boot, dtype=float)
    thr = np.abs(t_obs)[..., None] * (1 - TIE_RTOL)
    with np.errstate(invalid="ignore"):
        return np.mean(np.abs(t_boot) >= thr, axis=-1)


#: Cells (rows × cluster columns) re-partialled per chunk, to bound memory.
CHUNK_CELLS = 5_000_000
Repartial = Callable[[np.ndarray], np.ndarray]


def _repartialled_scores(
    repartial: Repartial, u: np.ndarray, a: np.ndarray, codes: np.ndarray, g: int
) -> np.ndarray:
    """S[h, g] = sum over rows i in cluster h of a_i * [M_FE (u * 1{cluster = g})]_i.

    Built in chunks of cluster columns so that memory stays at about :data:`CHUNK_CELLS`.
    """
    n = len(u)
    out = np.empty((g, g))
    summer = sparse.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(g, n))
    step = max(1, CHUNK_CELLS // max(n, 1))
    for start in range(0, g, step):
        cols = np.arange(start, min(g, start + step))
        block = np.zeros((n, len(cols)))
        sel = (codes >= cols[0]) & (codes <= cols[-1])
        block[np.flatnonzero(sel), codes[sel] - cols[0]] = u[sel]
        pm = repartial(block)
        # cluster sums of a * pm for every column: one-hot(codes)' (a * pm)
        out[:, cols] = summer @ (a[:, None] * pm)
    return out


class _WCR:
    """Precomputed pieces for testing ``beta_k = beta0`` by WCR on (y, X, clusters).

    ``repartial`` maps an n × m matrix of (scaled) residual columns to the same columns with the
    fixed effects (or the intercept) partialled out again. A bootstrap sample is built in the
    original space (fitted + residual × v_g) and refitted *with* the fixed effects, so the
    residual part must be re-partialled; when the fixed effects are nested in the clusters this
    changes nothing and ``repartial`` may be ``None``.
    """

    def __init__(
        self, y: np.ndarray, x: np.ndarray, k: int, codes: np.ndarray, g: int,
        repartial: Repartial | None = None,
    ) -> None:  # fmt: skip
        n, p = x.shape
        self.y, self.x, self.k, self.codes, self.g = y, x, k, codes, g
        xtx_inv = np.linalg.pinv(x.T @ x)
        self.beta = xtx_inv @ (x.T @ y)
        a = (xtx_inv @ x.T)[k]  # beta_k = a @ y
        self.a = a
        self.ssc = g / (g - 1) * (n - 1) / max(n - p, 1)
        self.a_x = np.stack([np.bincount(codes, a * x[:, j], g) for j in range(p)], axis=1)
        xtx_inv_x = xtx_inv @ x.T  # (p, n)
        x_other = np.delete(x, k, axis=1)
        # restricted residuals are linear in beta0: u_r = r0 - beta0 * r1
        if x_other.shape[1]:
            coef, *_ = np.linalg.lstsq(x_other, np.column_stack([y, x[:, k]]), rcond=None)
            r = np.column_stack([y, x[:, k]]) - x_other @ coef
        else:
            r = np.column_stack([y, x[:, k]])
        self.parts = []
        for u in (r[:, 0], r[:, 1]):
            b = np.bincount(codes, a * u, g)  # numerator coefficients on v
            m = np.stack([np.bincount(codes, xtx_inv_x[j] * u, g) for j in range(p)])  # (p, G)
            if repartial is None:
                s_hg = np.diag(b)
            else:
                s_hg = _repartialled_scores(repartial, u, a, codes, g)
            self.parts.append((b, s_hg - self.a_x @ m))

    def t_original(self, beta0: float) -> float:
        u = self.y - self.x @ self.beta
        s = np.bincount(self.codes, self.a * u, self.g)
        return float((self.beta[self.k] - beta0) / np.sqrt(self.ssc * np.sum(s**2)))

    def t_boot(self, beta0: float, v: np.ndarray) -> np.ndarray:
        """Bootstrap t-statistics, one per row of ``v`` (B × G)."""
        (b0, a0), (b1, a1) = self.parts
        b, amat = b0 - beta0 * b1, a0 - beta0 * a1  # amat: cluster scores as a linear map of v
        numer = v @ b
        denom = np.sqrt(self.ssc * np.sum((v @ amat.T) ** 2, axis=1))
        with np.errstate(divide="ignore", invalid="ignore"):
            return numer / denom

    def p_value(self, beta0: float, v: np.ndarray) -> float:
        return float(bootstrap_p_values(self.t_original(beta0), self.t_boot(beta0, v)))


def wild_cluster_bootstrap(
    y: np.ndarray,
    x: np.ndarray,
    k: int,
    codes: np.ndarray,
    n_clusters: int,
    *,
    n_boot: int = 999,
    weights_type: str = "rademacher",
    seed: int | None = None,
    beta0: float = 0.0,
    alpha: float = 0.05,
    ci: bool = True,
    repartial: Repartial | None = None,
) -> WildResult:
    """WCR bootstrap test of ``beta_k = beta0`` (two-sided) with a test-inversion CI.

    Parameters
    ----------
    y, x
        Outcome and regressors after fixed effects are partialled out and rows scaled by
        ``sqrt(weights)``.
    k
        Column of ``x`` under test.
    codes, n_clusters
        Dense cluster ids (0..G-1) per row and G.
    n_boot, weights_type, seed
        Number of draws, weight distribution and seed.
    alpha
        1 - confidence level of the inverted interval.
    repartial
        Re-partials fixed effects / the intercept from residual columns (see :class:`_WCR`).
    """
    if n_clusters < 2:
        raise SpecError("wild cluster bootstrap needs at least 2 clusters")
    v, full = draw_weights(n_clusters, n_boot, weights_type, seed)
    wcr = _WCR(np.asarray(y, float), np.asarray(x, float), k, codes, n_clusters, repartial)
    t = wcr.t_original(beta0)
    p = wcr.p_value(beta0, v)
    lo = hi = float("nan")
    if ci:
        lo, hi = _invert(wcr, v, alpha)
    return WildResult(float(t), p, lo, hi, int(v.shape[0]), full)


def _invert(wcr: _WCR, v: np.ndarray, alpha: float) -> tuple[float, float]:
    """Bisect for the beta0 values where the bootstrap p-value crosses ``alpha``."""
    est = float(wcr.beta[wcr.k])
    se = abs(est / wcr.t_original(0.0)) if wcr.t_original(0.0) != 0 else 1.0
    if not np.isfinite(se) or se == 0:
        return float("nan"), float("nan")

    def bound(direction: float) -> float:
        inner, step = est, se
        outer = est + direction * step
        for _ in range(40):  # expand until rejected
            if wcr.p_value(outer, v) <= alpha:
                break
            inner, step = outer, step * 2
            outer = est + direction * step
        else:
            return direction * float("inf")
        for _ in range(60):
            mid = 0.5 * (inner + outer)
            if wcr.p_value(mid, v) > alpha:
                inner = mid
            else:
                outer = mid
            if abs(outer - inner) <= 1e-7 * se:
                break
        return 0.5 * (inner + outer)

    return bound(-1.0), bound(1.0)
