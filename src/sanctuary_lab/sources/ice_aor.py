"""ICE ERO Area-of-Responsibility crosswalks (folder ``ice-aor-crosswalks``).

Staged tables
-------------
``uwchr_county_aor``
    fips (5-digit), state_fips, name (as given, "autauga county, alabama"), county_name,
    state_name, aor (3-letter code).
``aor_demog``
    UWCHR AOR x year (2012-2019) ACS-based population, foreign-born, non-citizen and
    undocumented estimates (with _se/_low/_upp); the file is pipe-delimited.
``aor_field_office``
    aor, field office address, lat, long.
``ddp_aor_offices``
    DDP office list: office_name, state_name, state (2-letter), county_name (NULL = the whole
    state), notes. The file separates fields with '", "' so it is read with skipinitialspace.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources._policy_util import clean_text, state_abbr
from sanctuary_lab.sources.base import (
    Adapter,
    RejectLog,
    SourceData,
    county_fips,
    read_csv,
    to_number,
)

NAME = "ice-aor-crosswalks"
AOR_RE = r"[A-Z]{2,3}"  # 3-letter AOR codes; "HQ" for headquarters

CAVEATS = [
    "AOR crosswalks: UWCHR has 24 AOR codes (no Harlingen); DDP lists 25 offices (incl. Harlingen "
    "and San Antonio). AOR boundaries change over time; check the period analysed.",
    "AOR crosswalks: DDP county names have no FIPS; a blank county means the whole state.",
    "AOR demographic indicators: UWCHR's ACS-based estimates; the undocumented estimate method is "
    "UWCHR's.",
    "UWCHR files are GPL-3.0; DDP office list CC0-1.0.",
]


def _aor_codes(s: pd.Series, path: Path, field: str) -> pd.Series:
    out = clean_text(s).str.upper()
    bad = out.isna() | ~out.str.fullmatch(AOR_RE).fillna(False)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            path, f"AOR code must be 2-3 letters, got {s.iloc[i]!r}", row=i + 1, field=field
        )
    return out


def parse_county_aor(path: Path) -> pd.DataFrame:
    """Parse UWCHR ``county_aor.csv`` (geoid, geoid_state, geoid_county, name, aor)."""
    df = read_csv(path, required=["geoid", "name", "aor"])
    out = pd.DataFrame(index=df.index)
    out["fips"] = county_fips(df["geoid"], path, "geoid")
    if out["fips"].isna().any():
        i = int(out["fips"].isna().to_numpy().nonzero()[0][0])
        raise InputError(path, "county FIPS is missing", row=i + 1, field="geoid")
    out["state_fips"] = out["fips"].str[:2]
    out["name"] = clean_text(df["name"])
    parts = out["name"].str.rsplit(",", n=1)
    out["county_name"] = parts.str[0].str.strip().astype("string")
    out["state_name"] = parts.str[1].str.strip().astype("string")
    out["aor"] = _aor_codes(df["aor"], path, "aor")
    dup = out["fips"].duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise InputError(
            path, f"county {out['fips'].iloc[i]} appears twice", row=i + 1, field="geoid"
        )
    return out


def parse_aor_demog(path: Path) -> pd.DataFrame:
    """Parse UWCHR ``aor_demog_indicators.csv`` (pipe-delimited)."""
    df = read_csv(path, required=["aor", "year", "total_pop", "undocu_pop"], sep="|")
    out = pd.DataFrame(index=df.index)
    out["aor"] = _aor_codes(df["aor"], path, "aor")
    out["year"] = to_number(df, "year", path, integer=True, min_value=2000, max_value=2030)
    for c in df.columns:
        if c not in ("aor", "year"):
            out[c] = to_number(df, c, path)
    return out


def parse_field_offices(path: Path) -> pd.DataFrame:
    """Parse UWCHR ``aor_ero_field_office.csv`` (aor, field_office_addr, lat, long)."""
    df = read_csv(path, required=["aor", "field_office_addr", "lat", "long"])
    return pd.DataFrame(
        {
            "aor": _aor_codes(df["aor"], path, "aor"),
            "field_office_addr": clean_text(df["field_office_addr"]),
            "lat": to_number(df, "lat", path, min_value=-90, max_value=90),
            "lon": to_number(df, "long", path, min_value=-180, max_value=180),
        }
    )


def parse_ddp_offices(path: Path) -> tuple[pd.DataFrame, RejectLog]:
    """Parse DDP ``ice-areas-of-responsibility.csv`` (quote-space CSV).

    Rows for territories other than Puerto Rico (Virgin Islands, Guam, ...) are rejected with a
    reason; a blank state name is an InputError.
    """
    df = read_csv(
        path, required=["office_name", "state_name", "county_name", "notes"], skipinitialspace=True
    )
    log = RejectLog(NAME, path.name)
    out = pd.DataFrame(index=df.index)
    out["office_name"] = clean_text(df["office_name"])
    out["state_name"] = clean_text(df["state_name"])
    if out["state_name"].isna().any():
        i = int(out["state_name"].isna().to_numpy().nonzero()[0][0])
        raise InputError(path, "state name is blank", row=i + 1, field="state_name")
    out["state"] = state_abbr(out["state_name"])
    out["county_name"] = clean_text(df["county_name"])
    out["notes"] = clean_text(df["notes"])
    bad = out["state"].isna()
    for i in bad[bad].index:
        log.add(
            int(i) + 1, "state_name", f"{out.at[i, 'state_name']!r} is not a US state, DC or PR"
        )
    return out[~bad].reset_index(drop=True), log


class IceAorCrosswalks(Adapter):
    """County -> ICE AOR crosswalks and AOR indicators."""

    name = NAME
    title = "ICE ERO area-of-responsibility crosswalks (UWCHR, DDP)"

    def load(self, raw_dir: Path) -> SourceData:
        sd = SourceData(self.name, caveats=list(CAVEATS))
        for table, fname, parser in (
            ("uwchr_county_aor", "uwchr_county_aor.csv", parse_county_aor),
            ("aor_demog", "uwchr_aor_demog_indicators.csv", parse_aor_demog),
            ("aor_field_office", "uwchr_aor_ero_field_office.csv", parse_field_offices),
            ("ddp_aor_offices", "ddp_ice_areas_of_responsibility.csv", parse_ddp_offices),
        ):
            path = self.file(raw_dir, fname)
            res = parser(path)
            tab, log = res if isinstance(res, tuple) else (res, None)
            sd.tables[table] = tab
            sd.record(path, len(tab) + (len(log) if log else 0), len(tab), log)
        return sd
