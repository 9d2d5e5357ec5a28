"""Final crime tables derived from staged crime sources (see ``tables_core``).

Tidy layout shared by ``county_crime`` and ``state_crime``: offence counts (NULL when a source
has no counts), violent = murder + rape + robbery + aggravated assault, property = burglary +
larceny + motor-vehicle theft, Part I total (county) = violent + property (arson excluded), rates per 100,000 (and per 10,000 for counties), a ``series``
label (``ucr_part1`` vs ``nibrs``) so different measurement systems are never pooled silently,
and a ``source`` label.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sanctuary_lab.sources.geo import STATES

OFFENCES = ["murder", "rape", "robbery", "agg_assault", "burglary", "larceny", "motor_vehicle_theft", "arson"]  # fmt: skip
VIOLENT = ["murder", "rape", "robbery", "agg_assault"]
PROPERTY = ["burglary", "larceny", "motor_vehicle_theft"]

COUNTY_COLUMNS = [
    "fips", "year", "series", "source", *OFFENCES, "violent_count", "property_count",
    "part1_count", "population", "population_year", "violent_rate_100k", "property_rate_100k",
    "part1_rate_100k", "violent_rate_10k", "property_rate_10k", "part1_rate_10k", "coverage",
    "quality", "quality_flag", "reporting",
]  # fmt: skip


def _rate(count: pd.Series, pop: pd.Series, per: float) -> pd.Series:
    c = count.astype("float64")
    p = pop.astype("float64").where(lambda s: s > 0)
    return (c / p * per).astype("float64")


def _nacjd(df: pd.DataFrame, popest: pd.DataFrame | None) -> pd.DataFrame:
    out = df.copy()
    none = (out["covind"] == 0) | out["all_zero"]
    out["reporting"] = np.where(none, "none", np.where(out["covind"] < 100, "partial", "full"))
    out["quality_flag"] = np.select(
        [out["covind"] == 0, out["all_zero"], out["covind"] < 100],
        ["no_coverage", "all_zero_nonreporting", "imputed_partial_coverage"],
        default="ok",
    )
    counts = [*OFFENCES, "violent_count", "property_count"]
    for c in counts:
        out[c] = out[c].astype("Int64").mask(none.to_numpy())
    out["coverage"] = out["covind"]
    out["quality"] = pd.array([pd.NA] * len(out), dtype="Int64")
    if popest is not None:
        # files without their own population (official NACJD files) use the Census estimate
        est = popest[["fips", "year", "population"]].rename(columns={"population": "_est"})
        out = out.merge(est, on=["fips", "year"], how="left")
        fill = out["population"].isna() & out["_est"].notna()
        out.loc[fill, "population_year"] = out.loc[fill, "year"]
        out["population"] = out["population"].fillna(out.pop("_est"))
    out["violent_rate_100k"] = _rate(out["violent_count"], out["population"], 1e5)
    out["property_rate_100k"] = _rate(out["property_count"], out["population"], 1e5)
    out["series"] = "ucr_part1"
    out["source"] = "nacjd_county"
    return out


def _urban(df: pd.DataFrame, pops: pd.DataFrame | None, series: str, source: str) -> pd.DataFrame:
    out = df.copy()
    if "quality" not in out.columns:
        out["quality"] = out[["violent_quality", "property_quality"]].max(axis=1).astype("Int64")
    missing = out["violent_rate_100k"].isna() & out["property_rate_100k"].isna()
    q = out["quality"]
    full = (q == 1).fillna(False).to_numpy(dtype=bool)
    out["reporting"] = np.where(
        missing.to_numpy(dtype=bool), "none", np.where(full, "full", "partial")
    )
    out["quality_flag"] = np.where(
        missing.to_numpy(dtype=bool),
        "missing_rate",
        "urban_quality_" + q.astype("string").fillna("na"),
    )
    for c in [*OFFENCES, "violent_count", "property_count"]:
        out[c] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["coverage"] = np.nan
    if pops is not None:
        out = out.merge(pops[["fips", "year", "population"]], on=["fips", "year"], how="left")
    else:
        out["population"] = pd.array([pd.NA] * len(out), dtype="Int64")
    out["population_year"] = out["year"]
    out["series"] = series
    out["source"] = source
    return out


def county_crime(staged: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """County-year crime: NACJD counts (2012), Urban UCR rates (2015/17), Urban NIBRS rates (2021-23)."""
    parts = []
    nacjd = staged.get("stg_nacjd_county_crime")
    if nacjd is not None:
        parts.append(_nacjd(nacjd, staged.get("stg_popest_county")))
    pops = staged.get("stg_urban_county_population")
    ucr = staged.get("stg_urban_ucr_rates")
    if ucr is not None:
        parts.append(_urban(ucr, pops, "ucr_part1", "urban_institute_ucr"))
    nib = staged.get("stg_urban_nibrs_rates")
    if nib is not None:
        parts.append(_urban(nib, pops, "nibrs", "urban_institute_nibrs"))
    if not parts:
        return pd.DataFrame(columns=COUNTY_COLUMNS)
    out = pd.concat([p.reindex(columns=COUNTY_COLUMNS) for p in parts], ignore_index=True)
    for c in [*OFFENCES, "violent_count", "property_count", "population", "quality"]:
        out[c] = out[c].astype("Int64")
    out["year"] = out["year"].astype("Int64")
    out["population_year"] = out["population_year"].astype("Int64")
    for c in ("violent_rate_100k", "property_rate_100k", "coverage"):
        out[c] = out[c].astype("float64")
    # Part I total = violent + property (arson excluded, as in the UCR crime index)
    out["part1_count"] = (out["violent_count"] + out["property_count"]).astype("Int64")
    out["part1_rate_100k"] = out["violent_rate_100k"] + out["property_rate_100k"]
    for what in ("violent", "property", "part1"):
        out[f"{what}_rate_10k"] = out[f"{what}_rate_100k"] / 10
    return out


# ----------------------------------------------------------------------------------------------
# state


def _state_rows(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    legacy = out["rape_legacy"].notna()
    out["rape"] = out["rape_legacy"].where(legacy, out["rape_revised"]).astype("Int64")
    revised = out["rape_revised"].notna()
    out["rape_definition"] = pd.Series(
        np.where(legacy, "legacy", "revised"), index=out.index, dtype="string"
    ).where(legacy | revised)
    out["violent_count"] = out[VIOLENT].sum(axis=1, min_count=len(VIOLENT)).astype("Int64")
    out["property_count"] = out[PROPERTY].sum(axis=1, min_count=len(PROPERTY)).astype("Int64")
    # a component missing means the total is unknown, not smaller
    out.loc[out[VIOLENT].isna().any(axis=1), "violent_count"] = pd.NA
    out.loc[out[PROPERTY].isna().any(axis=1), "property_count"] = pd.NA
    return out


def state_crime(staged: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One primary row per state-year: UCR Data Tool, else CDE SRS, else NIBRS (flagged).

    The UCR Data Tool series is the one used by the state-panel literature (e.g. 1990-2014
    panels) and runs 1961-2019; CDE SRS estimates fill later years; NIBRS reporting-agency counts
    are used only where no SRS estimate exists and carry ``series='nibrs'``.
    """
    cands = []
    v1 = staged.get("stg_state_crime_ucrdatatool")
    if v1 is not None:
        cands.append(v1.assign(priority=1))
    cde = staged.get("stg_state_crime_cde")
    agency = staged.get("stg_state_crime_cde_agency")
    if cde is not None:
        c = cde.assign(priority=2)
        if agency is not None:
            srs = agency[agency["series"] == "ucr_srs_estimated"][
                ["state", "year", "agencies_total", "agencies_submitting"]
            ]
            c = c.merge(srs, on=["state", "year"], how="left")
        cands.append(c)
    if agency is not None:
        cands.append(agency[agency["series"] == "ucr_srs_estimated"].assign(priority=3))
        cands.append(agency[agency["series"] != "ucr_srs_estimated"].assign(priority=4))
    cols = [
        "state", "state_fips", "state_name", "year", "population", *OFFENCES, "rape_legacy",
        "rape_revised", "rape_definition", "violent_count", "property_count", "violent_rate_100k",
        "property_rate_100k", "murder_rate_100k", "agencies_total", "agencies_submitting", "source", "series",
    ]  # fmt: skip
    if not cands:
        return pd.DataFrame(columns=cols)
    allrows = pd.concat(cands, ignore_index=True).sort_values(
        ["state", "year", "priority"], kind="mergesort"
    )
    out = _state_rows(allrows.drop_duplicates(["state", "year"], keep="first"))
    out["series"] = out["series"].map(
        {"ucr_srs_estimated": "ucr_part1", "nibrs_reporting_agencies": "nibrs"}
    )
    out["state_name"] = out["state_fips"].map(lambda s: STATES[s][1])
    out["violent_rate_100k"] = _rate(out["violent_count"], out["population"], 1e5)
    out["property_rate_100k"] = _rate(out["property_count"], out["population"], 1e5)
    out["murder_rate_100k"] = _rate(out["murder"], out["population"], 1e5)
    for c in ("agencies_total", "agencies_submitting"):
        out[c] = (
            out[c].astype("Int64")
            if c in out.columns
            else pd.array([pd.NA] * len(out), dtype="Int64")
        )
    return out.reindex(columns=cols).reset_index(drop=True)


