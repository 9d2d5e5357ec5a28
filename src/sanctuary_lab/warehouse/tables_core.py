"""Core final tables: geography, covariates and crime (built first).

Tables
------
counties
    fips, name, state (2-letter), state_fips, state_name, nchs_code (1-6), nchs_label, ...
county_population
    fips, year, population, source (long; every source that has a county population).
county_covariates
    fips, vintage, source, population, pct_hispanic, pct_black, pct_white_nonhispanic,
    pct_foreign_born, median_household_income, per_capita_income, poverty_rate,
    unemployment_rate, pct_age_under5, pct_age_under18, pct_age_65plus (long by vintage).
county_unemployment
    fips, year, unemployment_rate (BLS LAUS via usdata), source.
county_crime
    fips, year, series ('ucr_part1' | 'nibrs'), source, offence counts, violent, property and
    Part I (violent + property) counts, population (+ population_year), rates per 100k and
    10k, coverage (NACJD COVIND),
    quality (Urban 1-3), quality_flag, reporting ('full' | 'partial' | 'none').
state_crime
    one primary row per state-year (see :func:`_core_crime.state_crime`).
city_crime
    agency (ORI) x year violent crime, 1975-2015.
national_crime
    national UCR totals by year and source.
"""

from __future__ import annotations

import pandas as pd

from sanctuary_lab.warehouse import _core_crime, _core_geo


def derive(
    staged: dict[str, pd.DataFrame], final: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """Build the core final tables from the staged source tables."""
    return {
        "counties": _core_geo.counties(staged),
        "county_population": _core_geo.county_population(staged),
        "county_covariates": _core_geo.county_covariates(staged),
        "county_unemployment": _core_geo.county_unemployment(staged),
        "county_crime": _core_crime.county_crime(staged),
        "state_crime": _core_crime.state_crime(staged),
        "city_crime": _core_crime.city_crime(staged),
        "national_crime": _core_crime.national_crime(staged),
    }


_MAP_FILE = "counties-10m.json"

QUALITY_CHECKS = [
    (
        "crime counties with covariates (any vintage) / crime counties",
        "SELECT count(DISTINCT fips) FILTER (WHERE fips IN (SELECT fips FROM county_covariates)), "
        "count(DISTINCT fips) FROM county_crime",
    ),
    (
        "crime counties with an NCHS 2013 urban-rural class / crime counties",
        "SELECT count(DISTINCT c.fips) FILTER (WHERE k.nchs_code IS NOT NULL), count(DISTINCT c.fips) "
        "FROM county_crime c LEFT JOIN counties k USING (fips)",
    ),
    (
        "NACJD county rows reporting (COVIND > 0 and not all-zero) / all NACJD county rows",
        "SELECT count(*) FILTER (WHERE reporting <> 'none'), count(*) FROM county_crime "
        "WHERE source = 'nacjd_county'",
    ),
    (
        "NACJD county rows with full coverage (COVIND 100, not all-zero) / all NACJD county rows",
        "SELECT count(*) FILTER (WHERE reporting = 'full'), count(*) FROM county_crime "
        "WHERE source = 'nacjd_county'",
    ),
    (
        "Urban UCR 2015/2017 county-years with quality 1 or 2 / all",
        "SELECT count(*) FILTER (WHERE quality IN (1, 2)), count(*) FROM county_crime "
        "WHERE source = 'urban_institute_ucr'",
    ),
    (
        "Urban NIBRS county-years with a rate / all",
        "SELECT count(*) FILTER (WHERE reporting <> 'none'), count(*) FROM county_crime "
        "WHERE series = 'nibrs'",
    ),
    (
        "counties (states + DC) with a map geometry in counties-10m.json / counties",
        "SELECT count(*) FILTER (WHERE fips IN (SELECT geo_id FROM stg_topojson_geometries "
        f"WHERE file = '{_MAP_FILE}' AND level = 'county')), count(*) FROM counties WHERE state <> 'PR'",
    ),
    (
        "counties (states + DC) with a Census 2010-2019 population estimate / counties",
        "SELECT count(*) FILTER (WHERE fips IN (SELECT fips FROM county_population "
        "WHERE source = 'census_popest_v2019')), count(*) FROM counties WHERE state <> 'PR'",
    ),
    (
        "state-years in state_crime from SRS estimates (not NIBRS) / all state-years",
        "SELECT count(*) FILTER (WHERE series = 'ucr_part1'), count(*) FROM state_crime",
    ),
    (
        "city agency-years with 12 months reported / all agency-years",
        "SELECT count(*) FILTER (WHERE reporting = 'full'), count(*) FROM city_crime",
    ),
]

QUALITY_LISTS: list[tuple[str, str, str]] = []
