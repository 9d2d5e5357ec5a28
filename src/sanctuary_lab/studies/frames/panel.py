"""Panel analysis frames: state SC panel, large-city panel, immigrant-share panels.

Warehouse tables are read through :func:`sanctuary_lab.studies.reading.load`, by the column
names the warehouse build writes.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.studies.reading import Frame, covariates, load, num


def _state_crime(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``state, year, population, violent, property`` (numeric) from ``state_crime``."""
    crime = load(
        con, "state_crime", ["state", "year", "population", "violent_count", "property_count"]
    )
    crime = crime.rename(columns={"violent_count": "violent", "property_count": "property"})
    for c in ("year", "population", "violent", "property"):
        crime[c] = num(crime[c])
    return crime


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
    crime = _state_crime(con)
    sc = load(con, "policy_sc_coverage", ["state", "year", "sc_frac"])
    sc = sc.rename(columns={"sc_frac": "sc"})
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


MONTHS_RULES = ("stated", "ucr_only")
EXPOSURES_287G = ("own_agreement", "county_jail")
OTHER_ADOPTERS = ("drop", "control")


def _months_filter(
    crime: pd.DataFrame, min_months: int, months_rule: str
) -> tuple[pd.Series, dict[str, int]]:
    """Which agency-years count as a full year of reported crime (the stated rule).

    ``months_reported`` comes from the UCR file; the Marshall Project filled gaps from other
    sources (``source`` other than the UCR extract) and collected 2015 itself (months NULL).

    * ``months >= min_months``: kept.
    * ``months`` 1 .. ``min_months - 1`` (partial year): dropped (counts understate the year).
    * ``months`` 0 or NULL with a count from a named non-UCR source (a state agency, the police
      department, a newspaper, "Crime in the U.S. 2015"): kept under ``months_rule = "stated"``
      (the months field describes the UCR submission, not the substitute count); dropped under
      ``"ucr_only"``.
    * ``months`` 0 or NULL from the UCR extract itself, or no count: dropped.
    """
    if months_rule not in MONTHS_RULES:
        raise SpecError(f"months_rule must be one of {list(MONTHS_RULES)}, got {months_rule!r}")
    months = num(crime["months"]) if "months" in crime else pd.Series(np.nan, index=crime.index)
    source = crime["source"].astype(str) if "source" in crime else pd.Series("", index=crime.index)
    has_count = crime["violent"].notna()
    full = months >= min_months if min_months else pd.Series(True, index=crime.index)
    partial = months.between(1, max(min_months - 1, 0)) if min_months else ~full
    none = months.isna() | (months == 0)
    substitute = none & has_count & ~source.str.contains("ucr", case=False) & (source != "")
    keep = (full | (substitute if months_rule == "stated" else False)) & has_count
    counts = {
        "full_months": int((full & has_count).sum()),
        "partial_months_dropped": int((partial & ~full).sum()),
        "zero_or_null_months_other_source": int(substitute.sum()),
        "zero_or_null_months_ucr_or_no_count_dropped": int((none & ~substitute).sum()),
    }
    return keep, counts


def _cohorts_287g(
    con: duckdb.DuckDBPyConnection, oris: pd.Series, exposure: str
) -> tuple[pd.Series, pd.Series, str]:
    """ORI -> (cohort year, end year) of 287(g) exposure under a declared definition."""
    if exposure not in EXPOSURES_287G:
        raise SpecError(f"exposure must be one of {list(EXPOSURES_287G)}, got {exposure!r}")
    if exposure == "own_agreement":
        ag = load(con, "policy_287g", ["ori", "cohort_year", "end_year"], ["jurisdiction"])
        ag = ag.dropna(subset=["ori", "cohort_year"])
        if "jurisdiction" in ag:
            ag = ag.loc[ag["jurisdiction"].fillna("") != "statewide"]
        ag["ori"] = ag["ori"].astype(str).str[:7]
        g = ag.groupby("ori")
        cohort = g["cohort_year"].min().astype(float)
        end = (
            g["end_year"].max().astype(float).where(g["end_year"].apply(lambda s: s.notna().all()))
        )
        rule = (
            "cohort = signing year of the agency's own 287(g) agreement (policy_287g.cohort_year, "
            "matched on ORI); treated from the cohort year through the end year (exits respected)"
        )
    else:
        agencies = load(con, "agencies", ["ori7", "fips"]).rename(columns={"ori7": "ori"})
        agencies["ori"] = agencies["ori"].astype(str).str[:7]
        cy = load(
            con, "county_year_287g", ["fips", "county_jail_first_year", "county_jail_end_year"]
        )
        cy = cy.drop_duplicates("fips").set_index("fips")
        fips = agencies.drop_duplicates("ori").set_index("ori")["fips"]
        f = oris.map(fips)
        cohort = pd.Series(
            f.map(cy["county_jail_first_year"]).to_numpy(float), index=oris.to_numpy()
        )
        end = pd.Series(f.map(cy["county_jail_end_year"]).to_numpy(float), index=oris.to_numpy())
        rule = (
            "DECLARED ALTERNATIVE: cohort = first year the county sheriff's / jail's 287(g) "
            "agreement was active in the agency's county (it reaches every agency whose arrestees "
            "the county jail books); treated from the cohort year through the end year"
        )
    return cohort.dropna(), end, rule


