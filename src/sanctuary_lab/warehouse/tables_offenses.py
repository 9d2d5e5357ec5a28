"""County offences known and ICE record counts from the full official formats (built last).

Built only when a user has put the files in the raw folder (the tables are absent otherwise, and
the studies that need them say which file to get).

Tables
------
county_offenses
    fips, year, source (``kaplan_offenses_known`` / ``icpsr_county_crimes_reported`` /
    ``fbi_cde_agency``), series (``ucr_offenses_known``), murder, rape, robbery, agg_assault,
    burglary, larceny, motor_vehicle_theft, violent, property, part1 (= violent + property),
    population (population of the agencies counted; NULL for CDE), agencies, agencies_full_year,
    coverage (0-100: ICPSR COVIND, or the population share of 12-month reporters), reporting
    (``full`` / ``partial`` / ``none``), violent_rate_100k, property_rate_100k, part1_rate_100k.
ice_records_by_year
    kind (arrests / detainers / removals), fiscal_year, n, n_convicted, n_pending, n_other,
    n_criminality_unknown (Deportation Data Project record extracts).
ice_arrests
    year (= ICE fiscal year), n_arrests (arrests with ICE's criminality recorded), n_noncriminal
    (ICE "other immigration violator": no conviction AND no pending charge).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sanctuary_lab.warehouse.contract import columns

OFFENCES = ["murder", "rape", "robbery", "agg_assault", "burglary", "larceny", "motor_vehicle_theft"]  # fmt: skip
VIOLENT = OFFENCES[:4]
PROPERTY = OFFENCES[4:]
COLUMNS = columns("county_offenses")


def _kaplan(stg: pd.DataFrame) -> pd.DataFrame:
    df = stg.copy()
    if df["ori"].isna().all():  # county-level file
        out = df.assign(agencies=pd.NA, agencies_full_year=pd.NA)
        full = df["months_reported"] == 12
        out["coverage"] = np.where(full.fillna(False), 100.0, np.nan)
        return out.assign(source="kaplan_offenses_known")
    full = (df["months_reported"] == 12).fillna(False)
    df["_pop_full"] = df["population"].where(full, 0)
    df["_full"] = full.astype(int)
    g = df.groupby(["fips", "year"])
    out = g[[*OFFENCES, "population", "_pop_full", "_full"]].sum(min_count=1).reset_index()
    out["agencies"] = g.size().to_numpy()
    out["agencies_full_year"] = out.pop("_full")
    pop = out["population"].astype("float64")
    out["coverage"] = np.where(pop > 0, out.pop("_pop_full") / pop.where(pop > 0) * 100, np.nan)
    return out.assign(source="kaplan_offenses_known")


def _icpsr(stg: pd.DataFrame) -> pd.DataFrame:
    return stg.assign(agencies_full_year=pd.NA, source="icpsr_county_crimes_reported")


def _cde(stg: pd.DataFrame, agencies: pd.DataFrame | None) -> pd.DataFrame | None:
    if agencies is None or not {"ori7", "fips"} <= set(agencies.columns):
        return None
    a = agencies[["ori7", "fips"]].dropna().drop_duplicates("ori7")
    df = stg.merge(a, on="ori7", how="inner")
    g = df.groupby(["fips", "year"])
    out = g[OFFENCES].sum(min_count=1).reset_index()
    out["agencies"] = g.size().to_numpy()
    return out.assign(population=np.nan, coverage=np.nan, source="fbi_cde_agency")


def county_offenses(
    staged: dict[str, pd.DataFrame], final: dict[str, pd.DataFrame]
) -> pd.DataFrame | None:
    """County-year offences known from whichever full-format sources are present."""
    parts = []
    if (k := staged.get("stg_ucr_offenses_known")) is not None and not k.empty:
        parts.append(_kaplan(k))
    if (i := staged.get("stg_icpsr_county_offenses")) is not None and not i.empty:
        parts.append(_icpsr(i))
    if (c := staged.get("stg_cde_agency_offenses")) is not None and not c.empty:
        cde = _cde(c, final.get("agencies"))
        if cde is not None:
            parts.append(cde)
    if not parts:
        return None
    out = pd.concat([p.reindex(columns=COLUMNS) for p in parts], ignore_index=True)
    for col in [*OFFENCES, "population", "agencies", "agencies_full_year"]:
        out[col] = pd.to_numeric(out[col], errors="coerce").round().astype("Int64")
    out["year"] = out["year"].astype("int64")
    out["series"] = "ucr_offenses_known"
    out["violent"] = out[VIOLENT].sum(axis=1, min_count=4).astype("Int64")
    out["property"] = out[PROPERTY].sum(axis=1, min_count=3).astype("Int64")
    out["part1"] = (out["violent"] + out["property"]).astype("Int64")
    cov = pd.to_numeric(out["coverage"], errors="coerce")
    out["coverage"] = cov.astype("float64")
    none = out["part1"].isna() | (cov == 0)
    out["reporting"] = np.select(
        [none.to_numpy(), (cov >= 100).to_numpy()], ["none", "full"], "partial"
    )
    pop = out["population"].astype("float64").where(lambda s: s > 0)
    for what in ("violent", "property", "part1"):
        out[f"{what}_rate_100k"] = out[what].astype("float64") / pop * 1e5
    return out.reindex(columns=COLUMNS)


def ice_tables(staged: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    rec = staged.get("stg_ice_records")
    if rec is None or rec.empty:
        return {}
    r = rec.copy()
    for cat in ("convicted", "pending", "other"):
        r[f"n_{cat}"] = (r["criminality"] == cat).astype(int)
    r["n_criminality_unknown"] = r["criminality"].isna().astype(int)
    by = (
        r.groupby(["kind", "fiscal_year"])
        .agg(n=("kind", "size"), n_convicted=("n_convicted", "sum"), n_pending=("n_pending", "sum"),
             n_other=("n_other", "sum"), n_criminality_unknown=("n_criminality_unknown", "sum"))
        .reset_index()
    )  # fmt: skip
    arr = by.loc[by["kind"] == "arrests"]
    ice_arrests = pd.DataFrame(
        {
            "year": arr["fiscal_year"].astype("int64"),
            "n_arrests": (arr["n"] - arr["n_criminality_unknown"]).astype("int64"),
            "n_noncriminal": arr["n_other"].astype("int64"),
        }
    )
    out = {"ice_records_by_year": by}
    if not ice_arrests.empty:
        out["ice_arrests"] = ice_arrests.reset_index(drop=True)
    return out


def derive(
    staged: dict[str, pd.DataFrame], final: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """The full-format tables that the raw folder allows (none by default)."""
    out: dict[str, pd.DataFrame] = {}
    co = county_offenses(staged, final)
    if co is not None:
        out["county_offenses"] = co
    out.update(ice_tables(staged))
    return out


QUALITY_CHECKS: list[tuple[str, str]] = []
QUALITY_LISTS: list[tuple[str, str, str]] = []
