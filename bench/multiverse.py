"""Benchmark: the multiverse batch kernel vs a loop of pyfixest ``feols`` calls.

Runs the same linear specifications both ways, in one process, on

1. the real state panel of the bundled Secure Communities study (needs a warehouse: pass
   ``--warehouse`` or set SANCTUARY_LAB_WAREHOUSE; built from the raw data if missing), and
2. a synthetic panel of 3,000 units x 20 years (units nested in 50 "states", the cluster);

and prints specs/second for each, the throughput ratio and the largest absolute difference of
estimates and standard errors. With ``--wild`` it also times the WCR wild cluster bootstrap with
999 draws per spec: the pyfixest loop (``feols`` + ``Feols.wildboottest``) runs on a random
subsample of specs and its per-spec time is extrapolated to the whole curve (said in the output).

Usage::

    python bench/multiverse.py [--warehouse W] [--wild] [--wild-sample 20] [--skip-real]
    python bench/multiverse.py --memory     # peak memory of a 100,000-spec curve
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from sanctuary_lab.multiverse.backends import LocalBackend
from sanctuary_lab.multiverse.choices import DIMENSIONS, Choice, Multiverse
from sanctuary_lab.multiverse.engine import run_curve
from sanctuary_lab.multiverse.frame import load_frame, prepare_frame
from sanctuary_lab.multiverse.schema import parse_multiverse

FE_FML = {"unit+time": "|{unit}+{time}", "unit": "|{unit}", "time": "|{time}", "none": ""}
VCOV = {"crv1": lambda c: {"CRV1": c}, "hc1": lambda c: "hetero", "iid": lambda c: "iid"}


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)


def pyfixest_loop(mv: Multiverse, frame: pd.DataFrame, table: pd.DataFrame, wild: str = "",
                  draws: int = 999) -> tuple[float, pd.DataFrame]:  # fmt: skip
    """Fit every row of ``table`` with pyfixest; returns seconds and (estimate, se, p) per spec."""
    from sanctuary_lab.inference.fixest import feols

    df = frame.rename(columns={c: _safe(c) for c in frame.columns})
    by_label = {d: {c.label: c.value for c in mv.dimensions[d]} for d in DIMENSIONS}
    out = []
    t0 = time.perf_counter()
    for r in table.itertuples():
        y = _safe(by_label["outcome"][r.outcome][2])
        d = _safe(by_label["treatment"][r.treatment][2])
        covs = [_safe(c) for c in by_label["covariates"][r.covariates]]
        sub = df
        yrs = by_label["years"][r.years]
        if yrs is not None:
            sub = sub[sub[mv.time].between(*yrs)]
        w = by_label["weights"][r.weights]
        fml = f"{y}~{'+'.join([d, *covs])}" + FE_FML[r.fixed_effects].format(
            unit=mv.unit, time=mv.time
        )
        inf = "crv1" if r.inference == "wild" else r.inference
        # our thin wrapper: pyfixest 0.60's nested-FE count depends on the hash seed otherwise
        fit = feols(fml, sub, vcov=VCOV[inf](mv.cluster), weights=None if w is None else _safe(w))
        p = float(fit.pvalue()[d])
        if wild == "pyfixest":
            p = float(fit.wildboottest(param=d, reps=draws, seed=1)["Pr(>|t|)"])
        elif wild == "demeaned":
            # pyfixest's demeaned, weighted X and Y handed to the wildboottest package
            from wildboottest.wildboottest import WildboottestCL

            cl = pd.factorize(fit._data[mv.cluster])[0]
            r_vec = np.zeros(fit._X.shape[1])
            r_vec[list(fit._coefnames).index(d)] = 1.0
            boot = WildboottestCL(X=fit._X, Y=fit._Y.ravel(), cluster=cl, R=r_vec, B=draws, seed=1)
            boot.get_scores(bootstrap_type="11", impose_null=True)
            boot.get_weights("rademacher")
            boot.get_numer()
            boot.get_denom()
            boot.get_tboot()
            boot.get_vcov()
            boot.get_tstat()
            boot.get_pvalue()
            p = float(boot.pvalue)
        out.append((r.spec_id, float(fit.coef()[d]), float(fit.se()[d]), p))
    secs = time.perf_counter() - t0
    return secs, pd.DataFrame(out, columns=["spec_id", "estimate", "std_error", "p_value"])


def engine(mv: Multiverse, frame: pd.DataFrame) -> tuple[float, pd.DataFrame]:
    t0 = time.perf_counter()
    table = run_curve(mv, frame, LocalBackend(workers=1))
    return time.perf_counter() - t0, table


def compare(name: str, mv: Multiverse, frame: pd.DataFrame, wild: bool, wild_sample: int) -> None:
    n = mv.n_specs
    print(f"\n== {name}: {len(frame):,} rows, {n:,} specifications ==")
    t_eng, table = engine(mv, frame)
    ok = table.loc[table["skipped"] == ""]
    print(
        f"engine   : {t_eng:8.2f} s  ({n / t_eng:10.1f} specs/s); {len(ok):,} estimated, {n - len(ok):,} skipped"
    )
    t_pf, ref = pyfixest_loop(mv, frame, ok)
    print(
        f"pyfixest : {t_pf:8.2f} s  ({len(ok) / t_pf:10.1f} specs/s)  [loop of feols calls, all {len(ok):,} specs]"
    )
    m = ok.merge(ref, on="spec_id", suffixes=("", "_pf"))
    db = float((m["estimate"] - m["estimate_pf"]).abs().max())
    ds = float((m["std_error"] - m["std_error_pf"]).abs().max())
    if ds > 1e-8 or db > 1e-8:
        worst = m.loc[(m["std_error"] - m["std_error_pf"]).abs().idxmax()]
        print("largest difference at:", worst.to_dict())
    per_eng, per_pf = t_eng / n, t_pf / len(ok)
    print(
        f"ratio    : {per_pf / per_eng:8.1f}x faster per spec; max |diff| estimate {db:.2e}, std error {ds:.2e}"
    )
    if not wild:
        return
    # pyfixest's Feols.wildboottest does not support weighted (WLS) fits: compare unweighted specs
    mv_w = _with(
        _with(mv, "inference", [Choice("wild", "wild")]), "weights", [Choice("none", None)]
    )
    t_w, table_w = engine(mv_w, frame)
    ok_w = table_w.loc[table_w["skipped"] == ""]
    rng = np.random.default_rng(0)
    sample = ok_w.iloc[
        np.sort(rng.choice(len(ok_w), size=min(wild_sample, len(ok_w)), replace=False))
    ]
    # Feols.wildboottest one-hot encodes the fixed effects; with thousands of unit effects that
    # needs GBs per fit, so large panels use pyfixest's demeaned arrays + the wildboottest package
    how = "pyfixest" if frame[mv.unit].nunique() <= 200 else "demeaned"
    t_pfw, ref_w = pyfixest_loop(mv_w, frame, sample, wild=how, draws=mv.bootstrap_draws)
    per_eng_w, per_pf_w = t_w / mv_w.n_specs, t_pfw / len(sample)
    mw = sample.merge(ref_w, on="spec_id", suffixes=("", "_pf"))
    dp = float((mw["p_value"] - mw["p_value_pf"]).abs().max())
    print(
        f"wild ({mv.bootstrap_draws} draws) engine  : {t_w:8.2f} s for {mv_w.n_specs:,} specs ({per_eng_w * 1e3:.2f} ms/spec)"
    )
    ref_name = (
        "Feols.wildboottest" if how == "pyfixest" else "feols + wildboottest on demeaned X, y"
    )
    print(f"wild reference: {ref_name}")
    print(f"wild ({mv.bootstrap_draws} draws) pyfixest: {t_pfw:8.2f} s for a random subsample of {len(sample)} specs "
          f"({per_pf_w * 1e3:.1f} ms/spec) -> extrapolated {per_pf_w * mv_w.n_specs:.0f} s for all {mv_w.n_specs:,}")  # fmt: skip
    print(f"wild ratio: {per_pf_w / per_eng_w:8.1f}x faster per spec (extrapolated from the subsample); "
          f"max |diff| p-value on the subsample {dp:.3f} (different random draws: sampling noise, not an error)")  # fmt: skip


def _with(mv: Multiverse, dim: str, choices: list[Choice]) -> Multiverse:
    import copy

    out = copy.copy(mv)
    out.dimensions = {**mv.dimensions, dim: choices}
    return out


def real_panel(warehouse: Path) -> tuple[Multiverse, pd.DataFrame]:
    """The bundled study's linear specs (OLS only; CRV1 and HC1)."""
    from sanctuary_lab.multiverse.api import study_path
    from sanctuary_lab.multiverse.schema import load_multiverse

    mv = load_multiverse(study_path("multiverse_secure_communities"))
    mv = _with(mv, "estimator", [Choice("ols", "ols")])
    mv = _with(mv, "inference", [Choice("crv1", "crv1"), Choice("hc1", "hc1")])
    return mv, prepare_frame(mv, load_frame(mv, warehouse))


