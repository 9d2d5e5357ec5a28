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
import numpy as np
import pandas as pd

from sanctuary_lab.errors import SpecError


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


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype(float)


def _covariates(con: duckdb.DuckDBPyConnection, vintage: str, columns: list[str]) -> pd.DataFrame:
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
        sub[c] = _num(sub[c])
    return sub.drop_duplicates("fips")


# ---------------------------------------------------------------------------------------------
# Analysis frames
# ---------------------------------------------------------------------------------------------


def county_cross_section(
    con: duckdb.DuckDBPyConnection,
    *,
    crime_year: int = 2012,
    crime_series: str = "",
    covariate_vintage: str = "acs2011_2015",
    foreign_born_vintage: str = "",
    decline_threshold: float = 0.0,
    min_detainers: int = 10,
    match_quality: list[str] | None = None,
    full_reporting_only: bool = True,
) -> Frame:
    """Counties with a detainer record, crime per 10,000 and covariates (Wong 2017 design).

    Sanctuary rule: a county is *sanctuary* (``sanctuary = 1``) when the share of the ICE
    detainers issued to its matched jails that ICE recorded as "Detainer Declined by LEA" is
    strictly above ``decline_threshold``; the comparison group is counties with at least
    ``min_detainers`` matched detainers and a share at or below the threshold. Counties without
    a matched facility (or with fewer detainers) are outside the sample: the data cannot say
    whether their jails declined detainers.

    Outcomes: ``crime_per10k`` (violent + property offences per 10,000 residents),
    ``violent_per10k``, ``property_per10k`` from ``county_crime`` in ``crime_year``; economic
    outcomes from ``county_covariates`` in ``covariate_vintage``.
    """
    decl = load(con, "county_detainer_declines", ["fips", "n_detainers", "n_declined"], ["quality"])
    decl["n_detainers"] = _num(decl["n_detainers"])
    decl["n_declined"] = _num(decl["n_declined"])
    n_all = len(decl)
    if match_quality and "quality" in decl:
        decl = decl.loc[decl["quality"].isin(match_quality)]
    decl = decl.loc[decl["n_detainers"] >= min_detainers].copy()
    decl["share_declined"] = decl["n_declined"] / decl["n_detainers"]
    decl["sanctuary"] = (decl["share_declined"] > decline_threshold).astype(int)

    crime = load(
        con,
        "county_crime",
        ["fips", "year"],
        [
            "series",
            "violent_count",
            "property_count",
            "violent_rate",
            "property_rate",
            "population",
            "reporting",
        ],
    )
    crime = crime.loc[_num(crime["year"]) == crime_year]
    if crime_series and "series" in crime:
        crime = crime.loc[crime["series"] == crime_series]
    if crime.empty:
        raise DataUnavailable(f"county_crime has no rows for year {crime_year}")
    if full_reporting_only and "reporting" in crime:
        crime = crime.loc[crime["reporting"].astype(str) == "full"]
    if "violent_count" in crime and "population" in crime and crime["violent_count"].notna().any():
        pop = _num(crime["population"])
        crime["violent_per10k"] = _num(crime["violent_count"]) / pop * 1e4
        crime["property_per10k"] = _num(crime["property_count"]) / pop * 1e4
    else:
        crime["violent_per10k"] = _num(crime["violent_rate"]) / 10
        crime["property_per10k"] = _num(crime["property_rate"]) / 10
    crime["crime_per10k"] = crime["violent_per10k"] + crime["property_per10k"]
    crime = crime[["fips", "crime_per10k", "violent_per10k", "property_per10k"]].drop_duplicates(
        "fips"
    )

    econ = [
        "median_household_income",
        "poverty_rate",
        "unemployment_rate",
        "pct_hispanic",
        "pct_black",
        "population",
    ]
    cov = _covariates(con, covariate_vintage, econ)
    fb_vintage = foreign_born_vintage or covariate_vintage
    fb = _covariates(con, fb_vintage, ["pct_foreign_born"])
    counties = load(con, "counties", ["fips", "state"], ["nchs"])
    flow = {"counties with matched detainer records": n_all}
    df = decl[["fips", "n_detainers", "n_declined", "share_declined", "sanctuary"]]
    flow[f"with >= {min_detainers} detainers (and match quality)"] = len(df)
    df = df.merge(counties, on="fips", how="inner")
    df = df.merge(crime, on="fips", how="inner")
    flow[f"with {'fully reported ' if full_reporting_only else ''}crime in {crime_year}"] = len(df)
    df = df.merge(cov, on="fips", how="inner").merge(fb, on="fips", how="left")
    flow[f"with {covariate_vintage} covariates"] = len(df)
    df["log_population"] = np.log(df["population"].where(df["population"] > 0))
    df["nchs_class"] = pd.to_numeric(df.pop("nchs"), errors="coerce") if "nchs" in df else np.nan
    df["large_central_metro"] = (df["nchs_class"] == 1).astype(int)
    df["income_thousands"] = df["median_household_income"] / 1000
    df = df.dropna(
        subset=["crime_per10k", "median_household_income", "poverty_rate", "log_population"]
    )
    df = df.loc[np.isfinite(df["crime_per10k"])].reset_index(drop=True)
    flow["with finite crime rate, income, poverty and population"] = len(df)
    meta = {
        "unit": "county",
        "years": [crime_year],
        "n_units": int(len(df)),
        "n_treated": int(df["sanctuary"].sum()),
        "vintage": {
            "crime": f"county_crime {crime_year}" + (f" ({crime_series})" if crime_series else ""),
            "covariates": covariate_vintage,
            "foreign_born": fb_vintage,
            "detainers": "NPR FOIA facility outcomes FY2008-2015 (pooled)",
        },
        "rule": (
            f"sanctuary = share of detainers declined by the local agency > {decline_threshold} "
            f"among counties with >= {min_detainers} matched detainers"
        ),
        "sample_flow": flow,
    }
    return Frame(df, meta)


