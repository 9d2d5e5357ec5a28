"""Policy final tables in the warehouse built from the real data (session ``warehouse`` fixture)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from sanctuary_lab.warehouse._policy_detainers import state_hint
from sanctuary_lab.warehouse._policy_geo import agency_key
from sanctuary_lab.warehouse.quality import quality


@pytest.fixture(scope="module")
def con(warehouse: Path):
    c = duckdb.connect(str(warehouse), read_only=True)
    yield c
    c.close()


def one(con, sql: str):
    return con.execute(sql).fetchone()


# --- agencies ---------------------------------------------------------------------------------


def test_agencies_ori_to_county(con, warehouse: Path) -> None:
    assert one(con, "SELECT count(*), count(DISTINCT ori) FROM agencies") == (18_456, 18_456)
    assert one(con, "SELECT fips FROM agencies WHERE ori = 'AL0310000'") == ("01055",)
    assert one(con, "SELECT fips FROM agencies WHERE ori = 'AK0010100'") == ("02020",)
    # multi-county agency: the most populous listed county is primary; first listed kept too
    row = one(
        con,
        "SELECT county_name, fips, fips_first_listed, fips_list, n_counties FROM agencies WHERE ori = 'AL0010200'",
    )
    assert row == ("JEFFERSON", "01073", "01117", "01117; 01073", 2)
    # the FBI order is not principal-first: Dallas PD lists Rockwall first
    assert one(con, "SELECT fips, fips_first_listed FROM agencies WHERE ori = 'TXDPD0000'") == (
        "48113",
        "48397",
    )
    # agencies without a county name are kept (no county), never dropped
    assert (
        one(
            con,
            "SELECT count(*) FROM agencies WHERE county_names IS NULL AND county_match = 'no county'",
        )[0]
        > 400
    )
    unmatched = one(
        con, "SELECT count(*) FROM agencies WHERE county_names IS NOT NULL AND fips IS NULL"
    )[0]
    checks = {c["check"]: c for c in quality(warehouse)["coverage"]}
    label = "FBI agencies with a county name matched to a county FIPS / agencies with a county name"
    assert checks[label]["denominator"] - checks[label]["numerator"] == unmatched


# --- 287(g) -----------------------------------------------------------------------------------


def test_policy_287g_dedup_and_fixes(con) -> None:
    p = con.execute("SELECT * FROM policy_287g").df()
    assert p["agreement_id"].is_unique
    # Washington County AR: the Utah code is gone
    wash = p[(p["state"] == "AR") & (p["agency_key"] == "WASHINGTON COUNTY SHERIFF")]
    assert wash["fips"].tolist() == ["05143"] and wash["fips_list"].tolist() == ["05143"]
    # duplicate spellings collapse: AZ DOC, Harford/Hartford MD
    assert (p["agency_key"] == "ARIZONA DEPARTMENT OF CORRECTIONS").sum() == 1
    md = p[(p["state"] == "MD") & (p["fips"] == "24025") & (p["agency_kind"] == "sheriff")]
    assert len(md) == 1 and "ddp_pre2018" in md["sources"].iloc[0]
    # no URL left in agency names; sources and n_sources agree
    assert not p["agency"].str.contains("http", case=False).any()
    assert (p["sources"].str.split("; ").str.len() == p["n_sources"]).all()
    assert set(p["confidence"]) <= {"high", "medium", "low"}
    assert set(p["model"]) <= {"jail", "task_force", "warrant_service", "multiple", "unknown"}
    etowah = p[p["agency_key"] == "ETOWAH COUNTY SHERIFF"].iloc[0]
    assert (etowah["fips"], etowah["ori"], etowah["state"]) == ("01055", "AL0310000", "AL")
    assert etowah["first_signed"] == pd.Timestamp("2008-07-08")
    # every source contributed
    srcs = set("; ".join(p["sources"]).split("; "))
    assert srcs == {
        "ddp_pre2018",
        "wapo_2019",
        "ice_lists_2007_08",
        "ice_sheet_2024",
        "ice_snapshots_2025",
        "ice_moa",
    }


def test_policy_287g_state_agencies_not_counties(con) -> None:
    juris = dict(
        con.execute(
            "SELECT agency_key, jurisdiction FROM policy_287g WHERE state IN ('KS', 'MA', 'AZ')"
        ).fetchall()
    )
    assert (
        juris["KANSAS BUREAU OF INVESTIGATION"] == "statewide"
    )  # FBI list places it in Shawnee Co.
    assert juris["ARIZONA DEPARTMENT OF CORRECTIONS"] == "statewide"
    assert juris["BARNSTABLE COUNTY SHERIFF"] == "local"
    # a statewide agreement never makes its headquarters county exposed
    n = one(
        con,
        "SELECT count(*) FROM county_year_287g c JOIN policy_287g p ON c.fips = p.fips "
        "WHERE p.jurisdiction = 'statewide' AND c.year = 2025 AND c.any_287g = 1 AND NOT EXISTS ("
        "SELECT 1 FROM policy_287g q WHERE q.fips = c.fips AND q.jurisdiction = 'local' "
        "AND list_contains(string_split(q.active_years, ', '), '2025'))",
    )
    assert n == (0,)


def test_policy_287g_still_active_is_not_ended(con) -> None:
    # DDP active_to 2017-08-01 means "on the last roster"; it must never become an end date
    assert one(con, "SELECT count(*) FROM policy_287g WHERE end_date = DATE '2017-08-01'") == (0,)
    # Los Angeles County Sheriff: terminated 2015-03-31 per DDP rosters
    row = one(
        con, "SELECT end_date FROM policy_287g WHERE fips = '06037' AND agency_kind = 'sheriff'"
    )
    assert pd.Timestamp(row[0]) == pd.Timestamp("2015-03-31")


def test_county_year_287g(con) -> None:
    cy = con.execute("SELECT * FROM county_year_287g").df()
    assert cy[["fips", "year"]].duplicated().sum() == 0
    assert (cy["year"].min(), cy["year"].max()) == (2002, 2026)
    assert (cy["known"] == cy["any_287g"].notna()).all()
    # gap years: no zeros are invented where the sources cannot say
    gap = cy[cy["year"].between(2018, 2023)]
    assert (gap["any_287g"].dropna() == 1).all() and (~gap["known"]).sum() > 0
    assert cy.loc[cy["year"].between(2005, 2017), "known"].all()
    mar = cy[cy["fips"] == "04013"].set_index("year")
    assert mar.loc[2008, "any_287g"] == 1 and mar.loc[2008, "jail"]
    assert mar["first_year"].iloc[0] == mar.index[mar["any_287g"] == 1].min()
    # Washington County UT is not exposed through the AR agreement's wrong FIPS before 2008
    ut = cy[(cy["fips"] == "49053") & (cy["year"] == 2007)]
    assert ut["any_287g"].iloc[0] == 0
    # the exposure table agrees with the agreement table for one county-year
    n = one(
        con,
        "SELECT count(*) FROM policy_287g WHERE fips = '04013' AND jurisdiction <> 'statewide' "
        "AND list_contains(string_split(active_years, ', '), '2010')",
    )[0]
    assert mar.loc[2010, "n_agreements"] == n


# Memorandum signing dates (DDP's signing dates, from CRS RL32270 App. A) and end dates
# (DDP rosters, terminated); the data's own values, asserted through the warehouse.
SIGNING_COHORTS = {
    ("AZ", "04013"): (2007, 2013),  # Maricopa, signed 2007-02-07 (FY window 2006-10-01), ended 2013
    ("NC", "37119"): (2006, None),  # Mecklenburg, 2006-02-27
    ("NC", "37071"): (2007, None),  # Gaston, 2007-02-22
    ("NC", "37001"): (2007, None),  # Alamance, 2007-01-10
    ("TN", "47037"): (2007, None),  # Davidson, 2007-02-21 (WaPo flags 2005)
    ("NC", "37183"): (2008, None),  # Wake, 2008-06-25
    ("CA", "06037"): (2005, 2015),  # LA County, 2005-02-01, terminated 2015-03-31
    ("TX", "48201"): (2008, 2017),  # Harris, 2008-07-20, terminated 2017-01-29
}


def test_287g_cohort_is_the_signing_year(con) -> None:
    for (state, fips), (cohort, end) in SIGNING_COHORTS.items():
        row = one(
            con,
            "SELECT cohort_year, end_year, date_basis, model FROM policy_287g "
            f"WHERE state = '{state}' AND fips = '{fips}' AND agency_kind = 'sheriff'",
        )
        assert row[0] == cohort, (state, fips, row)
        assert (row[1] if row[1] is not None else None) == end, (state, fips, row)
        assert row[2].startswith("memorandum signing date"), row
        assert row[3] in {"jail", "multiple"}
        # the county-year table starts exposure in the signing year (not the FY window)
        first, jail_first, jail_end = one(
            con,
            "SELECT min(first_year), min(county_jail_first_year), min(county_jail_end_year) "
            f"FROM county_year_287g WHERE fips = '{fips}'",
        )
        assert (first, jail_first) == (cohort, cohort), (fips, first, jail_first)
        assert jail_end == end
    # exposure stops after the end year: LA County 2016-2017 are not exposed by the Sheriff
    la = dict(
        con.execute(
            "SELECT year, county_jail_287g FROM county_year_287g "
            "WHERE fips = '06037' AND year BETWEEN 2014 AND 2017"
        ).fetchall()
    )
    assert la[2015] == 1 and la[2016] == 0 and la[2017] == 0


def test_287g_fallback_dates_are_labelled(con) -> None:
    p = con.execute("SELECT cohort_year, cohort_date, date_basis FROM policy_287g").df()
    dated = p[p["cohort_year"].notna()]
    assert dated["date_basis"].notna().all()
    signed = dated["date_basis"].str.startswith("memorandum signing date")
    fallback = dated["date_basis"].str.startswith("fallback")
    # a fallback never claims a signing date; a signing date always has a day
    assert not (signed & fallback).any()
    assert dated.loc[signed, "cohort_date"].notna().all()
    years = pd.to_datetime(dated.loc[signed, "cohort_date"]).dt.year
    assert (years == dated.loc[signed, "cohort_year"]).all()


def test_287g_date_conflicts_listed_not_resolved(con, warehouse: Path) -> None:
    c = con.execute("SELECT * FROM policy_287g_date_conflicts").df()
    dav = c[(c["state"] == "TN") & (c["fips"] == "47037") & (c["field"] == "start")]
    # WaPo's 2005 flag and DDP's FY-2007 window both disagree with the 2007 signing year
    assert set(zip(dav["source"], dav["source_year"], strict=True)) >= {
        ("wapo_2019", 2005),
        ("ddp_pre2018", 2006),
    }
    assert (dav["chosen_year"] == 2007).all()
    chosen = c[c["chosen_year"].notna()]
    assert (chosen["source_year"] - chosen["chosen_year"] == chosen["years_apart"]).all()
    assert (c["years_apart"] != 0).all()
    # DDP says Davidson's agreement was terminated in 2013; WaPo flags it active to 2019: listed
    dav_end = c[(c["fips"] == "47037") & (c["field"] == "end")]
    assert ("wapo_2019", 2019) in set(zip(dav_end["source"], dav_end["source_year"], strict=True))
    q = quality(warehouse)
    assert len(q["lists"]["287g_date_conflicts"]["rows"]) == len(c)


def test_no_city_police_treated_by_a_neighbours_agreement(warehouse: Path) -> None:
    from sanctuary_lab.studies.frames.panel import city_panel

    c = duckdb.connect(str(warehouse), read_only=True)
    try:
        own = city_panel(c, policy="287g", first_year=1995, last_year=2015).data
        alt = city_panel(
            c, policy="287g", exposure="county_jail", first_year=1995, last_year=2015
        ).data
        agreements = c.execute(
            "SELECT DISTINCT substr(ori, 1, 7) FROM policy_287g "
            "WHERE ori IS NOT NULL AND cohort_year IS NOT NULL "
            "AND jurisdiction IS DISTINCT FROM 'statewide'"
        ).fetchall()
    finally:
        c.close()
    own_oris = {r[0] for r in agreements}
    treated = set(own.loc[own["cohort"] > 0, "ori"])
    # default: only agencies with their own agreement; LAPD, Long Beach, Dallas are not treated
    assert treated <= own_oris and treated
    assert not treated & {"CA01942", "CA01941", "TXDPD00"}
    la = own[own["ori"] == "CA01900"].set_index("year")
    assert la.loc[2005, "treated"] == 1 and la.loc[2004, "treated"] == 0
    assert la["cohort"].iloc[0] == 2005
    phx = own[own["ori"] == "AZ00723"].set_index("year")
    assert phx.loc[2013, "treated"] == 1 and phx.loc[2014, "treated"] == 0  # ended 2013
    # the declared alternative reaches LAPD through the Sheriff's jail agreement
    lapd = alt[alt["ori"] == "CA01942"].set_index("year")
    assert lapd["cohort"].iloc[0] == 2005
    assert lapd.loc[2004, "treated"] == 0 and lapd.loc[2005, "treated"] == 1


# --- Secure Communities -----------------------------------------------------------------------


def test_sc_state_coverage_is_population_weighted(con) -> None:
    got = one(
        con, "SELECT sc_frac, population FROM policy_sc_coverage WHERE state = 'CA' AND year = 2010"
    )
    want = one(
        con,
        "SELECT sum(p.sc_frac * s.pop10) / sum(s.pop10), sum(s.pop10) FROM stg_sc_287g_cpuma p "
        "JOIN stg_cpuma_summary s USING (cpuma0010) WHERE s.state = 'CA' AND p.year = 2010",
    )
    assert got[0] == pytest.approx(want[0]) and got[1] == pytest.approx(want[1])
    # 2005 weights interpolate halfway between the 2000 and 2010 Census counts
    w = one(
        con, "SELECT population FROM policy_sc_coverage_cpuma WHERE cpuma0010 = 1 AND year = 2005"
    )[0]
    assert w == pytest.approx((755637 + 800683) / 2)
    assert one(con, "SELECT max(sc_frac) FROM policy_sc_coverage WHERE year = 2015") == (0.0,)
    assert one(con, "SELECT min(sc_frac) FROM policy_sc_coverage WHERE year = 2014")[0] > 0.99
    assert one(
        con, "SELECT count(DISTINCT state), count(DISTINCT year) FROM policy_sc_coverage"
    ) == (51, 16)


# --- detainers --------------------------------------------------------------------------------


def test_detainer_national_tables(con) -> None:
    assert one(
        con,
        "SELECT count FROM detainers_national_by_reason WHERE year = 2014 AND lift_reason = 'Detainer Declined by LEA'",
    ) == (13_595,)
    assert one(con, "SELECT count FROM detainers_national_by_year WHERE year = 2011") == (314_966,)
    assert one(con, "SELECT count(*) FROM detainers_national_by_month") == (94,)


def test_detainer_facility_county_keeps_every_facility(con) -> None:
    n_fac = one(
        con,
        "SELECT count(*) FROM (SELECT DISTINCT facility, public FROM detainer_outcomes WHERE facility IS NOT NULL)",
    )
    assert one(con, "SELECT count(*) FROM detainer_facility_county") == n_fac
    assert one(con, "SELECT count(*) FROM detainer_facility_county WHERE public") == (3_961,)
    assert one(con, "SELECT sum(count) FROM detainer_outcomes WHERE public") == (1_789_251,)
    assert set(con.execute("SELECT DISTINCT match_confidence FROM detainer_facility_county").df().iloc[:, 0]) <= {
        "high", "medium", "low", "none",
    }  # fmt: skip
    # no FIPS without a method; unmatched rows say why
    assert one(
        con,
        "SELECT count(*) FROM detainer_facility_county WHERE (fips IS NULL) <> (match_confidence = 'none')",
    ) == (0,)
    f = (
        con.execute("SELECT facility, fips, match_confidence FROM detainer_facility_county")
        .df()
        .set_index("facility")
    )
    assert tuple(f.loc["STEELE CO. JAIL, MN"]) == ("27147", "high")
    assert tuple(f.loc["BERKS COUNTY JAIL, PA"]) == ("42011", "high")
    # 12 Polk counties, none with 3x the foreign-born population of the next: left unmatched
    assert f.loc["POLK COUNTY JAIL", "match_confidence"] == "none"
    # explicit rules (issue #16): city police, county jails, detention centres
    assert tuple(f.loc["NYC POLICE DEPARTMENT"]) == ("36061", "medium")
    assert tuple(f.loc["QUEENS CENTRAL BOOKING"]) == ("36081", "high")
    assert tuple(f.loc["PHILADELPHIA 1ST POLICE DIST."]) == ("42101", "high")
    assert tuple(f.loc["COOK COUNTY JAIL"]) == ("17031", "medium")  # >= 10x the population
    assert tuple(f.loc["CLARK COUNTY DET.CENTER"]) == ("32003", "low")  # foreign-born rule
    assert tuple(f.loc["HOUSTON POLICE DEPT."]) == ("48201", "low")
    custody = dict(con.execute("SELECT facility, custody FROM detainer_facility_county").fetchall())
    assert custody["OTHER-OTHER FACILITY"] == "unknown"
    assert custody["ASPC ALHAMBRA"] == "state_prison"
    assert custody["TAFT FED.CORR.INST."] == "federal"
    assert custody["COOK COUNTY JAIL"] == "local"


def test_detainer_match_rate_and_unmatched_list_in_quality(con, warehouse: Path) -> None:
    q = quality(warehouse)
    checks = {c["check"]: c for c in q["coverage"]}
    rate = next(c for label, c in checks.items() if label.startswith("DETAINER MATCH RATE"))
    local = one(
        con,
        "SELECT sum(n_detainers) FILTER (WHERE fips IS NOT NULL), sum(n_detainers) "
        "FROM detainer_facility_county WHERE custody = 'local'",
    )
    assert (rate["numerator"], rate["denominator"]) == local
    assert rate["share"] >= 0.80
    unmatched = q["lists"]["detainer_unmatched"]["rows"]
    n_unmatched = one(con, "SELECT count(*) FROM detainer_facility_county WHERE fips IS NULL")[0]
    assert len(unmatched) == n_unmatched
    assert unmatched[0]["facility"] == "OTHER-OTHER FACILITY"  # the largest unmatched bucket
    sizes = [r["n_detainers"] for r in unmatched]
    assert sizes == sorted(sizes, reverse=True)


def test_county_detainer_declines(con) -> None:
    d = con.execute("SELECT * FROM county_detainer_declines").df()
    assert d["fips"].is_unique and d["share_declined"].between(0, 1).all()
    tot = one(
        con,
        "SELECT sum(n_detainers), sum(n_declined), count(*) FROM detainer_facility_county "
        "WHERE public AND fips IS NOT NULL AND match_confidence IN ('high', 'medium')",
    )
    assert (
        int(d["n_detainers"].sum()),
        int(d["n_declined"].sum()),
        int(d["n_facilities"].sum()),
    ) == tot
    berks = d[d["fips"] == "42011"].iloc[0]
    assert berks["share_declined"] == pytest.approx(berks["n_declined"] / berks["n_detainers"])


def test_state_hint_patterns() -> None:
    assert state_hint("BERKS COUNTY JAIL, PA") == "PA"
    assert state_hint("ADAMS CO JAIL, NEBRASKA") == "NE"
    assert state_hint("MOBILE CITY JAIL, ALA") == "AL"
    assert state_hint("US MARSHALS SDTX") == "TX"
    assert state_hint("MECKLENBURG (NC) CO JAIL") == "NC"
    assert state_hint("ADAMS CO") is None  # CO here means county, not Colorado


def test_agency_key_spellings() -> None:
    assert agency_key("AZ Department of Corrections", "AZ") == agency_key(
        "Arizona Department of Corrections"
    )
    assert agency_key("colbert county sheriff") == agency_key("Colbert County Sheriff's Office")
    assert agency_key("City of Mesa Police Department") == agency_key("Mesa Police Dept.")


# --- AOR and quality --------------------------------------------------------------------------


def test_ice_aor(con) -> None:
    assert one(con, "SELECT count(*), count(DISTINCT fips), count(DISTINCT aor) FROM ice_aor") == (
        3_223,
        3_223,
        24,
    )
    assert one(con, "SELECT aor FROM ice_aor WHERE fips = '01001'") == ("NOL",)
    assert one(con, "SELECT count(*) FROM ice_aor WHERE field_office_addr IS NULL") == (0,)
    assert one(con, "SELECT count(*) FROM stg_aor_demog") == (192,)


def test_policy_quality_checks_and_caveats(warehouse: Path) -> None:
    q = quality(warehouse)
    labels = {c["check"]: c for c in q["coverage"]}
    fac = labels["detainer facilities matched to a county (any confidence) / all named facilities"]
    assert fac["denominator"] == 4_008 and 0 < fac["numerator"] < fac["denominator"]
    det = labels[
        "detainers at facilities matched to a county (any confidence) / all detainers (incl. blank facility)"
    ]
    assert det["denominator"] == 1_789_251 + 25_577
    srcs = {c["source"] for c in q["caveats"]}
    assert {
        "wapo_287g_sheriffs", "policy-287g-pre2018-ddp", "policy-287g-2024-2026",
        "policy-sc-287g-cpuma-east2022", "ice-detainer-outcomes-npr", "ice-aor-crosswalks",
    } <= srcs  # fmt: skip
    rej = {(r["source"], r["file"]) for r in q["rejected_by_reason"]}
    assert ("policy-287g-pre2018-ddp", "pre2018-agreements-best-guess.csv") in rej
