"""The Marshall Project city violent crime, 1975-2015 (folder ``marshall_city_crime``).

One row per agency (ORI) and year. Rows with no ORI are the FBI national totals the file carries
("National"); they go to a separate staged table and are logged as rejects from the city table.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources.base import (
    NA_TOKENS,
    Adapter,
    RejectLog,
    SourceData,
    read_csv,
    to_number,
)

COUNTS = {
    "homs_sum": "murder",
    "rape_sum": "rape",
    "rob_sum": "robbery",
    "agg_ass_sum": "agg_assault",
    "violent_crime": "violent_count",
}
RATES = {
    "violent_per_100k": "violent_rate_100k",
    "homs_per_100k": "murder_rate_100k",
    "rape_per_100k": "rape_rate_100k",
    "rob_per_100k": "robbery_rate_100k",
    "agg_ass_per_100k": "agg_assault_rate_100k",
}
REQUIRED = ["ORI", "year", "department_name", "total_pop", *COUNTS, "months_reported", *RATES]

CAVEATS = [
    "Marshall Project city data: violent crime only, 68 mostly big-city agencies; no county FIPS (join via ORI).",
    "Marshall Project: 2015 figures collected by the Marshall Project from agencies (column source); "
    "2015 rates use 2014 population.",
    "Marshall Project: rape definition changed in 2013 (legacy -> revised); the series mixes them.",
    "Marshall Project: 2,823 9/11 deaths removed from NYC 2001 homicides; several agency-years have "
    "<12 months reported or missing cells.",
    "Marshall Project 'National' rows (no ORI) are kept in stg_marshall_national, not in city_crime.",
]


def _text(col: pd.Series) -> pd.Series:
    s = col.astype("string").str.strip()
    return s.where(~s.isin(NA_TOKENS))


def parse_city_crime(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, RejectLog]:
    """Parse ``ucr_crime_1975_2015.csv``-style files.

    Returns
    -------
    (cities, national, rejects)
        ``cities``: ori, year, department_name, population, counts, months_reported, rates,
        source_note, url. ``national``: year, counts, rates for rows without an ORI.
    """
    df = read_csv(path, required=REQUIRED)
    log = RejectLog("marshall_city_crime", path.name)
    out = pd.DataFrame(index=df.index)
    out["ori"] = _text(df["ORI"]).str.upper()
    out["year"] = to_number(df, "year", path, integer=True, min_value=1900, max_value=2100)
    out["department_name"] = df["department_name"].str.strip()
    out["population"] = to_number(df, "total_pop", path, integer=True, min_value=0)
    for raw, tidy in COUNTS.items():
        out[tidy] = to_number(df, raw, path, integer=True, min_value=0)
    out["months_reported"] = to_number(
        df, "months_reported", path, integer=True, min_value=0, max_value=12
    )
    for raw, tidy in RATES.items():
        out[tidy] = to_number(df, raw, path, min_value=0)
    out["source_note"] = _text(df["source"]) if "source" in df.columns else pd.NA
    out["url"] = _text(df["url"]) if "url" in df.columns else pd.NA
    has_ori = out["ori"].notna()
    bad = has_ori & ~out["ori"].str.fullmatch(r"[A-Z0-9]{7}(?:[A-Z0-9]{2})?").fillna(False)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            path,
            f"malformed ORI {df['ORI'].iloc[i]!r} (expected 7 or 9 characters)",
            row=i + 1,
            field="ORI",
        )
    national = out[~has_ori].drop(
        columns=["ori", "population", "months_reported", "source_note", "url"]
    )
    log.add_many(
        (out.index[~has_ori] + 1).tolist(),
        "ORI",
        "national total row (no ORI): kept in stg_marshall_national",
    )
    cities = out[has_ori]
    dup = cities.duplicated(["ori", "year"])
    if dup.any():
        i = int(cities.index[dup.to_numpy()][0])
        raise InputError(
            path,
            f"duplicate agency-year {cities.loc[i, 'ori']}/{cities.loc[i, 'year']}",
            row=i + 1,
            field="ORI",
        )
    return cities.reset_index(drop=True), national.reset_index(drop=True), log


class MarshallCityCrime(Adapter):
    """The Marshall Project city violent crime, 68 agencies (ORI), 1975-2015."""

    name = "marshall_city_crime"
    title = "The Marshall Project city violent crime by agency (ORI), 1975-2015"

    def load(self, raw_dir: Path) -> SourceData:
        folder = self.folder(raw_dir)
        files = sorted(folder.glob("*.csv"))
        if not files:
            raise InputError(folder, "no CSV file found in the source folder")
        sd = SourceData(self.name, caveats=list(CAVEATS))
        cities, nationals = [], []
        for path in files:
            c, n, log = parse_city_crime(path)
            sd.record(path, rows_read=len(c) + len(n), rows_kept=len(c), log=log)
            cities.append(c)
            nationals.append(n)
        sd.tables["marshall_city_crime"] = pd.concat(cities, ignore_index=True)
        sd.tables["marshall_national"] = pd.concat(nationals, ignore_index=True)
        return sd
