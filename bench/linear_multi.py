"""Benchmark: linear specification curves, batch engine vs pyfixest *multiple estimation*.

The fair peer of the batch engine is pyfixest's own multiple estimation, which shares the
demeaning across models: several outcomes on the left, ``csw0(...)`` nested covariate sets,
``sw(...)`` fixed-effect structures and ``fsplit=`` samples in one call. One run, one synthetic
panel (default 3,000 units x 20 years, units nested in 50 "states", the cluster, and the states
in 5 regions). The curve is

    outcomes x treatments x nested covariate sets x {unit, unit+year} FE x {all, 5 regions}

with CRV1 by state. pyfixest expresses everything but the treatment choice in one call
(``y0+...+yK ~ d + csw0(x0,...) | sw(unit, unit+year)``, ``fsplit="region"``), so it runs one
call per treatment (a loop of pyfixest for what it cannot express). A plain loop of ``feols``
calls is timed on a random subsample (``--loop-sample``) and extrapolated (said in the output).
Estimates and standard errors are compared spec by spec with multiple estimation.

Usage::

    python bench/linear_multi.py            # 1,440 specs (a few minutes)
    python bench/linear_multi.py --full     # 5,280 specs
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
import platform
import time
import warnings

import numpy as np
import pandas as pd
import pyfixest as pf

from sanctuary_lab.multiverse.backends import LocalBackend
from sanctuary_lab.multiverse.engine import run_curve
from sanctuary_lab.multiverse.frame import prepare_frame
from sanctuary_lab.multiverse.schema import parse_multiverse


def synth(units: int, years: int, outcomes: int, covs: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {"unit": np.repeat(np.arange(units), years), "year": np.tile(np.arange(years), units)}
    )
    n = len(df)
    df["state"] = df["unit"] % 50
    df["region"] = df["state"] % 5
    start = rng.integers(5, years + 5, units)
    df["share"] = np.clip((df["year"].to_numpy() - start[df["unit"]] + 1) / 3, 0, 1)
    df["share_ge"] = (df["share"] >= 0.5).astype(float)
    for j in range(covs):
        df[f"x{j}"] = rng.normal(size=n) + 0.1 * df["year"]
    ue = rng.normal(size=units)[df["unit"]]
    for i in range(outcomes):
        df[f"y{i}"] = 0.2 * df["share"] + 0.3 * df["x0"] + ue + rng.normal(size=n)
    return df


def curve(outcomes: int, covs: int):
    doc = {
        "multiverse": {
            "table": "synthetic", "unit": "unit", "time": "year", "cluster": "state",
            "chunk_size": 4096,
            "dimensions": {
                "outcome": [f"y{i}" for i in range(outcomes)],
                "treatment": ["share", "share_ge"],
                "covariates": [[f"x{j}" for j in range(k)] for k in range(covs + 1)],
                "fixed_effects": ["unit", "unit+time"],
                "sample": ["all"] + [{"label": f"region={r}", "query": f"region == {r}"}
                                     for r in range(5)],
                "inference": ["crv1"],
            },
        }
    }  # fmt: skip
    return parse_multiverse(doc, "bench-linear")


def multiple_estimation(df: pd.DataFrame, outcomes: int, covs: int) -> tuple[float, pd.DataFrame]:
    """One pyfixest multiple-estimation call per treatment; (seconds, tidy per model)."""
    lhs = "+".join(f"y{i}" for i in range(outcomes))
    rows = []
    t0 = time.perf_counter()
    for d in ("share", "share_ge"):
        fml = f"{lhs} ~ {d} + csw0({','.join(f'x{j}' for j in range(covs))}) | sw(unit, unit+year)"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = pf.feols(
                fml, df, vcov={"CRV1": "state"}, fsplit="region", lean=True, store_data=False
            )
        for m in fit.all_fitted_models.values():
            rows.append(
                {
                    "outcome": m._depvar,
                    "treatment": d,
                    "covariates": "+".join(m._coefnames[1:]) or "none",
                    "fixed_effects": "unit" if m._fixef == "unit" else "unit+time",
                    "sample": "all"
                    if str(m._sample_split_value) == "all"
                    else f"region={m._sample_split_value}",
                    "estimate_pf": float(m.coef().iloc[0]),
                    "se_pf": float(m.se().iloc[0]),
                }
            )
    return time.perf_counter() - t0, pd.DataFrame(rows)


def feols_loop(df: pd.DataFrame, table: pd.DataFrame, n: int) -> float:
    """Seconds per spec of single ``feols`` calls on a random subsample of specs."""
    pick = table.iloc[np.random.default_rng(1).choice(len(table), n, replace=False)]
    t0 = time.perf_counter()
    for r in pick.itertuples():
        sub = df if r.sample == "all" else df[df["region"] == int(str(r.sample).split("=")[1])]
        covs = "" if r.covariates == "none" else " + " + str(r.covariates).replace("+", " + ")
        fe = "unit" if r.fixed_effects == "unit" else "unit + year"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pf.feols(f"{r.outcome} ~ {r.treatment}{covs} | {fe}", sub, vcov={"CRV1": "state"})
    return (time.perf_counter() - t0) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=3000)
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--outcomes", type=int, default=10)
    ap.add_argument("--covariates", type=int, default=5, help="csw0 over x0..x{k-1}")
    ap.add_argument("--loop-sample", type=int, default=20)
    ap.add_argument("--full", action="store_true", help="20 outcomes, 10 nested covariates")
    ap.add_argument("--blas-threads", default="1", help="BLAS threads (give as --blas-threads=N)")
    args = ap.parse_args()
    if args.full:
        args.outcomes, args.covariates = 20, 10
    print(f"{platform.python_version()} numpy {np.__version__} pyfixest {pf.__version__},"
          f" {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f},"
          f" BLAS threads {os.environ['OPENBLAS_NUM_THREADS']}")  # fmt: skip
    df = synth(args.units, args.years, args.outcomes, args.covariates)
    mv = curve(args.outcomes, args.covariates)
    frame = prepare_frame(mv, df)
    print(f"panel: {args.units} x {args.years} = {len(df):,} rows; curve: {mv.n_specs:,} specs")
    t0 = time.perf_counter()
    table = run_curve(mv, frame, LocalBackend(workers=1))
    t_eng = time.perf_counter() - t0
    t_pf, pft = multiple_estimation(df, args.outcomes, args.covariates)
    keys = ["outcome", "treatment", "covariates", "fixed_effects", "sample"]
    tab = table.astype({k: str for k in keys}).merge(pft, on=keys, how="inner")
    assert len(tab) == mv.n_specs == len(pft), (len(tab), mv.n_specs, len(pft))
    d_est = float(np.max(np.abs(tab["estimate"] - tab["estimate_pf"])))
    d_se = float(np.max(np.abs(tab["std_error"] - tab["se_pf"])))
    print(f"engine: {t_eng:.2f} s ({1e3 * t_eng / mv.n_specs:.2f} ms/spec)")
    print(f"pyfixest multiple estimation ({len(pft):,} models in 2 calls): {t_pf:.1f} s"
          f" ({1e3 * t_pf / len(pft):.1f} ms/spec); engine {t_pf / t_eng:.1f}x faster per spec;"
          f" max |diff| estimate {d_est:.1e}, std error {d_se:.1e}")  # fmt: skip
    per = feols_loop(df, tab, args.loop_sample)
    print(f"loop of feols: {1e3 * per:.1f} ms/spec on {args.loop_sample} specs, extrapolated"
          f" {per * mv.n_specs:.0f} s; engine {per * mv.n_specs / t_eng:.0f}x faster per spec")  # fmt: skip


if __name__ == "__main__":
    main()