def state_panel(
    con: duckdb.DuckDBPyConnection,
    *,
    first_year: int = 2000,
    last_year: int = 2014,
    event_threshold: float = 0.5,
) -> Frame:
    """State-year crime rates with Secure Communities coverage (Miles & Cox 2014 design).

    ``sc_share`` is the population share covered by SC averaged over the year; ``sc_cohort`` the
    first year it reaches ``event_threshold`` (0 = never in the window). 2015 is excluded by
    default because the coverage file codes the end of SC (PEP) as 0.
    """
    crime = load(con, "state_crime", ["state", "year", "population", "violent", "property"])
    for c in ("year", "population", "violent", "property"):
        crime[c] = _num(crime[c])
    sc = load(con, "policy_sc_coverage", ["state", "year", "sc"])
    sc["year"] = _num(sc["year"])
    sc["sc"] = _num(sc["sc"])
    covered = set(sc["state"].dropna())
    in_window = crime.loc[(crime["year"] >= first_year) & (crime["year"] <= last_year)]
    no_sc = sorted(set(in_window["state"]) - covered)
    df = in_window.loc[in_window["state"].isin(covered)]
    df = df.merge(sc.rename(columns={"sc": "sc_share"}), on=["state", "year"], how="left")
    # years outside the coverage file (before 2000) precede SC: coverage 0
    df["sc_share"] = df["sc_share"].fillna(0.0)
    df["index_crime"] = df["violent"] + df["property"]
    for c in ("violent", "property", "index_crime"):
        df[f"{c}_rate"] = df[c] / df["population"] * 1e5
        df[f"log_{c}_rate"] = np.log(df[f"{c}_rate"].where(df[f"{c}_rate"] > 0))
    on = df.loc[df["sc_share"] >= event_threshold].groupby("state")["year"].min()
    df["sc_cohort"] = df["state"].map(on).fillna(0).astype(int)
    df["year"] = df["year"].astype(int)
    df = (
        df.dropna(subset=["log_index_crime_rate"])
        .sort_values(["state", "year"])
        .reset_index(drop=True)
    )
    meta = {
        "unit": "state",
        "years": [first_year, last_year],
        "n_units": int(df["state"].nunique()),
        "vintage": {
            "crime": "FBI UCR estimated state totals",
            "sc": "East et al. 2022 CPUMA shares, aggregated",
        },
        "rule": f"sc_cohort = first year with SC coverage share >= {event_threshold}",
        "dropped": {"states_without_sc_coverage_data": no_sc},
    }
    return Frame(df, meta)


