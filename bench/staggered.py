"""Benchmark: staggered (Callaway–Sant'Anna) specification curves, batched kernel vs single fits.

One run, one synthetic panel (default 3,000 units x 20 years, units nested in 50 "states", the
cluster; a continuous coverage path whose thresholds give 5 adoption cohorts + never treated).
The curve crosses outcomes (levels and logs), coverage thresholds (each a different cohort
structure), samples, year windows and the comparison group (never / not-yet treated). It is run

1. by the multiverse engine (``run_curve``, in-process), whose staggered specs go through the
   batched kernel :mod:`sanctuary_lab.multiverse.staggered`;
2. by a loop of the project's single-fit design (``CallawaySantAnnaDesign``, csdid) and
3. by a loop of the ``differences`` package's ``ATTgt`` (another maintained implementation),

both loops on a random subsample of specs (``--loop-sample``), their per-spec time extrapolated
to the whole curve (the output says so); the engine's estimates are compared with both on the
subsample. ``--memory`` instead runs a 100,000-spec mixed (linear + staggered) curve on a small
panel and reports peak resident memory.

Usage::

    python bench/staggered.py                    # 1,200 specs (a few minutes)
    python bench/staggered.py --full             # 10,000 specs
    python bench/staggered.py --memory           # 100,000 mixed specs, peak memory
"""

# ruff: noqa: E402  (BLAS threads must be set before numpy is imported)
from __future__ import annotations

import os
import sys

# BLAS threads, set before numpy is imported (``--blas-threads N``, default 1): on a machine
# shared by several jobs, multi-threaded OpenBLAS slows the small matrix products of both the
# engine and its peers by an order of magnitude; the setting applies to everything in the run.
_BLAS = next((a.split("=")[1] for a in sys.argv if a.startswith("--blas-threads=")), "1")
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, _BLAS)

import argparse
import contextlib
import io
import platform
import resource
import time
import warnings

import numpy as np
import pandas as pd

from sanctuary_lab.designs.staggered.callaway_santanna import CallawaySantAnnaDesign
from sanctuary_lab.multiverse.backends import LocalBackend
from sanctuary_lab.multiverse.choices import Multiverse
from sanctuary_lab.multiverse.engine import run_curve
from sanctuary_lab.multiverse.frame import prepare_frame
from sanctuary_lab.multiverse.schema import parse_multiverse

THRESHOLDS = (0.2, 0.4, 0.6, 0.8, 1.0)


def synth(units: int, periods: int, outcomes: int, seed: int = 0) -> pd.DataFrame:
    """Balanced panel; coverage ramps from 0 to 1 over 5 years from a unit's start year."""
    rng = np.random.default_rng(seed)
    y0 = 2001
    starts = np.array([0, y0 + 4, y0 + 7, y0 + 10, y0 + 13, y0 + 15])
    start = rng.choice(starts, units, p=[0.3, 0.14, 0.14, 0.14, 0.14, 0.14])
    df = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(units), periods),
            "year": np.tile(np.arange(y0, y0 + periods), units),
        }
    )
    s = start[df["unit"]]
    cov = np.where(s > 0, np.clip((df["year"] - s + 1) / 5, 0, 1), 0.0)
    df["coverage"] = cov
    df["state"] = df["unit"] % 50
    df["region"] = df["state"] % 5
    ue = rng.normal(size=units)[df["unit"]]
    te = rng.normal(size=periods)[df["year"] - y0]
    for k in range(outcomes):
        eff = 0.05 * (k % 3) * (cov >= 0.6)
        df[f"y{k}"] = np.exp(4 + 0.3 * ue + 0.1 * te + eff + 0.2 * rng.normal(size=len(df)))
    return df


def curve(outcomes: int, n_thr: int, samples: int, windows: int, periods: int) -> Multiverse:
    """The staggered multiverse (never- and not-yet-treated comparisons as two estimators)."""
    opts = {"outcome": "{outcome}", "unit": "{unit}", "time": "{time}",
            "treatment": "{treatment}", "cluster": "{cluster}"}  # fmt: skip
    last = 2000 + periods
    doc = {
        "multiverse": {
            "table": "synthetic",
            "unit": "unit",
            "time": "year",
            "cluster": "state",
            "chunk_size": 4096,
            "dimensions": {
                "outcome": [f"y{k}" for k in range(outcomes)]
                + [f"log(y{k})" for k in range(outcomes)],
                "treatment": [
                    {"label": f"coverage>={t:g}", "column": "coverage", "threshold": t}
                    for t in THRESHOLDS[:n_thr]
                ],
                "sample": ["all"]
                + [{"label": f"not region {r}", "query": f"region != {r}"} for r in range(4)][
                    : samples - 1
                ],
                "years": [[2001, last], [2003, last]][:windows],
                "estimator": ["cs_never", "cs_notyet"],
            },
            "designs": {
                "cs_never": {"design": "callaway_santanna", "binary_treatment": True,
                             "options": {**opts, "control": "never_treated"}},
                "cs_notyet": {"design": "callaway_santanna", "binary_treatment": True,
                              "options": {**opts, "control": "not_yet_treated"}},
            },
        }
    }  # fmt: skip
    return parse_multiverse(doc, "bench")


