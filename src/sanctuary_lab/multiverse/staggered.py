"""Batched Callaway–Sant'Anna kernel: every ATT(g,t) of many outcomes on one cohort structure.

The unconditional Callaway & Sant'Anna (2021) estimator on a balanced panel is a function of
cohort × period weighted means, and its influence function is linear in the unit's outcome path
within each cohort. For a set of outcomes (columns, transforms, thresholded or not) that share
one panel, one cohort assignment, one weighting and one clustering, this module therefore
computes, for all outcomes and both comparison groups at once:

* ATT(g,t) = (mean of Y_t - Y_b over cohort g) - (mean over the comparison cohorts), from the
  cohort × period means ``M[k, c, t]`` (one matrix product);
* every aggregate (the ATT(g,t) themselves, simple, dynamic per event time and overall, group per
  cohort and overall, calendar per period and overall) as a linear map ``L`` of the ATT(g,t),
  with the R ``did`` weight-estimation terms (``wif``) of the simple, dynamic and calendar
  aggregations and of the overall group aggregation;
* the analytic influence-function standard errors of every aggregate, i.i.d. by unit
  (``sqrt(sum IF^2) / n``) or clustered (``sqrt(sum_h (sum_{i in h} IF_i)^2) / n``), without
  forming the n × (#aggregates) influence matrix: the influence function of aggregate ``a`` for
  unit ``i`` in cohort ``c`` is ``w_i (n * Ytilde_i . alpha[c, :, a] + b[c, a])`` (``Ytilde`` the
  outcome path minus its cohort mean), so its sums of squares are quadratic forms in per-cohort
  second moments and its cluster sums are products with cluster × cohort sums;
* R ``did``'s Wald pre-test that all pre-treatment ATT(g,t) are zero.

The estimator, cell plan (varying base period, anticipation, not-yet-treated thresholds, the
no-never-treated truncation) and aggregations follow ``csdid`` (the port of R ``did``) as used
by :class:`sanctuary_lab.designs.staggered.CallawaySantAnnaDesign`; the tests check equality with
that single-fit design on every spec (estimates 1e-10, standard errors 1e-8). Without
covariates the doubly robust, IPW and outcome-regression estimators coincide, so ``method`` does
not change the result. What this kernel does not batch (covariates, a universal base period,
unbalanced panels, cells without comparison units, propensity scores near the trimming bound) is
reported by :func:`unsupported` so the caller can run the single-fit design instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse, stats

Control = Literal["never_treated", "not_yet_treated"]
Z95 = float(stats.norm.ppf(0.975))
#: Largest treated share of a 2x2 cell handled here (csdid trims propensity scores >= 0.995).
MAX_TREATED_SHARE = 0.99
#: Cells of the per-chunk outcome array (outcomes × units × periods), to bound memory.
CHUNK_CELLS = 4_000_000


@dataclass
class CohortPanel:
    """A balanced unit × period panel with one cohort per unit.

    Attributes
    ----------
    periods
        Sorted periods (T,).
    cohort
        First treated period per unit (N,), ``0`` = never treated.
    weights
        Unit sampling weights (N,) (ones when unweighted).
    cluster
        Dense cluster codes per unit (N,), or ``None`` for clustering by unit.
    n_obs, n_clusters
        Rows and clusters of the estimation sample, as the single-fit design reports them.
    """

    periods: np.ndarray
    cohort: np.ndarray
    weights: np.ndarray
    cluster: np.ndarray | None
    n_obs: int
    n_clusters: int


@dataclass
class Plan:
    """The cells and aggregations of one comparison-group choice on one panel."""

    keep: np.ndarray  # units kept (bool, N)
    t_keep: np.ndarray  # periods kept (bool, T)
    groups: np.ndarray  # estimated cohorts
    cell_g: np.ndarray
    cell_t: np.ndarray
    cell_b: np.ndarray  # base-period index per cell (into kept periods)
    cell_ti: np.ndarray  # period index per cell
    ctrl: np.ndarray  # (cells, C) comparison-cohort indicator
    treat: np.ndarray  # (cells, C) treated-cohort indicator
    cohorts: np.ndarray  # cohort values (C,), index 0.. of codes
    codes: np.ndarray  # cohort code per kept unit
    terms: list[str] = field(default_factory=list)
    problem: str | None = None


@dataclass
class StaggeredFit:
    """Results of one comparison-group choice for K outcomes.

    ``terms`` are the single-fit design's tidy terms (``att``, ``att_dynamic``, ``att_group``,
    ``att_calendar``, ``rel_time[e]``) followed by the ATT(g,t) cells as ``att_gt[g,t]``;
    ``estimate`` and ``std_error`` are (K, len(terms)); ``pretrend`` is (K, 3): Wald statistic,
    p-value and degrees of freedom (NaN / 0 where not computable).
    """

    terms: list[str]
    estimate: np.ndarray
    std_error: np.ndarray
    pretrend: np.ndarray
    n_obs: int
    n_clusters: int

    def row(self, k: int, term: str) -> dict[str, float]:
        """Tidy-row values (estimate, std_error, ci_low, ci_high, p_value) of one term."""
        if term == "pretrend_wald":
            return {
                "estimate": float(self.pretrend[k, 0]),
                "std_error": np.nan,
                "ci_low": np.nan,
                "ci_high": np.nan,
                "p_value": float(self.pretrend[k, 1]),
            }
        j = self.terms.index(term)
        est, se = float(self.estimate[k, j]), float(self.std_error[k, j])
        ok = np.isfinite(se) and se > 0
        return {
            "estimate": est,
            "std_error": se,
            "ci_low": est - Z95 * se if ok else np.nan,
            "ci_high": est + Z95 * se if ok else np.nan,
            "p_value": float(2 * stats.norm.sf(abs(est / se))) if ok else np.nan,
        }


def cohort_panel(
    units: np.ndarray,
    times: np.ndarray,
    cohort: np.ndarray,
    weights: np.ndarray | None = None,
    cluster: np.ndarray | None = None,
) -> tuple[CohortPanel, np.ndarray] | None:
    """Index a long panel (one row per unit-period); ``None`` if it is not balanced.

    Returns the panel and the flat position of each row in the (N, T) grid (units sorted).
    """
    u_codes, u_vals = pd.factorize(pd.Series(units), sort=True)
    t_codes, t_vals = pd.factorize(pd.Series(times), sort=True)
    n, t = len(u_vals), len(t_vals)
    if n * t != len(units):
        return None
    pos = u_codes * t + t_codes
    if np.bincount(pos, minlength=n * t).max() != 1:
        return None
    first = np.zeros(n, dtype=np.int64)
    first[u_codes] = np.arange(len(units))
    g = np.asarray(cohort, dtype=float)[first]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)[first]
    if cluster is None:
        codes, n_cl = None, n
    else:
        cl = pd.Series(np.asarray(cluster)[first])
        codes = pd.factorize(cl, sort=True)[0]
        n_cl = int(pd.Series(cluster).nunique())
    periods = np.asarray(t_vals, dtype=float)
    return CohortPanel(periods, g, w, codes, len(units), n_cl), pos


def outcome_cube(
    panel: CohortPanel, pos: np.ndarray, values: np.ndarray, rows: np.ndarray | None = None
) -> np.ndarray:
    """Outcomes (N, K, T) on the panel grid from long rows (``values[rows]``, aligned with
    ``pos``)."""
    n, t = len(panel.cohort), len(panel.periods)
    order = np.empty(len(pos), dtype=np.int64)
    order[pos] = np.arange(len(pos))  # row of each grid cell
    take = order if rows is None else np.asarray(rows)[order]
    flat = np.asarray(values, dtype=float)[take]  # (N*T, K), grid order
    return np.ascontiguousarray(flat.reshape(n, t, -1).transpose(0, 2, 1))


def _no_plan(keep: np.ndarray, t_keep: np.ndarray, glist: np.ndarray, problem: str) -> Plan:
    z = np.zeros(0)
    return Plan(keep, t_keep, glist, z, z, z.astype(int), z.astype(int), np.zeros((0, 0)),
                np.zeros((0, 0)), z, z.astype(int), problem=problem)  # fmt: skip


def plan_cells(panel: CohortPanel, control: Control, anticipation: int = 0) -> Plan:
    """Cells (g, t, base) and comparison cohorts, as csdid plans them (varying base period)."""
    tl = panel.periods
    g = panel.cohort.copy()
    a = anticipation
    g[g > tl.max() + a] = 0.0
    keep = np.ones(len(g), dtype=bool)
    t_keep = np.ones(len(tl), dtype=bool)
    glist = np.unique(g[g > 0])
    latest = None
    if not (g == 0).any():
        if control == "never_treated":
            return _no_plan(keep, t_keep, glist, "no never-treated units")
        latest = glist.max()
        t_keep = tl < latest - a
        glist = glist[glist < latest]
    tl = tl[t_keep]
    if len(tl) < 2:
        return _no_plan(keep, t_keep, glist, "fewer than 2 periods")
    keep = ~((g > 0) & (g <= tl[0] + a))
    glist = glist[glist > tl[0] + a]
    gk = g[keep]
    cohorts = np.unique(gk)
    codes = np.searchsorted(cohorts, gk)
    rows = []
    for gg in glist:
        pre_idx = np.flatnonzero(tl + a < gg)
        last_pre = int(pre_idx[-1])
        for t_i in range(len(tl) - 1):
            tn_i = t_i + 1
            tn = tl[tn_i]
            pret = last_pre if gg - a <= tn else t_i
            thresh = tl[max(t_i, pret) + 1] + a
            if control == "never_treated":
                c = cohorts == 0
            else:
                c = (cohorts == 0) | ((cohorts > thresh) & (cohorts != gg))
            rows.append((gg, tn, pret, tn_i, c))
    problem = None if rows else "no group-time cells"
    cell_g = np.array([r[0] for r in rows], dtype=float)
    ctrl = np.array([r[4] for r in rows], dtype=float).reshape(len(rows), len(cohorts))
    treat = (cell_g[:, None] == cohorts[None, :]).astype(float)
    if problem is None and (ctrl.sum(axis=1) == 0).any():
        problem = "a group-time cell has no comparison units"
    return Plan(
        keep,
        t_keep,
        glist,
        cell_g,
        np.array([r[1] for r in rows], dtype=float),
        np.array([r[2] for r in rows], dtype=int),
        np.array([r[3] for r in rows], dtype=int),
        ctrl,
        treat,
        cohorts,
        codes,
        problem=problem,
    )


@dataclass
class _Aggs:
    L: np.ndarray  # (cells, A_base) weights of the cell ATTs
    wif: np.ndarray  # (cells, A_base) 1 where the aggregate's cohort weights are estimated
    names: list[str]
    combos: np.ndarray  # (A_base, 3): overall dynamic, group, calendar from the base columns
    group_cols: np.ndarray  # base columns of the per-cohort group aggregates
    pgg: np.ndarray  # cohort shares of the cohorts in the group aggregation
    groups: np.ndarray  # those cohorts


def _aggregations(plan: Plan, pg: np.ndarray) -> _Aggs:
    """Aggregates as linear maps of the cell ATTs (as csdid's ``compute_aggte``, na_rm)."""
    cg, ct = plan.cell_g, plan.cell_t
    nc = len(cg)
    post = cg <= ct
    pgc = pg[np.searchsorted(plan.cohorts, cg)]
    cols: list[np.ndarray] = []
    wifm: list[np.ndarray] = []
    names: list[str] = []

    def add(mask: np.ndarray, weighted: bool, wif: bool, name: str) -> None:
        wt = np.where(mask, pgc if weighted else 1.0, 0.0)
        cols.append(wt / wt.sum())
        wifm.append(mask & wif)
        names.append(name)

    eye = np.eye(nc, dtype=bool)
    for j in range(nc):
        add(eye[j], False, False, f"att_gt[{int(cg[j])},{int(ct[j])}]")
    e = ct - cg
    eseq = np.unique(e)
    for ev in eseq:
        add(e == ev, True, True, f"rel_time[{int(ev)}]")
    g0 = len(names)
    # csdid (na_rm) leaves cohorts without a post-treatment cell out of the group aggregation
    groups = np.array([gg for gg in plan.groups if ((cg == gg) & post).any()])
    for gg in groups:
        add((cg == gg) & post, False, False, f"_group[{int(gg)}]")
    t0 = len(names)
    tpost = [tt for tt in np.unique(ct) if tt >= cg.min() and ((ct == tt) & post).any()]
    for tt in tpost:
        add((ct == tt) & post, True, True, f"_calendar[{int(tt)}]")
    add(post, True, True, "att")
    L = np.stack(cols, axis=1)
    a_base = L.shape[1]
    dyn = np.zeros(a_base)
    dyn[nc : nc + len(eseq)] = (eseq >= 0) / max(int((eseq >= 0).sum()), 1)
    pgg = pg[np.searchsorted(plan.cohorts, groups)]
    grp = np.zeros(a_base)
    grp[g0:t0] = pgg / pgg.sum()
    cal = np.zeros(a_base)
    cal[t0 : t0 + len(tpost)] = 1.0 / len(tpost)
    return _Aggs(
        L,
        np.stack(wifm, axis=1).astype(float),
        names,
        np.stack([dyn, grp, cal], axis=1),
        np.arange(g0, t0),
        pgg,
        groups,
    )


def unsupported(panel: CohortPanel, control: Control, anticipation: int = 0) -> str | None:
    """Why this kernel cannot fit (panel, control) exactly like the single-fit design, or None."""
    plan = plan_cells(panel, control, anticipation)
    if plan.problem:
        return plan.problem
    w = panel.weights[plan.keep]
    s = np.bincount(plan.codes, w, len(plan.cohorts))
    s1 = plan.treat @ s
    s0 = plan.ctrl @ s
    cnt = np.bincount(plan.codes, minlength=len(plan.cohorts)).astype(float)
    share = (plan.treat @ cnt) / (plan.treat @ cnt + plan.ctrl @ cnt)
    if (s1 / (s1 + s0) >= MAX_TREATED_SHARE).any() or (share >= MAX_TREATED_SHARE).any():
        return "a group-time cell is almost all treated (propensity trimming)"
    if not (plan.cell_g <= plan.cell_t).any():
        return "no post-treatment cell"
    if not np.all(np.isfinite(w)) or (w <= 0).any():
        return "non-positive weights"
    return None


def fit_staggered(
    panel: CohortPanel, y: np.ndarray, control: Control, anticipation: int = 0
) -> StaggeredFit:
    """ATT(g,t), aggregations, analytic SEs and the pre-test for K outcomes (y: N × K × T).

    Call :func:`unsupported` first; this function assumes it returned ``None``.
    """
    plan = plan_cells(panel, control, anticipation)
    if not plan.keep.all():
        y = y[plan.keep]
    if not plan.t_keep.all():
        y = y[:, :, plan.t_keep]
    n, k_out, t = y.shape
    w = panel.weights[plan.keep]
    codes = plan.codes
    nco = len(plan.cohorts)
    s = np.bincount(codes, w, nco)
    pg = s / n
    means = np.zeros((nco, n))
    means[codes, np.arange(n)] = w / s[codes]
    agg = _aggregations(plan, pg)
    L, wifm, combos = agg.L, agg.wif, agg.combos
    nc, a_base = len(plan.cell_g), L.shape[1]
    a_all = a_base + combos.shape[1]
    s0 = plan.ctrl @ s
    s1 = plan.treat @ s
    gamma = plan.treat / s1[:, None] - plan.ctrl / s0[:, None]  # (cells, C)
    e_tb = np.zeros((nc, t))
    e_tb[np.arange(nc), plan.cell_ti] += 1.0
    e_tb[np.arange(nc), plan.cell_b] -= 1.0
    # alpha[c, t, a]: coefficient of Ytilde_it (times n w_i) for a unit of cohort c
    alpha = np.einsum("jc,ja,jt->cta", gamma, L, e_tb)
    alpha = np.concatenate([alpha, alpha @ combos], axis=2)
    ctrl_s0 = plan.ctrl / s0[:, None]
    pi0 = plan.ctrl * s[None, :] / s0[:, None]
    pgc = pg[np.searchsorted(plan.cohorts, plan.cell_g)]
    has_wif = wifm.any(axis=0)
    s_a = np.where(has_wif, (wifm * pgc[:, None]).sum(axis=0), 1.0)
    n_ac = np.einsum("ja,jc->ca", wifm, plan.treat)
    gi = np.searchsorted(plan.cohorts, agg.groups)
    w2 = np.bincount(codes, w**2, nco)
    members = [np.flatnonzero(codes == c) for c in range(nco)]
    cl = None if panel.cluster is None else panel.cluster[plan.keep]
    width = n * t
    if cl is not None:
        # cluster x cohort sums on the full (H, C) grid
        hcode = pd.factorize(cl, sort=True)[0]
        n_h = int(hcode.max()) + 1
        rowid = hcode * nco + codes
        zsum = sparse.csr_matrix((w, (rowid, np.arange(n))), shape=(n_h * nco, n))
        zw = np.bincount(rowid, w, n_h * nco).reshape(n_h, nco)
        alpha_flat = alpha.reshape(nco * t, a_all)
        width = max(width, n_h * nco * (a_all + t))
    pre = np.flatnonzero(plan.cell_g - anticipation > plan.cell_t)
    ests, ses, pres = [], [], []
    step = max(1, CHUNK_CELLS // max(width, 1))
    for k0 in range(0, k_out, step):
        yk = y[:, k0 : k0 + step, :]
        kk = yk.shape[1]
        y2 = yk.reshape(n, kk * t)
        m = (means @ y2).reshape(nco, kk, t).transpose(1, 0, 2)  # (k, C, T) cohort means
        dm = m[:, :, plan.cell_ti] - m[:, :, plan.cell_b]  # (k, C, cells)
        ybar1 = (dm * plan.treat.T[None]).sum(axis=1)
        ybar0 = (dm * pi0.T[None]).sum(axis=1)
        att = ybar1 - ybar0
        est = att @ L
        # b[c, a] = n sum_j L[j,a] 1{c in C_j} (ybar0_j - dM_cj) / S0_j  +  wif term u[c, a]
        # (k, C, cells) @ (cells, A): one GEMM each
        b = n * np.matmul(ctrl_s0.T[None] * (ybar0[:, None, :] - dm), L)
        t_ac = np.matmul(plan.treat.T[None] * att[:, None, :], wifm)
        b += (t_ac - n_ac[None] * est[:, None, :]) / s_a[None, None, :]
        est_all = np.concatenate([est, est @ combos], axis=1)
        b_all = np.concatenate([b, b @ combos], axis=2)
        # overall group aggregate: estimated cohort weights over the groups
        a_grp = est_all[:, a_base + 1]
        b_all[:, gi, a_base + 1] += (est[:, agg.group_cols] - a_grp[:, None]) / agg.pgg.sum()
        if cl is None:
            gc = np.zeros((kk, nco, t, t))
            g1 = np.zeros((kk, nco, t))
            for c, idx in enumerate(members):
                yc = (yk[idx] - m[None, :, c, :]).transpose(1, 0, 2)  # (k, n_c, T) centred
                wy = yc * (w[idx] ** 2)[None, :, None]
                gc[:, c] = np.matmul(wy.transpose(0, 2, 1), yc)
                g1[:, c] = wy.sum(axis=1)
            ga = np.matmul(gc, alpha[None])  # (k, C, T, A)
            quad = (ga * alpha[None]).sum(axis=(1, 2))
            g1a = np.matmul(g1[:, :, None, :], alpha[None])[:, :, 0, :]  # (k, C, A)
            lin = (g1a * b_all).sum(axis=1)
            const = (w2[None, :, None] * b_all**2).sum(axis=1)
            se = np.sqrt(np.clip(n**2 * quad + 2 * n * lin + const, 0, None)) / n
            al, bb = alpha[:, :, pre], b_all[:, :, pre]
            ctp = al.reshape(nco * t, -1)  # (C*T, P)
            gap = ga[:, :, :, pre].reshape(kk, nco * t, -1)
            q2 = np.matmul(ctp.T[None], gap)
            l2 = np.matmul(g1a[:, :, pre].transpose(0, 2, 1), bb)
            c2 = np.matmul((bb * w2[None, :, None]).transpose(0, 2, 1), bb)
            vpre = (n**2 * q2 + n * (l2 + l2.transpose(0, 2, 1)) + c2) / n
        else:
            # cluster x cohort sums of w * Ytilde: sums of w * Y minus (sums of w) * M_c
            zy = (zsum @ y2).reshape(n_h, nco, kk, t) - zw[:, :, None, None] * m.transpose(1, 0, 2)[
                None
            ]
            zyk = zy.transpose(2, 0, 1, 3).reshape(kk, n_h, nco * t)
            # cluster sums of the influence functions (k, H, A)
            sh = n * np.matmul(zyk, alpha_flat) + np.matmul(zw[None], b_all)
            se = np.sqrt((sh**2).sum(axis=1)) / n
            sp = sh[:, :, pre]
            vpre = np.matmul(sp.transpose(0, 2, 1), sp) / n
        se = np.where(np.isfinite(se) & (se > 0), se, np.nan)
        ests.append(est_all)
        ses.append(se)
        pres.append(_pretest(est_all[:, pre], se[:, pre], vpre, n))
    order, terms = _term_order(agg.names, a_base)
    est_m = np.concatenate(ests)[:, order]
    se_m = np.concatenate(ses)[:, order]
    return StaggeredFit(terms, est_m, se_m, np.concatenate(pres), panel.n_obs, panel.n_clusters)


def _pretest(pre_att: np.ndarray, pre_se: np.ndarray, vpre: np.ndarray, n: int) -> np.ndarray:
    """csdid's Wald pre-test per outcome: (W, p, q); NaN where not computable.

    Uses the pre-treatment cells with a finite positive SE; not computable when there are none,
    when their covariance has a NaN or is singular (``rcond <= eps``), as in csdid.
    """
    out = np.full((pre_att.shape[0], 3), np.nan)
    out[:, 2] = 0
    ok = np.isfinite(pre_se) & (pre_se > 0)
    patterns: dict[bytes, list[int]] = {}
    for k in range(pre_att.shape[0]):
        patterns.setdefault(ok[k].tobytes(), []).append(k)
    for ks_list in patterns.values():
        ks = np.array(ks_list)
        idx = np.flatnonzero(ok[ks[0]])
        if idx.size == 0:
            continue
        v = vpre[np.ix_(ks, idx, idx)]
        good = ~np.isnan(v).any(axis=(1, 2))
        ks, v = ks[good], v[good]
        if ks.size == 0:
            continue
        try:
            rcond = 1.0 / np.linalg.cond(v, p=1)
        except np.linalg.LinAlgError:
            rcond = np.array([_rcond(vi) for vi in v])
        good = np.isfinite(rcond) & (rcond > np.finfo(float).eps)
        ks, v = ks[good], v[good]
        if ks.size == 0:
            continue
        b = pre_att[np.ix_(ks, idx)]
        wstat = n * np.einsum("kp,kp->k", b, np.linalg.solve(v, b[:, :, None])[:, :, 0])
        out[ks, 0] = wstat
        out[ks, 1] = stats.chi2.sf(wstat, idx.size)
        out[ks, 2] = idx.size
    return out


def _rcond(v: np.ndarray) -> float:
    try:
        return float(1.0 / np.linalg.cond(v, p=1))
    except np.linalg.LinAlgError:
        return 0.0


def _term_order(names: list[str], a_base: int) -> tuple[list[int], list[str]]:
    """Tidy terms first (att, att_dynamic, att_group, att_calendar, rel_time[e]), then cells."""
    idx = {nm: i for i, nm in enumerate(names)}
    order = [idx["att"], a_base, a_base + 1, a_base + 2]
    terms = ["att", "att_dynamic", "att_group", "att_calendar"]
    rel = [nm for nm in names if nm.startswith("rel_time[")]
    order += [idx[nm] for nm in rel]
    terms += rel
    cells = [nm for nm in names if nm.startswith("att_gt[")]
    order += [idx[nm] for nm in cells]
    terms += cells
    return order, terms


def prepared_block(
    data: pd.DataFrame,
    outcomes: list[str],
    *,
    unit: str,
    time: str,
    cohort: str | None = None,
    treatment: str | None = None,
    weights: str | None = None,
    cluster: str | None = None,
    values: np.ndarray | None = None,
) -> tuple[CohortPanel, np.ndarray] | str:
    """Validate like the single-fit design and build (panel, N × K × T outcomes).

    ``values`` (rows × K, aligned with ``data``'s rows) gives the outcomes named ``outcomes``;
    without it they are read from ``data``'s columns. Returns a reason string when the block is
    outside this kernel (an outcome with missing values, an unbalanced panel, or input the
    design itself rejects); the caller then runs the single-fit design, which reports its own
    error where there is one.
    """
    from sanctuary_lab.core.errors import SpecError
    from sanctuary_lab.designs.staggered.panel import COHORT, prepare_panel

    if not outcomes:
        return "no outcomes"
    if values is None:
        for c in outcomes:
            if not pd.api.types.is_numeric_dtype(data[c]):
                return f"outcome {c!r} is not numeric"
        values = data[outcomes].to_numpy(dtype=float)
    values = np.asarray(values, dtype=float)
    bad = np.isnan(values).any(axis=0)
    if bad.any():
        return f"outcome {outcomes[int(np.argmax(bad))]!r} has missing values"
    cols = [c for c in (unit, time, cohort, treatment, weights, cluster) if c is not None]
    probe = data.loc[:, list(dict.fromkeys(cols))].assign(_sl_probe=values[:, 0])
    try:
        panel = prepare_panel(
            probe,
            outcome="_sl_probe",  # the other outcomes are complete numbers (checked above)
            unit=unit,
            time=time,
            cohort=cohort,
            treatment=treatment,
            covariates=[],
            weights=weights,
            cluster=cluster or unit,
            inference="crv1",
            what="callaway_santanna",
            allowed_inference=("crv1",),
        )
    except (SpecError, KeyError, ValueError, TypeError) as exc:
        return f"design input: {exc}"
    if any(w.startswith("unbalanced panel") for w in panel.warnings):
        return "unbalanced panel"
    df = panel.data
    cl = None if (cluster is None or cluster == unit) else df[cluster].to_numpy()
    out = cohort_panel(
        df[unit].to_numpy(),
        df[time].to_numpy(),
        df[COHORT].to_numpy(),
        None if weights is None else df[weights].to_numpy(),
        cl,
    )
    if out is None:
        return "unbalanced panel"
    cp, pos = out
    if weights is not None and (df.groupby(unit)[weights].nunique() > 1).any():
        return "weights vary within unit"
    rows = data.index.get_indexer(df.index)  # the design's rows (it may drop early-treated units)
    return cp, outcome_cube(cp, pos, values, rows)