# ----------------------------------------------------------------------------------------------
# city and national

#: NCIC state codes in ORIs that differ from postal abbreviations
_ORI_STATE = {"NB": "NE"}


def city_crime(staged: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Agency-year violent crime (Marshall Project), with state from the ORI and a reporting flag."""
    df = staged.get("stg_marshall_city_crime")
    if df is None:
        return pd.DataFrame(columns=["ori", "year"])
    out = df.copy()
    st = out["ori"].str[:2].replace(_ORI_STATE)
    out.insert(2, "state", st.where(st.isin([a for a, _ in STATES.values()])))
    m = out["months_reported"]
    out["reporting"] = np.select(
        [
            m.isna().to_numpy(dtype=bool),
            (m == 0).fillna(False).to_numpy(dtype=bool),
            (m < 12).fillna(False).to_numpy(dtype=bool),
        ],
        ["unknown", "none", "partial"],
        default="full",
    )
    out["source"] = out["source_note"].fillna("fbi_ucr_via_nacjd")
    out["series"] = "ucr_part1"
    return out.drop(columns=["source_note"])


def national_crime(staged: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """National UCR totals: usdata us_crime_rates (1960-2019) and the Marshall 'National' rows."""
    parts = []
    us = staged.get("stg_us_crime_rates")
    if us is not None:
        p = us.rename(
            columns={
                "violent": "violent_count", "property": "property_count", "forcible_rape": "rape",
                "aggravated_assault": "agg_assault", "larceny_theft": "larceny",
                "vehicle_theft": "motor_vehicle_theft", "total": "index_count",
            }
        )  # fmt: skip
        p["violent_rate_100k"] = _rate(p["violent_count"], p["population"], 1e5)
        p["property_rate_100k"] = _rate(p["property_count"], p["population"], 1e5)
        p["murder_rate_100k"] = _rate(p["murder"], p["population"], 1e5)
        parts.append(p.assign(source="usdata_us_crime_rates"))
    mn = staged.get("stg_marshall_national")
    if mn is not None:
        parts.append(
            mn.drop(columns=["department_name"]).assign(source="marshall_project_national")
        )
    if not parts:
        return pd.DataFrame(columns=["year", "source"])
    out = pd.concat(parts, ignore_index=True)
    for c in out.columns:
        if c.endswith("_count") or c in ("population", *OFFENCES):
            out[c] = out[c].astype("Int64")
    return out