def synthetic_panel(
    units: int = 3000, years: int = 20, seed: int = 0
) -> tuple[Multiverse, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {"unit": np.repeat(np.arange(units), years), "year": np.tile(np.arange(years), units)}
    )
    n = len(df)
    df["state"] = df["unit"] % 50
    start = rng.integers(5, years + 5, units)
    df["share"] = np.clip((df["year"].to_numpy() - start[df["unit"]] + 1) / 3, 0, 1)
    df["pop"] = rng.lognormal(10, 1, n)
    for j in range(5):
        df[f"x{j}"] = rng.normal(size=n) + 0.1 * df["year"]
    for i in range(5):
        df[f"y{i}"] = (
            0.2 * df["share"]
            + df[["x0", "x1"]].sum(axis=1) * 0.3
            + rng.normal(size=n)
            + rng.normal(size=units)[df["unit"]]
        )
    doc = {
        "multiverse": {
            "table": "synthetic", "unit": "unit", "time": "year", "cluster": "state", "chunk_size": 2048,
            "dimensions": {
                "outcome": [f"y{i}" for i in range(5)],
                "treatment": ["share", {"label": "share>=.5", "column": "share", "threshold": 0.5}],
                "covariates": [[], ["x0"], ["x0", "x1"], ["x0", "x1", "x2"], ["x0", "x1", "x2", "x3"],
                               ["x0", "x1", "x2", "x3", "x4"], ["x2"], ["x3", "x4"], ["x1", "x4"], ["x2", "x3"]],
                "years": [[0, 19], [5, 19]],
                "fixed_effects": ["unit+time", "unit"],
                "weights": ["none", "pop"],
                "inference": ["crv1", "hc1"],
            },
        }
    }  # fmt: skip
    mv = parse_multiverse(doc, "synthetic")
    return mv, prepare_frame(mv, df)


