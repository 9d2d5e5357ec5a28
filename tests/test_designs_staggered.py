"""Staggered-DiD designs (Callaway–Sant'Anna, Sun–Abraham, did2s): goldens, result shape, errors."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.result import TIDY_COLUMNS, Result
from sanctuary_lab.designs.registry import design_from_dict
from sanctuary_lab.designs.staggered.callaway_santanna import CallawaySantAnnaDesign
from sanctuary_lab.designs.staggered.did2s import Did2sDesign
from sanctuary_lab.designs.staggered.sun_abraham import SunAbrahamDesign

GOLDEN = Path(__file__).parent / "golden" / "staggered_mpdta.json"
BASE = {"outcome": "lemp", "unit": "countyreal", "time": "year", "cohort": "first.treat"}
SPECS = [CallawaySantAnnaDesign, SunAbrahamDesign, Did2sDesign]


@pytest.fixture(scope="module")
def mpdta(reference_dir: Path) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "mpdta.csv")


def _cases():
    return json.loads(GOLDEN.read_text())


def _case_id(case: dict) -> str:
    return f"{case['design']}:{case['source']}:{case['options'].get('window', '')}"


# ----------------------------------------------------------------------------- goldens
@pytest.mark.reference
@pytest.mark.parametrize("case", _cases(), ids=_case_id)
def test_matches_independent_implementation(case: dict, mpdta: pd.DataFrame) -> None:
    """Each design agrees with an independent implementation to 1e-6 (points; SEs where defined
    identically)."""
    res = design_from_dict(case["design"], case["options"]).fit(mpdta)
    tidy = res.tidy().set_index("term")
    att_gt = res.extras.get("att_gt")
    checked = 0
    for row in case["rows"]:
        if row["table"] == "att_gt":
            g, t = (int(v) for v in row["term"].split(","))
            got = att_gt.loc[(att_gt["group"] == g) & (att_gt["time"] == t)].iloc[0]
            est, se = got["att"], got["std_error"]
        else:
            est, se = tidy.loc[row["term"], "estimate"], tidy.loc[row["term"], "std_error"]
        assert est == pytest.approx(row["estimate"], abs=1e-6), row
        if row["std_error"] is not None:
            assert se == pytest.approx(row["std_error"], abs=1e-6), row
        checked += 1
    assert checked == len(case["rows"]) > 0


@pytest.mark.reference
def test_sun_abraham_matches_pyfixest_saturated(mpdta: pd.DataFrame) -> None:
    """Our IW aggregation equals pyfixest's own saturated event-study aggregation."""
    ours = SunAbrahamDesign(**BASE, window=(-4, 3)).fit(mpdta).tidy().set_index("term")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.event_study(
            mpdta,
            yname="lemp",
            idname="countyreal",
            tname="year",
            gname="first.treat",
            estimator="saturated",
        )
        theirs = fit.aggregate()
    for period, r in theirs.iterrows():
        k = int(period)
        term = "rel_time[<=-4]" if k == -4 else "rel_time[>=3]" if k == 3 else f"rel_time[{k}]"
        assert ours.loc[term, "estimate"] == pytest.approx(float(r["Estimate"]), abs=1e-9)
        assert ours.loc[term, "std_error"] == pytest.approx(float(r["Std. Error"]), abs=1e-9)


def test_cs_pretest_matches_r_did(mpdta: pd.DataFrame) -> None:
    """R did 2.x prints 'P-value for pre-test of parallel trends assumption: 0.16812' for mpdta
    (never-treated, dr, unconditional)."""
    res = CallawaySantAnnaDesign(**BASE).fit(mpdta)
    row = res.tidy().set_index("term").loc["pretrend_wald"]
    assert row["p_value"] == pytest.approx(0.16812, abs=1e-5)
    assert res.metadata["pretrend"]["df"] == 5


def test_cs_treatment_column_equals_cohort_column(mpdta: pd.DataFrame) -> None:
    a = CallawaySantAnnaDesign(**BASE).fit(mpdta)
    opts = {**BASE, "cohort": None, "treatment": "d"}
    d = mpdta.assign(d=((mpdta["first.treat"] > 0) & (mpdta["year"] >= mpdta["first.treat"])) * 1)
    b = CallawaySantAnnaDesign(**opts).fit(d)
    assert a.coef("att") == pytest.approx(b.coef("att"), abs=1e-12)


