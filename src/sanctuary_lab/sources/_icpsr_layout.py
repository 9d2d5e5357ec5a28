"""ICPSR/NACJD county-level UCR fixed-width files: layouts and a vectorised record reader.

The ICPSR county-level UCR studies ("Uniform Crime Reporting Program Data [United States]:
County-Level Detailed Arrest and Offense Data", one study per year) ship each part as a
fixed-width ASCII file whose column positions are given in the study codebook. The codebook
variable lists are transcribed as tab-separated *definition* files (``name, label, code,
start-end, width, parts``; one row per variable and part group). :func:`read_layout` reads such a
file; :func:`read_fixed_width` slices records with it, vectorised with numpy (no per-row Python).

Parts (ICPSR numbering, 1998-2008 codebooks): 1 = arrests all ages, 2 = juveniles, 3 = adults,
4 = crimes reported (offences known), 5-7 = state-level arrest parts, 8 = state-level offences.
The 1977-1983 multi-year study 08703 numbers its parts 1-14: odd = arrests by year, even =
offences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import InputError


@dataclass(frozen=True)
class Field:
    """One variable of a fixed-width layout (1-based inclusive columns, as in the codebook)."""

    name: str
    label: str
    start: int
    end: int
    parts: tuple[int, ...]
    decimals: bool = False

    @property
    def width(self) -> int:
        return self.end - self.start + 1


#: tidy column name for each (normalised) codebook label; labels vary across years
LABELS: dict[str, str] = {
    "FIPS STATE CODE": "fips_st",
    "STATE CODE": "fips_st",
    "FIPS COUNTY CODE": "fips_cty",
    "COUNTY CODE": "fips_cty",
    "ICPSR PART NUMBER": "part",
    "ICPSR STUDY NUMBER": "studyno",
    "TOTAL COUNTY POPULATION OF AGENCIES": "pop_covered",
    "TOTAL COUNTY POPULATION OF AGENCIES REPORTING ARRESTS": "pop_covered",
    "COUNTY POPULATION OF": "pop_covered",
    "COUNTY POPULATION": "pop_covered",
    "POPULATION": "pop_covered",
    "COUNTY POPULATION-TOTAL": "county_population",
    "NUMBER OF AGENCIES IN COUNTY": "agencies",
    "MULTI-COUNTY JURISDICTION FLAG": "jurflag",
    "COVERAGE INDICATOR": "coverage",
    "GRAND TOTAL": "all_arrests",
    "PART 1-TOTAL": "part1",
    "PART 1 TOTAL": "part1",
    "PART 1-VIOLENT CRIMES": "violent",
    "VIOLENT CRIMES": "violent",
    "PART 1-PROPERTY CRIMES": "property",
    "PROPERTY CRIMES": "property",
    "MURDERS": "murder",
    "MURDER": "murder",
    "RAPES": "rape",
    "RAPE": "rape",
    "FORCIBLE RAPES": "rape",
    "ROBBERIES": "robbery",
    "ROBBERY": "robbery",
    "AGGRAVATED ASSAULTS": "agg_assault",
    "ASSAULT": "agg_assault",
    "BURGLARIES": "burglary",
    "BURGLARY": "burglary",
    "LARCENIES": "larceny",
    "LARCENY": "larceny",
    "MOTOR VEHICLE THEFTS": "motor_vehicle_theft",
    "AUTO THEFTS": "motor_vehicle_theft",
    "VEHICLE THEFT": "motor_vehicle_theft",
    "ARSONS": "arson",
    "ARSON": "arson",
    "OTHER ASSAULTS": "other_assault",
    "FORGERY/COUNTERFEITING": "forgery",
    "FRAUD": "fraud",
    "EMBEZZLEMENT": "embezzlement",
    "HAVE STOLEN PROPERTY": "stolen_property",
    "VANDALISM": "vandalism",
    "WEAPONS VIOLATIONS": "weapons",
    "PROSTITUTION/COMM VICE": "prostitution",
    "SEX OFFENSES": "sex_offences",
    "DRUG ABUSE VIOLATIONS-TOTAL": "drug_total",
    "DRUG ABUSE VIOL. TOTAL": "drug_total",
    "DRUG ABUSE SALE/MANUFACTURE": "drug_sale",
    "DRUG ABUSE SALE/MANUFAC": "drug_sale",
    "DRUG POSSESSION-SUBTOTAL": "drug_possession",
    "DRUG POSSESSION SUBTOTAL": "drug_possession",
    "GAMBLING-TOTAL": "gambling",
    "GAMBLING: TOTAL": "gambling",
    "OFFENSES AGAINST FAMILY & CHILD": "family_offences",
    "OFFEN AGAINST FAM & CHIL": "family_offences",
    "DRIVING UNDER INFLUENCE": "dui",
    "LIQUOR LAW VIOLATIONS": "liquor",
    "DRUNKENNESS": "drunkenness",
    "DISORDERLY CONDUCT": "disorderly",
    "VAGRANCY": "vagrancy",
    "ALL OTHER OFF EXCEPT TRAFFIC": "all_other",
    "ALL OTH OFFS EX TRAFFIC": "all_other",
    "SUSPICION": "suspicion",
    "CURFEW, LOITERING LAWS": "curfew",
    "RUNAWAYS": "runaway",
    "RUNAWAYS (JUVENILES)": "runaway",
    "RUN-AWAYS (JUVENILES)": "runaway",
    "INDEX": "index_offences",
    "MODIFIED INDEX": "modified_index",
}
#: codebook variable names that settle a label shared by two fields (1994-2008 layouts)
NAMES: dict[str, str] = {
    "CPOPARST": "pop_covered",
    "CPOPCRIM": "pop_covered_offences",
    "AG_ARRST": "agencies",
    "AG_OFF": "agencies_offences",
    "SPOPARST": "state_population",
    "SPOPCRIM": "state_population_offences",
}


def normalise_label(label: str) -> str:
    """Upper-case, collapse blanks and drop a trailing study/part number (``-3721``, ``1-2-3``)."""
    s = re.sub(r"\s+", " ", label.replace('"', "").strip().upper())
    s = re.sub(r"[- ](\d+(-\d+)*)$", "", s) if s.startswith("ICPSR") else s
    return s


def tidy_name(f: Field) -> str | None:
    """Tidy column for a layout field, or None when the field is not used."""
    if f.name.upper() in NAMES:
        return NAMES[f.name.upper()]
    return LABELS.get(normalise_label(f.label))


_COLS = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+))?")


def read_layout(path: Path) -> list[Field]:
    """Read one tab-separated ICPSR definition file (``name, label, code, cols, width, parts``).

    Quoted and unquoted cells are both accepted (the transcriptions mix them, and a few quoted
    cells are cut short). Rows without a name (record filler) are skipped.

    Raises
    ------
    InputError
        Empty file, or a row whose column range or parts cannot be read (names file, row, field).
    """
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        raise InputError(path, "layout file is missing or empty")
    fields: list[Field] = []
    for i, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        cells = [c.strip().strip('"').strip() for c in line.split("\t")]
        cells += [""] * (6 - len(cells))
        name, label, _code, cols, width, parts = cells[:6]
        if not name and not label:
            continue
        m = _COLS.match(cols)
        if not m:
            raise InputError(path, f"cannot read column range {cols!r}", row=i, field="columns")
        start = int(m.group(1))
        end = int(m.group(2)) if m.group(2) else start
        if m.group(2) is None and width.split(".")[0].isdigit():
            end = start + int(width.split(".")[0]) - 1
        if end < start:
            raise InputError(
                path, f"column range {cols!r} ends before it starts", row=i, field="columns"
            )
        part_nums = tuple(int(p) for p in re.findall(r"\d+", parts))
        if not part_nums:
            raise InputError(path, f"no part numbers in {parts!r}", row=i, field="parts")
        fields.append(
            Field(name or label, label or name, start, end, part_nums, decimals="." in width)
        )
    if not fields:
        raise InputError(path, "layout file has no variables")
    return fields


def layout_for_part(fields: list[Field], part: int) -> list[Field]:
    """The fields of one part, one per tidy column (first wins), in column order."""
    out: dict[str, Field] = {}
    for f in fields:
        if part not in f.parts:
            continue
        key = tidy_name(f)
        if key is not None and key not in out:
            out[key] = f
    return sorted(out.values(), key=lambda f: f.start)


def read_records(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The file's records as a 2-D uint8 array (rows x max record length, space padded).

    Raises
    ------
    InputError
        Missing or empty file, or a byte that is not printable ASCII (names row and column).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    data = path.read_bytes()
    if not data.strip():
        raise InputError(path, "file is empty")
    data = data.replace(b"\r\n", b"\n").rstrip(b"\n") + b"\n"
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    lengths = np.diff(np.concatenate(([-1], ends))) - 1
    width = int(lengths.max())
    if (lengths == width).all():  # fixed record length: a reshape, no copy per record
        buf = raw.reshape(len(lengths), width + 1)[:, :width]
    else:
        buf = np.full((len(lengths), width), ord(" "), dtype=np.uint8)
        starts = ends - lengths
        keep = raw != 10
        rows = np.repeat(np.arange(len(lengths)), lengths + 1)[keep]
        cols = (np.arange(raw.size) - np.repeat(starts, lengths + 1))[keep]
        buf[rows, cols] = raw[keep]
    bad = (buf < 32) | (buf > 126)
    if bad.any():
        r, c = (int(v[0]) for v in np.nonzero(bad))
        raise InputError(path, f"non-ASCII or control byte at column {c + 1}", row=r + 1)
    return buf, lengths


def _digits(chunk: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Integer values of right-justified digit fields (leading blanks allowed), vectorised.

    Returns ``(values, bad_rows)`` (blank field = NaN; ``bad_rows`` = records with a blank after
    a digit, e.g. ``"40 2"``), or None when the field holds other characters (sign, decimal
    point), which the general path handles.
    """
    isdig = (chunk >= 48) & (chunk <= 57)
    isblank = chunk == 32
    if not (isdig | isblank).all():
        return None
    started = np.maximum.accumulate(isdig, axis=1)
    bad_rows = np.nonzero((started & ~isdig).any(axis=1))[0]
    width = chunk.shape[1]
    weights = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    values = (np.where(isdig, chunk - 48, 0).astype(np.int64) * weights).sum(axis=1)
    out = values.astype("float64")
    out[~isdig.any(axis=1)] = np.nan
    return out, bad_rows


