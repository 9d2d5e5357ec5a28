"""TWFE event study: statsmodels reference, binning, weights/covariates, result shape, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.result import TIDY_COLUMNS, Result
from sanctuary_lab.designs.event_study import EventStudyDesign
from sanctuary_lab.designs.registry import design_from_dict

BASE = {"outcome": "lemp", "unit": "countyreal", "time": "year", "cohort": "first.treat"}


@pytest.fixture(scope="module")
def mpdta(reference_dir: Path) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "mpdta.csv")


def _dummy_ols(df: pd.DataFrame, lo: int, hi: int, extra: list[str], weights=None):
    """Dummy-variable OLS/WLS reference with fixest-convention CRV1 (see the goldens script)."""
    g = df["first.treat"]
    rel = pd.Series(np.where(g > 0, df["year"] - g, np.nan), index=df.index).clip(lo, hi)
    ks = [k for k in range(lo, hi + 1) if k != -1]
    x = pd.concat(
        [
            pd.DataFrame({f"k{k}": (rel == k).astype(float) for k in ks}, index=df.index),
            df[extra],
            pd.get_dummies(df["countyreal"], prefix="u", dtype=float),
            pd.get_dummies(df["year"], prefix="t", drop_first=True, dtype=float),
        ],
        axis=1,
    )
    model = sm.OLS(df["lemp"], x) if weights is None else sm.WLS(df["lemp"], x, weights=weights)
    fit = model.fit(
        cov_type="cluster", cov_kwds={"groups": df["countyreal"], "use_correction": False}
    )
    n, n_g = len(df), df["countyreal"].nunique()
    k = len(ks) + len(extra) + df["year"].nunique() - 1 + 1
    adj = n_g / (n_g - 1) * (n - 1) / (n - k)
    return ks, fit.params, np.sqrt(np.diag(fit.cov_params()) * adj), fit.cov_params() * adj


@pytest.mark.reference
def test_weights_and_covariate_match_statsmodels_wls(mpdta: pd.DataFrame) -> None:
    """With a time-varying covariate and weights, coefficients and CRV1 SEs match WLS to 1e-6."""
    rng = np.random.default_rng(3)
    df = mpdta.assign(x=rng.normal(size=len(mpdta)), w=rng.uniform(0.5, 2.0, len(mpdta)))
    res = EventStudyDesign(**BASE, window=(-3, 3), covariates=["x"], weights="w").fit(df)
    ks, params, se, _ = _dummy_ols(df, -3, 3, ["x"], weights=df["w"])
    t = res.tidy().set_index("term")
    names = {-3: "rel_time[<=-3]", 3: "rel_time[>=3]"}
    for i, k in enumerate(ks):
        term = names.get(k, f"rel_time[{k}]")
        assert t.loc[term, "estimate"] == pytest.approx(params[f"k{k}"], abs=1e-6)
        assert t.loc[term, "std_error"] == pytest.approx(se[i], abs=1e-6)


@pytest.mark.reference
def test_pretrend_wald_matches_hand_computation(mpdta: pd.DataFrame) -> None:
    """F = b' V^-1 b / q over the leads, F(q, G-1) p-value, with the reference's V."""
    from scipy import stats

    res = EventStudyDesign(**BASE, window=(-3, 3)).fit(mpdta)
    ks, params, _, vcov = _dummy_ols(mpdta, -3, 3, [])
    pre = [f"k{k}" for k in ks if k < 0]
    b = params[pre].to_numpy()
    v = vcov.loc[pre, pre].to_numpy()
    f = float(b @ np.linalg.solve(v, b)) / len(pre)
    row = res.tidy().set_index("term").loc["pretrend_wald"]
    assert row["estimate"] == pytest.approx(f, rel=1e-6)
    assert row["p_value"] == pytest.approx(stats.f.sf(f, len(pre), 499), rel=1e-6)


def test_binning_pools_endpoints(mpdta: pd.DataFrame) -> None:
    """Window (-2, 2) bins rel <= -2 and rel >= 2; 'drop' removes those rows instead."""
    binned = EventStudyDesign(**BASE, window=(-2, 2)).fit(mpdta)
    assert list(binned.tidy()["term"][:4]) == [
        "rel_time[<=-2]",
        "rel_time[0]",
        "rel_time[1]",
        "rel_time[>=2]",
    ]
    dropped = EventStudyDesign(**BASE, window=(-2, 2), endpoints="drop").fit(mpdta)
    # mpdta cells outside [-2, 2]: cohort 2007 at rel -4, -3 (2 x 131 rows) + cohort 2004 at rel 3
    # (20 rows) + cohort 2006 at rel -3 (40 rows)
    assert binned.tidy()["n_obs"].iloc[0] - dropped.tidy()["n_obs"].iloc[0] == 2 * 131 + 20 + 40
    assert list(dropped.tidy()["term"][:4]) == [
        "rel_time[-2]",
        "rel_time[0]",
        "rel_time[1]",
        "rel_time[2]",
    ]


def test_never_treated_kept_and_treatment_column(mpdta: pd.DataFrame) -> None:
    res = EventStudyDesign(**BASE).fit(mpdta)
    assert res.metadata["n_never_treated"] == 309
    assert res.tidy()["n_obs"].iloc[0] == 2500
    d = mpdta.assign(d=((mpdta["first.treat"] > 0) & (mpdta["year"] >= mpdta["first.treat"])) * 1)
    alt = EventStudyDesign(**{**BASE, "cohort": None, "treatment": "d"}).fit(d)
    pd.testing.assert_frame_equal(alt.tidy(), res.tidy())


def test_missing_cohort_means_never_treated(mpdta: pd.DataFrame) -> None:
    a = EventStudyDesign(**BASE).fit(mpdta)
    b = EventStudyDesign(**BASE).fit(
        mpdta.assign(**{"first.treat": mpdta["first.treat"].replace(0, np.nan)})
    )
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())


def test_result_shape_plot_data_and_json(mpdta: pd.DataFrame) -> None:
    res = design_from_dict("event_study", {**BASE, "window": (-3, 3), "reference": -2}).fit(mpdta)
    tidy = res.tidy()
    assert list(tidy.columns[: len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
    assert tidy["n_clusters"].iloc[0] == 500
    es = res.plot_data()
    assert es["rel_time"].tolist() == [-3, -2, -1, 0, 1, 2, 3]
    assert es.loc[es["reference"], "rel_time"].tolist() == [-2]
    assert es.loc[es["reference"], "estimate"].iloc[0] == 0.0
    t = tidy.set_index("term")
    assert es.loc[es["rel_time"] == 1, "estimate"].iloc[0] == t.loc["rel_time[1]", "estimate"]
    back = Result.from_json(res.to_json())
    pd.testing.assert_frame_equal(back.tidy(), tidy, check_dtype=False)
    assert back.plot_data()["reference"].tolist() == es["reference"].tolist()


def test_hc1_inference_has_no_clusters(mpdta: pd.DataFrame) -> None:
    res = EventStudyDesign(**BASE, inference="hc1").fit(mpdta)
    assert res.tidy()["n_clusters"].isna().all()
    assert res.tidy().set_index("term").loc["pretrend_wald", "p_value"] > 0


# ----------------------------------------------------------------------------- validation
def _panel() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    cohorts = {0: 0, 1: 0, 2: 2003, 3: 2003, 4: 2004, 5: 2004}
    df = pd.DataFrame(
        [{"u": u, "t": t, "g": cohorts[u]} for u in range(6) for t in range(2000, 2006)]
    )
    df["y"] = rng.normal(size=len(df))
    df["d"] = ((df["g"] > 0) & (df["t"] >= df["g"])).astype(int)
    df["name"] = "x"
    return df


P = {"outcome": "y", "unit": "u", "time": "t", "window": (-2, 2)}


def test_errors() -> None:
    df = _panel()
    with pytest.raises(SpecError, match=r"\['yy'\] not found.*available columns: u, t, g, y, d"):
        EventStudyDesign(**{**P, "outcome": "yy"}, cohort="g").fit(df)
    with pytest.raises(SpecError, match="never varies"):
        EventStudyDesign(**P, cohort="g").fit(df.assign(g=0))
    bad = df.copy()
    bad.loc[(bad["u"] == 4) & (bad["t"] == 2005), "d"] = 0
    with pytest.raises(SpecError, match="unit 4 switches off in period 2005"):
        EventStudyDesign(**P, treatment="d").fit(bad)
    with pytest.raises(SpecError, match="must be binary 0/1"):
        EventStudyDesign(**P, treatment="g").fit(df)
    with pytest.raises(SpecError, match="must be numeric"):
        EventStudyDesign(**{**P, "outcome": "name"}, cohort="g").fit(df)
    with pytest.raises(SpecError, match="at least 2 clusters"):
        EventStudyDesign(**P, cohort="g", cluster="name").fit(df)
    with pytest.raises(SpecError, match="window"):
        EventStudyDesign(**{**P, "window": (1, 3)}, cohort="g").fit(df)
    with pytest.raises(SpecError, match="binned lower endpoint"):
        EventStudyDesign(**{**P, "window": (-1, 3)}, cohort="g").fit(df)
    with pytest.raises(SpecError, match="endpoints must be"):
        EventStudyDesign(**P, cohort="g", endpoints="trim").fit(df)
    with pytest.raises(SpecError, match="varies within unit 2"):
        EventStudyDesign(**P, cohort="g").fit(df.assign(g=np.where(df.index == 12, 2004, df["g"])))


def test_few_clusters_and_unbalanced_warn() -> None:
    df = _panel().drop(index=[5])
    res = EventStudyDesign(**P, cohort="g").fit(df)
    warns = " | ".join(res.metadata["warnings"])
    assert "only 6 clusters" in warns and "unbalanced panel" in warns


def test_randomization_inference_on_staggered_timing() -> None:
    """RI via the shared permutation routine (adoption paths reassigned across units): estimates
    unchanged, a real effect gets the smallest attainable p-value, no pre-trend is not flagged,
    a planted pre-trend is, and the seed makes it reproducible."""
    from test_simulations_staggered import ARGS as SIM
    from test_simulations_staggered import simulate

    flat = simulate(seed=11, n_units=100, constant=True)
    opts = {**SIM, "window": (-4, 4), "inference": "ri", "n_boot": 99, "seed": 3}
    ri = EventStudyDesign(**opts).fit(flat).tidy().set_index("term")
    crv = EventStudyDesign(**{**SIM, "window": (-4, 4)}).fit(flat).tidy().set_index("term")
    terms = [t for t in crv.index if t.startswith("rel_time")]
    np.testing.assert_allclose(ri.loc[terms, "estimate"], crv.loc[terms, "estimate"], atol=1e-10)
    assert (ri.loc[["rel_time[0]", "rel_time[1]", "rel_time[>=4]"], "p_value"] == 0.01).all()
    assert ri.loc["pretrend_wald", "p_value"] > 0.05
    assert ri["ci_low"].isna().all()
    again = EventStudyDesign(**opts).fit(flat).tidy()
    pd.testing.assert_frame_equal(again, ri.reset_index()[again.columns])
    trend = simulate(seed=5, n_units=100, pretrend=0.4, constant=True)
    assert EventStudyDesign(**opts).fit(trend).tidy().set_index("term").loc[
        "pretrend_wald", "p_value"
    ] == pytest.approx(0.01)
    with pytest.raises(SpecError, match="needs endpoints='bin'"):
        EventStudyDesign(**{**opts, "endpoints": "drop"}).fit(flat)
