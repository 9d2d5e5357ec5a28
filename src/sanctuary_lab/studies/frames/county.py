"""County analysis frames: the Wong (2017) cross-section and the 287(g) county panel.

Warehouse tables are read through :func:`sanctuary_lab.studies.reading.load`, by the column
names the warehouse build writes.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.studies.reading import DataUnavailable, Frame, covariates, load, num


def county_cross_section(
    con: duckdb.DuckDBPyConnection,
    *,
    crime_year: int = 2012,
    crime_series: str = "",
    covariate_vintage: str = "acs2011_2015",
    foreign_born_vintage: str = "",
    decline_threshold: float = 0.0,
    min_detainers: int = 10,
    min_declines: int = 1,
    match_quality: list[str] | None = None,
    full_reporting_only: bool = True,
    timing: str = "pooled",
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

    Wong-style treatment definitions (declared sensitivities of ``wong2017_cross_section``):
    ``decline_threshold`` (share), ``min_detainers`` (records needed to classify a county),
    ``min_declines`` (a county with a single recorded decline among thousands is not called
    sanctuary when this is > 1) and ``timing``: ``"pooled"`` (default; the crime year is
    ``crime_year`` although most recorded declines are from FY2014-15) or
    ``"declines_before_outcome"`` (crime year 2017, after the FY2008-2015 detainer window ends;
    the 2017 county file is imputed for partial reporting, so every reporting level is kept).
    The facility file pools FY2008-2015 with no year dimension, so a FY window ending before a
    given crime year cannot be cut from it; moving the outcome year after the window is the
    available alternative.
    """
    if timing not in ("pooled", "declines_before_outcome"):
        raise SpecError(f"timing must be 'pooled' or 'declines_before_outcome', got {timing!r}")
    if timing == "declines_before_outcome":
        crime_year, full_reporting_only = 2017, False
    decl = load(
        con, "county_detainer_declines", ["fips", "n_detainers", "n_declined"], ["match_quality"]
    )
    decl["n_detainers"] = num(decl["n_detainers"])
    decl["n_declined"] = num(decl["n_declined"])
    n_all = len(decl)
    if match_quality and "match_quality" in decl:
        decl = decl.loc[decl["match_quality"].isin(match_quality)]
    decl = decl.loc[decl["n_detainers"] >= min_detainers].copy()
    decl["share_declined"] = decl["n_declined"] / decl["n_detainers"]
    decl["sanctuary"] = (
        (decl["share_declined"] > decline_threshold) & (decl["n_declined"] >= min_declines)
    ).astype(int)

    crime = load(
        con,
        "county_crime",
        ["fips", "year"],
        [
            "series",
            "violent_count",
            "property_count",
            "violent_rate_100k",
            "property_rate_100k",
            "population",
            "reporting",
        ],
    )
    crime = crime.loc[num(crime["year"]) == crime_year]
    if crime_series and "series" in crime:
        crime = crime.loc[crime["series"] == crime_series]
    if crime.empty:
        raise DataUnavailable(f"county_crime has no rows for year {crime_year}")
    if full_reporting_only and "reporting" in crime:
        crime = crime.loc[crime["reporting"].astype(str) == "full"]
    if "violent_count" in crime and "population" in crime and crime["violent_count"].notna().any():
        pop = num(crime["population"])
        crime["violent_per10k"] = num(crime["violent_count"]) / pop * 1e4
        crime["property_per10k"] = num(crime["property_count"]) / pop * 1e4
    else:
        crime["violent_per10k"] = num(crime["violent_rate_100k"]) / 10
        crime["property_per10k"] = num(crime["property_rate_100k"]) / 10
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
    cov = covariates(con, covariate_vintage, econ)
    fb_vintage = foreign_born_vintage or covariate_vintage
    fb = covariates(con, fb_vintage, ["pct_foreign_born"])
    counties = load(con, "counties", ["fips", "state"], ["nchs_code"])
    flow = {"counties with matched detainer records": n_all}
    df = decl[["fips", "n_detainers", "n_declined", "share_declined", "sanctuary"]]
    treated_flow: dict[str, int] = {}

    def step(label: str, d: pd.DataFrame) -> None:
        flow[label] = len(d)
        treated_flow[label] = int(d["sanctuary"].sum())

    step(f"with >= {min_detainers} detainers (and match quality)", df)
    df = df.merge(counties, on="fips", how="inner")
    df = df.merge(crime, on="fips", how="inner")
    step(f"with {'fully reported ' if full_reporting_only else ''}crime in {crime_year}", df)
    df = df.merge(cov, on="fips", how="inner").merge(fb, on="fips", how="left")
    step(f"with {covariate_vintage} covariates", df)
    df["log_population"] = np.log(df["population"].where(df["population"] > 0))
    df["nchs_class"] = (
        pd.to_numeric(df.pop("nchs_code"), errors="coerce") if "nchs_code" in df else np.nan
    )
    df["large_central_metro"] = (df["nchs_class"] == 1).astype(int)
    df["income_thousands"] = df["median_household_income"] / 1000
    df = df.dropna(
        subset=["crime_per10k", "median_household_income", "poverty_rate", "log_population"]
    )
    df = df.loc[np.isfinite(df["crime_per10k"])].reset_index(drop=True)
    step("with finite crime rate, income, poverty and population", df)
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
            f"and >= {min_declines} declines, among counties with >= {min_detainers} matched "
            f"detainers; timing {timing!r} (crime year {crime_year})"
        ),
        "sample_flow": flow,
        "sample_flow_treated": treated_flow,
        "published_flow": {
            "Wong (2017): counties analysed": 2492,
            "Wong (2017): sanctuary counties": 602,
        },
    }
    return Frame(df, meta)


