"""Shared machinery for source adapters.

An adapter turns one raw-data folder into tidy *staged* tables plus provenance. Parsing a file
format (``parse_*`` functions taking a path or buffer) is kept apart from locating files in a
folder (``Adapter.load``), so the same parsers read fuller official downloads a user supplies.

Rules every adapter follows
---------------------------
- Structural problems (missing file, empty file, missing column, non-numeric value in a numeric
  column, impossible FIPS) raise :class:`~sanctuary_lab.core.errors.InputError` naming file, row, field.
- Expected, documented row-level problems (a Puerto Rico row, a national total row, a missing
  rate) are *rejected* with a reason via :class:`RejectLog`, counted in provenance, never dropped
  silently.
- A real zero is kept as 0; a missing report is NULL plus a quality flag.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import os
import re
import stat
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from sanctuary_lab.core.errors import InputError
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
        if not os.path.lexists(path):
            raise InputError(path, "expected file is missing from the source folder")
        check_readable_file(path)
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


def check_readable_file(path: Path) -> None:
    """A regular, readable file: directories, symlink loops, broken links, devices, FIFOs and
    unreadable files are InputErrors naming the path."""
    p = Path(path)
    if not os.path.lexists(p):
        raise InputError(p, "file not found")
    try:
        st = p.stat()  # follows links; a loop raises ELOOP
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(p, "is a symbolic link loop, not a file") from None
        if p.is_symlink():
            raise InputError(p, "is a broken symbolic link") from None
        raise InputError(p, f"cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(p, "is a directory where a file is expected")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(p, "is not a regular file (device, FIFO or socket)")
    if not os.access(p, os.R_OK):
        raise InputError(p, "file is not readable (permission denied)")


def check_nonempty(path: Path) -> None:
    """A readable regular file (:func:`check_readable_file`) that is not empty."""
    check_readable_file(path)
    if Path(path).stat().st_size == 0:
        raise InputError(path, "file is empty")


def read_json(path: Path, *, expect: type = dict, encoding: str = "utf-8") -> Any:
    """Read a JSON file; decoding, syntax and top-level-structure errors are one-line InputErrors.

    Parameters
    ----------
    expect
        Type the top-level value must have (``dict`` or ``list``).
    """
    check_nonempty(path)
    try:
        text = Path(path).read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            path, f"cannot decode file as {encoding} (byte {exc.start}): {exc.reason}"
        ) from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            path,
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            row=exc.lineno,
        ) from None
    except RecursionError:
        raise InputError(path, "JSON is nested too deeply") from None
    if not isinstance(data, expect):
        raise InputError(
            path,
            f"unexpected JSON structure: top level is {type(data).__name__}, "
            f"expected {expect.__name__}",
        )
    return data


def json_get(data: Any, keys: Sequence[str | int], path: Path, expect: type | None = None) -> Any:
    """``data[k0][k1]...`` with a one-line InputError naming the JSON path when absent or of the
    wrong type (``expect``)."""
    cur = data
    trail = "$"
    for k in keys:
        trail += f"[{k!r}]"
        try:
            cur = cur[k]
        except (KeyError, IndexError, TypeError):
            raise InputError(path, f"unexpected JSON structure: {trail} is missing") from None
    if expect is not None and not isinstance(cur, expect):
        raise InputError(
            path,
            f"unexpected JSON structure: {trail} is {type(cur).__name__}, "
            f"expected {expect.__name__}",
        )
    return cur


def check_year_in_range(
    year: int, lo: int, hi: int | None, file: str | Path, what: str = "year"
) -> int:
    """A year within the source's stated range ``lo..hi`` (``hi=None``: the current year)."""
    import datetime as _dt

    top = _dt.date.today().year if hi is None else hi
    if not lo <= int(year) <= top:
        raise InputError(file, f"{what} {year} is outside the source's range {lo}-{top}")
    return int(year)


def _scan_fields(
    path: Path,
    name: str,
    *,
    encoding: str,
    sep: str,
    skipinitialspace: bool,
    skiprows: int = 0,
) -> None:
    """Check the header has no duplicated names and every row has the header's field count.

    pandas silently pads a short (truncated) row with missing values and, for a duplicated
    header, renames the second copy; both hide broken files, so both are errors here.
    """
    try:
        with open(path, encoding=encoding, newline="") as fh:
            for _ in range(skiprows):
                fh.readline()
            reader = csv.reader(fh, delimiter=sep, skipinitialspace=skipinitialspace)
            header: list[str] | None = None
            row = 0
            for rec in reader:
                if header is None:
                    if not rec:
                        continue
                    header = [h.strip() for h in rec]
                    seen: dict[str, int] = {}
                    for i, h in enumerate(header):
                        if h in seen and h:
                            raise InputError(
                                name,
                                f"duplicated column header {h!r} (columns {seen[h] + 1} and "
                                f"{i + 1})",
                                field=h,
                            )
                        seen[h] = i
                    continue
                if not rec or (len(rec) == 1 and not rec[0].strip()):
                    continue  # blank line (pandas skips these too)
                row += 1
                if len(rec) != len(header):
                    kind = "short" if len(rec) < len(header) else "long"
                    raise InputError(
                        name,
                        f"malformed CSV: {kind} row: {len(rec)} fields where the header has "
                        f"{len(header)} (truncated, shifted or unquoted row)",
                        row=row,
                    )
    except csv.Error as exc:
        raise InputError(name, f"malformed CSV: {exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(name, f"cannot decode file as {encoding}: {exc.reason}") from None


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
    check_nonempty(path)
    name = label or str(path)
    scan_ok = set(kwargs) <= {"skiprows"} and isinstance(kwargs.get("skiprows", 0), int)
    if scan_ok and len(sep) == 1:
        _scan_fields(
            Path(path),
            name,
            encoding=encoding,
            sep=sep,
            skipinitialspace=skipinitialspace,
            skiprows=int(kwargs.get("skiprows", 0)),
        )
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
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
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
