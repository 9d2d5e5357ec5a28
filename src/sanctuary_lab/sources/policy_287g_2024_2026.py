"""ICE 287(g) sheets Dec 2024 - 2026 and MOA dates (folder ``policy-287g-2024-2026``).

Staged tables
-------------
``ice_287g_sheet_2024``
    ICE participating-agencies table scraped 2024-12-18: state (2-letter), agency, model, signed
    (current MOA date, not first entry), moa_url, addendum_url.
``ice_287g_snapshots_2025``
    17 ICE sheet snapshots 2025-05-16 .. 2025-07-03, one row per snapshot x agency x model, with
    ORI (where the producer matched one), county name, agency type, population policed.
``ice_287g_moa``
    One row per MOA entry in ``moa_agreements.json``: state, agency (lower case, as keyed),
    model (JEM/TFM/WSO or NULL), moa_date (from the PDF file name), pdf_url, snapshot.

Cleanup rules
-------------
- Model names are normalised to ``jail`` (Jail Enforcement Model, JEM), ``task_force`` (Task Force
  Model, TFM) and ``warrant_service`` (Warrant Service Officer, WSO).
- MOA file-name dates are MMDDYY (6 digits) or MMDDYYYY (8 digits). Other lengths ("0425",
  "0611025"), impossible dates and years outside 2002-2030 ("02220202") are kept as NULL ``moa_date`` with ``date_filename`` preserved
  and a reject row (field date_filename) logged; the entry itself is kept.
- Snapshot ``date`` "2025-05-16 am" is split into ``snapshot_date`` and ``snapshot_part``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources._policy_util import clean_text, parse_dates, state_abbr
from sanctuary_lab.sources.base import (
    Adapter,
    RejectLog,
    SourceData,
    check_nonempty,
    read_csv,
    read_json,
    to_number,
)
from sanctuary_lab.sources.geo import ABBR_TO_FIPS

NAME = "policy-287g-2024-2026"
MODELS = {
    "jail enforcement model": "jail",
    "jem": "jail",
    "task force model": "task_force",
    "tfm": "task_force",
    "warrant service officer": "warrant_service",
    "wso": "warrant_service",
}
SHEET_REQUIRED = ["capture_date", "state", "agency", "support", "signed", "link", "addendum"]
SNAP_REQUIRED = [
    "date", "state", "county", "zip", "agency", "agency_id", "ori", "type",
    "population_policed", "operating_budget", "agency_type",
]  # fmt: skip
MOA_YEARS = (2002, 2030)  # 287(g) began in 2002; later years are typos
MOA_FIELDS = ["model", "pdf_url", "snapshot", "date_filename", "filename"]

CAVEATS = [
    "ICE sheet 2024-12-18: every agreement was re-signed in 2019-20 under new MOA templates, so "
    "'signed' is the current MOA date, not first entry into 287(g).",
    "ICE 2025 snapshots: no signing dates; county is a name; ~9% of rows have no ORI.",
    "MOA json: date parsed from the MOA PDF file name (MMDDYY/MMDDYYYY) is an approximate signing "
    "date; some file names carry no parseable date.",
    "287(g) 2024-2026 data: ICE web table scraped by Tracking_287g and normalised by 287g-watch "
    "(MIT); coverage is mostly 2019-2026 agreements.",
]


def normalise_model(s: pd.Series, file: str | Path, field: str) -> pd.Series:
    """Map ICE model labels to jail / task_force / warrant_service; unknown labels are an error."""
    raw = clean_text(s).str.lower()
    out = raw.map(MODELS)
    bad = raw.notna() & out.isna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(file, f"unknown 287(g) model {raw.iloc[i]!r}", row=i + 1, field=field)
    return out.astype("string")


def _states(df: pd.DataFrame, column: str, file: Path) -> pd.Series:
    st = state_abbr(clean_text(df[column]))
    bad = st.isna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(file, f"unknown state {df[column].iloc[i]!r}", row=i + 1, field=column)
    return st


def parse_ice_sheet(path: Path) -> pd.DataFrame:
    """Parse an ICE 287(g) participating-agencies sheet capture (Tracking_287g CSV layout)."""
    df = read_csv(path, required=SHEET_REQUIRED)
    out = pd.DataFrame(index=df.index)
    out["capture_date"] = parse_dates(
        df, "capture_date", path, fmt="%Y-%m-%d %H:%M:%S"
    ).dt.normalize()
    out["state"] = _states(df, "state", path)
    out["state_fips"] = out["state"].map(ABBR_TO_FIPS).astype("string")
    out["agency"] = clean_text(df["agency"])
    out["model"] = normalise_model(df["support"], path, "support")
    out["signed"] = parse_dates(df, "signed", path)
    out["moa_url"] = clean_text(df["link"])
    out["addendum_url"] = clean_text(df["addendum"])
    return out


def parse_snapshots(path: Path) -> pd.DataFrame:
    """Parse ``agreements.csv`` from 287g-watch (daily ICE sheet snapshots)."""
    df = read_csv(path, required=SNAP_REQUIRED)
    out = pd.DataFrame(index=df.index)
    parts = clean_text(df["date"]).str.split(" ", n=1)
    out["snapshot_date"] = parse_dates(pd.DataFrame({"date": parts.str[0]}), "date", path)
    out["snapshot_part"] = parts.str[1].astype("string")
    out["state"] = _states(df, "state", path)
    out["state_fips"] = out["state"].map(ABBR_TO_FIPS).astype("string")
    out["county_name"] = clean_text(df["county"])
    out["zip"] = clean_text(df["zip"])
    out["agency"] = clean_text(df["agency"])
    out["agency_id"] = clean_text(df["agency_id"])
    out["ori"] = clean_text(df["ori"]).str.upper()
    out["model"] = normalise_model(df["type"], path, "type")
    out["population_policed"] = to_number(df, "population_policed", path, min_value=0)
    out["operating_budget"] = to_number(df, "operating_budget", path, min_value=0)
    out["agency_type"] = clean_text(df["agency_type"])
    return out


def _moa_date(text: object) -> pd.Timestamp | None:
    if text is None or not str(text).isdigit():
        return None
    t = str(text)
    fmt = {6: "%m%d%y", 8: "%m%d%Y"}.get(len(t))
    if fmt is None:
        return None
    out = pd.to_datetime(t, format=fmt, errors="coerce")
    if pd.isna(out) or not (MOA_YEARS[0] <= out.year <= MOA_YEARS[1]):
        return None
    return out


def parse_moa_json(path: Path) -> tuple[pd.DataFrame, RejectLog]:
    """Parse ``moa_agreements.json``: ``{"ST|agency": [{model, pdf_url, date_filename, ...}]}``."""
    check_nonempty(path)
    log = RejectLog(NAME, path.name)
    data = read_json(path, expect=dict)  # decoding/syntax errors: one line naming the file
    if not isinstance(data, dict):
        raise InputError(path, "expected a JSON object keyed 'ST|agency name'")
    rows = []
    for n, (key, entries) in enumerate(data.items(), start=1):
        if "|" not in key:
            raise InputError(path, f"key {key!r} is not 'ST|agency name'", row=n, field="key")
        st, agency = key.split("|", 1)
        if st.upper() not in ABBR_TO_FIPS:
            raise InputError(path, f"unknown state {st!r} in key {key!r}", row=n, field="key")
        if not isinstance(entries, list):
            raise InputError(
                path, f"value of {key!r} must be a list of MOA entries", row=n, field="key"
            )
        for e in entries:
            if not isinstance(e, dict):
                raise InputError(
                    path, f"MOA entry of {key!r} is not a JSON object", row=n, field="key"
                )
            missing = [f for f in MOA_FIELDS if f not in e]
            if missing:
                raise InputError(
                    path, f"MOA entry of {key!r} lacks {missing}", row=n, field=missing[0]
                )
            date = _moa_date(e["date_filename"])
            if date is None and e["date_filename"] is not None:
                log.add(
                    n,
                    "date_filename",
                    f"unparseable MOA file date {e['date_filename']!r}; moa_date NULL",
                )
            rows.append(
                {
                    "entry": n,
                    "state": st.upper(),
                    "agency": agency.strip(),
                    "model_raw": e["model"],
                    "moa_date": date,
                    "date_filename": e["date_filename"],
                    "pdf_url": e["pdf_url"],
                    "snapshot": e["snapshot"],
                    "filename": e["filename"],
                }
            )
    out = pd.DataFrame(rows)
    out["model"] = normalise_model(out["model_raw"], path, "model")
    out["state_fips"] = out["state"].map(ABBR_TO_FIPS).astype("string")
    out["moa_date"] = pd.to_datetime(out["moa_date"])
    return out.drop(columns="model_raw"), log


class Ice287g2024to2026(Adapter):
    """ICE 287(g) sheets (Dec 2024, 2025 snapshots) and MOA dates."""

    name = NAME
    title = "ICE 287(g) participating agencies, Dec 2024 - 2026"

    def load(self, raw_dir: Path) -> SourceData:
        sd = SourceData(self.name, caveats=list(CAVEATS))
        path = self.file(raw_dir, "ice_287g_sheet_2024-12-18.csv")
        sheet = parse_ice_sheet(path)
        sd.tables["ice_287g_sheet_2024"] = sheet
        sd.record(path, len(sheet), len(sheet))
        path = self.file(raw_dir, "agreements_snapshots_2025.csv")
        snaps = parse_snapshots(path)
        sd.tables["ice_287g_snapshots_2025"] = snaps
        sd.record(path, len(snaps), len(snaps))
        path = self.file(raw_dir, "moa_agreements.json")
        moa, log = parse_moa_json(path)
        sd.tables["ice_287g_moa"] = moa
        sd.record(path, len(moa), len(moa), log)
        return sd