def test_cs_aggregations_and_att_gt(mpdta: pd.DataFrame) -> None:
    res = CallawaySantAnnaDesign(**BASE).fit(mpdta)
    terms = set(res.tidy()["term"])
    assert {"att", "att_dynamic", "att_group", "att_calendar", "pretrend_wald"} <= terms
    assert len(res.extras["att_gt"]) == 12  # 3 cohorts x 4 periods after the first
    assert sorted(res.extras["group"]["group"]) == [2004, 2006, 2007]
    assert sorted(res.extras["calendar"]["time"]) == [2004, 2005, 2006, 2007]
    # group aggregation = mean over the group's post cells (balanced panel, equal weights)
    gt = res.extras["att_gt"]
    post04 = gt.loc[(gt["group"] == 2004) & gt["post"], "att"].mean()
    grp = res.extras["group"].set_index("group")
    assert grp.loc[2004, "estimate"] == pytest.approx(post04, abs=1e-10)


# ----------------------------------------------------------------------------- result shape
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.__name__)
def test_result_shape_and_json_round_trip(spec, mpdta: pd.DataFrame) -> None:
    res = spec(**BASE).fit(mpdta)
    tidy = res.tidy()
    assert list(tidy.columns[: len(TIDY_COLUMNS)]) == list(TIDY_COLUMNS)
    assert "att" in set(tidy["term"]) and "pretrend_wald" in set(tidy["term"])
    pre = tidy.set_index("term").loc["pretrend_wald"]
    assert 0 <= pre["p_value"] <= 1
    es = res.plot_data()
    assert {"rel_time", "estimate", "std_error", "ci_low", "ci_high", "reference"} <= set(es)
    assert es["rel_time"].is_monotonic_increasing
    back = Result.from_json(res.to_json())
    pd.testing.assert_frame_equal(back.tidy(), tidy, check_dtype=False)
    assert back.plot_data()["rel_time"].tolist() == es["rel_time"].tolist()
    assert back.metadata["cohorts"] == [2004, 2006, 2007]


@pytest.mark.parametrize("spec", [SunAbrahamDesign, Did2sDesign], ids=lambda s: s.__name__)
def test_reference_period_marked(spec, mpdta: pd.DataFrame) -> None:
    es = spec(**BASE, window=(-3, 3), reference=-2).fit(mpdta).plot_data()
    ref = es.loc[es["reference"]]
    assert ref["rel_time"].tolist() == [-2]
    assert ref["estimate"].iloc[0] == 0.0 and np.isnan(ref["std_error"].iloc[0])


def test_cs_universal_base_marks_reference(mpdta: pd.DataFrame) -> None:
    es = CallawaySantAnnaDesign(**BASE, base_period="universal").fit(mpdta).plot_data()
    ref = es.loc[es["reference"]]
    assert ref["rel_time"].tolist() == [-1]
    assert ref["estimate"].iloc[0] == pytest.approx(0.0, abs=1e-12)


def test_did2s_drops_units_without_two_untreated_periods(mpdta: pd.DataFrame) -> None:
    res = Did2sDesign(**BASE).fit(mpdta)
    assert any("fewer than 2 untreated" in w for w in res.metadata["warnings"])
    assert res.tidy()["n_clusters"].iloc[0] == 480  # the 20 cohort-2004 counties are dropped


# ----------------------------------------------------------------------------- validation
def _panel(n_units=6, years=range(2000, 2006), cohorts=None) -> pd.DataFrame:
    cohorts = cohorts or {0: 0, 1: 0, 2: 2003, 3: 2003, 4: 2004, 5: 2004}
    rng = np.random.default_rng(7)
    rows = [
        {"u": u, "t": t, "y": float(u + t % 3 + rng.normal()), "g": cohorts[u], "s": u % 3}
        for u in range(n_units)
        for t in years
    ]
    df = pd.DataFrame(rows)
    df["d"] = ((df["g"] > 0) & (df["t"] >= df["g"])).astype(int)
    return df