def _subframe(mv: Multiverse, frame: pd.DataFrame, row) -> tuple[pd.DataFrame, dict, str]:
    by = {d: {c.label: c.value for c in mv.dimensions[d]} for d in mv.dimensions}
    sub = frame
    q = by["sample"][row.sample]
    if q:
        sub = sub.query(q)
    lo, hi = by["years"][row.years]
    sub = sub[sub["year"].between(lo, hi)]
    tmpl = mv.designs[row.estimator]
    opts = {
        "outcome": by["outcome"][row.outcome][2],
        "unit": "unit",
        "time": "year",
        "treatment": by["treatment"][row.treatment][2],
        "cluster": "state",
        "control": tmpl.options["control"],
    }
    return sub, opts, tmpl.term or "att"


def single_fit_loop(mv, frame, rows) -> tuple[float, list[float]]:
    """Seconds per spec of the project's single-fit design; its ATT per spec."""
    est = []
    t0 = time.perf_counter()
    for r in rows:
        sub, opts, term = _subframe(mv, frame, r)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = CallawaySantAnnaDesign(**opts).fit(sub)
        est.append(float(res.tidy().set_index("term").loc[term, "estimate"]))
    return (time.perf_counter() - t0) / len(rows), est


def differences_loop(mv, frame, rows) -> tuple[float, list[float]]:
    """Seconds per spec of ``differences.ATTgt`` (simple aggregation); its ATT."""
    from differences import ATTgt

    est = []
    t0 = time.perf_counter()
    for r in rows:
        sub, opts, _ = _subframe(mv, frame, r)
        d = sub[["unit", "year", "state", opts["outcome"], opts["treatment"]]].copy()
        d.columns = ["unit", "year", "state", "y", "d"]
        first = d.loc[d["d"] == 1].groupby("unit")["year"].min()
        d["cohort"] = d["unit"].map(first)
        d = d[~(d["cohort"] <= d["year"].min())].set_index(["unit", "year"])
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            att = ATTgt(data=d, cohort_column="cohort")
            # unclustered: differences 0.3's cluster_var fails under pandas 3 (estimates are
            # the same; only its analytic SEs would change)
            att.fit(formula="y", control_group=opts["control"], progress_bar=False)
            simple = att.aggregate("simple")
        simple.columns = [c[-1] for c in simple.columns]
        est.append(float(simple["ATT"].iloc[0]))
    return (time.perf_counter() - t0) / len(rows), est


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_curve_bench(args: argparse.Namespace) -> None:
    df = synth(args.units, args.periods, args.outcomes)
    mv = curve(args.outcomes, args.thresholds, args.samples, args.windows, args.periods)
    frame = prepare_frame(mv, df)
    print(f"panel: {args.units} units x {args.periods} years = {len(df):,} rows, 50 clusters")
    print(f"curve: {mv.n_specs:,} staggered specs")
    t0 = time.perf_counter()
    table = run_curve(mv, frame, LocalBackend(workers=1))
    t_engine = time.perf_counter() - t0
    ok = table["skipped"].eq("")
    print(f"engine: {t_engine:.2f} s for {mv.n_specs:,} specs ({1e3 * t_engine / mv.n_specs:.2f}"
          f" ms/spec), {int(ok.sum()):,} estimated")  # fmt: skip
    if not ok.all():
        print("  skipped:", table.loc[~ok, "skipped"].value_counts().head(3).to_dict())
    rng = np.random.default_rng(1)
    pick = table.loc[ok].iloc[rng.choice(int(ok.sum()), args.loop_sample, replace=False)]
    rows = list(pick.itertuples())
    per_cs, est_cs = single_fit_loop(mv, frame, rows)
    diff_cs = np.max(np.abs(np.array(est_cs) - pick["estimate"].to_numpy()))
    engine_per = t_engine / mv.n_specs
    print(f"single-fit CS loop (csdid): {per_cs * 1e3:.0f} ms/spec on {len(rows)} specs,"
          f" extrapolated {per_cs * mv.n_specs:,.0f} s for the curve; engine"
          f" {per_cs / engine_per:,.0f}x faster per spec; max |diff| ATT {diff_cs:.1e}")  # fmt: skip
    if not args.skip_differences:
        per_d, est_d = differences_loop(mv, frame, rows)
        diff_d = np.max(np.abs(np.array(est_d) - pick["estimate"].to_numpy()))
        print(f"differences ATTgt loop: {per_d * 1e3:.0f} ms/spec on {len(rows)} specs,"
              f" extrapolated {per_d * mv.n_specs:,.0f} s; engine {per_d / engine_per:,.0f}x"
              f" faster per spec; max |diff| ATT {diff_d:.1e}")  # fmt: skip
    print(f"peak resident memory: {_peak_mib():,.0f} MiB")


