"""Run a specification curve: plan chunks of specs into tasks, execute them on a backend.

Linear specifications (``estimator = "ols"``) are grouped into blocks (same sample, years,
fixed effects, weights and missing-value pattern) and each block is one :class:`LinearTask`
solved by the batch kernel. Callaway–Sant'Anna specs without covariates and with the varying
base period are grouped by (sample, years, weights, treatment, cluster) into one
:class:`StaggeredTask` each, solved by the batched kernel of :mod:`.staggered` (all outcomes,
comparison groups and anticipation choices of the block together); a spec of such a block that
the kernel cannot reproduce exactly is fitted by the single-fit design instead. Other
estimators become one :class:`DesignTask` per spec, fitted through the design registry. Specs
that cannot run are recorded with the reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sanctuary_lab.core.filters import parse_filter
from sanctuary_lab.core.progress import Progress
from sanctuary_lab.core.result import TIDY_COLUMNS
from sanctuary_lab.multiverse.choices import DIMENSIONS, LINEAR, Multiverse, Spec, chunks
from sanctuary_lab.multiverse.kernel import prepare_block, solve_specs
from sanctuary_lab.multiverse.wild import draw_weights, wild_pvalues

#: Result columns of one specification: the tidy columns but the term (one term per spec), then
#: why it was not estimated.
RESULT_COLUMNS = (*(c for c in TIDY_COLUMNS if c != "term"), "skipped", "skip_kind")
#: The estimate columns taken over from a single fit's tidy row.
ESTIMATE_COLUMNS = tuple(c for c in TIDY_COLUMNS if c not in ("term", "n_obs", "n_clusters"))
#: ``skip_kind`` values: a spec the study file or the estimator rules out (never meant to run)
#: vs one that was attempted and could not be estimated.
EXCLUDED, FAILED = "excluded by design", "failed"


@dataclass
class LinearTask:
    """One block of linear specs: the block's data and the specs to solve on it."""

    key: str
    columns: dict[str, np.ndarray]
    fixed_effects: list[np.ndarray]
    weights: np.ndarray | None
    cluster: np.ndarray | None
    specs: list[tuple[int, str, tuple[str, ...], str]]  # spec_id, outcome, regressors, inference
    draws: int
    weights_type: str
    seed: int


@dataclass
class DesignTask:
    """One non-linear spec fitted through the design registry."""

    spec_id: int
    design: str
    options: dict[str, Any]
    data: pd.DataFrame
    term: str | None


@dataclass
class StaggeredTask:
    """Callaway–Sant'Anna specs that share a sample, cohort structure, weights and clusters."""

    design: str
    data: pd.DataFrame  # the sample's panel columns (unit, time, treatment, cluster, weights)
    outcomes: list[str]
    values: np.ndarray  # the sample's outcome columns (rows x outcomes)
    common: dict[str, Any]  # unit, time, cohort | treatment, weights, cluster
    specs: list[tuple[int, dict[str, Any], str | None]]  # spec_id, full options, term

    def frame(self, outcome: str) -> pd.DataFrame:
        """The sample with one outcome column (for a single fit)."""
        return self.data.assign(**{outcome: self.values[:, self.outcomes.index(outcome)]})


#: Options the batched staggered kernel handles (others go through the single-fit design).
_KERNEL_OPTIONS = frozenset(
    {"outcome", "unit", "time", "cohort", "treatment", "control", "cluster", "weights",
     "method", "anticipation", "base_period", "covariates"}
)  # fmt: skip
_SPEC_OPTIONS = ("outcome", "control", "anticipation", "method")
_NO_DATA = pd.DataFrame()


