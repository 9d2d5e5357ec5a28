"""Shared machinery for source adapters.

An adapter turns one raw-data folder into tidy *staged* tables plus provenance. Parsing a file
format (``parse_*`` functions taking a path or buffer) is kept apart from locating files in a
folder (``Adapter.load``), so the same parsers read fuller official downloads a user supplies.

Rules every adapter follows
---------------------------
- Structural problems (missing file, empty file, missing column, non-numeric value in a numeric
  column, impossible FIPS) raise :class:`~sanctuary_lab.errors.InputError` naming file, row, field.
- Expected, documented row-level problems (a Puerto Rico row, a national total row, a missing
  rate) are *rejected* with a reason via :class:`RejectLog`, counted in provenance, never dropped
  silently.
- A real zero is kept as 0; a missing report is NULL plus a quality flag.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from sanctuary_lab.errors import InputError
from sanctuary_lab.sources.geo import STATES


@dataclass(frozen=True)
class FileRecord:
    """Provenance of one raw file read by an adapter."""

    source: str
    file: str
    sha256: str
    rows_read: int
    rows_kept: int
    rows_rejected: int


@dataclass(frozen=True)
class Reject:
    """One rejected row and why."""

    source: str
    file: str
    row: int
    field: str
    reason: str


@dataclass
class RejectLog:
    """Collects rejected rows for one file."""

    source: str
    file: str
    rejects: list[Reject] = field(default_factory=list)

    def add(self, row: int, field_name: str, reason: str) -> None:
        self.rejects.append(Reject(self.source, self.file, int(row), field_name, reason))

    def add_many(self, rows: Iterable[int], field_name: str, reason: str) -> None:
        for r in rows:
            self.add(r, field_name, reason)

    def __len__(self) -> int:
        return len(self.rejects)


@dataclass
class SourceData:
    """What an adapter yields: staged tables, provenance and caveats."""

    source: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: list[FileRecord] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)

    def record(
        self, path: Path, rows_read: int, rows_kept: int, log: RejectLog | None = None
    ) -> None:
        """Add a provenance row for ``path`` (and its rejects)."""
        n_rej = len(log) if log is not None else 0
        self.files.append(
            FileRecord(self.source, path.name, sha256_file(path), rows_read, rows_kept, n_rej)
        )
        if log is not None:
            self.rejects.extend(log.rejects)


class Adapter(ABC):
    """One adapter per raw-data folder."""

    #: folder name under the raw-data directory
    name: ClassVar[str]
    #: one-line description of the source
    title: ClassVar[str]

    def folder(self, raw_dir: Path) -> Path:
        path = Path(raw_dir) / self.name
        if not path.is_dir():
            raise InputError(
                path, "source folder is missing; check --raw-dir or SANCTUARY_LAB_RAW_DIR"
            )
        return path

    def file(self, raw_dir: Path, filename: str) -> Path:
        path = self.folder(raw_dir) / filename
        if not path.is_file():
            raise InputError(path, "expected file is missing from the source folder")
        return path

    @abstractmethod
    def load(self, raw_dir: Path) -> SourceData:
        """Read this source's folder under ``raw_dir`` and return staged tables."""


# ----------------------------------------------------------------------------------------------
# file helpers


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check_nonempty(path: Path) -> None:
    if not Path(path).is_file():
        raise InputError(path, "file not found")
    if Path(path).stat().st_size == 0:
        raise InputError(path, "file is empty")


def read_csv(
    path: Path,
    *,
    required: Sequence[str] = (),
    encoding: str = "utf-8",
    sep: str = ",",
    skipinitialspace: bool = False,
    label: str | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """Read a CSV as strings, checking it is non-empty, well-formed and has ``required`` columns.

    All columns come back as ``str`` (missing cells as ``pd.NA``); convert with
    :func:`to_number` so that a bad value is reported with its row and field.
    """
    _check_nonempty(path)
    name = label or str(path)
    try:
        df = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            encoding=encoding,
            sep=sep,
            skipinitialspace=skipinitialspace,
            **kwargs,
        )
    except UnicodeDecodeError as exc:
        raise InputError(name, f"cannot decode file as {encoding}: {exc.reason}") from exc
    except pd.errors.EmptyDataError as exc:
        raise InputError(name, "file has no header or rows") from exc
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+)", str(exc))
        row = int(m.group(1)) - 1 if m else None
        raise InputError(name, f"malformed CSV: {str(exc).strip()}", row=row) from exc
    if df.shape[0] == 0:
        raise InputError(name, "file has a header but no data rows")
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError(
            name,
            f"missing required column(s) {missing}; found {list(df.columns)[:12]}",
            field=missing[0],
        )
    return df


