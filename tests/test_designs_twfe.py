"""TWFE/PPML design: API, transforms, validation, re-computable inference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.result import TIDY_COLUMNS, Result
from sanctuary_lab.designs.registry import design_from_dict
from sanctuary_lab.inference import with_inference


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    units, years = 40, 12
    u = np.repeat(np.arange(units), years)
    t = np.tile(np.arange(2000, 2000 + years), units)
    adopt = rng.choice([2004, 2007, 9999], units)[u]
    d = (t >= adopt).astype(int)
    pop = rng.integers(5_000, 200_000, units)[u].astype(float)
    rate = 300 + 10 * rng.normal(size=units)[u] + 2 * (t - 2000) + 20 * d + rng.normal(0, 5, len(u))
    crimes = np.round(rate * pop / 1e5)
    return pd.DataFrame(
        dict(unit=u, year=t, d=d, pop=pop, crimes=crimes, x=rng.normal(size=len(u)))
    )


BASE = dict(outcome="crimes", treatment="d", unit="unit", time="year")


def test_tidy_json_and_rate_transform(panel: pd.DataFrame) -> None:
    res = design_from_dict(
        "twfe", {**BASE, "transform": "rate100k", "population": "pop", "controls": ["x"]}
    ).fit(panel)
    tidy = res.tidy()
    assert list(tidy.columns[: len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
    assert tidy["term"].tolist() == ["d"]
    assert int(tidy["n_clusters"].iloc[0]) == 40 and int(tidy["n_obs"].iloc[0]) == len(panel)
    # same as pyfixest on the rate computed by hand, clustered by unit
    df = panel.assign(rate=panel.crimes / panel["pop"] * 1e5)
    ref = pf.feols("rate ~ d + x | unit + year", df, vcov={"CRV1": "unit"}).tidy().loc["d"]
    assert res.coef("d") == pytest.approx(ref["Estimate"], rel=1e-9)
    assert tidy["std_error"].iloc[0] == pytest.approx(ref["Std. Error"], rel=1e-9)
    back = Result.from_json(res.to_json())
    pd.testing.assert_frame_equal(back.tidy(), tidy, check_dtype=False)
    assert back.metadata["n_units"] == 40 and back.metadata["treatment_kind"] == "binary"


def test_log_transforms_and_population_weights(panel: pd.DataFrame) -> None:
    df = panel.copy()
    df.loc[:2, "crimes"] = 0
    res = design_from_dict("twfe", {**BASE, "transform": "log", "weights": "pop"}).fit(df)
    assert res.tidy()["n_obs"].iloc[0] == len(df) - 3
    assert any("<= 0 have no log" in w for w in res.metadata["warnings"])
    ref = pf.feols(
        "ly ~ d | unit + year", df[df.crimes > 0].assign(ly=lambda f: np.log(f.crimes)),
        weights="pop", vcov={"CRV1": "unit"},
    ).coef()["d"]  # fmt: skip
    assert res.coef("d") == pytest.approx(ref, rel=1e-9)
    res1p = design_from_dict("twfe", {**BASE, "transform": "log1p"}).fit(df)
    assert res1p.tidy()["n_obs"].iloc[0] == len(df)


def test_poisson_matches_fepois(panel: pd.DataFrame) -> None:
    res = design_from_dict("twfe", {**BASE, "family": "poisson", "controls": ["x"]}).fit(panel)
    ref = pf.fepois("crimes ~ d + x | unit + year", panel, vcov={"CRV1": "unit"}).tidy().loc["d"]
    assert res.coef("d") == pytest.approx(ref["Estimate"], rel=1e-7)
    assert "exp(estimate)" in res.metadata["effect_scale"]
    with pytest.raises(SpecError, match="linear models only"):
        design_from_dict("twfe", {**BASE, "family": "poisson", "inference": "wild"}).fit(panel)


def test_with_inference_keeps_estimate_changes_se(panel: pd.DataFrame) -> None:
    res = design_from_dict("twfe", {**BASE, "inference": "hc1"}).fit(panel)
    crv = with_inference(res, "crv1", cluster="unit")
    assert crv.coef("d") == pytest.approx(res.coef("d"), rel=1e-12)
    assert crv.tidy()["std_error"].iloc[0] != pytest.approx(res.tidy()["std_error"].iloc[0])
    assert crv.metadata["inference"] == "crv1" and res.metadata["inference"] == "hc1"
    wild = with_inference(res, "wild", cluster="unit", n_boot=99, seed=1)
    assert "wild_bootstrap" in wild.extras and wild.tidy()["p_value"].iloc[0] <= 0.05
    with pytest.raises(SpecError, match="refit"):
        with_inference(Result.from_json(res.to_json()), "crv1", cluster="unit")


def test_validation_messages(panel: pd.DataFrame) -> None:
    with pytest.raises(SpecError, match="duplicated"):
        design_from_dict("twfe", BASE).fit(pd.concat([panel, panel.iloc[:3]]))
    with pytest.raises(SpecError, match="needs population"):
        design_from_dict("twfe", {**BASE, "transform": "rate100k"}).fit(panel)
    with pytest.raises(SpecError, match="never varies"):
        design_from_dict("twfe", BASE).fit(panel.assign(d=0))
    by_unit = panel.assign(z=(panel.unit % 2).astype(float))  # time-invariant: absorbed
    with pytest.raises(SpecError, match="collinear with the fixed effects"):
        design_from_dict("twfe", {**BASE, "treatment": "z"}).fit(by_unit.assign(z=by_unit.z))
    with pytest.raises(SpecError, match="available columns"):
        design_from_dict("twfe", {**BASE, "unit": "county"}).fit(panel)
    few = panel[panel.unit < 6]
    res = design_from_dict("twfe", BASE).fit(few)
    assert any("only 6 clusters" in w for w in res.metadata["warnings"])
    with pytest.raises(SpecError, match="non-negative"):
        design_from_dict("twfe", {**BASE, "family": "poisson"}).fit(
            panel.assign(crimes=-panel.crimes)
        )


def test_poisson_exposure_offset(panel: pd.DataFrame) -> None:
    res = design_from_dict(
        "twfe", {**BASE, "family": "poisson", "exposure": "pop", "inference": "hc1"}
    ).fit(panel)
    df = panel.assign(lp=np.log(panel["pop"]))
    ref = pf.fepois("crimes ~ d | unit + year", df, offset="lp", vcov="hetero").coef()["d"]
    assert res.coef("d") == pytest.approx(ref, rel=1e-7)
    # the simulated rate effect is +20 per 100k on a base of about 300-320: ~6% in logs
    assert 0.03 < res.coef("d") < 0.09
    with pytest.raises(SpecError, match="exposure is for family='poisson'"):
        design_from_dict("twfe", {**BASE, "exposure": "pop"}).fit(panel)


def test_wild_with_few_clusters_suggests_webb(panel: pd.DataFrame) -> None:
    few = panel[panel.unit < 8]
    res = design_from_dict("twfe", {**BASE, "inference": "wild", "n_boot": 99, "seed": 3}).fit(few)
    assert any("weights_type='webb'" in w for w in res.metadata["warnings"])
    info = res.extras["wild_bootstrap"].iloc[0]
    assert not info["full_enumeration"] and info["n_draws"] == 99  # 2^8 = 256 > 99 draws
    webb = design_from_dict(
        "twfe", {**BASE, "inference": "wild", "n_boot": 99, "seed": 3, "weights_type": "webb"}
    ).fit(few)
    assert webb.extras["wild_bootstrap"]["n_draws"].iloc[0] == 99