def city_panel(
    con: duckdb.DuckDBPyConnection,
    *,
    policy: str = "sanctuary",
    adoption_file: str = "",
    min_confidence: str = "low",
    first_year: int = 1975,
    last_year: int = 2015,
    min_months: int = 12,
) -> Frame:
    """Agency-year violent crime for the large-city panel with a policy adoption year.

    ``policy = "sanctuary"`` reads adoption years from ``adoption_file`` (default: the bundled
    ``studies/data/sanctuary_adoption_large_cities.csv``; every row cites a public source and
    carries a confidence). ``policy = "287g"`` uses the first year any 287(g) agreement was active
    in the agency's county (``county_year_287g`` via ``agencies``). ``cohort`` is the adoption
    year (0 = never within the window); ``treated`` = 1 from the adoption year on.
    """
    from sanctuary_lab.studies.tables import load_adoption_dates

    crime = load(con, "city_crime", ["ori", "year", "violent", "population"], ["name", "months"])
    for c in ("year", "violent", "population"):
        crime[c] = _num(crime[c])
    crime["ori"] = crime["ori"].astype(str).str[:7]
    crime = crime.loc[(crime["year"] >= first_year) & (crime["year"] <= last_year)]
    n_rows = len(crime)
    if "months" in crime and min_months:
        crime = crime.loc[_num(crime["months"]) >= min_months]
    crime = crime.dropna(subset=["violent", "population"])
    crime = crime.loc[crime["population"] > 0].copy()
    meta: dict[str, Any] = {"unit": "agency (ORI)", "years": [first_year, last_year]}
    if policy == "sanctuary":
        adopt, source = load_adoption_dates(adoption_file, min_confidence)
        cohorts = adopt.set_index("ori")["adoption_year"]
        meta["adoption_source"] = source
        meta["rule"] = f"cohort = adoption year from {source} (confidence >= {min_confidence})"
    elif policy == "287g":
        ag = load(con, "agencies", ["ori", "fips"])
        ag["ori"] = ag["ori"].astype(str).str[:7]
        c287 = load(con, "county_year_287g", ["fips", "year", "any"], ["known"])
        c287["year"] = _num(c287["year"])
        on = c287.loc[_num(c287["any"]) > 0].groupby("fips")["year"].min()
        ori_fips = ag.drop_duplicates("ori").set_index("ori")["fips"]
        oris = pd.Series(crime["ori"].unique())
        cohorts = pd.Series(oris.map(ori_fips).map(on).to_numpy(), index=oris.to_numpy()).dropna()
        meta["rule"] = "cohort = first year any 287(g) agreement was active in the agency's county"
    else:
        raise SpecError(f"policy must be 'sanctuary' or '287g', got {policy!r}")
    crime["cohort"] = crime["ori"].map(cohorts).fillna(0).astype(int)
    crime.loc[crime["cohort"] > last_year, "cohort"] = 0
    crime["treated"] = ((crime["cohort"] > 0) & (crime["year"] >= crime["cohort"])).astype(int)
    crime["violent_rate"] = crime["violent"] / crime["population"] * 1e5
    crime["log_violent_rate"] = np.log(crime["violent_rate"].where(crime["violent_rate"] > 0))
    crime["year"] = crime["year"].astype(int)
    crime = (
        crime.dropna(subset=["log_violent_rate"])
        .sort_values(["ori", "year"])
        .reset_index(drop=True)
    )
    meta.update(
        {
            "n_units": int(crime["ori"].nunique()),
            "n_treated_units": int(crime.loc[crime["cohort"] > 0, "ori"].nunique()),
            "vintage": {"crime": "Marshall Project city panel (UCR) 1975-2015"},
            "dropped": {"agency_years_in_window": n_rows, "kept": int(len(crime))},
        }
    )
    return Frame(crime, meta)


