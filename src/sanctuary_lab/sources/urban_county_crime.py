"""Urban Institute "Mobility from Poverty" county crime rates and county populations.

Folder ``urban_mobility_county_crime``: UCR Part I rates for 2015/2017 (``crime_rate_quality``
1/2/3), NIBRS-based rates for 2021-2023 (a different series) and Census county populations
2014-2023. ``state``/``county`` are 2- and 3-digit FIPS parts.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources.base import Adapter, SourceData, county_fips, read_csv, to_number

CAVEATS = [
    "Urban 2015/2017 county rates: rates only (no counts), built from Kaplan's NACJD-style county file "
    "with imputation; quality 1 = good, 2 = coverage 50-95%, 3 = <50%.",
    "Urban 2021-2023 rates are NIBRS crimes against persons/property: NOT comparable to UCR Part I "
    "(series='nibrs'; violent includes simple assault).",
    "Urban county-populations file mixes UTF-8 and Latin-1 names and has a few rows with the county "
    "name in the state_name column; read as Latin-1, names not used as keys.",
    "Kaplan retired the NACJD-style county file because of imputation/coverage flaws; use 2015/2017 rates with care.",
]

UCR_FILE = "crimerate_county_2015_2017.csv"
NIBRS_FILE = "rates_crime_county_2021_2023_nibrs.csv"
POP_FILE = "county-populations_2014_2023.csv"


def _key(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    out["fips"] = county_fips(df["state"], path, "state", county_part=df["county"])
    out["year"] = to_number(df, "year", path, integer=True, min_value=1960, max_value=2100)
    return out


def _no_dups(out: pd.DataFrame, path: Path) -> None:
    dup = out.duplicated(["fips", "year"])
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise InputError(
            path,
            f"duplicate county-year {out['fips'].iloc[i]}/{out['year'].iloc[i]}",
            row=i + 1,
            field="county",
        )


def parse_ucr_rates(path: Path) -> pd.DataFrame:
    """Parse the 2015/2017-style file: ``year, state, county, violent_crime_rate,
    property_crime_rate, crime_rate_quality`` (rates per 100,000)."""
    cols = [
        "year",
        "state",
        "county",
        "violent_crime_rate",
        "property_crime_rate",
        "crime_rate_quality",
    ]
    df = read_csv(path, required=cols)
    out = _key(df, path)
    out["violent_rate_100k"] = to_number(df, "violent_crime_rate", path, min_value=0)
    out["property_rate_100k"] = to_number(df, "property_crime_rate", path, min_value=0)
    out["quality"] = to_number(
        df, "crime_rate_quality", path, integer=True, min_value=1, max_value=3
    )
    _no_dups(out, path)
    return out.reset_index(drop=True)


def parse_nibrs_rates(path: Path) -> pd.DataFrame:
    """Parse the NIBRS-based file: ``year, state, county, rate_crime_violent, rate_crime_property,
    rate_crime_violent_quality, rate_crime_property_quality``."""
    cols = [
        "year", "state", "county", "rate_crime_violent", "rate_crime_property",
        "rate_crime_violent_quality", "rate_crime_property_quality",
    ]  # fmt: skip
    df = read_csv(path, required=cols)
    out = _key(df, path)
    out["violent_rate_100k"] = to_number(df, "rate_crime_violent", path, min_value=0)
    out["property_rate_100k"] = to_number(df, "rate_crime_property", path, min_value=0)
    out["violent_quality"] = to_number(
        df, "rate_crime_violent_quality", path, integer=True, min_value=1, max_value=3
    )
    out["property_quality"] = to_number(
        df, "rate_crime_property_quality", path, integer=True, min_value=1, max_value=3
    )
    _no_dups(out, path)
    return out.reset_index(drop=True)


def parse_populations(path: Path) -> pd.DataFrame:
    """Parse ``year, state, county, state_name, county_name, population``."""
    # the file mixes UTF-8 and Latin-1 names ("Doña Ana"); Latin-1 never fails, names are not keys
    df = read_csv(
        path, required=["year", "state", "county", "county_name", "population"], encoding="latin-1"
    )
    out = _key(df, path)
    out["county_name"] = df["county_name"].str.strip()
    out["population"] = to_number(df, "population", path, integer=True, min_value=0)
    _no_dups(out, path)
    return out.reset_index(drop=True)


class UrbanCountyCrime(Adapter):
    """Urban Institute county crime rates (UCR 2015/2017, NIBRS 2021-23) and populations."""

    name = "urban_mobility_county_crime"
    title = "Urban Institute county crime rates 2015/2017 (UCR) and 2021-23 (NIBRS), populations"

    def load(self, raw_dir: Path) -> SourceData:
        sd = SourceData(self.name, caveats=list(CAVEATS))
        for fname, parser, table in (
            (UCR_FILE, parse_ucr_rates, "urban_ucr_rates"),
            (NIBRS_FILE, parse_nibrs_rates, "urban_nibrs_rates"),
            (POP_FILE, parse_populations, "urban_county_population"),
        ):
            path = self.file(raw_dir, fname)
            df = parser(path)
            sd.record(path, rows_read=len(df), rows_kept=len(df))
            sd.tables[table] = df
        return sd