def slice_field(
    path: Path, buf: np.ndarray, lengths: np.ndarray, f: Field, column: str, rows: np.ndarray
) -> np.ndarray:
    """Numeric values of field ``f`` for the record indices ``rows`` (float; blank = NaN).

    Raises
    ------
    InputError
        A record too short to hold the field (truncated), or a non-numeric value; the message
        names file, 1-based record number and the codebook field.
    """
    short = lengths[rows] < f.end
    if short.any():
        r = int(rows[np.nonzero(short)[0][0]])
        raise InputError(
            path,
            f"record truncated: {int(lengths[r])} characters, field {f.name} needs columns "
            f"{f.start}-{f.end}",
            row=r + 1,
            field=column,
        )
    chunk = buf[rows, f.start - 1 : f.end]
    fast = _digits(chunk)
    if fast is not None:
        values, bad_rows = fast
        if bad_rows.size == 0:
            return values
        i = int(bad_rows[0])
        raise InputError(
            path,
            f"expected a number in columns {f.start}-{f.end} ({f.name}), got "
            f"{chunk[i].tobytes().decode('ascii')!r}",
            row=int(rows[i]) + 1,
            field=column,
        )
    text = np.ascontiguousarray(chunk).view(f"S{f.width}").ravel()
    s = pd.Series(np.char.decode(np.char.strip(text), "ascii"))
    blank = s == ""
    num = pd.to_numeric(s.where(~blank), errors="coerce")
    bad = num.isna() & ~blank
    if bad.any():
        i = int(np.nonzero(bad.to_numpy())[0][0])
        raise InputError(
            path,
            f"expected a number in columns {f.start}-{f.end} ({f.name}), got {s.iloc[i]!r}",
            row=int(rows[i]) + 1,
            field=column,
        )
    return num.to_numpy(dtype="float64")


def read_fixed_width(
    path: Path, fields: list[Field], rows: np.ndarray | None = None, buf=None
) -> pd.DataFrame:
    """Slice every field of ``fields`` (one part's layout) out of the file's records.

    Returns one float column per tidy name plus ``record`` (1-based record number in the file).
    """
    if buf is None:
        buf = read_records(path)
    arr, lengths = buf
    if rows is None:
        rows = np.arange(arr.shape[0])
    out: dict[str, np.ndarray] = {"record": rows + 1}
    for f in fields:
        key = tidy_name(f)
        if key is None:
            continue
        out[key] = slice_field(path, arr, lengths, f, key, rows)
    return pd.DataFrame(out)
