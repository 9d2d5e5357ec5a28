"""The pyfixest work-around gives the same clustered SE in every Python process (any hash seed).

pyfixest 0.60 orders a fit's fixed-effects frame by a hash-seed-dependent order and then removes
the wrong fixed effect's levels from ``k`` for nested clustering (see
``sanctuary_lab/inference/fixest.py``). The expected value is computed by hand: OLS with dummies,
CRV1 with G/(G-1) * (N-1)/(N-K), where K = 1 slope + 10 year levels (the unit fixed effect is
nested in the unit clusters and not counted: fixest's "nested" convention).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

SCRIPT = r"""
import json, sys, warnings
warnings.simplefilter("ignore")
import pandas as pd
from sanctuary_lab.inference.fixest import feols
df = pd.read_csv(sys.argv[1])
fit = feols("y ~ d | unit + year", df, vcov={"CRV1": "unit"})
print(json.dumps({"se": float(fit.se()["d"]), "b": float(fit.coef()["d"])}))
"""


def _panel(path: Path) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    units, years = 40, 10
    df = pd.DataFrame(
        {"unit": np.repeat(np.arange(units), years), "year": np.tile(np.arange(years), units)}
    )
    df["d"] = (df["year"] >= rng.integers(2, 12, units)[df["unit"]]).astype(float)
    df["y"] = 0.5 * df["d"] + rng.normal(size=units)[df["unit"]] + rng.normal(size=len(df))
    df.to_csv(path, index=False)
    return df


def _hand_se(df: pd.DataFrame) -> float:
    X = np.column_stack(
        [
            df["d"],
            pd.get_dummies(df["unit"]).to_numpy(float),
            pd.get_dummies(df["year"], drop_first=True).to_numpy(float),
        ]
    )
    y = df["y"].to_numpy()
    xtx_inv = np.linalg.inv(X.T @ X)
    e = y - X @ (xtx_inv @ X.T @ y)
    g = df["unit"].to_numpy()
    meat = np.zeros((X.shape[1], X.shape[1]))
    for c in np.unique(g):
        s = X[g == c].T @ e[g == c]
        meat += np.outer(s, s)
    n, n_clusters, k = len(df), len(np.unique(g)), 1 + df["year"].nunique()
    adj = n_clusters / (n_clusters - 1) * (n - 1) / (n - k)
    return float(np.sqrt((xtx_inv @ meat @ xtx_inv)[0, 0] * adj))


def test_clustered_se_is_the_same_for_every_hash_seed(tmp_path: Path) -> None:
    data = tmp_path / "panel.csv"
    df = _panel(data)
    out = []
    for seed in ("0", "1", "2", "5"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(data)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        out.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    ses = [o["se"] for o in out]
    assert max(ses) - min(ses) < 1e-12
    assert abs(ses[0] - _hand_se(df)) < 1e-8


def test_did2s_stage_one_is_solved_exactly() -> None:
    """Our did2s equals a dense least-squares two-stage to 1e-10, and pyfixest's GMM variance.

    pyfixest's own ``did2s`` solves the stage-1 fixed effects with lsqr at 1e-6, whose stopping
    rule can be met marginally (on mpdta after 10 or 12 iterations depending on the machine's
    rounding), moving the estimates by ~1e-5; :func:`sanctuary_lab.inference.fixest.did2s`
    solves them to 1e-10.
    """
    import warnings

    import pyfixest as pf

    from sanctuary_lab.inference.fixest import did2s, fit_stats

    rng = np.random.default_rng(11)
    units, years = 60, 8
    df = pd.DataFrame(
        {"unit": np.repeat(np.arange(units), years), "year": np.tile(np.arange(years), units)}
    )
    start = rng.choice([3, 5, 99], units)[df["unit"]]
    df["d"] = df["year"] >= start
    df["y"] = rng.normal(size=units)[df["unit"]] + 0.1 * df["year"] + 0.4 * df["d"]
    df["y"] += rng.normal(size=len(df))
    fe = np.column_stack(
        [pd.get_dummies(df["unit"]).to_numpy(float), pd.get_dummies(df["year"]).to_numpy(float)]
    )
    untreated = ~df["d"].to_numpy()
    coef, *_ = np.linalg.lstsq(fe[untreated], df["y"].to_numpy()[untreated], rcond=None)
    resid = df["y"].to_numpy() - fe @ coef
    exact = resid[df["d"].to_numpy()].mean()
    kwargs = {"yname": "y", "first_stage": "~ 0 | unit + year", "second_stage": "~ d"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = did2s(df, treatment="d", cluster="unit", **kwargs)
        theirs = pf.did2s(df, treatment="d", cluster="unit", **kwargs)
    stats = fit_stats(ours)
    assert stats.coef_names == ("d",) and stats.n_obs == len(df)
    assert abs(stats.beta[0] - exact) < 1e-10
    assert abs(stats.beta[0] - float(theirs.coef()["d"])) < 1e-4
    assert float(ours.se()["d"]) > 0
    assert abs(float(ours.se()["d"]) - float(theirs.se()["d"])) < 1e-4