P = {"outcome": "y", "unit": "u", "time": "t"}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.__name__)
def test_unknown_column_lists_available(spec) -> None:
    with pytest.raises(SpecError, match=r"\['nope'\] not found.*available columns: u, t, y"):
        spec(**{**P, "outcome": "nope"}, cohort="g").fit(_panel())


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.__name__)
def test_treatment_never_varies(spec) -> None:
    df = _panel(cohorts=dict.fromkeys(range(6), 0))
    with pytest.raises(SpecError, match="never varies"):
        spec(**P, cohort="g").fit(df)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.__name__)
def test_non_absorbing_treatment_names_unit(spec) -> None:
    df = _panel()
    df.loc[(df["u"] == 3) & (df["t"] == 2005), "d"] = 0
    with pytest.raises(SpecError, match=r"not absorbing: unit 3 switches off in period 2005"):
        spec(**P, treatment="d").fit(df)


def test_single_cohort_no_never_treated_not_yet_treated() -> None:
    df = _panel(cohorts=dict.fromkeys(range(6), 2003))
    with pytest.raises(SpecError, match="no comparison units.*drop the last cohort"):
        CallawaySantAnnaDesign(**P, cohort="g", control="not_yet_treated").fit(df)


def test_never_treated_control_without_never_treated_units() -> None:
    df = _panel(cohorts={0: 2003, 1: 2003, 2: 2003, 3: 2004, 4: 2004, 5: 2004})
    with pytest.raises(SpecError, match="no never-treated units; use control='not_yet_treated'"):
        CallawaySantAnnaDesign(**P, cohort="g").fit(df)


def test_sun_abraham_single_cohort_without_controls() -> None:
    df = _panel(cohorts=dict.fromkeys(range(6), 2003))
    with pytest.raises(SpecError, match="no comparison group"):
        SunAbrahamDesign(**P, cohort="g").fit(df)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.__name__)
def test_too_few_clusters(spec) -> None:
    df = _panel().assign(one=1)
    with pytest.raises(SpecError, match="at least 2 clusters"):
        spec(**P, cohort="g", cluster="one").fit(df)


def test_few_clusters_warns() -> None:
    res = SunAbrahamDesign(**P, cohort="g", cluster="s", window=(-2, 1)).fit(_panel())
    assert any("only 3 clusters" in w for w in res.metadata["warnings"])


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.__name__)
def test_unbalanced_panel_warns(spec, mpdta: pd.DataFrame) -> None:
    df = mpdta.drop(index=[3, 7, 50])
    res = spec(**BASE).fit(df)
    assert any(w.startswith("unbalanced panel") for w in res.metadata["warnings"])
    assert np.isfinite(res.coef("att"))


def test_duplicate_rows_and_both_timing_columns() -> None:
    df = _panel()
    with pytest.raises(SpecError, match="exactly one of cohort="):
        SunAbrahamDesign(**P, cohort="g", treatment="d").fit(df)
    with pytest.raises(SpecError, match="more than one row for unit 0 in period 2000"):
        SunAbrahamDesign(**P, cohort="g").fit(pd.concat([df, df.iloc[:1]]))


def test_bad_options() -> None:
    df = _panel()
    with pytest.raises(SpecError, match="control must be"):
        CallawaySantAnnaDesign(**P, cohort="g", control="everyone").fit(df)
    with pytest.raises(SpecError, match="method must be"):
        CallawaySantAnnaDesign(**P, cohort="g", method="ols").fit(df)
    with pytest.raises(SpecError, match="reference period 0 must be a pre-period"):
        SunAbrahamDesign(**P, cohort="g", reference=0).fit(df)
    with pytest.raises(SpecError, match="inference='wild' is not available"):
        SunAbrahamDesign(**P, cohort="g", inference="wild").fit(df)
    with pytest.raises(SpecError, match="has no option"):
        design_from_dict("did2s", {**P, "cohort": "g", "bogus": 1})


# ----------------------------------------------------------------------------- real panel
@pytest.fixture(scope="module")
def sc_panel(warehouse: Path) -> pd.DataFrame:
    """FBI state crime panel 2000-2014 with the Secure Communities cohort (first year the
    population share covered reaches 0.5), as the studies build it."""
    import duckdb

    from sanctuary_lab.studies.frames.panel import state_panel

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return state_panel(con).data
    finally:
        con.close()


