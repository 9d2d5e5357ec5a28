"""Panel analysis frames: state SC panel, large-city panel, immigrant-share panels.

Data access goes through :func:`sanctuary_lab.studies.data.load` (column names in
:data:`sanctuary_lab.studies.data.COLUMNS`).
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd

from sanctuary_lab.errors import SpecError
from sanctuary_lab.studies.data import Frame, covariates, load, num


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
        crime[c] = num(crime[c])
    sc = load(con, "policy_sc_coverage", ["state", "year", "sc"])
    sc["year"] = num(sc["year"])
    sc["sc"] = num(sc["sc"])
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
        crime[c] = num(crime[c])
    crime["ori"] = crime["ori"].astype(str).str[:7]
    crime = crime.loc[(crime["year"] >= first_year) & (crime["year"] <= last_year)]
    n_rows = len(crime)
    if "months" in crime and min_months:
        crime = crime.loc[num(crime["months"]) >= min_months]
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
        c287["year"] = num(c287["year"])
        on = c287.loc[num(c287["any"]) > 0].groupby("fips")["year"].min()
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
        cov = covariates(con, vintage, ["pct_foreign_born", "population"]).merge(
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
        crime[c] = num(crime[c])
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
    crime["year"] = num(crime["year"])
    crime = crime.loc[crime["year"].isin(years)].copy()
    if "series" in crime:
        crime = crime.loc[crime["series"] == "ucr_part1"]
    for c in ("violent_rate", "property_rate", "population"):
        crime[c] = num(crime[c])
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
        demog[c] = num(demog[c])
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
