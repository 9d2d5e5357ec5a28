"""openintro ``usdata`` county data and national crime rates (folder ``usdata_county_complete``).

- ``county_complete.csv``: multi-vintage county covariates (columns suffixed by year).
- ``county_2019.csv``: ACS 2015-2019 5-year county estimates.
- ``us_crime_rates.csv``: national UCR totals and rates 1960-2019.

County covariates are staged long (one row per county x vintage) with the same variable names
as the final ``county_covariates`` table; populations and BLS unemployment by year are staged long.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources.base import Adapter, SourceData, county_fips, read_csv, to_number

#: vintage label -> {source column: covariate name}
COMPLETE_VINTAGES: dict[str, dict[str, str]] = {
    "usdata_2010": {
        "pop2010": "population", "hispanic_2010": "pct_hispanic", "black_2010": "pct_black",
        "white_not_hispanic_2010": "pct_white_nonhispanic", "foreign_born_2010": "pct_foreign_born",
        "median_household_income_2010": "median_household_income",
        "per_capita_income_2010": "per_capita_income", "poverty_2010": "poverty_rate",
        "unemployment_rate_2010": "unemployment_rate", "age_under_5_2010": "pct_age_under5",
        "age_under_18_2010": "pct_age_under18", "age_over_65_2010": "pct_age_65plus",
    },
    # black_2017 is left out on purpose: it is wrong in the package (see CAVEATS)
    "usdata_2017": {
        "pop2017": "population", "hispanic_2017": "pct_hispanic",
        "white_not_hispanic_2017": "pct_white_nonhispanic",
        "median_household_income_2017": "median_household_income",
        "per_capita_income_2017": "per_capita_income", "poverty_2017": "poverty_rate",
        "unemployment_rate_2017": "unemployment_rate", "age_under_5_2017": "pct_age_under5",
        "age_over_65_2017": "pct_age_65plus",
    },
}  # fmt: skip
ACS2019: dict[str, str] = {
    "pop": "population", "hispanic": "pct_hispanic", "black": "pct_black",
    "white_not_hispanic": "pct_white_nonhispanic", "median_household_income": "median_household_income",
    "per_capita_income": "per_capita_income", "poverty": "poverty_rate",
    "unemployment_rate": "unemployment_rate", "age_under_5": "pct_age_under5",
    "age_over_65": "pct_age_65plus", "age_over_18": "pct_age_over18",
}  # fmt: skip
CRIME_COLS = ["year", "population", "total", "violent", "property", "murder", "forcible_rape", "robbery", "aggravated_assault", "burglary", "larceny_theft", "vehicle_theft"]  # fmt: skip

CAVEATS = [
    "usdata black_2017 is wrong in the package (max 43.5%; Jefferson Co. MS 43.2 vs 85.7 in 2010) and is not used.",
    "usdata 2015-2019 poverty (county_2019.poverty and poverty_2019) is non-missing for only 1,266 "
    "counties (SOURCE.md says county_2019 is complete; the file is not).",
    "usdata '_2017' items mix ACS 1-year/5-year products without clear statement; '_2016' = ACS 2012-16.",
    "usdata foreign_born_2010 (ACS 2006-2010) is the package's only foreign-born vintage.",
    "usdata county_2019 unemployment_rate is for ages 20-64 (ACS), not BLS LAUS.",
    "usdata unemployment_rate_2007..2017 are BLS LAUS annual averages (staged as usdata_unemployment).",
]


def _pct(name: str) -> bool:
    return name.startswith("pct_") or name in ("poverty_rate", "unemployment_rate")


def _vintage(
    df: pd.DataFrame, path: Path, fips: pd.Series, vintage: str, cols: dict[str, str]
) -> pd.DataFrame:
    out = pd.DataFrame({"fips": fips, "vintage": vintage})
    for raw, tidy in cols.items():
        if raw not in df.columns:
            raise InputError(path, "missing required column", field=raw)
        out[tidy] = to_number(df, raw, path, min_value=0, max_value=100 if _pct(tidy) else None)
    out["population"] = out["population"].round().astype("Int64")
    return out


def _fips(df: pd.DataFrame, path: Path) -> pd.Series:
    fips = county_fips(df["fips"], path, "fips")
    dup = fips.duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise InputError(path, f"duplicate county {fips.iloc[i]}", row=i + 1, field="fips")
    return fips


def parse_county_complete(path: Path) -> dict[str, pd.DataFrame]:
    """Parse ``county_complete.csv`` into ``covariates`` (long by vintage), ``population``
    (fips, year, population from ``pop2000``, ``pop2010``..``pop2017``, ``pop_2019``) and
    ``unemployment`` (fips, year, unemployment_rate from ``unemployment_rate_YYYY``)."""
    df = read_csv(path, required=["fips", "state", "name", "pop2010"])
    fips = _fips(df, path)
    cov = pd.concat(
        [_vintage(df, path, fips, v, cols) for v, cols in COMPLETE_VINTAGES.items()],
        ignore_index=True,
    )
    pops, unemp = [], []
    for col in df.columns:
        m = re.fullmatch(r"pop_?(\d{4})", col)
        if m:
            pops.append(
                pd.DataFrame(
                    {
                        "fips": fips,
                        "year": int(m.group(1)),
                        "population": to_number(df, col, path, min_value=0).round().astype("Int64"),
                    }
                )
            )
        m = re.fullmatch(r"unemployment_rate_(\d{4})", col)
        if m:
            unemp.append(
                pd.DataFrame(
                    {
                        "fips": fips,
                        "year": int(m.group(1)),
                        "unemployment_rate": to_number(df, col, path, min_value=0, max_value=100),
                    }
                )
            )
    names = pd.DataFrame(
        {"fips": fips, "county_name": df["name"].str.strip(), "state_name": df["state"].str.strip()}
    )
    pop = pd.concat(pops, ignore_index=True).dropna(subset=["population"])
    une = pd.concat(unemp, ignore_index=True).dropna(subset=["unemployment_rate"])
    return {"covariates": cov, "population": pop, "unemployment": une, "names": names}


def parse_county_2019(path: Path) -> pd.DataFrame:
    """Parse ``county_2019.csv`` (ACS 2015-2019) into the covariate layout, vintage ``acs2015_2019``."""
    df = read_csv(path, required=["fips", *ACS2019])
    out = _vintage(df, path, _fips(df, path), "acs2015_2019", ACS2019)
    out["pct_age_under18"] = (100 - out.pop("pct_age_over18")).round(1)
    return out


def parse_us_crime_rates(path: Path) -> pd.DataFrame:
    """Parse ``us_crime_rates.csv``: national UCR totals by year (counts, population)."""
    df = read_csv(path, required=CRIME_COLS)
    out = pd.DataFrame(
        {"year": to_number(df, "year", path, integer=True, min_value=1900, max_value=2100)}
    )
    for c in CRIME_COLS[1:]:
        out[c] = to_number(df, c, path, min_value=0).round().astype("Int64")
    dup = out["year"].duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise InputError(path, f"duplicate year {out['year'].iloc[i]}", row=i + 1, field="year")
    return out


class UsdataCounty(Adapter):
    """openintro usdata: county_complete, county_2019 (ACS 2015-19), national crime rates."""

    name = "usdata_county_complete"
    title = "openintro usdata county covariates (2000-2019 vintages) and US crime rates 1960-2019"

    def load(self, raw_dir: Path) -> SourceData:
        sd = SourceData(self.name, caveats=list(CAVEATS))
        path = self.file(raw_dir, "county_complete.csv")
        parts = parse_county_complete(path)
        sd.record(path, rows_read=len(parts["names"]), rows_kept=len(parts["names"]))
        path19 = self.file(raw_dir, "county_2019.csv")
        acs19 = parse_county_2019(path19)
        sd.record(path19, rows_read=len(acs19), rows_kept=len(acs19))
        sd.tables["usdata_covariates"] = pd.concat([parts["covariates"], acs19], ignore_index=True)
        sd.tables["usdata_county_population"] = parts["population"]
        sd.tables["usdata_unemployment"] = parts["unemployment"]
        pathc = self.file(raw_dir, "us_crime_rates.csv")
        crime = parse_us_crime_rates(pathc)
        sd.record(pathc, rows_read=len(crime), rows_kept=len(crime))
        sd.tables["us_crime_rates"] = crime
        return sd
