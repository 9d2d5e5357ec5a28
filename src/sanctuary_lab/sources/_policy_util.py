"""Small helpers shared by the policy adapters (287(g), Secure Communities, detainers, AOR).

Used only inside :mod:`sanctuary_lab.sources`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources.base import check_nonempty
from sanctuary_lab.sources.geo import STATES, state_fips_from_any


def read_xlsx(path: Path, *, required: list[str], sheet: int | str = 0) -> pd.DataFrame:
    """Read one sheet of an ``.xlsx`` as strings and check ``required`` columns.

    Column names are stripped of surrounding whitespace. Empty cells become ``pd.NA``.
    """
    check_nonempty(path)
    try:
        df = pd.read_excel(path, sheet_name=sheet, dtype=str, engine="openpyxl")
    except Exception as exc:  # openpyxl raises several unrelated types for a bad file
        raise InputError(path, f"cannot read as an Excel .xlsx workbook: {exc}") from exc
    df.columns = [str(c).strip() for c in df.columns]
    if df.shape[0] == 0:
        raise InputError(path, "sheet has a header but no data rows")
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(
            path,
            f"missing required column(s) {missing}; found {list(df.columns)[:12]}",
            field=missing[0],
        )
    return df.astype("string")


def clean_text(s: pd.Series) -> pd.Series:
    """Strip whitespace, unify curly apostrophes, collapse runs of spaces; blanks become NA."""
    out = (
        s.astype("string")
        .str.replace("\u2019", "'", regex=False)
        .str.replace("\u2018", "'", regex=False)
        .str.replace(r"\s+", " ", regex=True)
        .str.strip()
    )
    return out.mask(out == "")


def state_abbr(s: pd.Series) -> pd.Series:
    """Map state names/abbreviations/FIPS to 2-letter postal codes (NA when unknown)."""

    def one(v: object) -> object:
        if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
            return pd.NA
        code = state_fips_from_any(str(v))
        return STATES[code][0] if code else pd.NA

    return s.map(one).astype("string")


def parse_dates(
    df: pd.DataFrame, column: str, file: str | Path, *, fmt: str = "%Y-%m-%d"
) -> pd.Series:
    """Parse a date column; a non-empty value that is not a date is an InputError (row, field)."""
    if column not in df.columns:
        raise InputError(file, "missing required column", field=column)
    raw = clean_text(df[column])
    out = pd.to_datetime(raw, format=fmt, errors="coerce")
    bad = out.isna() & raw.notna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            file, f"expected a date ({fmt}), got {raw.iloc[i]!r}", row=i + 1, field=column
        )
    return out


def to_bool(df: pd.DataFrame, column: str, file: str | Path) -> pd.Series:
    """Parse TRUE/FALSE text (case-insensitive; blank = NA); anything else is an InputError."""
    if column not in df.columns:
        raise InputError(file, "missing required column", field=column)
    raw = clean_text(df[column]).str.upper()
    mapping = {"TRUE": True, "FALSE": False, "T": True, "F": False}
    out = raw.map(mapping)
    bad = out.isna() & raw.notna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(file, f"expected TRUE/FALSE, got {raw.iloc[i]!r}", row=i + 1, field=column)
    return out.astype("boolean")