def run_memory(args: argparse.Namespace) -> None:
    """120,000 mixed specs (OLS and Callaway–Sant'Anna) on a 300 x 10 panel, streamed."""
    df = synth(300, 10, 50, seed=2)
    rng = np.random.default_rng(3)
    df["x"] = rng.normal(size=len(df))
    df["x2"] = rng.normal(size=len(df))
    opts = {"outcome": "{outcome}", "unit": "{unit}", "time": "{time}",
            "treatment": "{treatment}", "cluster": "{cluster}"}  # fmt: skip
    only = {"covariates": ["none"], "inference": ["crv1"]}
    doc = {
        "multiverse": {
            "table": "synthetic", "unit": "unit", "time": "year", "cluster": "state",
            "chunk_size": 4096,
            "dimensions": {
                "outcome": [f"y{k}" for k in range(50)] + [f"log(y{k})" for k in range(50)],
                "treatment": [{"label": f"c>={t:g}", "column": "coverage", "threshold": t}
                              for t in THRESHOLDS],
                "sample": ["all"] + [{"label": f"r{r}", "query": f"region != {r}"}
                                     for r in range(4)],
                "covariates": [[], ["x"], ["x2"], ["x", "x2"]],
                "years": [[2001, 2010], [2003, 2010]],
                "inference": ["crv1", "hc1"],
                "estimator": ["ols", "cs_never", "cs_notyet"],
            },
            "designs": {
                "cs_never": {"design": "callaway_santanna", "binary_treatment": True,
                             "options": {**opts, "control": "never_treated"}, "only": only},
                "cs_notyet": {"design": "callaway_santanna", "binary_treatment": True,
                              "options": {**opts, "control": "not_yet_treated"}, "only": only},
            },
        }
    }  # fmt: skip
    mv = parse_multiverse(doc, "bench-memory")
    frame = prepare_frame(mv, df)
    before = _peak_mib()
    t0 = time.perf_counter()
    table = run_curve(mv, frame, LocalBackend(workers=1))
    dt = time.perf_counter() - t0
    ok = table["skipped"].eq("")
    by_est = table.loc[ok, "estimator"].value_counts().to_dict()
    print(f"{mv.n_specs:,} mixed specs in {dt:.1f} s; estimated {int(ok.sum()):,} {by_est};"
          f" peak resident memory {_peak_mib():,.0f} MiB (before the run {before:,.0f} MiB)")  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--units", type=int, default=3000)
    p.add_argument("--periods", type=int, default=20)
    p.add_argument("--outcomes", type=int, default=25, help="outcome columns (x2 with logs)")
    p.add_argument("--thresholds", type=int, default=4, choices=range(1, 6))
    p.add_argument("--samples", type=int, default=3, choices=range(1, 6))
    p.add_argument("--windows", type=int, default=1, choices=(1, 2))
    p.add_argument("--loop-sample", type=int, default=6)
    p.add_argument("--skip-differences", action="store_true")
    p.add_argument("--full", action="store_true", help="10,000 specs (50 outcomes, all choices)")
    p.add_argument("--memory", action="store_true")
    p.add_argument("--blas-threads", default="1", help="BLAS threads (give as --blas-threads=N)")
    args = p.parse_args()
    if args.full:
        args.outcomes, args.thresholds, args.samples, args.windows = 50, 5, 5, 2
    print(
        f"{platform.python_version()} numpy {np.__version__}, {os.cpu_count()} CPUs, load"
        f" average {os.getloadavg()[0]:.1f}, BLAS threads {os.environ['OPENBLAS_NUM_THREADS']}"
    )
    if args.memory:
        run_memory(args)
    else:
        run_curve_bench(args)


if __name__ == "__main__":
    main()
