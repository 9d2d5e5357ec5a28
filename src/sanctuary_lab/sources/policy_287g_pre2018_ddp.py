"""Deportation Data Project 287(g) reconstruction before 2018 (folder ``policy-287g-pre2018-ddp``).

Staged tables
-------------
``ddp_287g_best_guess``
    One row per agency *spelling* from ``pre2018-agreements-best-guess.csv``: state (2-letter),
    agency, jurisdiction_level, fips_list (all 5-digit FIPS, "; "-joined), fips (primary),
    dates (first_signed, latest_signed, active_from, active_to), models, terminated, n_sources,
    confidence, removal statistics, flags.
``ddp_287g_historical``
    ICE partner-page agency lists as of 2007-09-19 and 2008-03-10.

Cleanup rules
-------------
- ``county_fips`` is integer-like ("1055"); every "; "-separated code is zero-padded to 5 digits.
- Washington County Sheriff's Office (AR) carries "49053; 5143" (mixed with Washington Co., UT):
  codes whose state part disagrees with the row's state are removed (logged as a reject of
  field county_fips); that row keeps 05143 only. Repeated codes ("37063; 37063") are kept once.
- Footnote marks in state cells ("DELAWARE**") are removed before mapping to a 2-letter code.
- Header-less rows (blank state) come from GAO 2007 or the 2008 Yale list with the state inside
  the agency cell: "Cobb County Sheriff's Office (Georgia)" or "El Paso, Texas". The state is
  recovered from the parenthesis or the text after the last comma and the agency name is kept
  without it; the row is flagged ``state_from_name``.
- ``agency`` cells containing a URL (McCann appendix parsing artifacts) have the URL (from
  "http" to the end of the cell, since these URLs contain blanks) removed
  and ``agency_had_url`` set; a cell that is only a URL is rejected.
- ``active_to`` = 2017-08-01 (the last roster used) means "still active on the last roster",
  recorded as ``active_to_censored = True``; it is not an end date.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources._policy_util import clean_text, parse_dates, state_abbr, to_bool
from sanctuary_lab.sources.base import Adapter, RejectLog, SourceData, read_csv, to_number
from sanctuary_lab.sources.geo import ABBR_TO_FIPS

NAME = "policy-287g-pre2018-ddp"
LAST_ROSTER = pd.Timestamp("2017-08-01")
BEST_REQUIRED = [
    "state", "agency", "jurisdiction_level", "county_fips", "county_name", "first_signed_best",
    "first_signed_source", "latest_signed", "signing_dates", "models", "active_from", "active_to",
    "terminated", "n_rosters", "in_ice_roster", "rem_identified", "rem_removed", "n_sources",
    "secondary_sources", "confidence",
]  # fmt: skip
HIST_REQUIRED = ["source", "capture", "as_of", "state", "state_abbr", "agency"]
CONFIDENCE = ("high", "medium", "low")

CAVEATS = [
    "DDP pre-2018 287(g): one row per agency SPELLING; duplicates (e.g. 'AZ Department of "
    "Corrections' vs 'Arizona Department of Corrections') are merged in policy_287g.",
    "DDP pre-2018 287(g): Washington County SO (AR) carried FIPS '49053; 5143'; the Utah code is "
    "removed (fixed to 05143).",
    "DDP pre-2018 287(g): active_to 2017-08-01 means 'still on the last roster used', not an end.",
    "DDP pre-2018 287(g): 78 rows signed 2018+ come only from the McCann 2024 appendix, with no "
    "active window; some agency cells held URLs (parsing artifacts, removed).",
    "DDP pre-2018 287(g): header-less rows at the end come from a 2008 Yale list (state inside "
    "the agency name).",
    "DDP pre-2018 287(g): no licence known; an older product superseded by DDP parquet files that "
    "could not be read.",
]

_URL = re.compile(r"\s*(?:https?://|www\.).*$")  # URLs sit at the end and may contain blanks


def _split_name_state(agency: str) -> tuple[str, str | None]:
    """'Cobb County SO (Georgia)' -> ('Cobb County SO', 'GA'); 'El Paso, Texas' -> ('El Paso', 'TX')."""
    m = re.match(r"^(.*)\(([^()]+)\)\s*$", agency)
    if m:
        st = state_abbr(pd.Series([m.group(2).strip()])).iloc[0]
        if st is not pd.NA:
            return m.group(1).strip(), str(st)
    m = re.match(r"^(.*),\s*([^,]+)$", agency)
    if m:
        st = state_abbr(pd.Series([m.group(2).strip()])).iloc[0]
        if st is not pd.NA:
            return m.group(1).strip(), str(st)
    return agency, None


def parse_best_guess(path: Path) -> tuple[pd.DataFrame, RejectLog]:
    """Parse ``pre2018-agreements-best-guess.csv`` (see module docstring for cleanup rules)."""
    df = read_csv(path, required=BEST_REQUIRED)
    log = RejectLog(NAME, path.name)
    out = pd.DataFrame(index=df.index)
    out["row"] = pd.Series(range(1, len(df) + 1), index=df.index, dtype="int64")
    state_txt = clean_text(df["state"].str.replace(r"[^A-Za-z .]", "", regex=True))  # "DELAWARE**"
    state = state_abbr(state_txt)
    bad_state = state_txt.notna() & state.isna()
    if bad_state.any():
        i = int(bad_state.to_numpy().nonzero()[0][0])
        raise InputError(path, f"unknown state {df['state'].iloc[i]!r}", row=i + 1, field="state")
    agency = clean_text(df["agency"])
    had_url = agency.str.contains(_URL).fillna(False)
    agency = clean_text(agency.str.replace(_URL, "", regex=True).str.strip(" -;,"))
    from_name = pd.Series(False, index=df.index)
    for i in df.index[state.isna() & agency.notna()]:
        name, st = _split_name_state(str(agency.at[i]))
        if st:
            agency.at[i], state.at[i], from_name.at[i] = name, st, True
    out["state"] = state
    out["state_fips"] = state.map(ABBR_TO_FIPS).astype("string")
    out["agency"] = agency
    out["agency_had_url"] = had_url
    out["state_from_name"] = from_name
    out["jurisdiction_level"] = clean_text(df["jurisdiction_level"])
    fips_lists: list[object] = []
    for i, cell in clean_text(df["county_fips"]).items():
        if cell is pd.NA:
            fips_lists.append(pd.NA)
            continue
        codes = [c.strip() for c in str(cell).split(";") if c.strip()]
        good = []
        for c in codes:
            if not c.isdigit() or len(c) > 5:
                raise InputError(
                    path, f"malformed county FIPS {c!r}", row=int(i) + 1, field="county_fips"
                )
            c5 = c.zfill(5)
            if state.at[i] is not pd.NA and c5[:2] != out.at[i, "state_fips"]:
                log.add(int(i) + 1, "county_fips", f"FIPS {c5} is not in {state.at[i]}; removed")
                continue
            if c5 not in good:  # "37063; 37063" -> one code
                good.append(c5)
        fips_lists.append("; ".join(good) if good else pd.NA)
    out["fips_list"] = pd.Series(fips_lists, index=df.index, dtype="string")
    out["fips"] = out["fips_list"].str.split(";").str[0].str.strip()
    out["county_name"] = clean_text(df["county_name"])
    out["first_signed"] = parse_dates(df, "first_signed_best", path)
    out["first_signed_source"] = clean_text(df["first_signed_source"])
    out["latest_signed"] = parse_dates(df, "latest_signed", path)
    out["signing_dates"] = clean_text(df["signing_dates"])
    out["models"] = clean_text(df["models"])
    out["active_from"] = parse_dates(df, "active_from", path)
    out["active_to"] = parse_dates(df, "active_to", path)
    out["active_to_censored"] = out["active_to"].eq(LAST_ROSTER).fillna(False)
    out["terminated"] = to_bool(df, "terminated", path)
    out["in_ice_roster"] = to_bool(df, "in_ice_roster", path)
    out["n_rosters"] = to_number(df, "n_rosters", path, integer=True, min_value=0)
    out["rem_identified"] = to_number(df, "rem_identified", path, integer=True, min_value=0)
    out["rem_removed"] = to_number(df, "rem_removed", path, integer=True, min_value=0)
    out["n_sources"] = to_number(df, "n_sources", path, integer=True, min_value=0)
    out["secondary_sources"] = clean_text(df["secondary_sources"])
    conf = clean_text(df["confidence"]).str.lower()
    bad = conf.notna() & ~conf.isin(CONFIDENCE)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            path,
            f"confidence must be high/medium/low, got {conf.iloc[i]!r}",
            row=i + 1,
            field="confidence",
        )
    out["confidence"] = conf
    keep = out["agency"].notna()
    for i in keep[~keep].index:
        log.add(int(i) + 1, "agency", "agency cell empty (or only a URL)")
    return out[keep].reset_index(drop=True), log


def parse_historical_lists(path: Path) -> pd.DataFrame:
    """Parse ``historical-ice-lists.csv`` (ICE partner page captures, 2007-2008)."""
    df = read_csv(path, required=HIST_REQUIRED)
    out = pd.DataFrame(
        {
            "source": clean_text(df["source"]),
            "capture": clean_text(df["capture"]),
            "as_of": parse_dates(df, "as_of", path),
            "state": clean_text(df["state_abbr"]).str.upper(),
            "agency": clean_text(df["agency"]),
        }
    )
    out["state_fips"] = out["state"].map(ABBR_TO_FIPS).astype("string")
    bad = out["state_fips"].isna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            path, f"unknown state {df['state_abbr'].iloc[i]!r}", row=i + 1, field="state_abbr"
        )
    return out


class Ddp287gPre2018(Adapter):
    """DDP 287(g) agreements before 2018 (best-guess + historical ICE lists)."""

    name = NAME
    title = "Deportation Data Project 287(g) agreements before 2018"

    def load(self, raw_dir: Path) -> SourceData:
        sd = SourceData(self.name, caveats=list(CAVEATS))
        path = self.file(raw_dir, "pre2018-agreements-best-guess.csv")
        best, log = parse_best_guess(path)
        sd.tables["ddp_287g_best_guess"] = best
        n_dropped = sum(1 for r in log.rejects if r.field == "agency")
        sd.record(path, len(best) + n_dropped, len(best), log)
        path = self.file(raw_dir, "historical-ice-lists.csv")
        hist = parse_historical_lists(path)
        sd.tables["ddp_287g_historical"] = hist
        sd.record(path, len(hist), len(hist))
        return sd