def memory_run(n_rows_units: int = 200, years: int = 10) -> None:
    """Run a 100,000-spec curve (small panel, many columns) and print the peak memory."""
    import resource

    rng = np.random.default_rng(3)
    df = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n_rows_units), years),
            "year": np.tile(np.arange(years), n_rows_units),
        }
    )
    n = len(df)
    cols = {f"y{i}": rng.normal(size=n) for i in range(50)}
    cols |= {f"d{i}": rng.normal(size=n) for i in range(20)}
    cols |= {f"c{i}": rng.normal(size=n) for i in range(25)}
    df = pd.concat([df, pd.DataFrame(cols)], axis=1)
    doc = {
        "multiverse": {
            "table": "m", "unit": "unit", "time": "year", "cluster": "unit", "chunk_size": 4096,
            "dimensions": {
                "outcome": [f"y{i}" for i in range(50)], "treatment": [f"d{i}" for i in range(20)],
                "covariates": [[f"c{i}"] for i in range(25)], "fixed_effects": ["unit+time", "unit"],
                "inference": ["crv1", "hc1"],
            },
        }
    }  # fmt: skip
    mv = parse_multiverse(doc, "memory")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    sizes: list[int] = []
    table = run_curve(mv, prepare_frame(mv, df), LocalBackend(workers=1), on_chunk=sizes.append)
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\n== memory: {mv.n_specs:,} specs on {n:,} rows in {len(sizes)} chunks of <= {max(sizes):,} =="
    )
    print(f"ran {int((table['skipped'] == '').sum()):,} specs in {secs:.1f} s ({mv.n_specs / secs:,.0f} specs/s); "
          f"peak resident memory {peak:,.0f} MiB (process, {before:,.0f} MiB before the run)")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path, default=None)
    ap.add_argument("--wild", action="store_true", help="also time 999-draw wild bootstraps")
    ap.add_argument("--wild-sample", type=int, default=20, help="pyfixest wild specs to time")
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument("--skip-synthetic", action="store_true")
    ap.add_argument("--memory", action="store_true", help="only the 100,000-spec memory run")
    args = ap.parse_args()
    if args.memory:
        memory_run()
        return
    warnings.filterwarnings("ignore")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    import pyfixest as pf

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"numpy {np.__version__}, pyfixest {pf.__version__}")  # fmt: skip
    print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    # warm up pyfixest's compiled paths so the loop is not charged for one-off compilation
    r = np.random.default_rng(1)
    wdf = pd.DataFrame(
        {
            "y": r.normal(size=40),
            "x": r.normal(size=40),
            "g": np.arange(40) % 4,
            "t": np.arange(40) % 10,
        }
    )
    pf.feols("y~x|g+t", wdf, vcov={"CRV1": "g"}).wildboottest(param="x", reps=9, seed=1)
    if not args.skip_real:
        from sanctuary_lab.core.config import resolve_raw_dir, resolve_warehouse

        wh = resolve_warehouse(args.warehouse)
        if not wh.is_file():
            from sanctuary_lab.warehouse.build import build

            print(f"building the warehouse at {wh} ...")
            build(resolve_raw_dir(), wh)
        mv, frame = real_panel(wh)
        compare(
            "real: state_crime x policy_sc_coverage (Secure Communities study)",
            mv,
            frame,
            args.wild,
            args.wild_sample,
        )
    if not args.skip_synthetic:
        mv, frame = synthetic_panel()
        compare(
            "synthetic: 3,000 units x 20 years, 50 clusters", mv, frame, args.wild, args.wild_sample
        )


if __name__ == "__main__":
    main()