def _kernel_ok(options: dict[str, Any]) -> bool:
    """Whether a Callaway–Sant'Anna option set is one the batched kernel reproduces exactly."""
    return (
        set(options) <= _KERNEL_OPTIONS
        and not options.get("covariates")
        and options.get("base_period", "varying") == "varying"
        and options.get("method", "dr") in ("dr", "ipw", "reg")
        and options.get("control", "never_treated") in ("never_treated", "not_yet_treated")
        and isinstance(options.get("anticipation", 0), int)
        and not isinstance(options.get("anticipation", 0), bool)
        and options.get("anticipation", 0) >= 0
        and isinstance(options.get("outcome"), str)
    )


def _row(spec_id: int, **kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(RESULT_COLUMNS, np.nan)
    row["skipped"] = ""
    row["skip_kind"] = ""
    row.update(kw)
    if row["skipped"] and not row["skip_kind"]:
        row["skip_kind"] = FAILED
    row["spec_id"] = spec_id
    return row


def run_linear_task(task: LinearTask, xp: Any = np) -> list[dict[str, Any]]:
    """Solve every spec of one block; one result row per spec."""
    try:
        block = prepare_block(task.columns, task.fixed_effects, task.weights, task.cluster)
    except Exception as exc:  # noqa: BLE001 - reported per spec, the curve goes on
        return [_row(s[0], skipped=f"block failed: {exc}") for s in task.specs]
    rows: list[dict[str, Any]] = []
    groups: dict[tuple[str, int], list[tuple[int, str, tuple[str, ...], str]]] = defaultdict(list)
    for s in task.specs:
        groups[(s[3], len(s[2]))].append(s)
    v = None
    for (inference, k), specs in groups.items():
        ids = [s[0] for s in specs]
        kk = k + int(block.intercept)
        df_k_room = block.n_obs - (kk + block.k_fe_adj)
        if df_k_room <= 0:
            rows += [
                _row(
                    i,
                    skipped=f"only {block.n_obs} observations for {kk + block.k_fe_adj} parameters",
                )
                for i in ids
            ]
            continue
        if inference in ("crv1", "wild") and (block.n_clusters or 0) < 2:
            rows += [_row(i, skipped="fewer than 2 clusters in the sample") for i in ids]
            continue
        y = np.array([block.index[s[1]] for s in specs])
        xs = np.array([[block.index[c] for c in s[2]] for s in specs])
        res = solve_specs(block, y, xs, "crv1" if inference == "wild" else inference, xp=xp)
        with np.errstate(invalid="ignore"):
            p = 2 * stats.t.sf(np.abs(res.t_stat), res.df_t)
        if inference == "wild" and res.ok.any():
            if v is None:
                v = draw_weights(
                    block.n_clusters or 0,
                    task.draws,
                    task.weights_type,  # type: ignore[arg-type]
                    task.seed,
                    task.key,
                )
            okx = np.flatnonzero(res.ok)
            p[okx] = wild_pvalues(block, y[okx], xs[okx], v, xp=xp)
        crit = stats.t.ppf(0.975, res.df_t)
        n_cl = block.n_clusters if inference in ("crv1", "wild") else np.nan
        for j, i in enumerate(ids):
            if not res.ok[j]:
                rows.append(_row(i, skipped=res.problem[j], n_obs=block.n_obs))
                continue
            e, se = float(res.estimate[j]), float(res.std_error[j])
            rows.append(
                _row(
                    i,
                    estimate=e,
                    std_error=se,
                    ci_low=e - crit[j] * se,
                    ci_high=e + crit[j] * se,
                    p_value=float(p[j]),
                    n_obs=block.n_obs,
                    n_clusters=n_cl,
                )
            )
    return rows


def run_design_task(task: DesignTask) -> list[dict[str, Any]]:
    """Fit one spec through the design registry and keep the reported term."""
    from sanctuary_lab.designs.registry import design_from_dict

    try:
        result = design_from_dict(task.design, task.options).fit(task.data)
        tidy = result.tidy()
        row = tidy.loc[tidy["term"] == task.term] if task.term else tidy.head(1)
        if row.empty:
            return [_row(task.spec_id, skipped=f"{task.design} reported no term {task.term!r}")]
        r = row.iloc[0]
        return [
            _row(
                task.spec_id,
                **{c: float(r[c]) for c in ESTIMATE_COLUMNS},
                n_obs=float(r["n_obs"]),
                n_clusters=float(r["n_clusters"]),
            )
        ]
    except Exception as exc:  # noqa: BLE001 - a failing spec is reported, not fatal
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return [_row(task.spec_id, skipped=f"{task.design} failed: {msg}")]


def run_staggered_task(task: StaggeredTask) -> list[dict[str, Any]]:
    """Fit every spec of one staggered block with the batched kernel (single fits as fallback)."""
    from sanctuary_lab.multiverse.staggered import fit_staggered, prepared_block, unsupported

    rows: list[dict[str, Any]] = []
    fallback: list[tuple[int, dict[str, Any], str | None]] = []
    complete = ~np.isnan(task.values).any(axis=0)
    clean = [c for c, ok in zip(task.outcomes, complete, strict=True) if ok]
    block: Any = "no complete outcome"
    if clean:
        vals = task.values if complete.all() else task.values[:, np.flatnonzero(complete)]
        block = prepared_block(task.data, clean, values=vals, **task.common)
    if isinstance(block, str):
        fallback = list(task.specs)
    else:
        panel, cube = block
        col = {c: i for i, c in enumerate(clean)}
        groups: dict[tuple[str, int], list[tuple[int, dict[str, Any], str | None]]]
        groups = defaultdict(list)
        for s in task.specs:
            if s[1]["outcome"] not in col:
                fallback.append(s)
                continue
            groups[(s[1].get("control", "never_treated"), s[1].get("anticipation", 0))].append(s)
        for (control, ant), specs in groups.items():
            if unsupported(panel, control, ant) is not None:  # type: ignore[arg-type]
                fallback += specs
                continue
            ks = sorted({col[s[1]["outcome"]] for s in specs})
            at = {k: i for i, k in enumerate(ks)}
            fit = fit_staggered(panel, cube[:, ks], control, ant)  # type: ignore[arg-type]
            for spec_id, opts, term in specs:
                name = term or "att"
                if name not in fit.terms and name != "pretrend_wald":
                    rows.append(_row(spec_id, skipped=f"{task.design} reported no term {term!r}"))
                    continue
                rows.append(
                    _row(
                        spec_id,
                        **fit.row(at[col[opts["outcome"]]], name),
                        n_obs=float(fit.n_obs),
                        n_clusters=float(fit.n_clusters),
                    )
                )
    for spec_id, opts, term in fallback:
        data = task.frame(opts["outcome"])
        rows += run_design_task(DesignTask(spec_id, task.design, opts, data, term))
    return rows


_FE = {"unit+time": ("unit", "time"), "unit": ("unit",), "time": ("time",), "none": ()}


class Planner:
    """Turns chunks of specs into tasks for one (possibly permuted) analysis frame."""

    def __init__(self, mv: Multiverse, frame: pd.DataFrame, draws: int) -> None:
        self.mv = mv
        self.frame = frame
        self.draws = draws
        self._masks: dict[tuple[str, str, str], np.ndarray] = {}
        self._na: dict[tuple[str, str, str, str], bool] = {}
        self._arrays: dict[str, np.ndarray] = {}
        self._is_binary: dict[str, bool] = {}
        self._ymat: tuple[list[str], np.ndarray] | None = None

    def _binary(self, col: str) -> bool:
        """Whether ``col`` only takes the values 0 and 1 (cached per column)."""
        if col not in self._is_binary:
            vals = set(pd.unique(self.frame[col].dropna()))
            self._is_binary[col] = vals <= {0.0, 1.0}
        return self._is_binary[col]

    def _has_na(self, spec: Spec, col: str) -> bool:
        """Whether ``col`` has a missing value in the spec's sample (cached per sample)."""
        key = (spec.label("sample"), spec.label("years"), spec.label("weights"), col)
        if key not in self._na:
            if col not in self._arrays:
                self._arrays[col] = self.frame[col].to_numpy(dtype=np.float64, na_value=np.nan)
            self._na[key] = bool(np.isnan(self._arrays[col][self._sample_mask(spec)]).any())
        return self._na[key]

    def _sample_mask(self, spec: Spec) -> np.ndarray:
        key = (spec.label("sample"), spec.label("years"), spec.label("weights"))
        if key not in self._masks:
            df, mv = self.frame, self.mv
            mask = df[mv.unit].notna() & df[mv.time].notna()
            if mv.cluster:
                mask &= df[mv.cluster].notna()
            q = spec.value("sample")
            if q:
                # whitelisted expression -> boolean mask; never DataFrame.query on file text
                mask &= parse_filter(q, f"{mv.source}: sample").mask(df).to_numpy()
            yrs = spec.value("years")
            if yrs is not None:
                mask &= df[mv.time].between(yrs[0], yrs[1])
            w = spec.value("weights")
            if w is not None:
                mask &= df[w].notna() & (df[w] > 0)
            self._masks[key] = mask.to_numpy()
        return self._masks[key]

    def plan(
        self, chunk: list[Spec]
    ) -> tuple[list[dict[str, Any]], list[LinearTask], list[DesignTask | StaggeredTask]]:
        mv = self.mv
        skipped: list[dict[str, Any]] = []
        groups: dict[tuple, list[Spec]] = defaultdict(list)
        designs: list[DesignTask | StaggeredTask] = []
        staggered: dict[tuple, list[tuple[Spec, dict[str, Any]]]] = defaultdict(list)
        for spec in chunk:
            reason = mv.excluded(spec)
            inference = spec.value("inference")
            if reason is None and inference in ("crv1", "wild") and not mv.cluster:
                reason = f"inference {inference!r} needs [multiverse] cluster"
            est = spec.value("estimator")
            tmpl = mv.designs.get(est)
            if reason is None and tmpl is not None:
                reason = tmpl.outside(spec)
                if reason is None and tmpl.binary_treatment and spec.value("treatment")[1] is None:
                    col = spec.value("treatment")[2]
                    if not self._binary(col):
                        reason = f"{est} needs a 0/1 treatment; {col!r} is continuous"
                if reason is None and spec.label("fixed_effects") not in tmpl.fixed_effects:
                    reason = f"{est} does not use fixed effects {spec.label('fixed_effects')!r}"
            if reason is not None:
                skipped.append(_row(spec.spec_id, skipped=reason, skip_kind=EXCLUDED))
                continue
            mask = self._sample_mask(spec)
            if est != LINEAR:
                task = self._design_task(spec, None)
                if task.design == "callaway_santanna" and _kernel_ok(task.options):
                    common = {k: v for k, v in task.options.items() if k not in _SPEC_OPTIONS}
                    skey = (
                        spec.label("sample"),
                        spec.label("years"),
                        spec.label("weights"),
                        repr(sorted(common.items())),
                    )
                    staggered[skey].append((spec, task.options))
                else:
                    designs.append(self._design_task(spec, mask))
                continue
            used = [spec.value("outcome")[2], spec.value("treatment")[2], *spec.value("covariates")]
            na_key = tuple(sorted(c for c in used if self._has_na(spec, c)))
            key = (
                spec.label("sample"),
                spec.label("years"),
                spec.label("fixed_effects"),
                spec.label("weights"),
                na_key,
            )
            groups[key].append(spec)
        designs += [self._staggered_task(specs) for specs in staggered.values()]
        return skipped, [self._linear_task(k, specs) for k, specs in groups.items()], designs

    def _staggered_task(self, specs: list[tuple[Spec, dict[str, Any]]]) -> StaggeredTask:
        first, opts = specs[0]
        tmpl = self.mv.designs[first.value("estimator")]
        common = {k: v for k, v in opts.items() if k not in _SPEC_OPTIONS and k != "covariates"}
        common = {k: v for k, v in common.items() if k != "method" and k != "base_period"}
        cols = {self.mv.unit, self.mv.time} | {v for k, v in common.items() if isinstance(v, str)}
        cols = {c for c in cols if c in self.frame.columns}
        mask = self._sample_mask(first)
        data = self.frame.loc[mask, sorted(cols)]
        outcomes = list(dict.fromkeys(o["outcome"] for _, o in specs))
        names, mat = self._outcome_matrix()
        values = mat[mask]
        if outcomes != names:
            values = values[:, [names.index(c) for c in outcomes]]
        entries = [(s.spec_id, o, self.mv.designs[s.value("estimator")].term) for s, o in specs]
        return StaggeredTask(tmpl.design, data, outcomes, values, common, entries)

    def _outcome_matrix(self) -> tuple[list[str], np.ndarray]:
        """All outcome columns of the multiverse as one float64 matrix (rows x outcomes)."""
        if self._ymat is None:
            names = list(dict.fromkeys(c.value[2] for c in self.mv.dimensions["outcome"]))
            self._ymat = (names, np.column_stack([self._array(c) for c in names]))
        return self._ymat

    def _array(self, col: str) -> np.ndarray:
        """Column ``col`` of the frame as float64 (cached)."""
        if col not in self._arrays:
            self._arrays[col] = self.frame[col].to_numpy(dtype=np.float64, na_value=np.nan)
        return self._arrays[col]

    def _linear_task(self, key: tuple, specs: list[Spec]) -> LinearTask:
        mv, df = self.mv, self.frame
        mask = self._sample_mask(specs[0]).copy()
        for c in key[4]:
            mask &= df[c].notna().to_numpy()
        sub = df.loc[mask]
        cols: dict[str, None] = {}
        entries = []
        for s in specs:
            y, t = s.value("outcome")[2], s.value("treatment")[2]
            xs = (t, *s.value("covariates"))
            cols.update(dict.fromkeys((y, *xs)))
            entries.append((s.spec_id, y, xs, s.value("inference")))
        fe = [
            sub[mv.unit if f == "unit" else mv.time].to_numpy()
            for f in _FE[specs[0].label("fixed_effects")]
        ]
        w = specs[0].value("weights")
        return LinearTask(
            key="|".join(map(str, key)),
            columns={c: sub[c].to_numpy(dtype=np.float64) for c in cols},
            fixed_effects=fe,
            weights=None if w is None else sub[w].to_numpy(dtype=np.float64),
            cluster=None if not mv.cluster else sub[mv.cluster].to_numpy(),
            specs=entries,
            draws=self.draws,
            weights_type=mv.bootstrap_weights,
            seed=mv.seed,
        )

    def _design_task(self, spec: Spec, mask: np.ndarray | None) -> DesignTask:
        """The spec's design and options; its data (a copy) only when ``mask`` is given."""
        from sanctuary_lab.studies.schema import substitute

        mv = self.mv
        tmpl = mv.designs[spec.value("estimator")]
        ctx = {
            "outcome": spec.value("outcome")[2],
            "treatment": spec.value("treatment")[2],
            "covariates": list(spec.value("covariates")),
            "unit": mv.unit,
            "time": mv.time,
            "cluster": mv.cluster,
            "weights": spec.value("weights"),
            "inference": spec.value("inference"),
            "draws": self.draws,
            "seed": mv.seed,
        }
        options = substitute(tmpl.options, ctx, f"{mv.source}: multiverse.designs.{tmpl.name}")
        data = self.frame.loc[mask].copy() if mask is not None else _NO_DATA
        return DesignTask(spec.spec_id, tmpl.design, options, data, tmpl.term)


def run_curve(
    mv: Multiverse,
    frame: pd.DataFrame,
    backend: Any,
    *,
    draws: int | None = None,
    linear_only: bool = False,
    progress: Progress | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Run every spec of the product; one row per spec (choice labels + results).

    Parameters
    ----------
    mv
        Parsed multiverse section.
    frame
        Prepared analysis frame (:func:`~sanctuary_lab.multiverse.frame.prepare_frame`).
    backend
        An execution backend (:mod:`sanctuary_lab.multiverse.backends`).
    draws
        Wild-bootstrap draws per spec (default: ``mv.bootstrap_draws``).
    linear_only
        Skip non-linear estimators (used by the permutation test).
    progress
        Called as ``progress("specs", done, total)`` after each chunk.
    on_chunk
        Called with the size of each chunk as it is planned (streaming checks).
    """
    planner = Planner(mv, frame, mv.bootstrap_draws if draws is None else draws)
    total = mv.n_specs
    done = 0
    parts: list[pd.DataFrame] = []
    for chunk in chunks(mv.specs(), mv.chunk_size):
        if on_chunk is not None:
            on_chunk(len(chunk))
        skipped, linear, designs = planner.plan(chunk)
        if linear_only:
            skipped += [
                _row(i, skipped="not linear (left out of the permutation)", skip_kind=EXCLUDED)
                for t in designs
                for i in ([t.spec_id] if isinstance(t, DesignTask) else [s[0] for s in t.specs])
            ]
            designs = []
        rows = list(skipped)
        for out in backend.map(run_linear_task, linear, linear=True):
            rows += out
        for out in backend.map(run_design_task, [t for t in designs if isinstance(t, DesignTask)]):
            rows += out
        stag = [t for t in designs if isinstance(t, StaggeredTask)]
        for out in backend.map(run_staggered_task, stag):
            rows += out
        part = pd.DataFrame(rows).set_index("spec_id").reindex([s.spec_id for s in chunk])
        labels = {d: [s.label(d) for s in chunk] for d in DIMENSIONS}
        part = pd.concat(
            [pd.DataFrame(labels, index=part.index), part[list(RESULT_COLUMNS)]], axis=1
        )
        parts.append(part)
        done += len(chunk)
        if progress is not None:
            progress("specs", done, total)
    table = pd.concat(parts).rename_axis("spec_id").reset_index()
    for d in DIMENSIONS:
        table[d] = table[d].astype("category")
    return table


def curve_stats(table: pd.DataFrame, alpha: float) -> dict[str, float]:
    """Simonsohn-style descriptive statistics of one curve."""
    ok = table.loc[table["skipped"].eq("") & table["estimate"].notna()]
    est, p = ok["estimate"].to_numpy(), ok["p_value"].to_numpy()
    n = len(est)
    if n == 0:
        return {"n_estimated": 0, "median_estimate": np.nan, "share_positive": np.nan,
                "share_same_sign": np.nan, "share_significant": np.nan,
                "share_significant_same_sign": np.nan, "median_t": np.nan}  # fmt: skip
    with np.errstate(invalid="ignore", divide="ignore"):
        tval = est / ok["std_error"].to_numpy()
    med = float(np.median(est))
    sign = np.sign(med) if med != 0 else 1.0
    same = np.sign(est) == sign
    sig = p < alpha
    return {
        "n_estimated": n,
        "median_estimate": med,
        "share_positive": float(np.mean(est > 0)),
        "share_same_sign": float(np.mean(same)),
        "share_significant": float(np.mean(sig)),
        "share_significant_same_sign": float(np.mean(sig & same)),
        "median_t": float(np.nanmedian(tval)),
    }


def iter_permutations(n_perm: int) -> Iterator[int]:
    """Permutation indices 0..n_perm-1 (each seeds its own generator)."""
    yield from range(n_perm)
