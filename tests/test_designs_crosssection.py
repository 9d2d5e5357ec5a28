"""Cross-section, matching and weighting designs: API, result shape, validation messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.result import TIDY_COLUMNS, Result
from sanctuary_lab.designs.registry import design_from_dict, designs


@pytest.fixture(scope="module")
def counties() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    n = 600
    state = np.repeat([f"S{i:02d}" for i in range(30)], n // 30)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    d = (rng.random(n) < 1 / (1 + np.exp(-x1))).astype(int)
    stratum = rng.integers(1, 4, n)
    y = 1.0 * d + x1 + 0.5 * x2 + 0.3 * stratum + rng.normal(size=n)
    return pd.DataFrame(
        dict(y=y, d=d, x1=x1, x2=x2, stratum=stratum, state=state, pop=rng.uniform(1, 5, n))
    )


def test_all_designs_registered() -> None:
    assert {"cross_section", "matching", "weighting", "twfe"} <= set(designs())


@pytest.mark.parametrize(
    ("name", "opts"),
    [
        ("cross_section", dict(controls=["x1", "x2"])),
        (
            "cross_section",
            dict(controls=["x1"], strata="stratum", inference="crv1", cluster="state"),
        ),
        ("matching", dict(covariates=["x1", "x2"])),
        ("weighting", dict(covariates=["x1", "x2"], method="entropy")),
        (
            "weighting",
            dict(covariates=["x1", "x2"], method="ipw", inference="crv1", cluster="state"),
        ),
    ],
)
def test_tidy_columns_and_json_round_trip(counties: pd.DataFrame, name: str, opts: dict) -> None:
    res = design_from_dict(name, dict(outcome="y", treatment="d", **opts)).fit(counties)
    tidy = res.tidy()
    assert list(tidy.columns[: len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
    assert tidy["std_error"].gt(0).all() and tidy["ci_low"].lt(tidy["ci_high"]).all()
    assert res.metadata["design"] == name and res.metadata["outcome"] == "y"
    back = Result.from_json(res.to_json())
    pd.testing.assert_frame_equal(back.tidy(), tidy, check_dtype=False)
    assert set(back.extras) == set(res.extras)


def test_strata_terms_are_within_stratum_differences(counties: pd.DataFrame) -> None:
    res = design_from_dict("cross_section", dict(outcome="y", treatment="d", strata="stratum")).fit(
        counties
    )
    assert list(res.tidy()["term"]) == ["d:stratum=1", "d:stratum=2", "d:stratum=3"]
    for k in (1, 2, 3):
        sub = counties[counties["stratum"] == k]
        diff = sub.loc[sub.d == 1, "y"].mean() - sub.loc[sub.d == 0, "y"].mean()
        assert res.coef(f"d:stratum={k}") == pytest.approx(diff, abs=1e-10)


def test_weights_give_weighted_difference_in_means(counties: pd.DataFrame) -> None:
    res = design_from_dict("cross_section", dict(outcome="y", treatment="d", weights="pop")).fit(
        counties
    )
    c = counties
    wm = lambda m: np.average(c.y[m], weights=c["pop"][m])  # noqa: E731
    assert res.coef("d") == pytest.approx(wm(c.d == 1) - wm(c.d == 0), abs=1e-10)


def test_stratum_without_variation_warns(counties: pd.DataFrame) -> None:
    df = counties.copy()
    df.loc[df.stratum == 2, "d"] = 0
    res = design_from_dict("cross_section", dict(outcome="y", treatment="d", strata="stratum")).fit(
        df
    )
    assert "d:stratum=2" not in set(res.tidy()["term"])
    assert any("stratum=2" in w for w in res.metadata["warnings"])


def test_unknown_column_lists_available(counties: pd.DataFrame) -> None:
    with pytest.raises(SpecError, match=r"\['nope'\] not found.*available columns: y, d, x1"):
        design_from_dict("cross_section", dict(outcome="y", treatment="d", controls=["nope"])).fit(
            counties
        )


def test_treatment_never_varies(counties: pd.DataFrame) -> None:
    with pytest.raises(SpecError, match="never varies"):
        design_from_dict("cross_section", dict(outcome="y", treatment="d")).fit(
            counties.assign(d=1)
        )


def test_non_binary_treatment_rejected(counties: pd.DataFrame) -> None:
    with pytest.raises(SpecError, match="must be binary"):
        design_from_dict("matching", dict(outcome="y", treatment="x1", covariates=["x2"])).fit(
            counties
        )


def test_collinear_controls_named(counties: pd.DataFrame) -> None:
    df = counties.assign(x3=2 * counties.x1 + 1)
    with pytest.raises(SpecError, match=r"'x3' is collinear with \['x1'\]"):
        design_from_dict(
            "cross_section", dict(outcome="y", treatment="d", controls=["x1", "x3"])
        ).fit(df)


def test_missing_values_dropped_and_reported(counties: pd.DataFrame) -> None:
    df = counties.copy()
    df.loc[:4, "x1"] = np.nan
    res = design_from_dict("cross_section", dict(outcome="y", treatment="d", controls=["x1"])).fit(
        df
    )
    assert res.tidy()["n_obs"].iloc[0] == len(df) - 5
    assert any("dropped 5 of 600" in w for w in res.metadata["warnings"])


def test_cluster_count_checks(counties: pd.DataFrame) -> None:
    opts = dict(outcome="y", treatment="d", inference="crv1", cluster="g")
    with pytest.raises(SpecError, match="at least 2 clusters"):
        design_from_dict("cross_section", opts).fit(counties.assign(g="one"))
    few = counties.assign(g=np.arange(len(counties)) % 5)
    res = design_from_dict("cross_section", opts).fit(few)
    assert any("only 5 clusters" in w and "wild" in w for w in res.metadata["warnings"])
    with pytest.raises(SpecError, match="needs a cluster column"):
        design_from_dict("cross_section", dict(outcome="y", treatment="d", inference="crv1")).fit(
            counties
        )


def test_unknown_option_and_bad_choices(counties: pd.DataFrame) -> None:
    with pytest.raises(SpecError, match="has no option"):
        design_from_dict("cross_section", dict(outcome="y", treatment="d", bogus=1))
    with pytest.raises(SpecError, match="unknown inference"):
        design_from_dict("cross_section", dict(outcome="y", treatment="d", inference="hc9")).fit(
            counties
        )
    with pytest.raises(SpecError, match="wild bootstrap / permutation"):
        design_from_dict(
            "weighting", dict(outcome="y", treatment="d", covariates=["x1"], inference="ri")
        ).fit(counties)
    with pytest.raises(SpecError, match="n_neighbors"):
        design_from_dict(
            "matching", dict(outcome="y", treatment="d", covariates=["x1"], n_neighbors=0)
        ).fit(counties)


def test_matching_balance_and_caliper(counties: pd.DataFrame) -> None:
    res = design_from_dict(
        "matching", dict(outcome="y", treatment="d", covariates=["x1", "x2"], caliper=0.05)
    ).fit(counties)
    bal = res.extras["balance"].set_index("covariate")
    assert abs(bal.loc["x1", "smd_before"]) > 0.5  # treatment selected on x1
    assert abs(bal.loc["x1", "smd_after"]) < 0.05
    assert (res.extras["matches"]["distance"] <= 0.05).all()
    assert res.metadata["n_treated_matched"] < counties.d.sum()
    assert any("caliper" in w for w in res.metadata["warnings"])


def test_entropy_balancing_matches_means_exactly(counties: pd.DataFrame) -> None:
    res = design_from_dict(
        "weighting", dict(outcome="y", treatment="d", covariates=["x1", "x2"], method="entropy")
    ).fit(counties)
    bal = res.extras["balance"]
    assert np.allclose(bal["smd_after"], 0, atol=1e-6)
    w = res.extras["weights"]
    assert w.loc[w.treated == 0, "weight"].sum() == pytest.approx(counties.d.sum())


def test_weighting_refuses_resampling_inference_after_fit(counties: pd.DataFrame) -> None:
    from sanctuary_lab.inference import with_inference

    res = design_from_dict("weighting", dict(outcome="y", treatment="d", covariates=["x1"])).fit(
        counties
    )
    crv = with_inference(res, "crv1", cluster="state")
    assert crv.coef("d") == pytest.approx(res.coef("d"))
    assert crv.tidy()["n_clusters"].iloc[0] == 30
    with pytest.raises(SpecError, match="not valid for this design"):
        with_inference(res, "wild", cluster="state")