@pytest.mark.reference
def test_cs_matches_differences_on_state_sc_panel(sc_panel: pd.DataFrame) -> None:
    """Real staggered panel: csdid-based CS (not-yet-treated, dr) equals the differences package
    cell by cell (ATT(g,t) and analytic SEs) and in the simple aggregation."""
    import contextlib
    import io

    from differences import ATTgt

    opts = {"outcome": "log_index_crime_rate", "unit": "state", "time": "year"}
    res = CallawaySantAnnaDesign(**opts, cohort="sc_cohort", control="not_yet_treated").fit(
        sc_panel
    )
    d = sc_panel.assign(cohort=sc_panel["sc_cohort"].replace(0, np.nan)).set_index(
        ["state", "year"]
    )
    att = ATTgt(data=d, cohort_column="cohort")
    with contextlib.redirect_stdout(io.StringIO()):
        att.fit(
            formula="log_index_crime_rate",
            est_method="dr",
            control_group="not_yet_treated",
            progress_bar=False,
        )
    cells = att.results(type_of_aggregation=None)
    cells.columns = [c[-1] for c in cells.columns]
    cells = cells.reset_index()
    merged = res.extras["att_gt"].merge(
        cells, left_on=["group", "time"], right_on=["cohort", "time"], suffixes=("", "_ref")
    )
    assert len(merged) == len(res.extras["att_gt"]) == len(cells) > 20
    np.testing.assert_allclose(merged["att"], merged["ATT"], atol=1e-6)
    np.testing.assert_allclose(merged["std_error"], merged["std_error_ref"], atol=1e-6)
    simple = att.aggregate("simple")
    simple.columns = [c[-1] for c in simple.columns]
    row = res.tidy().set_index("term").loc["att"]
    assert row["estimate"] == pytest.approx(simple["ATT"].iloc[0], abs=1e-6)
    assert row["std_error"] == pytest.approx(simple["std_error"].iloc[0], abs=1e-6)


@pytest.mark.reference
def test_all_staggered_designs_run_on_state_sc_panel(sc_panel: pd.DataFrame) -> None:
    opts = {"outcome": "log_index_crime_rate", "unit": "state", "time": "year"}
    for spec in (SunAbrahamDesign, Did2sDesign):
        res = spec(**opts, cohort="sc_cohort").fit(sc_panel)
        t = res.tidy().set_index("term")
        assert np.isfinite(t.loc["att", "estimate"]) and t.loc["att", "std_error"] > 0
        assert "pretrend_wald" in t.index
        assert res.tidy()["n_clusters"].iloc[0] >= 40


@pytest.mark.reference
def test_cs_weighted_matches_differences(mpdta: pd.DataFrame) -> None:
    """Sampling weights (county population, constant within unit): point and analytic SE of the
    simple ATT equal the differences package's."""
    import contextlib
    import io

    from differences import ATTgt

    df = mpdta.assign(w=np.exp(mpdta["lpop"]))
    res = CallawaySantAnnaDesign(**BASE, weights="w").fit(df)
    d = df.assign(cohort=df["first.treat"].replace(0, np.nan)).set_index(["countyreal", "year"])
    att = ATTgt(data=d, cohort_column="cohort")
    with contextlib.redirect_stdout(io.StringIO()):
        att.fit(formula="lemp", est_method="dr", weights_column="w", progress_bar=False)
    simple = att.aggregate("simple")
    simple.columns = [c[-1] for c in simple.columns]
    row = res.tidy().set_index("term").loc["att"]
    assert row["estimate"] == pytest.approx(simple["ATT"].iloc[0], abs=1e-6)
    assert row["std_error"] == pytest.approx(simple["std_error"].iloc[0], abs=1e-6)
    unweighted = CallawaySantAnnaDesign(**BASE).fit(mpdta).coef("att")
    assert abs(row["estimate"] - unweighted) > 1e-3  # the weights matter


