"""Core final tables in the warehouse built from the real raw data (session fixture)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sanctuary_lab.warehouse import tables_core
from sanctuary_lab.warehouse.quality import quality


@pytest.fixture(scope="module")
def con(warehouse: Path):
    c = duckdb.connect(str(warehouse), read_only=True)
    yield c
    c.close()


def one(con, sql: str):
    return con.execute(sql).fetchone()


def test_counties_keys_names_and_nchs(con) -> None:
    cols = [r[0] for r in con.execute("DESCRIBE counties").fetchall()]
    assert cols[:7] == [
        "fips",
        "name",
        "state",
        "state_fips",
        "state_name",
        "nchs_code",
        "nchs_label",
    ]
    assert one(con, "SELECT count(*) = count(DISTINCT fips) FROM counties")[0]
    assert one(con, "SELECT count(*) FROM counties WHERE nchs_code IS NOT NULL")[0] == 3149
    assert one(con, "SELECT count(*) FROM counties WHERE nchs_code = 1")[0] == 68
    assert one(con, "SELECT name, state, state_fips, nchs_label FROM counties WHERE fips = '01001'") == (
        "Autauga County", "AL", "01", "Medium metro",
    )  # fmt: skip
    # names come from the UTF-8 Census file, not the Latin-1 QuickFacts file
    assert one(con, "SELECT name FROM counties WHERE fips = '35013'")[0] == "Doña Ana County"
    # every county_crime county is a known county
    assert (
        one(con, "SELECT count(*) FROM county_crime WHERE fips NOT IN (SELECT fips FROM counties)")[
            0
        ]
        == 0
    )


def test_county_population_sources(con) -> None:
    assert one(con, "SELECT population FROM county_population WHERE fips = '01001' AND year = 2010 "
                    "AND source = 'census_popest_v2019'")[0] == 54773  # fmt: skip
    assert one(con, "SELECT population FROM county_population WHERE fips = '06037' AND year = 2013 "
                    "AND source = 'nacjd_file_census_jul2013'")[0] == 10017068  # fmt: skip
    assert one(con, "SELECT count(*) FROM (SELECT fips, year, source FROM county_population GROUP BY ALL "
                    "HAVING count(*) > 1)")[0] == 0  # fmt: skip


def test_county_covariates_long_by_vintage(con) -> None:
    vint = dict(
        con.execute("SELECT vintage, count(*) FROM county_covariates GROUP BY vintage").fetchall()
    )
    assert vint == {
        "acs2011_2015": 3220, "acs2013_2017": 3220, "quickfacts2014/acs2009_2013": 3143,
        "usdata_2010": 3142, "usdata_2017": 3142, "acs2015_2019": 3142,
    }  # fmt: skip
    assert one(con, "SELECT count(*) FROM (SELECT fips, vintage FROM county_covariates GROUP BY ALL "
                    "HAVING count(*) > 1)")[0] == 0  # fmt: skip
    # NULL where a vintage lacks a variable
    assert (
        one(
            con,
            "SELECT count(pct_foreign_born) FROM county_covariates WHERE vintage = 'acs2011_2015'",
        )[0]
        == 0
    )
    assert one(con, "SELECT pct_foreign_born FROM county_covariates WHERE fips = '01001' "
                    "AND vintage = 'quickfacts2014/acs2009_2013'")[0] == 1.6  # fmt: skip
    assert (
        one(con, "SELECT count(pct_black) FROM county_covariates WHERE vintage = 'usdata_2017'")[0]
        == 0
    )


def test_county_crime_2012_counts_rates_reporting(con) -> None:
    rows = dict(con.execute("SELECT fips, murder FROM county_crime WHERE year = 2012 AND "
                            "fips IN ('11001', '42101', '22071', '24510')").fetchall())  # fmt: skip
    assert rows == {"11001": 88, "42101": 332, "22071": 193, "24510": 216}
    v, pop, r100, r10 = one(con, "SELECT violent_count, population, violent_rate_100k, violent_rate_10k "
                                 "FROM county_crime WHERE fips = '11001' AND year = 2012")  # fmt: skip
    assert r100 == pytest.approx(v / pop * 1e5) and r10 == pytest.approx(v / pop * 1e4)
    p1, prop, p1r = one(con, "SELECT part1_count, property_count, part1_rate_10k FROM county_crime "
                             "WHERE fips = '11001' AND year = 2012")  # fmt: skip
    assert p1 == v + prop and p1r == pytest.approx((v + prop) / pop * 1e4)
    # all-zero rows with COVIND 100 are non-reporting: counts NULL, not zero
    alcorn = one(con, "SELECT murder, violent_count, violent_rate_100k, coverage, reporting, quality_flag "
                      "FROM county_crime WHERE fips = '28003' AND year = 2012")  # fmt: skip
    assert alcorn == (None, None, None, 100.0, "none", "all_zero_nonreporting")
    rep = dict(con.execute("SELECT reporting, count(*) FROM county_crime WHERE source = 'nacjd_county' "
                           "GROUP BY ALL").fetchall())  # fmt: skip
    assert rep == {"full": 2448, "partial": 602, "none": 86}
    # a real zero stays a zero
    assert (
        one(con, "SELECT count(*) FROM county_crime WHERE source = 'nacjd_county' AND murder = 0")[
            0
        ]
        > 0
    )


def test_county_crime_series_kept_apart(con) -> None:
    got = con.execute("SELECT series, source, list(DISTINCT year ORDER BY year) FROM county_crime "
                      "GROUP BY ALL ORDER BY 2").fetchall()  # fmt: skip
    assert got == [
        ("ucr_part1", "nacjd_county", [2012]),
        ("nibrs", "urban_institute_nibrs", [2021, 2022, 2023]),
        ("ucr_part1", "urban_institute_ucr", [2015, 2017]),
    ]
    assert one(con, "SELECT count(*) FROM (SELECT fips, year, source FROM county_crime GROUP BY ALL "
                    "HAVING count(*) > 1)")[0] == 0  # fmt: skip
    q = dict(con.execute("SELECT quality, count(*) FROM county_crime WHERE source = 'urban_institute_ucr' "
                         "GROUP BY ALL").fetchall())  # fmt: skip
    assert q == {1: 10, 2: 5267, 3: 993, None: 14}
    assert (
        one(con, "SELECT population FROM county_crime WHERE fips = '01001' AND year = 2015")[0]
        > 50000
    )


def test_state_crime_one_primary_row_per_state_year(con) -> None:
    assert one(con, "SELECT count(*) FROM (SELECT state, year FROM state_crime GROUP BY ALL "
                    "HAVING count(*) > 1)")[0] == 0  # fmt: skip
    assert one(con, "SELECT min(year), max(year), count(*) FROM state_crime") == (1961, 2021, 3128)
    by = dict(
        con.execute(
            "SELECT source || '/' || series, count(*) FROM state_crime GROUP BY ALL"
        ).fetchall()
    )
    assert by == {
        "fbi_ucr_data_tool/ucr_part1": 3011,
        "fbi_cde_srs/ucr_part1": 66,
        "fbi_cde_nibrs/nibrs": 51,
    }
    assert one(con, "SELECT min(year) FROM state_crime WHERE series = 'nibrs'")[0] == 2021
    # Alabama 2019: the UCR Data Tool / CIUS estimate (358 murders); NIBRS (4) is never added
    assert one(con, "SELECT murder, source FROM state_crime WHERE state = 'AL' AND year = 2019") == (
        358, "fbi_ucr_data_tool",
    )  # fmt: skip
    # 2020 is not in the UCR Data Tool file: the CDE SRS estimate is used as is
    assert one(con, "SELECT s.murder = c.murder, s.source FROM state_crime s JOIN stg_state_crime_cde c "
                    "USING (state, year) WHERE state = 'AL' AND year = 2020") == (True, "fbi_cde_srs")  # fmt: skip
    m, r, rob, a, v = one(con, "SELECT murder, rape, robbery, agg_assault, violent_count FROM state_crime "
                               "WHERE state = 'CA' AND year = 2000")  # fmt: skip
    assert v == m + r + rob + a


def test_city_and_national_crime(con) -> None:
    assert one(con, "SELECT count(DISTINCT ori), count(*), count(*) FILTER (WHERE ori IS NULL) FROM city_crime") == (
        68, 2788, 0,
    )  # fmt: skip
    assert one(con, "SELECT murder FROM national_crime WHERE source = 'marshall_project_national' "
                    "AND year = 1975")[0] == 20510  # fmt: skip
    assert (
        one(con, "SELECT count(*) FROM national_crime WHERE source = 'usdata_us_crime_rates'")[0]
        == 60
    )
    assert one(con, "SELECT state FROM city_crime WHERE ori = 'NM00101' LIMIT 1")[0] == "NM"


def test_map_geometry_table(con) -> None:
    n = one(con, "SELECT count(*) FROM stg_topojson_geometries WHERE file = 'counties-10m.json' "
                 "AND object = 'counties'")[0]  # fmt: skip
    assert n == 3231


def test_quality_checks_run_and_report_caveats(warehouse: Path) -> None:
    q = quality(warehouse)
    labels = {label for label, _ in tables_core.QUALITY_CHECKS}
    cov = {c["check"]: c for c in q["coverage"] if c["check"] in labels}
    assert set(cov) == labels
    assert all(0 <= c["share"] <= 1 and c["denominator"] > 0 for c in cov.values())
    rep = cov["NACJD county rows reporting (COVIND > 0 and not all-zero) / all NACJD county rows"]
    assert (rep["numerator"], rep["denominator"]) == (3050, 3136)
    srcs = {c["source"] for c in q["caveats"]}
    assert {"county_crime_icpsr_2012", "census_county_facts_2014", "usdata_county_complete",
            "census_popest_county_2010_2019", "state_ucr_classdata"} <= srcs  # fmt: skip


def test_county_unemployment_2019_is_labelled_acs_not_laus(con, raw_dir: Path) -> None:
    """usdata's 2019 county unemployment rate is the ACS 2015-2019 rate (ages 20-64), not LAUS."""
    import pandas as pd

    acs = pd.read_csv(raw_dir / "usdata_county_complete" / "county_2019.csv", dtype={"fips": str})
    acs["fips"] = acs["fips"].str.zfill(5)
    rate = float(acs.loc[acs["fips"] == "04013", "unemployment_rate"].iloc[0])
    row = one(con, "SELECT unemployment_rate, source FROM county_unemployment "
                   "WHERE fips = '04013' AND year = 2019")  # fmt: skip
    assert row[0] == pytest.approx(rate)
    assert row[1] == "acs2015_2019_age20_64_via_usdata"
    sources = {r[0] for r in con.execute(
        "SELECT DISTINCT source FROM county_unemployment WHERE year BETWEEN 2007 AND 2017").fetchall()}  # fmt: skip
    assert sources == {"bls_laus_via_usdata"}
