"""Warehouse queries -> analysis frames for the studies (all data access of the studies lives here).

Each *frame builder* takes an open DuckDB connection and keyword-only study parameters and returns
a :class:`Frame`: a pandas DataFrame plus metadata (unit of analysis, years, data vintages, rules
applied, rows dropped and why). Column names of warehouse tables are looked up through
:data:`COLUMNS` (first candidate present wins), so a renamed warehouse column is a one-line fix.

Builders are registered in :data:`FRAMES` (analysis frames) and :data:`DESCRIPTIVES` (descriptive
series, returning a table plus named statistics that claims can test).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from sanctuary_lab.core.errors import SpecError


class DataUnavailable(Exception):
    """The warehouse lacks a table or column a study needs; the message says which and why."""


@dataclass
class Frame:
    """An analysis frame and how it was made."""

    data: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)


#: logical name -> candidate column names in the warehouse table (first present wins)
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "counties": {
        "fips": ("fips",),
        "state": ("state", "state_abbr"),
        "nchs": ("nchs_class", "nchs_code", "nchs_2013", "nchs_urban_rural_2013", "ur_code_2013"),
    },
    "county_covariates": {
        "fips": ("fips",),
        "vintage": ("vintage",),
        "population": ("population", "total_pop"),
        "pct_hispanic": ("pct_hispanic",),
        "pct_black": ("pct_black",),
        "pct_foreign_born": ("pct_foreign_born",),
        "median_household_income": ("median_household_income", "median_income"),
        "poverty_rate": ("poverty_rate", "pct_poverty"),
        "unemployment_rate": ("unemployment_rate", "pct_unemployed"),
    },
    "county_crime": {
        "fips": ("fips",),
        "year": ("year",),
        "series": ("series",),
        "violent_count": ("violent_count", "violent"),
        "property_count": ("property_count", "property"),
        "violent_rate": ("violent_rate_100k", "violent_per_100k", "violent_crime_rate"),
        "property_rate": ("property_rate_100k", "property_per_100k", "property_crime_rate"),
        "population": ("population",),
        "reporting": ("reporting",),
        "quality": ("quality_flag", "crime_rate_quality", "quality"),
    },
    "state_crime": {
        "state": ("state", "state_abbr"),
        "year": ("year",),
        "population": ("population",),
        "violent": ("violent_count", "violent_crime", "violent"),
        "property": ("property_count", "property_crime", "property"),
    },
    "city_crime": {
        "ori": ("ori", "ORI"),
        "name": ("department_name", "name", "city"),
        "year": ("year",),
        "violent": ("violent_count", "violent_crime", "violent"),
        "population": ("population", "total_pop"),
        "months": ("months_reported",),
        "source": ("source",),
    },
    "policy_sc_coverage": {
        "state": ("state", "state_abbr"),
        "year": ("year",),
        "sc": ("sc_frac", "sc_share", "SC_frac"),
    },
    "county_year_287g": {
        "fips": ("fips",),
        "year": ("year",),
        "any": ("any_287g",),
        "known": ("known",),
        "county_jail": ("county_jail_287g",),
        "county_jail_first_year": ("county_jail_first_year",),
        "county_jail_end_year": ("county_jail_end_year",),
    },
    "policy_287g": {
        "ori": ("ori",),
        "cohort_year": ("cohort_year",),
        "end_year": ("end_year",),
        "jurisdiction": ("jurisdiction",),
    },
    "county_detainer_declines": {
        "fips": ("fips",),
        "n_detainers": ("n_detainers",),
        "n_declined": ("n_declined",),
        "quality": ("match_quality", "match_confidence", "quality"),
    },
    "ice_aor": {"fips": ("fips",), "aor": ("aor",)},
    "stg_aor_demog": {
        "aor": ("aor",),
        "year": ("year",),
        "total_pop": ("total_pop",),
        "forborn_pop": ("forborn_pop",),
        "undocu_pop": ("undocu_pop",),
    },
    "agencies": {
        "ori": ("ori7", "ori"),
        "fips": ("fips", "county_fips", "primary_fips"),
    },
}


def tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Names of the tables in the warehouse."""
    return {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }


