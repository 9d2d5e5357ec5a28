"""Vectorised wild cluster bootstrap (WCR, null imposed) for many specifications at once.

The algorithm is the "fast and wild" WCR11 bootstrap of Roodman, MacKinnon, Nielsen & Webb
(2019), the same one the ``wildboottest`` package (used by pyfixest's ``Feols.wildboottest``)
implements, written so that it runs on the cluster-level cross products of a
:class:`~sanctuary_lab.multiverse.kernel.Block` for a whole batch of specifications:

* restricted fit (coefficient of interest set to 0) from sub-blocks of ``Z'WZ``;
* cluster scores ``s_g = X_g'W u~_g`` from the per-cluster cross products;
* bootstrap numerators ``q'v_b`` and CRV1 denominators ``sum_g (v_gb q_g - (R D)_gb)^2`` for all
  draws at once, where ``q_g = a's_g``, ``R_g = C_g a``, ``D = A S'V`` and ``a`` is the row of
  ``(X'WX)^{-1}`` of the tested coefficient.

Weights, their seeding and the tie rule are those of :mod:`sanctuary_lab.inference.wild`
(the designs' bootstrap): Rademacher or the one Webb table, full Rademacher enumeration when
``2**G < B``, and the two-sided p-value ``mean(|t*| >= |t| (1 - 1e-9))`` (ties count as
extreme; away from ties this is wildboottest's ``mean(|t| < |t*|)``). All specifications of one
block share the same draw matrix ``V`` (G x B), seeded from the run seed and the block key, so
results do not depend on chunking or on the execution backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sanctuary_lab.inference.wild import WeightsType, bootstrap_p_values
from sanctuary_lab.inference.wild import draw_weights as _draw
from sanctuary_lab.multiverse.kernel import Block, cluster_scores, on_device, to_host


def draw_weights(
    n_clusters: int, draws: int, weights_type: WeightsType, seed: int, key: str = ""
) -> np.ndarray:
    """Bootstrap weights (G x B), reproducible from ``seed`` and ``key``.

    The transpose of :func:`sanctuary_lab.inference.wild.draw_weights` with the same key.
    """
    return _draw(n_clusters, draws, weights_type, seed, key)[0].T


def wild_pvalues(
    block: Block,
    y: np.ndarray,
    xs: np.ndarray,
    v: np.ndarray,
    *,
    xp: Any = np,
) -> np.ndarray:
    """WCR bootstrap p-values for H0: coefficient ``xs[:, 0]`` = 0, one per spec.

    Parameters
    ----------
    block
        Prepared block with a cluster variable.
    y, xs
        Outcome index (m,) and regressor indices (m, k) as for
        :func:`~sanctuary_lab.multiverse.kernel.solve_specs` (intercept not included).
    v
        Bootstrap weights (G x B) from :func:`draw_weights`.
    xp
        Array module (numpy or cupy).
    """
    y = np.asarray(y, dtype=np.int64)
    xs = np.asarray(xs, dtype=np.int64)
    if block.intercept:
        xs = np.column_stack([xs, np.full(len(xs), block.index["(Intercept)"])])
    m, k = xs.shape
    g, b = v.shape
    out = np.full(m, np.nan)
    step = max(1, 4_000_000 // max(g * max(b, k * k), 1))
    for a in range(0, m, step):
        sl = slice(a, a + step)
        out[sl] = _pvalues_chunk(block, y[sl], xs[sl], v, xp)
    return out


def _pvalues_chunk(
    block: Block, y: np.ndarray, xs: np.ndarray, v: np.ndarray, xp: Any
) -> np.ndarray:
    gram = xp.asarray(block.gram)
    cg = xp.asarray(block.cluster_gram)
    vv = xp.asarray(v)
    m, k = xs.shape
    y, xs = on_device(y, xp), on_device(xs, xp)
    inv = xp.linalg.inv(gram[xs[:, :, None], xs[:, None, :]])
    a0 = inv[:, 0, :]
    beta = xp.einsum("mij,mj->mi", inv, gram[xs, y[:, None]])
    s_u = cluster_scores(block, y, xs, beta, xp)
    t_obs = to_host(beta[:, 0] / xp.sqrt(xp.sum(xp.einsum("mgk,mk->mg", s_u, a0) ** 2, axis=1)))
    # restricted coefficients: regress y on the other regressors (tested one fixed at 0)
    if k > 1:
        xr = xs[:, 1:]
        br = xp.linalg.solve(gram[xr[:, :, None], xr[:, None, :]], gram[xr, y[:, None]][..., None])
        beta_r = xp.concatenate([xp.zeros((m, 1)), br[..., 0]], axis=1)
    else:
        beta_r = xp.zeros((m, 1))
    s = cluster_scores(block, y, xs, beta_r, xp)  # m,G,k
    q = xp.einsum("mgk,mk->mg", s, a0)
    cxx = cg[:, xs[:, :, None], xs[:, None, :]]  # G,m,k,k
    r = xp.einsum("gmij,mj->mgi", cxx, a0)  # m,G,k
    d = xp.einsum("mij,mjb->mib", inv, xp.einsum("mgk,gb->mkb", s, vv))  # m,k,B
    rd = xp.einsum("mgk,mkb->mgb", r, d)
    scores = vv[None, :, :] * q[:, :, None] - rd
    denom = xp.sum(scores**2, axis=1)  # m,B  (small-sample factor cancels)
    numer = xp.einsum("mg,gb->mb", q, vv)
    t_boot = to_host(numer / xp.sqrt(denom))
    # observed and bootstrap t both omit the CRV1 small-sample factor, which cancels
    return bootstrap_p_values(t_obs, t_boot)