def county_panel_287g(
    con: duckdb.DuckDBPyConnection,
    *,
    years: list[int] | None = None,
    series: str = "",
    exposure: str = "any_local",
) -> Frame:
    """County-year violent/property rates (the years the warehouse holds) with 287(g) status.

    ``any_287g`` follows ``exposure``: ``"any_local"`` (default; any local agreement in the
    county, active between its signing year and end year: ``county_year_287g.any_287g``) or
    ``"county_jail"`` (only the county sheriff's / jail's agreement:
    ``county_year_287g.county_jail_287g``).
    """
    if exposure not in ("any_local", "county_jail"):
        raise SpecError(f"exposure must be 'any_local' or 'county_jail', got {exposure!r}")
    years = years or [2012, 2015, 2017]
    crime = load(
        con,
        "county_crime",
        ["fips", "year"],
        [
            "series",
            "violent_count",
            "property_count",
            "violent_rate_100k",
            "property_rate_100k",
            "population",
        ],
    ).rename(columns={"violent_rate_100k": "violent_rate", "property_rate_100k": "property_rate"})
    crime["year"] = num(crime["year"])
    crime = crime.loc[crime["year"].isin(years)].copy()
    if series and "series" in crime:
        crime = crime.loc[crime["series"] == series]
    pop = num(crime["population"]) if "population" in crime else np.nan
    for kind in ("violent", "property"):
        rate = (
            num(crime[f"{kind}_rate"])
            if f"{kind}_rate" in crime
            else pd.Series(np.nan, index=crime.index)
        )
        if f"{kind}_count" in crime:
            rate = rate.fillna(num(crime[f"{kind}_count"]) / pop * 1e5)
        crime[f"{kind}_rate"] = rate
        crime[f"log_{kind}_rate"] = np.log(rate.where(rate > 0))
    flag = "any_287g" if exposure == "any_local" else "county_jail_287g"
    c287 = load(con, "county_year_287g", ["fips", "year", flag], ["known"])
    c287 = c287.rename(columns={flag: "any"})
    c287["year"] = num(c287["year"])
    df = crime.merge(c287, on=["fips", "year"], how="left")
    if "known" in df:
        df = df.loc[df["known"].fillna(True).astype(bool)]
    df["any_287g"] = num(df["any"]).fillna(0).astype(int)
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
        "exposure": exposure,
    }
    return Frame(df, meta)
