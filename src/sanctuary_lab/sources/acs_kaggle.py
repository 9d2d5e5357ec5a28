"""ACS 5-year county profiles 2011-2015 and 2013-2017 (Kaggle "US Census Demographic Data").

Folder ``acs_county_2015_2017_kaggle``. The vintage is taken from the file name
(``acs2015_county_data.csv`` -> ACS 2011-2015), so other years of the same compilation load too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources.base import Adapter, SourceData, county_fips, read_csv, to_number

PERCENTS = {
    "Hispanic": "pct_hispanic",
    "White": "pct_white",
    "Black": "pct_black",
    "Asian": "pct_asian",
    "Poverty": "poverty_rate",
    "ChildPoverty": "child_poverty_rate",
    "Unemployment": "unemployment_rate",
}
MONEY = {"Income": "median_household_income", "IncomePerCap": "per_capita_income"}
REQUIRED = ["State", "County", "TotalPop", *PERCENTS, *MONEY]

CAVEATS = [
    "Kaggle ACS county profiles: no % foreign-born and no age structure (use QuickFacts 2014 or usdata).",
    "Kaggle ACS: White/Black percentages may be non-Hispanic; not documented in the file "
    "(verify against ACS B03002 before publication-grade use).",
    "Kaggle ACS files include 78 Puerto Rico municipios (state FIPS 72).",
]


def vintage_from_name(path: Path) -> str:
    """``acs2015_county_data.csv`` -> ``"acs2011_2015"`` (5-year estimates ending that year)."""
    m = re.search(r"acs(\d{4})", path.name)
    if not m:
        raise InputError(
            path, "cannot tell the ACS year from the file name (expected 'acsYYYY...')"
        )
    end = int(m.group(1))
    return f"acs{end - 4}_{end}"


def parse_acs_kaggle(path: Path) -> pd.DataFrame:
    """Parse one Kaggle ACS county file (``CensusId`` or ``CountyId``, ``State``, ``County``, ...)."""
    df = read_csv(path, required=REQUIRED)
    id_col = next((c for c in ("CountyId", "CensusId") if c in df.columns), None)
    if id_col is None:
        raise InputError(
            path, "missing required column 'CountyId' (or 'CensusId')", field="CountyId"
        )
    out = pd.DataFrame(index=df.index)
    out["fips"] = county_fips(df[id_col], path, id_col)
    out["vintage"] = vintage_from_name(path)
    out["state_name"] = df["State"].str.strip()
    out["county_name"] = df["County"].str.strip()
    out["population"] = to_number(df, "TotalPop", path, integer=True, min_value=0)
    for raw, tidy in PERCENTS.items():
        out[tidy] = to_number(df, raw, path, min_value=0, max_value=100)
    for raw, tidy in MONEY.items():
        out[tidy] = to_number(df, raw, path, min_value=0)
    dup = out["fips"].duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise InputError(path, f"duplicate county {out['fips'].iloc[i]}", row=i + 1, field=id_col)
    return out.reset_index(drop=True)


class AcsKaggle(Adapter):
    """ACS 5-year county profiles (Kaggle compilation), 2011-15 and 2013-17."""

    name = "acs_county_2015_2017_kaggle"
    title = "ACS 5-year county profiles 2011-2015 and 2013-2017 (Kaggle compilation)"

    def load(self, raw_dir: Path) -> SourceData:
        folder = self.folder(raw_dir)
        files = sorted(folder.glob("acs*_county_data.csv"))
        if not files:
            raise InputError(folder, "no acsYYYY_county_data.csv file in the source folder")
        sd = SourceData(self.name, caveats=list(CAVEATS))
        parts = []
        for path in files:
            df = parse_acs_kaggle(path)
            sd.record(path, rows_read=len(df), rows_kept=len(df))
            parts.append(df)
        sd.tables["acs_kaggle"] = pd.concat(parts, ignore_index=True)
        return sd