def test_no_never_treated_units_handled() -> None:
    """All units eventually treated: CS with not-yet-treated controls, Sun–Abraham with the last
    cohort as control and did2s without the periods that have no untreated units all run and say
    what they did."""
    rng = np.random.default_rng(2)
    cohorts = {u: (2003, 2005, 2007)[u % 3] for u in range(30)}
    df = pd.DataFrame(
        [{"u": u, "t": t, "g": cohorts[u]} for u in range(30) for t in range(2000, 2010)]
    )
    df["y"] = rng.normal(size=len(df)) + 0.5 * (df["t"] >= df["g"])
    cs = CallawaySantAnnaDesign(**P, cohort="g", control="not_yet_treated").fit(df)
    assert np.isfinite(cs.coef("att"))
    sa = SunAbrahamDesign(**P, cohort="g").fit(df)
    assert any("last-treated cohort (2007)" in w for w in sa.metadata["warnings"])
    assert sa.tidy()["n_obs"].iloc[0] == 30 * 7  # periods 2007-2009 dropped
    d2 = Did2sDesign(**P, cohort="g").fit(df)
    assert any("period(s) [2007, 2008, 2009]" in w for w in d2.metadata["warnings"])
    assert d2.tidy()["n_obs"].iloc[0] == 30 * 7


def test_csdid_failure_becomes_spec_error() -> None:
    """A single never-treated unit is too small a comparison group for csdid: one clear line."""
    df = _panel(cohorts={0: 0, 1: 2003, 2: 2003, 3: 2004, 4: 2004, 5: 2004})
    with pytest.raises(SpecError, match="Never-treated group is too small"):
        CallawaySantAnnaDesign(**P, cohort="g").fit(df)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.__name__)
def test_covariates_enter_the_model(spec, mpdta: pd.DataFrame) -> None:
    """A time-varying covariate that drives the outcome is used: adjusting for it moves the
    estimate and still gives a finite ATT."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=len(mpdta))
    df = mpdta.assign(x=x, lemp=mpdta["lemp"] + 0.5 * x * (mpdta["year"] - 2002))
    plain = spec(**BASE).fit(df).coef("att")
    adjusted = spec(**BASE, covariates=["x"]).fit(df)
    assert np.isfinite(adjusted.coef("att"))
    assert adjusted.coef("att") != pytest.approx(plain, abs=1e-9)
    assert adjusted.metadata.get("covariates", ["x"]) == ["x"]


def test_sun_abraham_drops_cohorts_without_reference_cell(mpdta: pd.DataFrame) -> None:
    """mpdta's 2004 cohort is first seen at rel -1: with reference -2 it cannot be normalised
    and is dropped (rather than letting the solver drop an arbitrary collinear cell)."""
    res = SunAbrahamDesign(**BASE, reference=-2, window=(-3, 3)).fit(mpdta)
    assert any("cohort(s) [2004]" in w for w in res.metadata["warnings"])
    assert set(res.extras["cohort_effects"]["cohort"]) == {2006, 2007}
    assert res.tidy()["n_obs"].iloc[0] == 2500 - 20 * 5


def test_cs_cluster_se_is_clustered_influence_function(mpdta: pd.DataFrame) -> None:
    """Clustering by state (county FIPS // 1000): the simple ATT's SE equals
    sqrt(sum_c (sum_{i in c} psi_i)^2) / n computed by hand from the unit-level influence
    function (no G/(G-1) factor), and differs from the unit-clustered SE."""
    import contextlib
    import io

    from csdid.att_gt import ATTgt

    df = mpdta.assign(st=mpdta["countyreal"] // 1000).sort_values(["countyreal", "year"])
    res = CallawaySantAnnaDesign(**BASE, cluster="st").fit(df)
    model = ATTgt(yname="lemp", gname="first.treat", idname="countyreal", tname="year", data=df)
    with contextlib.redirect_stdout(io.StringIO()):
        psi = np.asarray(
            model.fit(est_method="dr", bstrap=False)
            .aggte(typec="simple", bstrap=False)
            .atte["inf_function"]["simple_att"]
        ).ravel()
    units = np.sort(df["countyreal"].unique())
    sums = pd.Series(psi).groupby(units // 1000).sum().to_numpy()
    hand = np.sqrt(np.sum(sums**2)) / len(psi)
    row = res.tidy().set_index("term").loc["att"]
    assert row["std_error"] == pytest.approx(hand, rel=1e-8)
    assert row["n_clusters"] == 29
    assert abs(row["std_error"] - np.sqrt(np.sum(psi**2)) / len(psi)) > 1e-3
