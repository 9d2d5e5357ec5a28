"""Batch kernel for linear specifications that share a sample and a fixed-effects structure.

A *block* is one estimation sample (row mask), one fixed-effects structure (none, one-way or
two-way), one weight vector and one cluster variable. :func:`prepare_block` demeans every
candidate column of the block (outcomes, treatments, covariates) **once** with pyfixest's own
alternating-projections demeaner (same tolerance, so the demeaned columns, and hence the
estimates, are pyfixest's), drops singleton fixed-effect groups as pyfixest does, and
precomputes the weighted cross-product matrix ``G = Z'WZ`` of all columns plus the per-cluster
cross products ``C_g = Z_g'W Z_g``.

Every specification in the block is then a pair (outcome column, regressor columns):
``X'X``, ``X'y`` and each cluster's score ``X_g'W u_g = C_g[X, y] - C_g[X, X] b`` are sub-blocks
of those matrices, so :func:`solve_specs` solves hundreds of specifications with a few batched
``solve`` calls and never touches the ``n`` rows again (except for HC1, whose meat needs
per-row residuals). Small-sample corrections follow pyfixest's defaults exactly
(``ssc(k_adj=True, k_fixef="nonnested", G_adj=True)``): fixed effects nested in the cluster
variable are not counted in ``k``; CRV inference uses ``t(G - 1)``, HC1/iid ``t(N - k)``.

The solve stage is array-module agnostic: pass ``xp=cupy`` to run it on a GPU (any module with
numpy's API and in-place item assignment); block preparation always runs in numpy (the demeaner
is pyfixest's compiled CPU code).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

LinearInference = Literal["iid", "hc1", "crv1", "wild"]
#: pyfixest's default MAP tolerance and iteration cap (``MapDemeaner``).
FIXEF_TOL = 1e-6
FIXEF_MAXITER = 10_000
#: A regressor whose demeaned sum of squares is below this share of its raw (centred) sum of
#: squares is treated as absorbed by the fixed effects.
ABSORBED_TOL = 1e-9
#: Smallest eigenvalue of the correlation-scaled X'X below which a regressor set is collinear.
COLLINEAR_TOL = 1e-9


@dataclass
class Block:
    """Demeaned columns and cross products for one sample / FE / weights / cluster group.

    Attributes
    ----------
    names
        Column names, in the order of the rows/columns of ``gram``.
    z
        Demeaned columns multiplied by ``sqrt(weight)`` (``n_obs`` x ``p``); kept for HC1.
    gram
        ``Z'WZ`` (``p`` x ``p``).
    cluster_gram
        ``C_g = Z_g'W Z_g`` stacked (``G`` x ``p`` x ``p``), or ``None`` without clusters.
    cluster_codes
        Cluster index (0..G-1) of each kept row, or ``None``.
    raw_ss
        Weighted centred sum of squares of each column before demeaning (collinearity checks).
    n_obs, n_clusters
        Rows kept (after singletons) and distinct clusters.
    k_fe_adj, k_fe_nested, n_fe_fully_nested
        Degrees of freedom taken by the fixed effects, as pyfixest counts them.
    intercept
        Whether an explicit intercept column (``"(Intercept)"``) is part of ``names``.
    n_singletons
        Rows dropped because they were alone in a fixed-effect group.
    """

    names: list[str]
    z: np.ndarray
    gram: np.ndarray
    cluster_gram: np.ndarray | None
    cluster_codes: np.ndarray | None
    raw_ss: np.ndarray
    n_obs: int
    n_clusters: int | None
    k_fe_adj: int
    k_fe_nested: int
    n_fe_fully_nested: int
    intercept: bool
    n_singletons: int = 0
    index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = {n: i for i, n in enumerate(self.names)}


def _codes(values: np.ndarray) -> np.ndarray:
    """Factorise any 1-D array into 0..K-1 integer codes (order of first appearance)."""
    import pandas as pd

    return pd.factorize(values)[0].astype(np.int64)


def prepare_block(
    columns: dict[str, np.ndarray],
    fixed_effects: list[np.ndarray],
    weights: np.ndarray | None = None,
    cluster: np.ndarray | None = None,
    *,
    fixef_tol: float = FIXEF_TOL,
    fixef_maxiter: int = FIXEF_MAXITER,
) -> Block:
    """Demean all candidate columns of one block once and precompute the cross products.

    Parameters
    ----------
    columns
        Candidate columns (outcomes, treatments, covariates), each of length ``n``. Rows where any
        column, fixed effect, weight or cluster id is missing must already be removed.
    fixed_effects
        Zero, one or two arrays of group ids (any dtype). With none, an intercept is added.
    weights
        Analytic weights (pyfixest ``aweights``), or ``None``.
    cluster
        Cluster ids for CRV1 / wild bootstrap inference, or ``None``.
    fixef_tol, fixef_maxiter
        Demeaner settings; the defaults are pyfixest's.
    """
    from sanctuary_lab.inference.fixest import demean, detect_singletons

    names = list(columns)
    mat = np.column_stack([np.asarray(columns[c], dtype=np.float64) for c in names])
    n = mat.shape[0]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    fe = [_codes(np.asarray(f)) for f in fixed_effects]
    cl = None if cluster is None else np.asarray(cluster)
    n_singletons = 0
    if fe:
        ids = np.column_stack(fe)
        single = detect_singletons(ids)
        n_singletons = int(single.sum())
        if n_singletons:
            keep = ~single
            mat, w, ids = mat[keep], w[keep], ids[keep]
            cl = None if cl is None else cl[keep]
            fe = [_codes(ids[:, j]) for j in range(ids.shape[1])]
    n = mat.shape[0]
    wsum = w.sum()
    mean = (w[:, None] * mat).sum(axis=0) / wsum
    raw_ss = (w[:, None] * (mat - mean) ** 2).sum(axis=0)
    intercept = not fe
    if fe:
        flist = np.column_stack(fe).astype(np.uint64)
        z, ok = demean(np.ascontiguousarray(mat), flist, w, tol=fixef_tol, maxiter=fixef_maxiter)
        if not ok:
            raise RuntimeError("fixed-effects demeaning did not converge")
    else:
        z = np.column_stack([mat, np.ones(n)])
        names = names + ["(Intercept)"]
        raw_ss = np.append(raw_ss, float(wsum))
    z = z * np.sqrt(w)[:, None]
    gram = z.T @ z
    k_fe = [int(f.max()) + 1 for f in fe]
    n_fe = len(fe)
    k_fe_adj = sum(k_fe) - (n_fe - 1) if n_fe > 1 else sum(k_fe)
    cluster_gram = codes = None
    n_clusters = None
    k_fe_nested = n_fe_fully_nested = 0
    if cl is not None:
        codes = _codes(cl)
        n_clusters = int(codes.max()) + 1
        cluster_gram = cluster_cross_products(z, codes, n_clusters)
        for f, kf in zip(fe, k_fe, strict=True):
            pairs = np.unique(np.column_stack([f, codes]), axis=0)
            if len(pairs) == kf:  # every FE level sits in exactly one cluster
                k_fe_nested += kf
                n_fe_fully_nested += 1
    return Block(
        names=names,
        z=z,
        gram=gram,
        cluster_gram=cluster_gram,
        cluster_codes=codes,
        raw_ss=raw_ss,
        n_obs=n,
        n_clusters=n_clusters,
        k_fe_adj=k_fe_adj,
        k_fe_nested=k_fe_nested,
        n_fe_fully_nested=n_fe_fully_nested,
        intercept=intercept,
        n_singletons=n_singletons,
    )


def cluster_cross_products(z: np.ndarray, codes: np.ndarray, n_clusters: int) -> np.ndarray:
    """``C_g = Z_g' Z_g`` for every cluster by segment sums over rows sorted by cluster."""
    n, p = z.shape
    order = np.argsort(codes, kind="stable")
    zs, cs = z[order], codes[order]
    out = np.zeros((n_clusters, p, p))
    step = max(1, 4_000_000 // max(p * p, 1))
    for a in range(0, n, step):
        zc, cc = zs[a : a + step], cs[a : a + step]
        starts = np.flatnonzero(np.r_[True, cc[1:] != cc[:-1]])
        outer = zc[:, :, None] * zc[:, None, :]
        out[cc[starts]] += np.add.reduceat(outer, starts, axis=0)
    return out


@dataclass
class BatchResult:
    """Per-specification numbers from :func:`solve_specs` (arrays of length m)."""

    estimate: np.ndarray
    std_error: np.ndarray
    t_stat: np.ndarray
    df_t: np.ndarray
    ok: np.ndarray  # False where the regressors were collinear
    problem: list[str]


def _dof(block: Block, k: int, inference: str) -> tuple[float, float]:
    """pyfixest's small-sample factor and t degrees of freedom for one spec."""
    n = block.n_obs
    if inference in ("crv1", "wild"):
        df_k = k + block.k_fe_adj
        if block.k_fe_nested:
            df_k = df_k - block.k_fe_nested + block.n_fe_fully_nested
        g = block.n_clusters or 1
        return (n - 1) / (n - df_k) * g / (g - 1), float(g - 1)
    df_k = k + block.k_fe_adj
    if inference == "hc1":
        return n / (n - df_k), float(n - df_k)
    return (n - 1) / (n - df_k), float(n - df_k)  # iid


def collinear_problems(block: Block, y: np.ndarray, xs: np.ndarray) -> list[str]:
    """One message per spec: '' when fine, else which regressor is absorbed or collinear.

    Vectorised over specs: absorbed columns from the diagonal of ``G`` against the raw sums of
    squares; collinearity from the smallest eigenvalue of each correlation-scaled ``X'X``.
    """
    names = block.names
    diag = np.diag(block.gram)
    absorbed = diag <= ABSORBED_TOL * np.maximum(block.raw_ss, 1e-300)
    if block.intercept:
        absorbed[block.index["(Intercept)"]] = False
    xx = block.gram[xs[:, :, None], xs[:, None, :]]
    d = np.sqrt(np.maximum(np.einsum("mii->mi", xx), 1e-300))
    with np.errstate(invalid="ignore", divide="ignore"):
        mineig = np.linalg.eigvalsh(xx / (d[:, :, None] * d[:, None, :]))[:, 0]
    out = []
    for i in range(len(y)):
        msg = ""
        if absorbed[y[i]]:
            msg = f"outcome {names[y[i]]!r} is constant within the fixed effects"
        else:
            hit = [j for j in xs[i] if absorbed[j]]
            if hit:
                msg = f"{names[hit[0]]!r} is absorbed by the fixed effects (no variation left)"
            elif not mineig[i] >= COLLINEAR_TOL:
                msg = "regressors " + ", ".join(repr(names[j]) for j in xs[i]) + " are collinear"
        out.append(msg)
    return out


def solve_specs(
    block: Block,
    y: np.ndarray,
    xs: np.ndarray,
    inference: str,
    *,
    xp: Any = np,
) -> BatchResult:
    """Solve m specs with k regressors each; the coefficient of interest is ``xs[:, 0]``.

    Parameters
    ----------
    block
        Prepared block.
    y
        Outcome column index per spec (m,).
    xs
        Regressor column indices per spec (m, k); the intercept is appended automatically for
        blocks without fixed effects.
    inference
        ``"iid"``, ``"hc1"``, ``"crv1"`` or ``"wild"`` (wild reports the CRV1 standard error; its
        p-value comes from :func:`wild_pvalues`).
    xp
        Array module for the solves (numpy or cupy).
    """
    y = np.asarray(y, dtype=np.int64)
    xs = np.asarray(xs, dtype=np.int64)
    if block.intercept:
        xs = np.column_stack([xs, np.full(len(xs), block.index["(Intercept)"])])
    m, k = xs.shape
    problems = collinear_problems(block, y, xs)
    ok = np.array([not p for p in problems])
    est = np.full(m, np.nan)
    se = np.full(m, np.nan)
    ssc, df_t = _dof(block, k, inference)
    if ok.any():
        s_idx = np.flatnonzero(ok)
        beta, var = _solve_ok(block, y[s_idx], xs[s_idx], inference, xp)
        est[s_idx] = beta[:, 0]
        se[s_idx] = np.sqrt(ssc * var)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = est / se
    return BatchResult(est, se, t, np.full(m, df_t), ok, problems)


def on_device(a: np.ndarray, xp: Any) -> Any:
    """``a`` as an array of the array module ``xp`` (CuPy wants its own arrays for indexing).

    Used by the solves here and by the wild bootstrap of :mod:`sanctuary_lab.multiverse.wild`.
    """
    return a if xp is np else xp.asarray(a)


def to_host(a: Any) -> np.ndarray:
    """``a`` as a numpy array (copied off the device when it is a CuPy array)."""
    if hasattr(a, "get"):  # cupy
        return a.get()
    return np.asarray(a)


def _solve_ok(
    block: Block, y: np.ndarray, xs: np.ndarray, inference: str, xp: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (m, k) and the unscaled variance of coefficient 0 (m,)."""
    gram = xp.asarray(block.gram)
    y, xs = on_device(y, xp), on_device(xs, xp)
    xx = gram[xs[:, :, None], xs[:, None, :]]  # m,k,k
    xy = gram[xs, y[:, None]]  # m,k
    inv = xp.linalg.inv(xx)
    beta = xp.einsum("mij,mj->mi", inv, xy)
    a0 = inv[:, 0, :]  # row of the coefficient of interest
    if inference == "iid":
        rss = gram[y, y] - xp.einsum("mi,mi->m", beta, xy)
        var = rss / (block.n_obs - 1) * inv[:, 0, 0]
    elif inference == "hc1":
        # per-row scores via two GEMMs on the demeaned columns: h = Z a (a = row 0 of (X'X)^-1
        # embedded in the p columns), u = Z c (c = e_y - b embedded); var = sum_i (h_i u_i)^2
        z = xp.asarray(block.z)
        n, p = block.z.shape
        step = max(1, 4_000_000 // max(n, 1))
        parts = []
        for a in range(0, len(y), step):
            sl = slice(a, a + step)
            mc = len(y[sl])
            cols = xp.arange(mc)[:, None]
            emb_a = xp.zeros((p, mc))
            emb_a[xs[sl], cols] = a0[sl]
            emb_u = xp.zeros((p, mc))
            emb_u[xs[sl], cols] = -beta[sl]
            emb_u[y[sl], xp.arange(mc)] += 1.0
            parts.append(xp.sum(((z @ emb_a) * (z @ emb_u)) ** 2, axis=0))
        var = xp.concatenate(parts)
    else:
        scores = cluster_scores(block, y, xs, beta, xp)  # m,G,k
        sa = xp.einsum("mgk,mk->mg", scores, a0)
        var = xp.sum(sa**2, axis=1)
    return to_host(beta), to_host(var)


def cluster_scores(block: Block, y: np.ndarray, xs: np.ndarray, beta: Any, xp: Any) -> Any:
    """``X_g'W(y_g - X_g b)`` for every spec and cluster (m, G, k), in spec chunks."""
    if block.cluster_gram is None:
        raise ValueError("clustered inference needs a block prepared with a cluster variable")
    cg = xp.asarray(block.cluster_gram)
    y, xs = on_device(y, xp), on_device(xs, xp)
    m, k = xs.shape
    g = cg.shape[0]
    step = max(1, 8_000_000 // max(g * k * k, 1))
    parts = []
    for a in range(0, m, step):
        sl = slice(a, a + step)
        xsl, ysl = xs[sl], y[sl]
        cxy = cg[:, xsl, ysl[:, None]]  # G,m,k
        cxx = cg[:, xsl[:, :, None], xsl[:, None, :]]  # G,m,k,k
        s = cxy - xp.einsum("gmij,mj->gmi", cxx, beta[sl])
        parts.append(xp.transpose(s, (1, 0, 2)))
    return xp.concatenate(parts, axis=0)
