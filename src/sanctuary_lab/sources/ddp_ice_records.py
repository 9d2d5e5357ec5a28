"""ICE arrest, detainer and removal record extracts as published by the Deportation Data Project,
folder ``ddp_ice_records`` (absent unless a user downloads them).

Format: Deportation Data Project, *ICE core data codebook* (https://deportationdata.org/docs/ice/
codebook.html; tables at https://deportationdata.org/docs/ice.html): one row per enforcement
action, snake_case ICE field names. Arrests: ``apprehension_date``, ``apprehension_state``,
``apprehension_aor``, ``apprehension_criminality`` (``1 Convicted Criminal``, ``2 Pending Criminal
Charges``, ``3 Other Immigration Violator``), ``unique_identifier``. Detainers: date column
``detainer_prepare_date``; removals: ``departed_date``; each with optional ``*_state`` and
``*_criminality`` columns. DDP posts Excel; save each table as CSV named ``arrests*.csv``,
``detainers*.csv`` or ``removals*.csv`` (the table kind is read from the name).

Staged table ``ice_records``: ``kind`` (arrests / detainers / removals), ``date``,
``fiscal_year`` (October-September), ``state``, ``criminality`` (``convicted`` / ``pending`` /
``other`` / NULL when not recorded).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources.base import Adapter, RejectLog, SourceData, read_csv

NAME = "ddp_ice_records"
DATE_COLUMNS = {
    "arrests": ("apprehension_date",),
    "detainers": ("detainer_prepare_date",),
    "removals": ("departed_date", "removal_date"),
}
STATE_COLUMNS = ("apprehension_state", "detainer_state", "facility_state", "state")
CRIMINALITY_COLUMNS = (
    "apprehension_criminality", "detainer_prepare_criminality", "removal_criminality", "criminality",
)  # fmt: skip
#: leading code of ICE's criminality field -> tidy category
CRIMINALITY = {"1": "convicted", "2": "pending", "3": "other"}

CAVEATS = [
    "ICE records (Deportation Data Project): ICE's criminality field; 'other' = other immigration "
    "violator (no conviction AND no pending charge), ICE's 'noncriminal'.",
    "Fiscal years run October-September; partial first/last years of an extract are partial.",
]


def kind_of(path: Path) -> str | None:
    stem = path.name.lower()
    return next((k for k in DATE_COLUMNS if stem.startswith(k)), None)


def parse_ddp_records(path: Path, kind: str) -> tuple[pd.DataFrame, RejectLog]:
    """Parse one DDP ICE table saved as CSV (``kind`` = arrests, detainers or removals).

    Raises
    ------
    InputError
        Missing date column, an unreadable date, or a criminality value outside ICE's three
        categories (names file, row, field).
    """
    path = Path(path)
    df = read_csv(path)
    log = RejectLog(NAME, path.name)
    dcol = next((c for c in DATE_COLUMNS[kind] if c in df.columns), None)
    if dcol is None:
        raise InputError(path, f"missing date column for {kind}", field=DATE_COLUMNS[kind][0])
    raw = df[dcol].astype("string").str.strip()
    date = pd.to_datetime(raw, errors="coerce", format="mixed")
    bad = date.isna() & raw.notna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(path, f"cannot read date {raw.iloc[i]!r}", row=i + 1, field=dcol)
    out = pd.DataFrame({"kind": kind, "date": date})
    out["fiscal_year"] = (date.dt.year + (date.dt.month >= 10).astype("Int64")).astype("Int64")
    scol = next((c for c in STATE_COLUMNS if c in df.columns), None)
    out["state"] = df[scol].astype("string").str.strip().str.upper() if scol else pd.NA
    ccol = next((c for c in CRIMINALITY_COLUMNS if c in df.columns), None)
    if ccol:
        c = df[ccol].astype("string").str.strip()
        code = c.str[:1]
        badc = c.notna() & ~code.isin(list(CRIMINALITY))
        if badc.any():
            i = int(badc.to_numpy().nonzero()[0][0])
            raise InputError(
                path,
                f"criminality {c.iloc[i]!r} is not one of ICE's 1/2/3 categories",
                row=i + 1,
                field=ccol,
            )
        out["criminality"] = code.map(CRIMINALITY)
    else:
        out["criminality"] = pd.NA
    nodate = out["date"].isna()
    log.add_many((out.index[nodate] + 1).tolist(), dcol, "no date")
    return out.loc[~nodate.to_numpy()].reset_index(drop=True), log


class DdpIceRecords(Adapter):
    """ICE arrests, detainers and removals (Deportation Data Project record extracts)."""

    name = NAME
    title = "ICE arrest / detainer / removal records (Deportation Data Project extracts)"
    get = "Deportation Data Project ICE tables (arrests, detainers, removals), saved as CSV"

    def load(self, raw_dir: Path) -> SourceData:
        sd = SourceData(self.name, caveats=list(CAVEATS))
        folder = Path(raw_dir) / self.name
        files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
        if not files:
            sd.caveats = [f"absent: no ICE record extracts in {self.name}/ (get: {self.get})"]
            return sd
        parts = []
        for path in files:
            kind = kind_of(path)
            if kind is None:
                log = RejectLog(self.name, path.name)
                log.add(
                    0, "file", "name does not start with arrests, detainers or removals; not parsed"
                )
                sd.record(path, rows_read=0, rows_kept=0, log=log)
                continue
            table, log = parse_ddp_records(path, kind)
            sd.record(path, rows_read=len(table) + len(log), rows_kept=len(table), log=log)
            parts.append(table)
        if parts:
            sd.tables["ice_records"] = pd.concat(parts, ignore_index=True)
        return sd