def county_panel_287g(
    con: duckdb.DuckDBPyConnection,
    *,
    years: list[int] | None = None,
    series: str = "",
) -> Frame:
    """County-year violent/property rates (the years the warehouse holds) with 287(g) status."""
    years = years or [2012, 2015, 2017]
    crime = load(
        con,
        "county_crime",
        ["fips", "year"],
        [
            "series",
            "violent_count",
            "property_count",
            "violent_rate",
            "property_rate",
            "population",
        ],
    )
    crime["year"] = _num(crime["year"])
    crime = crime.loc[crime["year"].isin(years)].copy()
    if series and "series" in crime:
        crime = crime.loc[crime["series"] == series]
    pop = _num(crime["population"]) if "population" in crime else np.nan
    for kind in ("violent", "property"):
        rate = (
            _num(crime[f"{kind}_rate"])
            if f"{kind}_rate" in crime
            else pd.Series(np.nan, index=crime.index)
        )
        if f"{kind}_count" in crime:
            rate = rate.fillna(_num(crime[f"{kind}_count"]) / pop * 1e5)
        crime[f"{kind}_rate"] = rate
        crime[f"log_{kind}_rate"] = np.log(rate.where(rate > 0))
    c287 = load(con, "county_year_287g", ["fips", "year", "any"], ["known"])
    c287["year"] = _num(c287["year"])
    df = crime.merge(c287, on=["fips", "year"], how="left")
    if "known" in df:
        df = df.loc[df["known"].fillna(True).astype(bool)]
    df["any_287g"] = _num(df["any"]).fillna(0).astype(int)
    df = df.dropna(subset=["log_violent_rate", "log_property_rate"])
    keep = df.groupby("fips")["year"].transform("nunique") == len(years)
    df = df.loc[
        keep,
        [
            "fips",
            "year",
            "violent_rate",
            "property_rate",
            "log_violent_rate",
            "log_property_rate",
            "any_287g",
        ],
    ]
    df["year"] = df["year"].astype(int)
    df = df.sort_values(["fips", "year"]).reset_index(drop=True)
    meta = {
        "unit": "county",
        "years": years,
        "n_units": int(df["fips"].nunique()),
        "n_switchers": int((df.groupby("fips")["any_287g"].nunique() > 1).sum()),
        "vintage": {"crime": "county_crime UCR Part I (NACJD 2012; Urban Institute 2015/2017)"},
        "rule": "balanced panel of counties with finite violent and property rates in every year",
    }
    return Frame(df, meta)


def state_immigrant_panel(
    con: duckdb.DuckDBPyConnection,
    *,
    vintages: list[str] | None = None,
    vintage_years: list[int] | None = None,
) -> Frame:
    """State-level % foreign-born (population-weighted from county covariates) and crime rates.

    Each covariate vintage is a period; the crime year is the vintage's ``vintage_years`` entry.
    Proxy: % foreign-born (all immigrants), not the undocumented share Light & Miller used.
    """
    vintages = vintages or []
    vintage_years = vintage_years or []
    if len(vintages) != len(vintage_years) or not vintages:
        raise SpecError(
            "state_immigrant_panel needs equal-length, non-empty 'vintages' and 'vintage_years'"
        )
    counties = load(con, "counties", ["fips", "state"])
    rows = []
    for vintage, year in zip(vintages, vintage_years, strict=True):
        cov = _covariates(con, vintage, ["pct_foreign_born", "population"]).merge(
            counties, on="fips"
        )
        cov = cov.dropna(subset=["pct_foreign_born", "population"])
        g = (
            cov.assign(w=cov["population"] * cov["pct_foreign_born"])
            .groupby("state")[["w", "population"]]
            .sum()
        )
        fb = (g["w"] / g["population"]).rename("pct_foreign_born").reset_index()
        fb["year"] = year
        fb["vintage"] = vintage
        rows.append(fb)
    fb = pd.concat(rows, ignore_index=True)
    crime = load(con, "state_crime", ["state", "year", "population", "violent", "property"])
    for c in ("year", "population", "violent", "property"):
        crime[c] = _num(crime[c])
    df = fb.merge(crime, on=["state", "year"], how="inner")
    df["index_crime_rate"] = (df["violent"] + df["property"]) / df["population"] * 1e5
    df["violent_rate"] = df["violent"] / df["population"] * 1e5
    df["log_index_crime_rate"] = np.log(df["index_crime_rate"])
    df["log_violent_rate"] = np.log(df["violent_rate"])
    df["year"] = df["year"].astype(int)
    df = df.sort_values(["state", "year"]).reset_index(drop=True)
    meta = {
        "unit": "state",
        "years": sorted(set(vintage_years)),
        "n_units": int(df["state"].nunique()),
        "vintage": {"foreign_born": vintages, "crime": "FBI UCR estimated state totals"},
        "rule": "state % foreign-born = population-weighted mean of county % foreign-born",
    }
    return Frame(df, meta)


