"""One county's economic series for the report's explorer: unemployment, population, net
international migration, ACS income/poverty by vintage, and 287(g) coverage by year.

:func:`county_series` reads the warehouse only (never the raw files) and returns tidy pandas
DataFrames, one per series, each with the source it came from.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.studies.frames.economic import ACS_VINTAGES, COHORT_287G_COLUMN, LAUS_YEARS
from sanctuary_lab.warehouse.db import open_warehouse, table_names

_FIPS = re.compile(r"\d{5}")


def _query(con: duckdb.DuckDBPyConnection, table: str, sql: str, fips: str) -> pd.DataFrame:
    if table not in table_names(con):
        return pd.DataFrame()
    return con.execute(sql, [fips]).df()


def county_series(
    warehouse: str | Path | duckdb.DuckDBPyConnection, fips: str
) -> dict[str, pd.DataFrame]:
    """Economic series of one county.

    Parameters
    ----------
    warehouse
        Path of the warehouse file (opened read-only) or an open DuckDB connection.
    fips
        5-digit county FIPS code (string, e.g. ``"06037"``).

    Returns
    -------
    dict of DataFrame
        ``county`` (name, state, NCHS class), ``unemployment`` (year, unemployment_rate, source;
        BLS LAUS years only), ``population`` (year, population, source — every source the
        warehouse holds, not mixed), ``migration`` (popest: year, population,
        net_international_migration, nim_rate per 1,000 of mean(P_t-1, P_t), pop_growth),
        ``acs`` (vintage, first_year, last_year, mid_year, median_household_income,
        poverty_rate, source; ACS 5-year vintages only) and ``policy_287g`` (year, any_287g,
        known, n_agreements, first_year). A series the warehouse lacks is an empty frame.

    Raises
    ------
    SpecError
        ``fips`` is not a 5-digit code, or the warehouse has no such county.
    """
    fips = str(fips).strip()
    if not _FIPS.fullmatch(fips):
        raise SpecError(f"fips must be a 5-digit county code, got {fips!r}")
    own = not isinstance(warehouse, duckdb.DuckDBPyConnection)
    if isinstance(warehouse, duckdb.DuckDBPyConnection):
        con = warehouse
    else:
        con = open_warehouse(Path(warehouse))
    try:
        return _series(con, fips)
    finally:
        if own:
            con.close()


def _series(con: duckdb.DuckDBPyConnection, fips: str) -> dict[str, pd.DataFrame]:
    county = _query(con, "counties", "SELECT * FROM counties WHERE fips = ?", fips)
    if not county.empty:
        county = county.rename(columns={"nchs_code": "nchs_class"})
        keep = ["fips", "name", "state", "nchs_class", "nchs_label"]
        county = county[[c for c in keep if c in county.columns]]
    if county.empty:
        raise SpecError(f"unknown county FIPS {fips!r}: not in the warehouse's counties table")
    lo, hi = LAUS_YEARS
    out: dict[str, pd.DataFrame] = {"county": county}
    out["unemployment"] = _query(
        con,
        "county_unemployment",
        "SELECT year, unemployment_rate, source FROM county_unemployment "
        f"WHERE fips = ? AND year BETWEEN {lo} AND {hi} ORDER BY year",
        fips,
    )
    out["population"] = _query(
        con,
        "county_population",
        "SELECT year, population, source FROM county_population WHERE fips = ? "
        "ORDER BY source, year",
        fips,
    )
    mig = _query(
        con,
        "stg_popest_county",
        "SELECT year, population, net_international_migration FROM stg_popest_county "
        "WHERE fips = ? ORDER BY year",
        fips,
    )
    if not mig.empty:
        prev = mig["population"].shift(1).where(mig["year"].diff() == 1)
        mig["nim_rate"] = (
            mig["net_international_migration"] / ((prev + mig["population"]) / 2) * 1e3
        )
        mig["pop_growth"] = 100 * (np.log(mig["population"]) - np.log(prev))
        mig["source"] = "census_popest_v2019"
    out["migration"] = mig
    acs = _query(
        con,
        "county_covariates",
        "SELECT vintage, median_household_income, poverty_rate, source FROM county_covariates "
        "WHERE fips = ? ORDER BY vintage",
        fips,
    )
    if not acs.empty:
        acs = acs.loc[acs["vintage"].isin(list(ACS_VINTAGES))].copy()
        acs["first_year"] = acs["vintage"].map(lambda v: ACS_VINTAGES[v][0])
        acs["last_year"] = acs["vintage"].map(lambda v: ACS_VINTAGES[v][1])
        acs["mid_year"] = (acs["first_year"] + acs["last_year"]) // 2
        acs = acs.sort_values("last_year").reset_index(drop=True)
        cols = ["vintage", "first_year", "last_year", "mid_year"]
        acs = acs[cols + [c for c in acs.columns if c not in cols]]
    out["acs"] = acs
    out["policy_287g"] = _query(
        con,
        "county_year_287g",
        f'SELECT year, any_287g, known, n_agreements, "{COHORT_287G_COLUMN}" AS first_year '
        "FROM county_year_287g WHERE fips = ? ORDER BY year",
        fips,
    )
    return out
