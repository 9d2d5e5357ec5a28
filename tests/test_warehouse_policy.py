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
    assert f.loc["MONTGOMERY COUNTY JAIL", "match_confidence"] == "none"  # 18 Montgomery counties


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
