"""County economic panels (studies/frames/economic.py) and the explorer's county_series.

Synthetic tests build a tiny warehouse with known truths (cohort rules, balancing, the NIM-rate
formula, the ACS dating rule and overlap refusal). Real-data tests read the session warehouse and
check it against values parsed independently, here, from the raw files (usdata county_complete,
Census co-est2019-alldata), including Census's own published NIM rates.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from sanctuary_lab.core.errors import InputError, SpecError
from sanctuary_lab.studies import api
from sanctuary_lab.studies.county_series import county_series
from sanctuary_lab.studies.frames.economic import (
    COHORT_287G_COLUMN,
    cohorts_287g,
    county_acs_long_difference,
    county_population_panel,
    county_unemployment_panel,
    vintage_year,
)
from sanctuary_lab.studies.registry import FRAMES

ECON_STUDIES = (
    "economy_287g_unemployment",
    "economy_287g_population",
    "economy_287g_acs",
    "economy_sanctuary_unemployment",
    "economy_sanctuary_population",
    "economy_sanctuary_acs",
)

# --------------------------------------------------------------------------- synthetic warehouse

#: fips -> (nchs class, first 287(g) year or 0, detainers, declined)
_COUNTIES = {
    "01001": (1, 0, 50, 0),
    "01003": (2, 2006, 40, 0),  # covered before the LAUS panel: dropped as always treated
    "01005": (3, 2009, 30, 3),
    "01007": (5, 2016, 5, 5),  # too few detainers for the sanctuary sample
    "01009": (6, 2025, 20, 1),  # covered after every window: untreated
    "01011": (6, 0, 0, 0),  # missing one unemployment year: dropped by balancing
    "01013": (4, 2018, 12, 0),  # covered within the post ACS window: straddles
}


@pytest.fixture()
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect(":memory:")
    rows = [(f, f"County {f}", "AL", cls) for f, (cls, *_rest) in _COUNTIES.items()]
    c.execute("CREATE TABLE counties (fips VARCHAR, name VARCHAR, state VARCHAR, nchs_code INT)")
    c.executemany("INSERT INTO counties VALUES (?, ?, ?, ?)", rows)
    c.execute(
        "CREATE TABLE county_year_287g (fips VARCHAR, year INT, any_287g INT, known BOOLEAN, "
        "n_agreements INT, first_year INT)"
    )
    for f, (_, first, *_r) in _COUNTIES.items():
        for y in range(2002, 2027):
            on = int(first > 0 and y >= first)
            c.execute(
                "INSERT INTO county_year_287g VALUES (?, ?, ?, TRUE, ?, ?)",
                [f, y, on, on, first or None],
            )
    c.execute(
        "CREATE TABLE county_detainer_declines (fips VARCHAR, n_detainers INT, n_declined INT)"
    )
    c.executemany(
        "INSERT INTO county_detainer_declines VALUES (?, ?, ?)",
        [(f, d, k) for f, (_, _, d, k) in _COUNTIES.items() if d > 0],
    )
    c.execute(
        "CREATE TABLE county_unemployment (fips VARCHAR, year INT, unemployment_rate DOUBLE, "
        "source VARCHAR)"
    )
    for i, f in enumerate(_COUNTIES):
        for y in range(2007, 2018):
            if f == "01011" and y == 2010:
                continue
            c.execute(
                "INSERT INTO county_unemployment VALUES (?, ?, ?, 'laus')", [f, y, 4 + i + y / 1e3]
            )
        # the usdata 2019 value is ACS, never read
        c.execute("INSERT INTO county_unemployment VALUES (?, 2019, 99.0, 'laus')", [f])
    c.execute(
        "CREATE TABLE stg_popest_county (fips VARCHAR, year INT, population BIGINT, "
        "net_international_migration BIGINT)"
    )
    for i, f in enumerate(_COUNTIES):
        for y in range(2010, 2020):
            c.execute(
                "INSERT INTO stg_popest_county VALUES (?, ?, ?, ?)",
                [f, y, 1000 * (i + 1) + 10 * (y - 2010), 5 * (i + 1) + (y - 2010)],
            )
    c.execute(
        "CREATE TABLE county_covariates (fips VARCHAR, vintage VARCHAR, population BIGINT, "
        "median_household_income DOUBLE, poverty_rate DOUBLE, source VARCHAR)"
    )
    for i, f in enumerate(_COUNTIES):
        for v, inc, pov in (
            ("quickfacts2014/acs2009_2013", 40000 + 100 * i, 15.0),
            ("acs2015_2019", 45000 + 300 * i, None if f == "01005" else 13.0 - 0.1 * i),
            ("usdata_2017", 1.0, 1.0),
        ):
            c.execute(
                "INSERT INTO county_covariates VALUES (?, ?, 1000, ?, ?, 'acs')", [f, v, inc, pov]
            )
    yield c
    c.close()


def test_frames_are_registered() -> None:
    for name in (
        "county_unemployment_panel",
        "county_population_panel",
        "county_acs_long_difference",
    ):
        assert name in FRAMES


def test_cohort_helper_reads_the_named_column(con: duckdb.DuckDBPyConnection) -> None:
    assert COHORT_287G_COLUMN == "first_year"
    got = cohorts_287g(con).to_dict()
    assert got == {"01003": 2006, "01005": 2009, "01007": 2016, "01009": 2025, "01013": 2018}


def test_unemployment_panel_287g(con: duckdb.DuckDBPyConnection) -> None:
    f = county_unemployment_panel(con)
    df = f.data
    # 01003 always treated, 01011 unbalanced -> 5 counties x 11 years
    assert sorted(df["fips"].unique()) == ["01001", "01005", "01007", "01009", "01013"]
    assert len(df) == 5 * 11
    assert df["year"].between(2007, 2017).all()
    cohort = df.drop_duplicates("fips").set_index("fips")["cohort"].to_dict()
    assert cohort == {"01001": 0, "01005": 2009, "01007": 2016, "01009": 0, "01013": 0}
    assert f.meta["dropped"] == {
        "counties_treated_at_or_before_first_year": 1,
        "counties_in_cohorts_under_1": 0,
        "counties_missing_a_year": 1,
    }
    t = df.loc[df["fips"] == "01005"].set_index("year")["treated"]
    assert t[2008] == 0 and t[2009] == 1 and t[2017] == 1
    assert f.meta["cohort_sizes"] == {"2009": 1, "2016": 1}
    assert f.meta["treated_by_nchs_group"] == {"medium_small_metro": 1, "nonmetro": 1}
    assert set(df["nchs_group"]) == {"large_metro", "medium_small_metro", "nonmetro"}
    x = df.loc[df["fips"] == "01007"].set_index("year")
    assert (x["nonmetro"] == 1).all() and x.loc[2015, "treated_x_nonmetro"] == 0
    assert x.loc[2016, "treated_x_nonmetro"] == 1
    assert (df.loc[df["fips"] == "01005", "treated_x_nonmetro"] == 0).all()  # metro, treated
    v = df.loc[(df["fips"] == "01005") & (df["year"] == 2010), "unemployment_rate"].item()
    assert v == pytest.approx(4 + 2 + 2010 / 1e3)


def test_small_287g_cohorts_are_dropped_and_recorded(con: duckdb.DuckDBPyConnection) -> None:
    # the 2009 and 2016 cohorts hold one county each: min_cohort_size = 2 drops both
    f = county_unemployment_panel(con, min_cohort_size=2)
    assert sorted(f.data["fips"].unique()) == ["01001", "01009", "01013"]
    assert (f.data["cohort"] == 0).all()
    assert f.meta["dropped"]["counties_in_cohorts_under_2"] == 2
    assert f.meta["small_cohorts_dropped"] == [2009, 2016]
    with pytest.raises(SpecError, match="min_cohort_size"):
        county_unemployment_panel(con, min_cohort_size=0)


def test_unemployment_panel_refuses_acs_years(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(SpecError, match="BLS LAUS"):
        county_unemployment_panel(con, last_year=2019)


def test_unemployment_panel_detainer_timing(con: duckdb.DuckDBPyConnection) -> None:
    f = county_unemployment_panel(con, treatment="detainer_declines", adoption_year=2014)
    units = f.data.drop_duplicates("fips").set_index("fips")["cohort"].to_dict()
    # >= 10 detainers: 01001, 01003, 01005, 01009, 01013 (01011 has none, 01007 only 5)
    assert units == {"01001": 0, "01003": 0, "01005": 2014, "01009": 2014, "01013": 0}
    assert "ASSUMED" in f.meta["rule"]
    f2 = county_unemployment_panel(
        con, treatment="detainer_declines", decline_threshold=0.06, adoption_year=2014
    )
    units2 = f2.data.drop_duplicates("fips").set_index("fips")["cohort"].to_dict()
    assert units2["01005"] == 2014 and units2["01009"] == 0  # 3/30 = 0.1 > 0.06; 1/20 = 0.05
    with pytest.raises(SpecError, match="adoption_year"):
        county_unemployment_panel(con, treatment="detainer_declines", adoption_year=2007)
    with pytest.raises(SpecError, match="treatment must be"):
        county_unemployment_panel(con, treatment="sanctuary")
    with pytest.raises(SpecError, match="'first_year' must be an integer"):
        county_unemployment_panel(con, first_year="2007")
    with pytest.raises(SpecError, match="'decline_threshold' must be a number"):
        county_unemployment_panel(con, treatment="detainer_declines", decline_threshold=2)
    with pytest.raises(SpecError, match="'min_detainers' must be an integer"):
        county_acs_long_difference(con, min_detainers=1.5)


def test_population_panel_rates(con: duckdb.DuckDBPyConnection) -> None:
    f = county_population_panel(con)
    df = f.data
    assert df["year"].min() == 2011 and df["year"].max() == 2019
    # 01003 (2006) and 01005 (2009) are covered before 2011 -> dropped; the rest have all years
    assert sorted(df["fips"].unique()) == ["01001", "01007", "01009", "01011", "01013"]
    assert len(df) == 5 * 9
    assert f.meta["dropped"]["counties_treated_at_or_before_first_year"] == 2
    r = df.loc[(df["fips"] == "01007") & (df["year"] == 2015)].iloc[0]
    i = list(_COUNTIES).index("01007")
    p0, p1 = 1000 * (i + 1) + 40, 1000 * (i + 1) + 50
    nim = 5 * (i + 1) + 5
    assert r["nim"] == nim
    assert r["nim_rate"] == pytest.approx(nim / ((p0 + p1) / 2) * 1000, rel=1e-12)
    assert r["pop_growth"] == pytest.approx(100 * math.log(p1 / p0), rel=1e-12)
    cohort = df.drop_duplicates("fips").set_index("fips")["cohort"].to_dict()
    assert cohort["01013"] == 2018 and cohort["01009"] == 0
    with pytest.raises(SpecError, match="partial year"):
        county_population_panel(con, first_year=2010)


def test_acs_long_difference(con: duckdb.DuckDBPyConnection) -> None:
    f = county_acs_long_difference(con)
    df = f.data.set_index("fips")
    # 287(g): 01003 covered by 2013 and 01013 first in 2018 straddle -> dropped; 01007 (2016)
    # treated; 01005 (2009) dropped; 01009 (2025) untreated
    assert sorted(df.index) == ["01001", "01007", "01009", "01011"]
    assert df.loc["01007", "treated"] == 1 and df["treated"].sum() == 1
    i = list(_COUNTIES).index("01009")
    assert df.loc["01009", "d_median_household_income"] == pytest.approx(200 * i + 5000)
    assert df.loc["01009", "d_poverty_rate"] == pytest.approx(-2.0 - 0.1 * i)
    assert f.meta["years"] == [2011, 2017]
    # the dating rule changes stated years, never the sample or values
    g = county_acs_long_difference(con, year_rule="end")
    assert g.meta["years"] == [2013, 2019]
    pd.testing.assert_frame_equal(
        f.data.drop(columns="cohort"), g.data.drop(columns="cohort"), check_like=True
    )
    s = county_acs_long_difference(con, treatment="detainer_declines")
    sd = s.data.set_index("fips")
    assert sd.loc["01005", "treated"] == 1 and math.isnan(sd.loc["01005", "d_poverty_rate"])
    assert s.meta["n_with_poverty_change"] == len(sd) - 1


def test_acs_refuses_overlapping_or_unknown_vintages(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(SpecError, match="overlap"):
        county_acs_long_difference(con, pre_vintage="acs2011_2015", post_vintage="acs2015_2019")
    with pytest.raises(SpecError, match="overlap"):
        county_acs_long_difference(con, pre_vintage="acs2015_2019", post_vintage="acs2011_2015")
    with pytest.raises(SpecError, match="vintages must be among"):
        county_acs_long_difference(con, post_vintage="usdata_2017")
    assert vintage_year("quickfacts2014/acs2009_2013") == 2011
    assert vintage_year("acs2015_2019", "end") == 2019
    with pytest.raises(SpecError, match="year_rule"):
        vintage_year("acs2015_2019", "start")


def test_county_series_synthetic(con: duckdb.DuckDBPyConnection) -> None:
    s = county_series(con, "01005")
    assert s["county"]["name"].item() == "County 01005"
    assert s["unemployment"]["year"].tolist() == list(range(2007, 2018))  # no ACS 2019 value
    assert s["acs"]["vintage"].tolist() == ["quickfacts2014/acs2009_2013", "acs2015_2019"]
    assert s["acs"]["mid_year"].tolist() == [2011, 2017]
    assert s["population"].empty  # no county_population table here
    m = s["migration"].set_index("year")
    assert math.isnan(m.loc[2010, "nim_rate"]) and m.loc[2011, "nim_rate"] > 0
    assert s["policy_287g"].set_index("year").loc[2009, "any_287g"] == 1
    with pytest.raises(SpecError, match="unknown county"):
        county_series(con, "99999")
    with pytest.raises(SpecError, match="5-digit"):
        county_series(con, "6037")


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def raw_complete(raw_dir: Path) -> pd.DataFrame:
    return pd.read_csv(
        raw_dir / "usdata_county_complete" / "county_complete.csv", dtype={"fips": str}
    )


@pytest.fixture(scope="module")
def raw_popest(raw_dir: Path) -> pd.DataFrame:
    df = pd.read_csv(
        raw_dir / "census_popest_county_2010_2019" / "co-est2019-alldata.csv",
        encoding="utf-8-sig",
        dtype={"STATE": str, "COUNTY": str},
    )
    df = df.loc[df["SUMLEV"] == 50].copy()
    df["fips"] = df["STATE"].str.zfill(2) + df["COUNTY"].str.zfill(3)
    return df.set_index("fips")


@pytest.fixture(scope="module")
def wcon(warehouse: Path) -> duckdb.DuckDBPyConnection:
    c = duckdb.connect(str(warehouse), read_only=True)
    yield c
    c.close()


def test_real_unemployment_panel_against_raw(
    wcon: duckdb.DuckDBPyConnection, raw_complete: pd.DataFrame
) -> None:
    f = county_unemployment_panel(wcon)
    df = f.data
    cols = [f"unemployment_rate_{y}" for y in range(2007, 2018)]
    complete = set(raw_complete.loc[raw_complete[cols].notna().all(axis=1), "fips"])
    counties = {r[0] for r in wcon.execute("SELECT fips FROM counties").fetchall()}
    early = {
        r[0]
        for r in wcon.execute(
            f"SELECT fips FROM county_year_287g WHERE any_287g = 1 GROUP BY fips "
            f"HAVING min({COHORT_287G_COLUMN}) <= 2007"
        ).fetchall()
    }
    expected = (complete & counties) - early
    assert set(df["fips"]) == expected
    assert len(df) == 11 * len(expected)
    # one county's 2010 rate, straight from the usdata file (Maricopa County, AZ)
    raw = raw_complete.set_index("fips")
    for fips in ("04013", "06037", "37119"):
        got = df.loc[(df["fips"] == fips) & (df["year"] == 2010), "unemployment_rate"]
        if fips in expected:
            assert got.item() == pytest.approx(raw.loc[fips, "unemployment_rate_2010"], abs=1e-9)
    s = county_series(wcon, "04013")["unemployment"].set_index("year")
    assert s.loc[2010, "unemployment_rate"] == pytest.approx(
        raw.loc["04013", "unemployment_rate_2010"], abs=1e-9
    )
    assert 2019 not in s.index  # the usdata 2019 value is ACS, not LAUS


def test_real_population_panel_against_census_rates(
    wcon: duckdb.DuckDBPyConnection, raw_popest: pd.DataFrame
) -> None:
    f = county_population_panel(wcon, first_year=2011, last_year=2019)
    df = f.data.set_index(["fips", "year"])
    n_early = wcon.execute(
        f"SELECT count(*) FROM (SELECT fips FROM county_year_287g WHERE any_287g = 1 GROUP BY fips "
        f"HAVING min({COHORT_287G_COLUMN}) <= 2011) JOIN counties USING (fips)"
    ).fetchone()[0]
    assert df.index.get_level_values(0).nunique() == len(raw_popest) - n_early
    assert len(df) == 9 * (len(raw_popest) - n_early)
    # NIM 2015 (count) and Census's own published NIM rate, for every county in the panel
    fips = df.index.get_level_values(0).unique()
    y15 = df.xs(2015, level="year")
    assert (y15["nim"] == raw_popest.loc[fips, "INTERNATIONALMIG2015"]).all()
    np.testing.assert_allclose(
        y15["nim_rate"], raw_popest.loc[fips, "RINTERNATIONALMIG2015"], atol=1e-6
    )
    growth = 100 * np.log(
        raw_popest.loc[fips, "POPESTIMATE2015"] / raw_popest.loc[fips, "POPESTIMATE2014"]
    )
    np.testing.assert_allclose(y15["pop_growth"], growth, atol=1e-9)
    # one county through the explorer (Los Angeles County, CA)
    m = county_series(wcon, "06037")["migration"].set_index("year")
    assert (
        m.loc[2015, "net_international_migration"]
        == raw_popest.loc["06037", "INTERNATIONALMIG2015"]
    )
    assert m.loc[2015, "nim_rate"] == pytest.approx(
        raw_popest.loc["06037", "RINTERNATIONALMIG2015"], abs=1e-6
    )


def test_real_acs_long_difference_rows(wcon: duckdb.DuckDBPyConnection) -> None:
    f = county_acs_long_difference(wcon, treatment="detainer_declines")
    n = wcon.execute(
        """
        SELECT count(*) FROM county_detainer_declines d JOIN counties c USING (fips)
        JOIN county_covariates a ON a.fips = d.fips AND a.vintage = 'quickfacts2014/acs2009_2013'
        JOIN county_covariates b ON b.fips = d.fips AND b.vintage = 'acs2015_2019'
        WHERE d.n_detainers >= 10 AND a.median_household_income IS NOT NULL
          AND b.median_household_income IS NOT NULL
        """
    ).fetchone()[0]
    assert len(f.data) == n
    assert f.meta["n_treated"] == int(f.data["treated"].sum()) > 0


@pytest.mark.slow
def test_economic_studies_run_with_pretrends_and_nchs_groups(warehouse: Path) -> None:
    for study_id in ECON_STUDIES:
        run = api.run_study(study_id, warehouse)
        study = api.load_study(study_id)
        assert run.sample["failed"] == {}, (study_id, run.sample["failed"])
        assert set(study.comparison) == {"published", "ours"}
        assert study.comparison["published"]["n_units"] == 2492
        assert study.comparison["published"]["n_treated"] == 602
        assert "beyond" in study.title.lower()
        labels = set(run.results)
        if "sanctuary" in study_id:  # one adoption year: the small-county difference is tested
            assert any(lab.endswith(":nonmetro_difference") for lab in labels)
        if study_id.endswith("_acs"):
            main = "d_median_household_income:long_difference"
            assert {f"d_poverty_rate:{g}" for g in ("large_metro", "nonmetro")} <= labels
            term = "treated"
        else:
            outcome = "unemployment_rate" if "unemployment" in study_id else "nim_rate"
            main = f"{outcome}:callaway_santanna"
            assert {f"{outcome}:cs_{g}" for g in ("large_metro", "nonmetro")} <= labels
            tidy = run.results[main].tidy()
            pre = tidy.loc[tidy["term"] == "pretrend_wald"]
            assert len(pre) == 1 and math.isfinite(float(pre["p_value"].iloc[0]))
            term = "att"
        tidy = run.results[main].tidy()
        row = tidy.loc[tidy["term"] == term].iloc[0]
        assert math.isfinite(row["estimate"]) and row["ci_low"] <= row["estimate"] <= row["ci_high"]


def test_county_series_missing_warehouse(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="warehouse not found"):
        county_series(tmp_path / "none.duckdb", "06037")
