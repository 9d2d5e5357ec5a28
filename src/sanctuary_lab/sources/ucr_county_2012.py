"""NACJD county-level UCR offence counts ("crimes reported", Part 4), folder ``county_crime_icpsr_2012``.

The shipped file is the widely circulated Kaggle copy of the NACJD 2012 county file (ICPSR 35019)
with two columns added by the Kaggle author (``county_name``, ``population``). The parser reads
the NACJD column names, so a user's fuller NACJD download (one file per year, or a concatenation
with a ``YEAR`` column) goes through the same code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources.base import (
    Adapter,
    RejectLog,
    SourceData,
    check_year_in_range,
    county_fips,
    read_csv,
    sniff_delimiter,
    to_number,
)

#: NACJD offence columns -> tidy names
OFFENCES: dict[str, str] = {
    "MURDER": "murder",
    "RAPE": "rape",
    "ROBBERY": "robbery",
    "AGASSLT": "agg_assault",
    "BURGLRY": "burglary",
    "LARCENY": "larceny",
    "MVTHEFT": "motor_vehicle_theft",
    "ARSON": "arson",
}
VIOLENT = ["murder", "rape", "robbery", "agg_assault"]
PROPERTY = ["burglary", "larceny", "motor_vehicle_theft"]
REQUIRED = ["FIPS_ST", "FIPS_CTY", "COVIND", "CPOPCRIM", *OFFENCES]

#: year of the shipped file (not stated in it; verified against published 2012 homicide totals)
DEFAULT_YEAR = 2012
#: the Kaggle-added ``population`` column holds Census July 2013 estimates
KAGGLE_POPULATION_YEAR = 2013

CAVEATS = [
    "NACJD county file: year 2012 is inferred (counts match 2012 homicide totals), not stated in the file.",
    "NACJD imputes partial reporting (COVIND < 100 = imputed coverage); Maltz & Targonski critique applies.",
    "All-zero offence rows with COVIND 100 are non-reporting counties: counts set to NULL, reporting='none'.",
    "Agencies spanning counties are split by population share (NACJD method).",
    "`population` (used for rates) was added by the Kaggle author and is the Census July 2013 estimate.",
    "INDEX/MODINDX are re-used by NACJD as violent/property totals in 2009-2014; totals are recomputed.",
    "NACJD county file here is a single cross-section (2012); no county panel of counts.",
]


def year_from_name(path: Path, default: int = DEFAULT_YEAR) -> int:
    """A 4-digit year in the file name (e.g. ``nacjd_county_2011.tsv``), else ``default``."""
    m = re.search(r"(?<!\d)(19[6-9]\d|20\d\d)(?!\d)", path.stem)
    if not m:
        return default
    # NACJD county files start in 1977; a file-name year after this year cannot be real
    return check_year_in_range(int(m.group(1)), 1977, None, path, "year in file name")


def parse_nacjd_county(path: Path, *, year: int = DEFAULT_YEAR) -> tuple[pd.DataFrame, RejectLog]:
    """Parse a NACJD county offences file into one row per county-year.

    Parameters
    ----------
    path
        CSV or ICPSR tab-delimited file with NACJD columns (``FIPS_ST, FIPS_CTY, COVIND,
        CPOPCRIM, MURDER ... ARSON``); optional ``YEAR``/``year``, ``county_name``,
        ``population`` (the Kaggle copy's July 2013 estimate), ``PART``.
    year
        Year for files without a year column (see :func:`year_from_name`).

    Returns
    -------
    (table, rejects)
        Columns ``fips, year, county_name, covind, pop_covered, population, <offences>,
        violent_count, property_count, all_zero``.
    """
    df = read_csv(path, required=REQUIRED, sep=sniff_delimiter(path))
    log = RejectLog("county_crime_icpsr_2012", path.name)
    out = pd.DataFrame(index=df.index)
    out["fips"] = county_fips(df["FIPS_ST"], path, "FIPS_ST", county_part=df["FIPS_CTY"])
    ycol = next((c for c in ("YEAR", "year", "Year") if c in df.columns), None)
    if ycol:
        out["year"] = to_number(df, ycol, path, integer=True, min_value=1960, max_value=2100)
    else:
        out["year"] = pd.array([year] * len(df), dtype="Int64")
    out["county_name"] = df["county_name"] if "county_name" in df.columns else pd.NA
    out["covind"] = to_number(df, "COVIND", path, min_value=0, max_value=100)
    out["pop_covered"] = to_number(df, "CPOPCRIM", path, min_value=0, integer=True)
    if "population" in df.columns:
        out["population"] = to_number(df, "population", path, min_value=0, integer=True)
        out["population_year"] = pd.array([KAGGLE_POPULATION_YEAR] * len(df), dtype="Int64")
    else:
        out["population"] = pd.array([pd.NA] * len(df), dtype="Int64")
        out["population_year"] = pd.array([pd.NA] * len(df), dtype="Int64")
    for raw, tidy in OFFENCES.items():
        out[tidy] = to_number(df, raw, path, min_value=0, integer=True)
    if "PART" in df.columns:
        part = to_number(df, "PART", path, integer=True)
        other = part.notna() & (part != 4)
        log.add_many((out.index[other] + 1).tolist(), "PART", "not Part 4 (crimes reported)")
        out = out[~other.to_numpy()]
    out["violent_count"] = out[VIOLENT].sum(axis=1, min_count=len(VIOLENT)).astype("Int64")
    out["property_count"] = out[PROPERTY].sum(axis=1, min_count=len(PROPERTY)).astype("Int64")
    out["all_zero"] = (out[VIOLENT + PROPERTY].fillna(0).sum(axis=1) == 0).astype(bool)
    no_fips = out["fips"].isna().to_numpy()
    log.add_many((out.index[no_fips] + 1).tolist(), "FIPS_CTY", "blank state or county FIPS")
    out = out[~no_fips]
    bad_cty = (out["fips"].str[2:] == "000").fillna(False)
    log.add_many((out.index[bad_cty] + 1).tolist(), "FIPS_CTY", "county code 000 (state total row)")
    out = out[~bad_cty.to_numpy()]
    dup = out.duplicated(["fips", "year"], keep="first")
    if dup.any():
        i = int(out.index[dup.to_numpy()][0])
        raise InputError(
            path,
            f"duplicate county-year {out.loc[i, 'fips']}/{out.loc[i, 'year']}",
            row=i + 1,
            field="FIPS_CTY",
        )
    return out.reset_index(drop=True), log


class NacjdCounty2012(Adapter):
    """NACJD county UCR offence counts (2012 file with COVIND coverage)."""

    name = "county_crime_icpsr_2012"
    title = "FBI UCR Part I offence counts by county, NACJD county file (2012)"

    def load(self, raw_dir: Path) -> SourceData:
        folder = self.folder(raw_dir)
        files = sorted([*folder.glob("*.csv"), *folder.glob("*.tsv")])
        if not files:
            raise InputError(folder, "no CSV or TSV file found in the source folder")
        sd = SourceData(self.name, caveats=list(CAVEATS))
        parts = []
        for path in files:
            table, log = parse_nacjd_county(path, year=year_from_name(path))
            sd.record(path, rows_read=len(table) + len(log), rows_kept=len(table), log=log)
            parts.append(table)
        table = pd.concat(parts, ignore_index=True)
        if table.duplicated(["fips", "year"]).any():
            raise InputError(folder, "two files hold the same county-year; keep one file per year")
        sd.tables["nacjd_county_crime"] = table
        return sd
