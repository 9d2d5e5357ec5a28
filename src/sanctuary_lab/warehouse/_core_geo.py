"""Final county tables derived from staged geography and covariate sources (see ``tables_core``).

- ``counties``: one row per county FIPS in any county list (NCHS 2013, Census estimates, ACS).
- ``county_population``: long (fips, year, source) population from every source that has it.
- ``county_covariates``: long (fips, vintage) covariates, NULL where a vintage lacks a variable.
- ``county_unemployment``: BLS LAUS annual unemployment rate by county-year (via usdata).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sanctuary_lab.sources.geo import STATES

#: covariate columns of ``county_covariates`` in order
COVARIATES = [
    "population",
    "pct_hispanic",
    "pct_black",
    "pct_white_nonhispanic",
    "pct_foreign_born",
    "median_household_income",
    "per_capita_income",
    "poverty_rate",
    "unemployment_rate",
    "pct_age_under5",
    "pct_age_under18",
    "pct_age_65plus",
]


def _get(staged: dict[str, pd.DataFrame], name: str) -> pd.DataFrame | None:
    return staged.get(f"stg_{name}")


def counties(staged: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per county FIPS in any county list: fips, name, state (2-letter), state_fips,
    state_name, NCHS class. Names come from, in order: Census estimates, NCHS, ACS, Urban."""
    names: list[pd.DataFrame] = []  # in priority order for the county name
    pop = _get(staged, "popest_county")
    if pop is not None:
        last = pop.sort_values("year").drop_duplicates("fips", keep="last")
        names.append(last[["fips", "county_name"]].assign(name_source="census_popest"))
    nchs = _get(staged, "nchs_urban_rural")
    if nchs is not None:
        names.append(nchs[["fips", "county_name"]].assign(name_source="nchs_2013"))
    acs = _get(staged, "acs_kaggle")
    if acs is not None:
        latest = acs.sort_values("vintage", ascending=False).drop_duplicates("fips")
        names.append(latest[["fips", "county_name"]].assign(name_source="acs_kaggle"))
    urb = _get(staged, "urban_county_population")
    if urb is not None:
        # 2020s geography (CT planning regions, AK 2019 split) appears only here
        latest = urb.sort_values("year").drop_duplicates("fips", keep="last")
        names.append(
            latest[["fips", "county_name"]].assign(name_source="urban_institute_populations")
        )
    if not names:
        return pd.DataFrame(columns=["fips", "name", "state", "state_fips", "state_name"])
    allnames = pd.concat(names, ignore_index=True).dropna(subset=["county_name"])
    out = allnames.drop_duplicates("fips", keep="first").rename(columns={"county_name": "name"})
    out = out[out["fips"].str[2:] != "000"].copy()
    out["state_fips"] = out["fips"].str[:2]
    out["state"] = out["state_fips"].map(lambda s: STATES[s][0])
    out["state_name"] = out["state_fips"].map(lambda s: STATES[s][1])
    if nchs is not None:
        cols = ["fips", "nchs_code", "nchs_label", "nchs_code_2006", "cbsa_title"]
        out = out.merge(nchs[cols], on="fips", how="left")
    else:
        for c in ("nchs_code", "nchs_label", "nchs_code_2006", "cbsa_title"):
            out[c] = pd.NA
    facts = _get(staged, "county_facts_2014")
    if facts is not None:
        out = out.merge(facts[["fips", "land_area_sq_mi"]], on="fips", how="left")
    cols = ["fips", "name", "state", "state_fips", "state_name", "nchs_code", "nchs_label"]
    rest = [c for c in out.columns if c not in cols]
    return out[cols + rest].sort_values("fips").reset_index(drop=True)


def county_population(staged: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Long population table: fips, year, population, source (one row per source-year)."""
    parts = []

    def add(df: pd.DataFrame | None, source: str, year: str | int, col: str = "population") -> None:
        if df is None:
            return
        y = df[year] if isinstance(year, str) else year
        part = pd.DataFrame(
            {"fips": df["fips"], "year": y, "population": df[col], "source": source}
        )
        parts.append(part.dropna(subset=["population"]))

    add(_get(staged, "popest_county"), "census_popest_v2019", "year")
    add(_get(staged, "urban_county_population"), "urban_institute_census_estimates", "year")
    add(_get(staged, "usdata_county_population"), "usdata_county_complete", "year")
    nchs = _get(staged, "nchs_urban_rural")
    add(nchs, "nchs_2013_file", 2012, "county_pop_2012")
    facts = _get(staged, "county_facts_2014")
    add(facts, "census_quickfacts_2014", 2014, "pop_2014")
    add(facts, "census_2010_via_quickfacts", 2010, "pop_2010")
    nacjd = _get(staged, "nacjd_county_crime")
    if nacjd is not None:
        # the Kaggle-added population is the July 2013 Census estimate (see SOURCE.md)
        own = nacjd.dropna(subset=["population_year"]).drop_duplicates(["fips", "population_year"])
        add(own, "nacjd_file_census_jul2013", "population_year")
    if not parts:
        return pd.DataFrame(columns=["fips", "year", "population", "source"])
    out = pd.concat(parts, ignore_index=True)
    out["year"] = out["year"].astype("Int64")
    out["population"] = out["population"].astype("Int64")
    return out


def county_covariates(staged: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Long covariates: one row per fips x vintage; NULL where a vintage lacks a variable."""
    parts = []
    acs = _get(staged, "acs_kaggle")
    if acs is not None:
        parts.append(acs.assign(source="acs_county_2015_2017_kaggle"))
    facts = _get(staged, "county_facts_2014")
    if facts is not None:
        parts.append(
            facts.rename(columns={"pop_2014": "population"}).assign(
                vintage="quickfacts2014/acs2009_2013", source="census_county_facts_2014"
            )
        )
    usd = _get(staged, "usdata_covariates")
    if usd is not None:
        parts.append(usd.assign(source="usdata_county_complete"))
    cols = ["fips", "vintage", "source", *COVARIATES]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat([p.reindex(columns=cols) for p in parts], ignore_index=True)
    for c in COVARIATES:
        out[c] = out[c].astype("Int64" if c == "population" else "float64")
    return out


# usdata's ``unemployment_rate_2019`` is not a LAUS figure: it equals the ACS 2015-2019 5-year
# rate for ages 20-64 (``county_2019.csv``) in every county, so its rows carry that source.
_ACS_UNEMPLOYMENT_YEAR = 2019


def county_unemployment(staged: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Annual county unemployment rate (percent) by year, via usdata: BLS LAUS 2007-2017; the
    2019 value is the ACS 2015-2019 5-year rate (ages 20-64) and is labelled so in ``source``."""
    une = _get(staged, "usdata_unemployment")
    if une is None:
        return pd.DataFrame(columns=["fips", "year", "unemployment_rate", "source"])
    acs = une["year"].astype(int) == _ACS_UNEMPLOYMENT_YEAR
    source = np.where(acs, "acs2015_2019_age20_64_via_usdata", "bls_laus_via_usdata")
    return une.assign(source=source)