def city_panel(
    con: duckdb.DuckDBPyConnection,
    *,
    policy: str = "sanctuary",
    adoption_file: str = "",
    definition: str = "any",
    other_adopters: str = "drop",
    min_confidence: str = "low",
    exposure: str = "own_agreement",
    first_year: int = 1975,
    last_year: int = 2015,
    min_months: int = 12,
    months_rule: str = "stated",
) -> Frame:
    """Agency-year violent crime for the large-city panel with a policy adoption year.

    ``policy = "sanctuary"`` reads the cited sanctuary-policy table (``adoption_file``, default
    the bundled ``studies/data/sanctuary_policies.csv``): ``cohort`` = the first in-force year
    of an instrument under ``definition`` (see :func:`~sanctuary_lab.studies.data_files.
    adoption_cohorts`). With a class-specific definition, agencies whose only cited instruments
    are of other classes are dropped (``other_adopters = "drop"``) or kept as controls
    (``"control"``). ``policy = "287g"`` uses ``exposure``: ``"own_agreement"`` (default; the
    agency's own agreement, matched on ORI; a neighbouring agency's agreement never treats a city
    police department) or the declared alternative ``"county_jail"`` (the county sheriff's / jail's
    agreement reaches every agency in the county). 287(g) ``treated`` = 1 from the cohort year
    through the agreement's end year; sanctuary ``treated`` = 1 from the cohort year on. ``cohort``
    = 0 means never within the window. Agency-years follow the months-reported rule of
    :func:`_months_filter`.
    """
    from sanctuary_lab.studies.data_files import adoption_cohorts, load_sanctuary_policies

    crime = load(
        con,
        "city_crime",
        ["ori", "year", "violent_count", "population"],
        ["department_name", "months_reported", "source"],
    ).rename(
        columns={
            "violent_count": "violent",
            "department_name": "name",
            "months_reported": "months",
        }
    )
    for c in ("year", "violent", "population"):
        crime[c] = num(crime[c])
    crime["ori"] = crime["ori"].astype(str).str[:7]
    crime = crime.loc[(crime["year"] >= first_year) & (crime["year"] <= last_year)]
    n_rows = len(crime)
    keep, month_counts = _months_filter(crime, min_months, months_rule)
    crime = crime.loc[keep]
    crime = crime.dropna(subset=["violent", "population"])
    crime = crime.loc[crime["population"] > 0].copy()
    meta: dict[str, Any] = {"unit": "agency (ORI)", "years": [first_year, last_year]}
    end = pd.Series(dtype=float)
    dropped_units: list[str] = []
    if policy == "sanctuary":
        if other_adopters not in OTHER_ADOPTERS:
            raise SpecError(
                f"other_adopters must be one of {list(OTHER_ADOPTERS)}, got {other_adopters!r}"
            )
        policies, source = load_sanctuary_policies(adoption_file, min_confidence)
        cohorts = adoption_cohorts(policies, definition)
        if definition != "any" and other_adopters == "drop":
            dropped_units = sorted(set(policies["ori"]) - set(cohorts.index))
            crime = crime.loc[~crime["ori"].isin(dropped_units)]
        meta["adoption_source"] = source
        meta["definition"] = definition
        meta["rule"] = (
            f"cohort = first in-force year of a cited instrument in {source} under definition "
            f"{definition!r} (confidence >= {min_confidence})"
        )
    elif policy == "287g":
        cohorts, end, rule = _cohorts_287g(con, pd.Series(crime["ori"].unique()), exposure)
        meta["exposure"] = exposure
        meta["rule"] = rule
    else:
        raise SpecError(f"policy must be 'sanctuary' or '287g', got {policy!r}")
    crime["cohort"] = crime["ori"].map(cohorts).fillna(0).astype(int)
    crime.loc[crime["cohort"] > last_year, "cohort"] = 0
    started = (crime["cohort"] > 0) & (crime["year"] >= crime["cohort"])
    end_year = crime["ori"].map(end) if len(end) else pd.Series(np.nan, index=crime.index)
    crime["end_year"] = end_year.astype("Int64")
    ended = end_year.notna() & (crime["year"] > end_year)
    crime["treated"] = (started & ~ended).astype(int)
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
            "months_rule": months_rule,
            "dropped": {
                "agency_years_in_window": n_rows,
                "kept": int(len(crime)),
                **month_counts,
                "units_with_other_definition_only": dropped_units,
            },
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
    crime = _state_crime(con)
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
        ["fips", "year", "violent_rate_100k", "property_rate_100k", "population"],
        ["series"],
    ).rename(columns={"violent_rate_100k": "violent_rate", "property_rate_100k": "property_rate"})
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
