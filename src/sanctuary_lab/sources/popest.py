"""Census county population estimates, Vintage 2019 (folder ``census_popest_county_2010_2019``).

Reads the Census ``co-est20YY-alldata.csv`` layout (UTF-8 with a BOM in this copy): one row per
county (SUMLEV 50) or state (SUMLEV 40), wide by year. Staged long: one row per county-year with
population and the components of change (net international migration, ...). Years come from
the column names, so other vintages of the same file load too.
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
    county_fips,
    read_csv,
    to_number,
)
from sanctuary_lab.sources.geo import STATES

#: column prefix (followed by the year) -> tidy name
COMPONENTS = {
    "POPESTIMATE": "population",
    "NPOPCHG_": "pop_change",
    "BIRTHS": "births",
    "DEATHS": "deaths",
    "INTERNATIONALMIG": "net_international_migration",
    "DOMESTICMIG": "net_domestic_migration",
    "NETMIG": "net_migration",
}
REQUIRED = ["SUMLEV", "STATE", "COUNTY", "STNAME", "CTYNAME"]

CAVEATS = [
    "co-est2019-alldata copy is modified: UTF-8 BOM and an extra STABBREV column not in the Census original "
    "(values spot-checked against Census).",
    "Population estimates are July 1 of each year (2010 = July 1, 2010); components are for the year ending July 1.",
    "No age/race detail in co-est2019-alldata (that is cc-est2019-alldata, not copied).",
]


def parse_popest(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, RejectLog]:
    """Parse a ``co-estYYYY-alldata.csv`` file.

    Returns
    -------
    (counties, states, rejects)
        Long tables: ``fips, year, county_name, state_name, <components>`` and
        ``state_fips, year, state_name, <components>``.
    """
    df = read_csv(path, required=REQUIRED, encoding="utf-8-sig")
    log = RejectLog("census_popest_county_2010_2019", path.name)
    years = sorted(
        {int(m.group(1)) for c in df.columns if (m := re.fullmatch(r"POPESTIMATE(\d{4})", c))}
    )
    if not years:
        raise InputError(path, "no POPESTIMATEyyyy columns found", field="POPESTIMATE")
    sumlev = to_number(df, "SUMLEV", path, integer=True)
    fips = county_fips(df["STATE"], path, "STATE", county_part=df["COUNTY"])
    # a blank SUMLEV is neither level: rejected below, not a crash on a missing value
    is_cty = (sumlev == 50).fillna(False).to_numpy(dtype=bool)
    is_st = (sumlev == 40).fillna(False).to_numpy(dtype=bool)
    other = ~(is_cty | is_st)
    log.add_many(
        (df.index[other] + 1).tolist(),
        "SUMLEV",
        "summary level other than county (50) or state (40)",
    )
    long = []
    for y in years:
        part = pd.DataFrame({"fips": fips, "year": y, "county_name": df["CTYNAME"].str.strip(),
                             "state_name": df["STNAME"].str.strip()})  # fmt: skip
        for prefix, tidy in COMPONENTS.items():
            col = f"{prefix}{y}"
            if col in df.columns:
                part[tidy] = to_number(
                    df,
                    col,
                    path,
                    integer=True,
                    min_value=0 if tidy in ("population", "births", "deaths") else None,
                )
            else:
                part[tidy] = pd.array([pd.NA] * len(df), dtype="Int64")
        part["_row"] = range(len(df))
        long.append(part)
    allrows = pd.concat(long, ignore_index=True)
    row_cty = allrows["_row"].isin(df.index[is_cty])
    counties = allrows[row_cty].drop(columns="_row").reset_index(drop=True)
    states = allrows[allrows["_row"].isin(df.index[is_st])].drop(columns=["_row", "county_name"])
    states = states.assign(state_fips=states.pop("fips").str[:2]).reset_index(drop=True)
    states = states[["state_fips", *[c for c in states.columns if c != "state_fips"]]]
    dup = counties.duplicated(["fips", "year"])
    if dup.any():
        f = counties.loc[dup.to_numpy(), "fips"].iloc[0]
        i = int(df.index[fips == f][1])
        raise InputError(path, f"duplicate county {f}", row=i + 1, field="COUNTY")
    unknown = ~states["state_fips"].isin(list(STATES))
    if unknown.any():
        raise InputError(
            path, f"unknown state FIPS {states['state_fips'][unknown].iloc[0]}", field="STATE"
        )
    return counties, states, log


class CensusPopest(Adapter):
    """Census county population estimates and components of change (Vintage 2019)."""

    name = "census_popest_county_2010_2019"
    title = "Census county population estimates and components of change, 2010-2019 (Vintage 2019)"

    def load(self, raw_dir: Path) -> SourceData:
        folder = self.folder(raw_dir)
        files = sorted(folder.glob("co-est*-alldata.csv"))
        if not files:
            raise InputError(folder, "no co-estYYYY-alldata.csv file in the source folder")
        path = files[-1]  # the latest vintage supersedes earlier ones
        sd = SourceData(self.name, caveats=list(CAVEATS))
        counties, states, log = parse_popest(path)
        n_years = max(counties["year"].nunique(), 1)
        kept = (len(counties) + len(states)) // n_years
        sd.record(path, rows_read=kept + len(log), rows_kept=kept, log=log)
        sd.tables["popest_county"] = counties
        sd.tables["popest_state"] = states
        return sd
