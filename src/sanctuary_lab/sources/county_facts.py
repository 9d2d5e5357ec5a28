"""Census QuickFacts county extract, 2014 / ACS 2009-2013 (folder ``census_county_facts_2014``).

``county_facts.csv`` is Latin-1 encoded and carries a US row (Fips 0) and state rows (SS000)
besides the counties; those are logged as rejects (aggregates, not counties).
"""

from __future__ import annotations

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

#: QuickFacts codes -> tidy names (see county_facts_dictionary.csv)
VARIABLES: dict[str, str] = {
    "PST045214": "pop_2014",
    "POP010210": "pop_2010",
    "AGE135214": "pct_age_under5",
    "AGE295214": "pct_age_under18",
    "AGE775214": "pct_age_65plus",
    "RHI225214": "pct_black",
    "RHI725214": "pct_hispanic",
    "RHI825214": "pct_white_nonhispanic",
    "POP645213": "pct_foreign_born",
    "POP815213": "pct_non_english_home",
    "EDU635213": "pct_hs_grad",
    "EDU685213": "pct_bachelors",
    "INC110213": "median_household_income",
    "INC910213": "per_capita_income",
    "PVY020213": "poverty_rate",
    "LND110210": "land_area_sq_mi",
    "POP060210": "density_2010",
}
PERCENT = {v for k, v in VARIABLES.items() if v.startswith("pct_") or v == "poverty_rate"}

CAVEATS = [
    "QuickFacts county_facts.csv is Latin-1/mac-encoded (e.g. 'Doña Ana' garbled); names from Census "
    "population estimates are preferred in `counties`.",
    "QuickFacts mixes vintages: population/age/race 2014 estimates, foreign-born/income/poverty ACS 2009-2013; "
    "no unemployment rate.",
]


def parse_county_facts(path: Path) -> tuple[pd.DataFrame, RejectLog]:
    """Parse ``county_facts.csv``; returns county rows (``fips, county_name, state`` + VARIABLES)."""
    df = read_csv(
        path, required=["Fips", "area_name", "state_abbreviation", *VARIABLES], encoding="latin-1"
    )
    log = RejectLog("census_county_facts_2014", path.name)
    # the national row (Fips 0) is not a state/county code: reject it, not an error
    raw = df["Fips"].astype("string").str.strip()
    national = raw.str.fullmatch(r"0+").fillna(False)
    fips = county_fips(raw.where(~national), path, "Fips")
    agg = national | (fips.str[2:] == "000").fillna(False)
    log.add_many(
        (df.index[agg] + 1).tolist(), "Fips", "national or state aggregate row, not a county"
    )
    out = pd.DataFrame(index=df.index)
    out["fips"] = fips
    out["county_name"] = df["area_name"].str.strip()
    out["state"] = df["state_abbreviation"].str.strip()
    for raw, tidy in VARIABLES.items():
        out[tidy] = to_number(
            df, raw, path, min_value=0, max_value=100 if tidy in PERCENT else None
        )
    for c in ("pop_2014", "pop_2010"):
        out[c] = out[c].round().astype("Int64")
    out = out[~agg.to_numpy()]
    dup = out["fips"].duplicated()
    if dup.any():
        i = int(out.index[dup.to_numpy()][0])
        raise InputError(path, f"duplicate county {out.loc[i, 'fips']}", row=i + 1, field="Fips")
    return out.reset_index(drop=True), log


class CountyFacts2014(Adapter):
    """Census QuickFacts county extract (2014 estimates; ACS 2009-2013)."""

    name = "census_county_facts_2014"
    title = "Census QuickFacts county extract (2014; ACS 2009-2013: foreign-born, income, poverty)"

    def load(self, raw_dir: Path) -> SourceData:
        path = self.file(raw_dir, "county_facts.csv")
        sd = SourceData(self.name, caveats=list(CAVEATS))
        df, log = parse_county_facts(path)
        sd.record(path, rows_read=len(df) + len(log), rows_kept=len(df), log=log)
        sd.tables["county_facts_2014"] = df
        return sd