def read_text_csv(text: str, **kwargs: Any) -> pd.DataFrame:
    """Parse CSV text held in memory (used by tests and by adapters of embedded files)."""
    return pd.read_csv(
        io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""], **kwargs
    )


NA_TOKENS = frozenset({"", "NA", "N/A", "NaN", "nan", "NULL", ".", "-"})


def to_number(
    df: pd.DataFrame,
    column: str,
    file: str | Path,
    *,
    na_tokens: Iterable[str] = NA_TOKENS,
    min_value: float | None = None,
    max_value: float | None = None,
    integer: bool = False,
    strip_chars: str = "",
) -> pd.Series:
    """Convert a string column to numbers; a non-numeric, non-missing value is an InputError.

    Parameters
    ----------
    na_tokens
        Cell values that mean "missing" (become NaN).
    min_value, max_value
        Inclusive range check; a value outside raises InputError naming row and field.
    integer
        Require whole numbers (returns nullable Int64).
    strip_chars
        Characters removed before parsing (e.g. "$," for money).
    """
    if column not in df.columns:
        raise InputError(file, "missing required column", field=column)
    raw = df[column].astype("string")
    if strip_chars:
        raw = raw.str.replace(f"[{re.escape(strip_chars)}]", "", regex=True)
    raw = raw.str.strip()
    tokens = set(na_tokens)
    is_na = raw.isna() | raw.isin(tokens)
    num = pd.to_numeric(raw.where(~is_na), errors="coerce")
    bad = num.isna() & ~is_na
    if bad.any():
        i = int(bad.fillna(False).to_numpy(dtype=bool).nonzero()[0][0])
        raise InputError(file, f"expected a number, got {raw.iloc[i]!r}", row=i + 1, field=column)
    if min_value is not None:
        low = num < min_value
        if low.any():
            i = int(low.fillna(False).to_numpy(dtype=bool).nonzero()[0][0])
            raise InputError(
                file,
                f"value {num.iloc[i]} is below the minimum {min_value}",
                row=i + 1,
                field=column,
            )
    if max_value is not None:
        high = num > max_value
        if high.any():
            i = int(high.fillna(False).to_numpy(dtype=bool).nonzero()[0][0])
            raise InputError(
                file,
                f"value {num.iloc[i]} is above the maximum {max_value}",
                row=i + 1,
                field=column,
            )
    if integer:
        frac = num.notna() & (num % 1 != 0)
        if frac.any():
            i = int(frac.fillna(False).to_numpy(dtype=bool).nonzero()[0][0])
            raise InputError(
                file, f"expected a whole number, got {raw.iloc[i]!r}", row=i + 1, field=column
            )
        return num.astype("Int64")
    return num.astype("float64")


def county_fips(
    values: pd.Series,
    file: str | Path,
    field_name: str,
    *,
    county_part: pd.Series | None = None,
) -> pd.Series:
    """Normalise county FIPS to 5-digit strings, raising InputError on impossible codes.

    ``values`` may be full FIPS (int-like "1001" or "01001") or, with ``county_part``, the state
    part. Missing values stay missing. A code whose state part is not a US state/DC/PR is an
    "unknown FIPS" error.
    """
    s = values.astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
    if county_part is not None:
        c = county_part.astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
        s = s.str.zfill(2) + c.str.zfill(3)
    out = s.str.zfill(5)
    present = out.notna()
    bad_syntax = present & ~out.str.fullmatch(r"\d{5}").fillna(False)
    if bad_syntax.any():
        i = int(bad_syntax.to_numpy().nonzero()[0][0])
        raise InputError(
            file, f"malformed county FIPS {values.iloc[i]!r}", row=i + 1, field=field_name
        )
    unknown = present & ~out.str[:2].isin(list(STATES))
    if unknown.any():
        i = int(unknown.to_numpy().nonzero()[0][0])
        raise InputError(
            file,
            f"unknown FIPS {out.iloc[i]!r}: state code {out.iloc[i][:2]!r} is not a US state, DC or PR",
            row=i + 1,
            field=field_name,
        )
    return out


def sniff_delimiter(path: Path, encoding: str = "utf-8") -> str:
    with open(path, encoding=encoding, errors="replace") as fh:
        head = fh.read(4096)
    try:
        return csv.Sniffer().sniff(head, delimiters=",|;\t").delimiter
    except csv.Error:
        return ","
