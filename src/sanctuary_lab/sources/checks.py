"""Checks across every source's staged tables, run by the build after all adapters have read.

Adapters check what they can see in one file (types, ranges, FIPS syntax). Some rules need the
staged tables or other sources, so they live here and run on every source alike:

- **Unique keys** (:data:`STAGED_KEYS`): a duplicated key (e.g. a year row repeated in a national
  detainer file) is an :class:`~sanctuary_lab.core.errors.InputError` naming source, table, key and
  staged rows — never stored twice.
- **Known county FIPS** (:func:`known_county_fips`): every ``fips`` must be a county in the Census
  Bureau's county list, read from the Census population-estimates file of the raw folder
  (``census_popest_county_2010_2019``: the 3,142 counties of 2010–2019), plus Puerto Rico's
  municipios (72001–72153, odd codes, and 72054 Florida) and the county changes the Census Bureau documents since
  1990 (:data:`CHANGED_COUNTY_FIPS`). Rows with any other code (e.g. ``19999``) are *rejected*
  with a reason, counted in provenance. Tables in :data:`HISTORICAL_FIPS_TABLES` (codes older
  than the list) are checked by syntax and state only.
- **Counts within population** (:data:`COUNT_WITHIN_POPULATION`): where a row holds both a count
  and the population it is counted in, a count above the population is rejected.
- **Rates within bounds** (:data:`RATE_BOUNDS`): a rate per 100,000 above 100,000 is rejected.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources.base import Reject, SourceData

#: unique key columns of each staged table (without the ``stg_`` prefix)
STAGED_KEYS: dict[str, tuple[str, ...]] = {
    "acs_kaggle": ("fips", "vintage"),
    "aor_demog": ("aor", "year"),
    "aor_field_office": ("aor",),
    "county_facts_2014": ("fips",),
    "cpuma_summary": ("cpuma0010",),
    "ddp_287g_best_guess": ("row",),
    "detainer_facility_outcomes": ("facility", "lift_reason", "public"),
    "detainers_national_by_month": ("year", "month"),
    "detainers_national_by_reason": ("year", "lift_reason"),
    "detainers_national_by_type": ("year", "detainer_type"),
    "detainers_national_by_year": ("year",),
    "detainers_national_lifted": ("year",),
    "marshall_city_crime": ("ori", "year"),
    "marshall_national": ("year",),
    "nacjd_county_crime": ("fips", "year"),
    "nchs_urban_rural": ("fips",),
    "popest_county": ("fips", "year"),
    "popest_state": ("state_fips", "year"),
    "sc_287g_cpuma": ("year", "cpuma0010"),
    "state_crime_cde": ("state_fips", "year"),
    "state_crime_ucrdatatool": ("state_fips", "year"),
    "topojson_geometries": ("file", "object", "geometry_index"),
    "ucr_agencies": ("ori",),
    "urban_county_population": ("fips", "year"),
    "urban_nibrs_rates": ("fips", "year"),
    "urban_ucr_rates": ("fips", "year"),
    "us_crime_rates": ("year",),
    "usdata_county_population": ("fips", "year"),
    "usdata_covariates": ("fips", "vintage"),
    "usdata_unemployment": ("fips", "year"),
    "uwchr_county_aor": ("fips",),
    "wapo_287g_curated_2018": ("row",),
    "wapo_287g_curated_2019": ("row",),
    "wapo_annual_rates": ("agency_type", "participant", "year"),
}

#: staged table -> (population column, count columns that cannot exceed it)
COUNT_WITHIN_POPULATION: dict[str, tuple[str, tuple[str, ...]]] = {
    "nacjd_county_crime": (
        "population",
        ("murder", "rape", "robbery", "agg_assault", "burglary", "larceny", "motor_vehicle_theft"),
    ),
    "marshall_city_crime": (
        "population",
        ("murder", "rape", "robbery", "agg_assault", "violent_count"),
    ),
    "state_crime_cde": (
        "population",
        ("murder", "robbery", "agg_assault", "burglary", "larceny", "motor_vehicle_theft"),
    ),
    "state_crime_ucrdatatool": (
        "population",
        ("murder", "robbery", "agg_assault", "burglary", "larceny", "motor_vehicle_theft"),
    ),
    "us_crime_rates": ("population", ("total", "violent", "property")),
    "popest_county": ("population", ("births", "deaths")),
    "popest_state": ("population", ("births", "deaths")),
}

#: a rate per 100,000 people cannot exceed 100,000 (one event per person)
RATE_BOUNDS: dict[str, float] = {"_rate_100k": 100_000.0}

#: County FIPS codes not in the 2010–2019 Census list that the Census Bureau documents as
#: deleted, renamed or new since 1990 ("Substantial Changes to Counties and County Equivalent
#: Entities: 1970-Present", https://www.census.gov/programs-surveys/geography/technical-documentation/county-changes.html).
CHANGED_COUNTY_FIPS: dict[str, str] = {
    "02063": "Chugach Census Area (new 2019, from Valdez-Cordova)",
    "02066": "Copper River Census Area (new 2019, from Valdez-Cordova)",
    "02201": "Prince of Wales-Outer Ketchikan (deleted 2008)",
    "02231": "Skagway-Yakutat-Angoon (deleted 1992)",
    "02232": "Skagway-Hoonah-Angoon (deleted 2007)",
    "02261": "Valdez-Cordova Census Area (deleted 2019)",
    "02270": "Wade Hampton Census Area (renamed Kusilvak, 02158, 2015)",
    "02280": "Wrangell-Petersburg (deleted 2008)",
    "09110": "Capitol Planning Region (CT, 2022)",
    "09120": "Greater Bridgeport Planning Region (CT, 2022)",
    "09130": "Lower Connecticut River Valley Planning Region (CT, 2022)",
    "09140": "Naugatuck Valley Planning Region (CT, 2022)",
    "09150": "Northeastern Connecticut Planning Region (CT, 2022)",
    "09160": "Northwest Hills Planning Region (CT, 2022)",
    "09170": "South Central Connecticut Planning Region (CT, 2022)",
    "09180": "Southeastern Connecticut Planning Region (CT, 2022)",
    "09190": "Western Connecticut Planning Region (CT, 2022)",
    "12025": "Dade County (renamed Miami-Dade, 12086, 1997)",
    "30113": "Yellowstone National Park (MT, deleted 1997)",
    "46113": "Shannon County (renamed Oglala Lakota, 46102, 2015)",
    "51515": "Bedford city (VA, merged into Bedford County 2013)",
    "51560": "Clifton Forge city (VA, merged into Alleghany County 2001)",
    "51780": "South Boston city (VA, merged into Halifax County 1995)",
}

#: Staged tables whose ``fips`` are checked by syntax and state only (adapter-level), not against
#: the 2010-2019 county list, with the reason. Their codes predate the list.
HISTORICAL_FIPS_TABLES: dict[str, str] = {
    "icpsr_county_arrests": (
        "ICPSR county arrest files 1977-2008 use codes of counties changed before 2010 "
        "(e.g. 51123, 46131) and county 777 for statewide agencies in 2008"
    ),
}

#: the staged table whose ``fips`` column is the Census county list
CENSUS_COUNTY_TABLE = "popest_county"


def _puerto_rico() -> set[str]:
    # 78 municipios: odd codes 001-153, plus Florida (054, created 1971)
    return {f"72{n:03d}" for n in range(1, 154, 2)} | {"72054"}


def known_county_fips(sources: Iterable[SourceData]) -> set[str] | None:
    """The Census county list (from the population-estimates source) plus PR and documented
    changes; ``None`` when that source produced no table (then FIPS are checked by syntax only)."""
    for sd in sources:
        df = sd.tables.get(CENSUS_COUNTY_TABLE)
        if df is not None and "fips" in df.columns and len(df):
            codes = set(df["fips"].dropna().astype(str))
            return codes | _puerto_rico() | set(CHANGED_COUNTY_FIPS)
    return None


def _file_of(sd: SourceData) -> str:
    names = sorted({f.file for f in sd.files})
    return names[0] if len(names) == 1 else sd.source


def _fmt_key(row: pd.Series, keys: tuple[str, ...]) -> str:
    return ", ".join(f"{k}={row[k]!r}" for k in keys)


def check_unique_keys(sd: SourceData) -> None:
    """Raise InputError on the first duplicated key of any staged table of ``sd``."""
    for name, df in sd.tables.items():
        keys = STAGED_KEYS.get(name)
        if not keys or not set(keys) <= set(df.columns) or df.empty:
            continue
        dup = df.duplicated(list(keys), keep="first").to_numpy(dtype=bool)
        if dup.any():
            second = int(dup.nonzero()[0][0])
            row = df.iloc[second]
            same = np.ones(len(df), dtype=bool)
            for k in keys:
                col = df[k]
                v = row[k]
                eq = col.isna() if pd.isna(v) else (col == v)
                same &= eq.fillna(False).to_numpy(dtype=bool)
            first = int(same.nonzero()[0][0])
            raise InputError(
                f"{sd.source}/{_file_of(sd)}",
                f"duplicated key {_fmt_key(row, keys)} in table {name!r} "
                f"(staged rows {first + 1}, {second + 1}); each key may occur once",
                row=second + 1,
                field=keys[0],
            )


def _reject(sd: SourceData, name: str, bad: pd.Series, field: str, reason: str) -> None:
    """Drop the rows ``bad`` of table ``name`` and log them as rejected."""
    df = sd.tables[name]
    mask = bad.fillna(False).to_numpy(dtype=bool)
    if not mask.any():
        return
    file = _file_of(sd)
    for i in mask.nonzero()[0]:
        sd.rejects.append(Reject(sd.source, file, int(i) + 1, field, reason))
    sd.tables[name] = df.loc[~mask].reset_index(drop=True)
    n = int(mask.sum())
    for j, rec in enumerate(sd.files):
        if rec.file == file:
            kept = max(rec.rows_kept - n, 0)
            sd.files[j] = replace(rec, rows_kept=kept, rows_rejected=rec.rows_rejected + n)
            break
    sd.caveats.append(
        f"{int(mask.sum())} row(s) of {name} rejected after reading: {reason} "
        "(row numbers are staged-table rows)"
    )


def check_plausibility(sd: SourceData, known_fips: set[str] | None) -> None:
    """Reject rows with unknown county FIPS, counts above population or impossible rates."""
    for name in list(sd.tables):
        df = sd.tables[name]
        if df.empty:
            continue
        if known_fips is not None and "fips" in df.columns and name not in HISTORICAL_FIPS_TABLES:
            f = df["fips"].astype("string")
            bad = f.notna() & ~f.isin(known_fips)
            _reject(sd, name, bad, "fips", "unknown county FIPS (not in the Census county list)")
            df = sd.tables[name]
        if name in COUNT_WITHIN_POPULATION:
            pop_col, counts = COUNT_WITHIN_POPULATION[name]
            if pop_col in df.columns:
                pop = pd.to_numeric(df[pop_col], errors="coerce")
                for c in counts:
                    if c not in df.columns:
                        continue
                    x = pd.to_numeric(df[c], errors="coerce")
                    bad = x.notna() & pop.notna() & (x > pop)
                    _reject(sd, name, bad, c, f"{c} exceeds {pop_col} (implausible count)")
                    df = sd.tables[name]
                    pop = pd.to_numeric(df[pop_col], errors="coerce")
        for c in list(df.columns):
            for suffix, top in RATE_BOUNDS.items():
                if str(c).endswith(suffix):
                    x = pd.to_numeric(df[c], errors="coerce")
                    bad = x.notna() & (x > top)
                    _reject(sd, name, bad, c, f"{c} above {top:,.0f} per 100,000 (impossible rate)")
                    df = sd.tables[name]


def validate_sources(sources: list[SourceData]) -> None:
    """Run every cross-source check in place (keys first, then plausibility)."""
    for sd in sources:
        check_unique_keys(sd)
    known = known_county_fips(sources)
    for sd in sources:
        check_plausibility(sd, known)