def load(
    con: duckdb.DuckDBPyConnection, table: str, need: list[str], optional: list[str] | None = None
) -> pd.DataFrame:
    """Read ``table`` with its columns renamed to the logical names in :data:`COLUMNS`.

    Raises
    ------
    DataUnavailable
        The table or a needed column is missing (message lists what is there).
    """
    if table not in tables(con):
        raise DataUnavailable(
            f"warehouse has no table {table!r}; rebuild with `sanctuary-lab build`"
        )
    df = con.execute(f'SELECT * FROM "{table}"').df()
    mapping = COLUMNS[table]
    out = {}
    for logical in list(need) + list(optional or []):
        found = next((c for c in mapping[logical] if c in df.columns), None)
        if found is None:
            if logical in need:
                raise DataUnavailable(
                    f"table {table!r} has no column for {logical!r} (tried {list(mapping[logical])}); "
                    f"columns: {list(df.columns)}"
                )
            continue
        out[logical] = df[found]
    return pd.DataFrame(out)


def build_info(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Warehouse version, build time and raw folder (the raw files' sha256 are in ``provenance``)."""
    info: dict[str, Any] = {}
    names = tables(con)
    if "build_info" in names:
        row = con.execute("SELECT * FROM build_info").df()
        if not row.empty:
            info.update({k: str(v) for k, v in row.iloc[0].items()})
    if "provenance" in names:
        row_n = con.execute("SELECT count(*) FROM provenance").fetchone()
        info["n_raw_files"] = int(row_n[0]) if row_n else 0
    return info


def num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype(float)


def covariates(con: duckdb.DuckDBPyConnection, vintage: str, columns: list[str]) -> pd.DataFrame:
    cov = load(con, "county_covariates", ["fips", "vintage"], columns)
    vintages = sorted(cov["vintage"].dropna().unique())
    if vintage not in vintages:
        raise SpecError(
            f"covariate vintage {vintage!r} not in the warehouse; choose one of {vintages}"
        )
    sub = cov.loc[cov["vintage"] == vintage].drop(columns="vintage")
    for c in columns:
        if c not in sub:
            raise DataUnavailable(f"county_covariates vintage {vintage!r} has no column {c!r}")
        sub[c] = num(sub[c])
    return sub.drop_duplicates("fips")


def frames() -> dict[str, Callable[..., Frame]]:
    """Analysis-frame builders by name (the builder modules import the helpers above)."""
    from sanctuary_lab.studies.frames_arrests import (
        county_arrests_287g,
        county_offenses_287g,
        county_offenses_sc,
    )
    from sanctuary_lab.studies.frames_county import county_cross_section, county_panel_287g
    from sanctuary_lab.studies.frames_economic import (
        county_acs_long_difference,
        county_population_panel,
        county_unemployment_panel,
    )
    from sanctuary_lab.studies.frames_panel import (
        aor_immigrant_panel,
        city_panel,
        state_immigrant_panel,
        state_panel,
    )

    return {
        "county_cross_section": county_cross_section,
        "county_panel_287g": county_panel_287g,
        "county_arrests_287g": county_arrests_287g,
        "county_offenses_sc": county_offenses_sc,
        "county_offenses_287g": county_offenses_287g,
        "state_panel": state_panel,
        "city_panel": city_panel,
        "state_immigrant_panel": state_immigrant_panel,
        "aor_immigrant_panel": aor_immigrant_panel,
        "county_unemployment_panel": county_unemployment_panel,
        "county_population_panel": county_population_panel,
        "county_acs_long_difference": county_acs_long_difference,
    }


def __getattr__(name: str) -> Any:
    """``FRAMES``, ``DESCRIPTIVES`` and the builders by name, imported lazily (no import cycle)."""
    if name.startswith("__"):  # import machinery probes (e.g. __path__)
        raise AttributeError(name)
    if name == "FRAMES":
        return frames()
    if name == "DESCRIPTIVES":
        from sanctuary_lab.studies.descriptive import DESCRIPTIVES

        return DESCRIPTIVES
    builders = frames()
    if name in builders:  # e.g. ``from sanctuary_lab.studies.data import state_panel``
        return builders[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["COLUMNS", "DataUnavailable", "Frame", "frames", "load"]