def aor_immigrant_panel(
    con: duckdb.DuckDBPyConnection,
    *,
    years: list[int] | None = None,
) -> Frame:
    """ICE area-of-responsibility x year: undocumented and foreign-born shares, crime rates.

    Shares are UWCHR's ACS-based AOR estimates (``stg_aor_demog``; the undocumented estimate is
    UWCHR's method). Crime: counties (``ice_aor`` county -> AOR) with finite UCR Part I violent
    and property rates in *every* year in ``years`` (a fixed set of counties, so coverage changes
    do not move the rate); AOR rate = sum(rate x population) / sum(population).
    """
    years = years or [2012, 2015, 2017]
    crime = load(
        con,
        "county_crime",
        ["fips", "year", "violent_rate", "property_rate", "population"],
        ["series"],
    )
    crime["year"] = _num(crime["year"])
    crime = crime.loc[crime["year"].isin(years)].copy()
    if "series" in crime:
        crime = crime.loc[crime["series"] == "ucr_part1"]
    for c in ("violent_rate", "property_rate", "population"):
        crime[c] = _num(crime[c])
    crime = crime.dropna(subset=["violent_rate", "property_rate", "population"])
    crime = crime.loc[crime.groupby("fips")["year"].transform("nunique") == len(years)]
    aor = load(con, "ice_aor", ["fips", "aor"])
    crime = crime.merge(aor.dropna().drop_duplicates("fips"), on="fips", how="inner")
    crime["violent"] = crime["violent_rate"] * crime["population"] / 1e5
    crime["property"] = crime["property_rate"] * crime["population"] / 1e5
    g = crime.groupby(["aor", "year"], as_index=False)[["violent", "property", "population"]].sum()
    n_counties = crime.groupby(["aor", "year"])["fips"].nunique().rename("n_counties").reset_index()
    g = g.merge(n_counties, on=["aor", "year"])
    demog = load(con, "stg_aor_demog", ["aor", "year", "total_pop", "forborn_pop", "undocu_pop"])
    for c in ("year", "total_pop", "forborn_pop", "undocu_pop"):
        demog[c] = _num(demog[c])
    demog["pct_undocumented"] = demog["undocu_pop"] / demog["total_pop"] * 100
    demog["pct_foreign_born"] = demog["forborn_pop"] / demog["total_pop"] * 100
    df = g.merge(
        demog[["aor", "year", "pct_undocumented", "pct_foreign_born"]],
        on=["aor", "year"],
        how="inner",
    )
    df["violent_rate"] = df["violent"] / df["population"] * 1e5
    df["index_crime_rate"] = (df["violent"] + df["property"]) / df["population"] * 1e5
    df["log_violent_rate"] = np.log(df["violent_rate"])
    df["log_index_crime_rate"] = np.log(df["index_crime_rate"])
    df["year"] = df["year"].astype(int)
    df = df.sort_values(["aor", "year"]).reset_index(drop=True)
    meta = {
        "unit": "ICE area of responsibility",
        "years": years,
        "n_units": int(df["aor"].nunique()),
        "n_counties": int(crime["fips"].nunique()),
        "vintage": {
            "shares": "UWCHR AOR demographic indicators (ACS-based), 2012-2019",
            "crime": "county UCR Part I rates (NACJD 2012; Urban Institute 2015/2017)",
        },
        "rule": "AOR crime rate from counties with finite rates in every year, population-weighted",
    }
    return Frame(df, meta)


FRAMES: dict[str, Callable[..., Frame]] = {
    "aor_immigrant_panel": aor_immigrant_panel,
    "county_cross_section": county_cross_section,
    "state_panel": state_panel,
    "city_panel": city_panel,
    "county_panel_287g": county_panel_287g,
    "state_immigrant_panel": state_immigrant_panel,
}

from sanctuary_lab.studies.descriptive import DESCRIPTIVES  # noqa: E402  (re-export)

__all__ = ["COLUMNS", "DESCRIPTIVES", "FRAMES", "DataUnavailable", "Frame", "load"]
