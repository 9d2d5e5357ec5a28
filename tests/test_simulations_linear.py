"""Seeded simulations with known true effects for the linear designs and the inference package.

Tolerances are about 3-4 standard errors of the estimator at the simulated sample size (stated
next to each assertion), so a correct estimator fails with probability well below 1%; the seeds
are fixed, so the tests are deterministic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sanctuary_lab.designs.registry import design_from_dict
from sanctuary_lab.inference.partial import absorb, cluster_codes, fe_codes
from sanctuary_lab.inference.ri import randomization_inference
from sanctuary_lab.inference.wild import wild_cluster_bootstrap

TRUE_ATT = 2.0


@pytest.fixture(scope="module")
def confounded() -> pd.DataFrame:
    """Treatment more likely at high x1: the raw difference overstates the effect."""
    rng = np.random.default_rng(2024)
    n = 4000
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    d = (rng.random(n) < 1 / (1 + np.exp(-(0.8 * x1 - 0.5 * x2)))).astype(int)
    y = TRUE_ATT * d + 1.5 * x1 + 1.0 * x2 + rng.normal(size=n)
    return pd.DataFrame(dict(y=y, d=d, x1=x1, x2=x2))


def test_cross_section_confounding(confounded: pd.DataFrame) -> None:
    base = dict(outcome="y", treatment="d")
    raw = design_from_dict("cross_section", base).fit(confounded).coef("d")
    adj = design_from_dict("cross_section", {**base, "controls": ["x1", "x2"]}).fit(confounded)
    assert raw - TRUE_ATT > 0.4  # bias ~ +0.55 by construction, SE ~ 0.06
    assert adj.coef("d") == pytest.approx(TRUE_ATT, abs=0.12)  # SE ~ 0.035
    assert adj.extras["raw_difference"]["estimate"].iloc[0] == pytest.approx(raw)


@pytest.mark.parametrize(
    ("name", "opts", "tol"),
    [
        ("matching", dict(distance="mahalanobis"), 0.15),  # AI SE ~ 0.046
        ("matching", dict(distance="propensity", n_neighbors=4), 0.25),  # SE ~ 0.07
        ("weighting", dict(method="ipw"), 0.3),  # SE ~ 0.08
        ("weighting", dict(method="entropy"), 0.3),  # SE ~ 0.08
    ],
)
def test_matching_weighting_recover_att(
    confounded: pd.DataFrame, name: str, opts: dict, tol: float
) -> None:
    res = design_from_dict(
        name, dict(outcome="y", treatment="d", covariates=["x1", "x2"], **opts)
    ).fit(confounded)
    assert res.coef("d") == pytest.approx(TRUE_ATT, abs=tol)
    bal = res.extras["balance"]
    assert (bal["smd_before"].abs() > 0.3).all() and (bal["smd_after"].abs() < 0.1).all()


def test_matching_abadie_imbens_coverage() -> None:
    """95% CIs from the Abadie-Imbens SE cover the true ATT in roughly 95% of 120 samples."""
    rng = np.random.default_rng(5)
    hits = 0
    reps = 120
    for _ in range(reps):
        n = 400
        x = rng.normal(size=n)
        d = (rng.random(n) < 1 / (1 + np.exp(-x))).astype(int)
        y = 1.0 * d + x + rng.normal(size=n)
        r = design_from_dict("matching", dict(outcome="y", treatment="d", covariates=["x"])).fit(
            pd.DataFrame(dict(y=y, d=d, x=x))
        )
        t = r.tidy().iloc[0]
        hits += t["ci_low"] <= 1.0 <= t["ci_high"]
    assert 0.87 <= hits / reps <= 1.0  # binomial sd at 0.95 is 0.02


def _panel(rng: np.random.Generator, effect: float, units: int = 30, years: int = 10,
           continuous: bool = False) -> pd.DataFrame:  # fmt: skip
    u = np.repeat(np.arange(units), years)
    t = np.tile(np.arange(years), units)
    if continuous:
        d = rng.normal(0.5, 0.3, units)[u] + 0.1 * t * rng.random(units)[u]
        d = d + rng.normal(0, 0.3, len(u))
    else:
        adopt = rng.choice([3, 6, 99], units)[u]
        d = (t >= adopt).astype(float)
    y = rng.normal(size=units)[u] + 0.3 * t + effect * d + rng.normal(size=len(u))
    y += 0.5 * rng.normal(size=units)[u] * rng.normal(size=len(u))  # heteroskedastic
    return pd.DataFrame(dict(unit=u, year=t, d=d, y=y))


TWFE = dict(outcome="y", treatment="d", unit="unit", time="year")


def test_twfe_recovers_homogeneous_binary_effect() -> None:
    df = _panel(np.random.default_rng(11), effect=1.5, units=200, years=12)
    res = design_from_dict("twfe", TWFE).fit(df)
    assert res.coef("d") == pytest.approx(1.5, abs=0.3)  # CRV1 SE ~ 0.09
    assert res.tidy()["std_error"].iloc[0] < 0.15


def test_twfe_recovers_continuous_effect() -> None:
    df = _panel(np.random.default_rng(12), effect=-0.8, units=200, years=12, continuous=True)
    res = design_from_dict("twfe", TWFE).fit(df)
    assert res.metadata["treatment_kind"] == "continuous"
    assert res.coef("d") == pytest.approx(-0.8, abs=0.25)  # CRV1 SE ~ 0.075


def test_ppml_recovers_multiplicative_effect() -> None:
    rng = np.random.default_rng(13)
    units, years = 150, 10
    u, t = np.repeat(np.arange(units), years), np.tile(np.arange(years), units)
    d = (t >= rng.choice([4, 7, 99], units)[u]).astype(float)
    pop = rng.integers(20_000, 500_000, units)[u]
    mu = pop / 1e5 * 300 * np.exp(0.02 * t + 0.2 * d + 0.3 * rng.normal(size=units)[u])
    df = pd.DataFrame(dict(unit=u, year=t, d=d, crimes=rng.poisson(mu)))
    res = design_from_dict("twfe", {**TWFE, "outcome": "crimes", "family": "poisson"}).fit(df)
    assert res.coef("d") == pytest.approx(0.2, abs=0.03)  # SE ~ 0.006 (large counts)


def test_crv1_coverage() -> None:
    """CRV1 95% intervals with 40 clusters cover the truth in about 95% of 150 panels."""
    rng = np.random.default_rng(21)
    reps, hits = 150, 0
    for _ in range(reps):
        df = _panel(rng, effect=1.0, units=40, years=8)
        # serially correlated unit shocks: iid SEs would under-cover, CRV1 should not
        df["y"] += np.repeat(rng.normal(size=40), 8) * (df["year"] / 8)
        t = design_from_dict("twfe", TWFE).fit(df).tidy().iloc[0]
        hits += t["ci_low"] <= 1.0 <= t["ci_high"]
    assert 0.88 <= hits / reps <= 0.99  # binomial sd at 0.95 is 0.018


def _wild_p(df: pd.DataFrame, seed: int) -> float:
    codes = fe_codes(df, ["unit", "year"])
    y = absorb(df["y"].to_numpy(), codes)
    x = absorb(df[["d"]].to_numpy(), codes)
    c, g = cluster_codes(df["unit"])
    return wild_cluster_bootstrap(
        y, x, 0, c, g, n_boot=199, seed=seed, ci=False, repartial=lambda m: absorb(m, codes)
    ).p_value


def _ri_p(df: pd.DataFrame, seed: int) -> float:
    res = randomization_inference(
        df, outcome="y", treatment="d", build_terms=lambda f: f[["d"]].to_numpy(),
        controls=[], fe=["unit", "year"], weights=None, scheme="paths", unit="unit",
        time="year", n_perm=99, seed=seed,
    )  # fmt: skip
    return float(res.p_values[0])


@pytest.mark.parametrize("method", [_wild_p, _ri_p])
def test_bootstrap_and_ri_p_values_under_null_and_alternative(method) -> None:
    rng = np.random.default_rng(31)
    null = np.array([method(_panel(rng, 0.0, units=16, years=8), s) for s in range(50)])
    # under H0 p is ~uniform: mean 0.5 (sd of the mean of 50 draws ~ 0.04), ~10% below 0.1
    assert 0.35 <= null.mean() <= 0.65
    assert (null < 0.1).mean() <= 0.24
    alt = np.array([method(_panel(rng, 3.0, units=16, years=8), s) for s in range(10)])
    assert (alt < 0.05).all()


def test_wild_and_ri_through_the_design() -> None:
    df = _panel(np.random.default_rng(41), 1.0, units=12, years=8)
    wild = design_from_dict("twfe", {**TWFE, "inference": "wild", "n_boot": 199, "seed": 1}).fit(df)
    ri = design_from_dict("twfe", {**TWFE, "inference": "ri", "n_boot": 199, "seed": 1}).fit(df)
    w = wild.tidy().iloc[0]
    assert w["p_value"] < 0.05 and w["ci_low"] < wild.coef("d") < w["ci_high"]
    assert wild.extras["wild_bootstrap"]["n_draws"].iloc[0] == 199
    assert ri.tidy()["p_value"].iloc[0] == pytest.approx(1 / 200)
    assert len(ri.extras["ri_distribution"]) == 199 and ri.metadata["seed"] == 1
