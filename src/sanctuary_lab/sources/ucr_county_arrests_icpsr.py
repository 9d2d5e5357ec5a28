"""ICPSR county-level UCR ARREST files 1977-2008 (fixed width), folder ``ucr_county_arrests_icpsr``.

Each ``unparsed/NNNNN.txt`` is Part 1 (arrests, all ages) of one ICPSR study; ``schema.json``'s
``code_table`` names each file's year(s) and layout (``variable_set`` -> ``definitions/<n>.csv``).
A file is parsed only with the layout its year names; a file without a ``code_table`` entry, or
whose entries name several years without a usable part -> year map, is *not parsed* and is
reported (caveat, a ``rejected_rows`` line, and ``stg_icpsr_arrest_files``), never guessed.

These are arrests, not offences known to police. ICPSR changed its imputation in 1994, so
1977-1992 and 1994-2008 are different series (``series`` column).

The same parser (:func:`parse_icpsr_county_file`) reads a user's fuller ICPSR download of any
part, including Part 4 "crimes reported" (see :mod:`sanctuary_lab.sources.ucr_county_offenses_icpsr`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources._icpsr_layout import (
    Field,
    layout_for_part,
    read_fixed_width,
    read_layout,
    read_records,
    tidy_name,
)
from sanctuary_lab.sources.base import Adapter, RejectLog, SourceData
from sanctuary_lab.sources.geo import STATES

SOURCE = "ucr_county_arrests_icpsr"

#: arrest count columns (tidy names) kept in the staged table, in order
ARREST_COUNTS = [
    "all_arrests", "part1", "violent", "property", "murder", "rape", "robbery", "agg_assault",
    "burglary", "larceny", "motor_vehicle_theft", "arson", "other_assault", "forgery", "fraud",
    "embezzlement", "stolen_property", "vandalism", "weapons", "prostitution", "sex_offences",
    "drug_total", "drug_sale", "drug_possession", "gambling", "family_offences", "dui", "liquor",
    "drunkenness", "disorderly", "vagrancy", "all_other", "suspicion", "curfew", "runaway",
]  # fmt: skip
#: columns every arrest layout must have
REQUIRED = ["fips_st", "fips_cty", "all_arrests", "murder"]

#: columns read from pre-1994 files: their transcribed layouts are reliable for the leading
#: fields only (later fields of e.g. the 1990 layout do not line up with the data)
CORE_COLUMNS = [
    "pop_covered", "county_population", "agencies", "jurflag", "coverage", "all_arrests",
    "part1", "violent", "property", "murder", "rape", "robbery", "agg_assault", "burglary",
    "larceny", "motor_vehicle_theft", "arson",
]  # fmt: skip

#: ICPSR changed its imputation method in 1994
SERIES_BREAK_YEAR = 1994

CAVEATS = [
    "ARRESTS, not offences known to police: arrests measure police activity as well as crime; "
    "results on this panel are arrest outcomes.",
    "ICPSR changed its imputation method in 1994: 1977-1992 ('pre-1994') and 1994-2008 ('1994+') "
    "are different series; 1993 is missing.",
    "ICPSR imputes for agencies reporting fewer than 12 months; COVIND < 100 = partial coverage.",
    "Records with FIPS_CTY 999 / 000 (state-wide or multi-county agencies, state rows) are not "
    "counties and are rejected.",
    "Pre-1994 layouts 8-14 give one POPULATION field (no COVIND); it is read as population "
    "covered, which the (absent) PDF codebooks would confirm.",
]


@dataclass(frozen=True)
class FileEntry:
    """What ``schema.json`` says about one ICPSR file."""

    icpsr: str
    filename: str
    layout: int | None
    part_years: dict[int, int]
    problem: str = ""


def _layout_id(value: Any) -> int | None:
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else None
    return int(value) if isinstance(value, int) else None


def read_schema(path: Path) -> dict[str, FileEntry]:
    """Map file name -> :class:`FileEntry` from an ICPSR ``schema.json`` (``code_table`` and
    ``selection_schema``).

    A file whose ``code_table`` rows give one year is Part 1 of that year. A file with several
    years needs ``selection_schema[icpsr].section_to_year`` mapping part numbers to exactly those
    years; otherwise the entry carries a ``problem`` and the file is not parsed.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"cannot read schema JSON: {exc}") from exc
    rows = doc.get("code_table") if isinstance(doc, dict) else None
    if not isinstance(rows, list) or not rows:
        raise InputError(path, "schema has no code_table list", field="code_table")
    selection = doc.get("selection_schema") or {}
    by_file: dict[str, list[dict[str, Any]]] = {}
    for i, r in enumerate(rows, 1):
        if not isinstance(r, dict) or not {"filename", "year", "icpsr"} <= set(r):
            raise InputError(
                path, "code_table row lacks filename/year/icpsr", row=i, field="code_table"
            )
        by_file.setdefault(str(r["filename"]), []).append(r)
    out: dict[str, FileEntry] = {}
    for fname, entries in by_file.items():
        icpsr = str(entries[0]["icpsr"])
        years = sorted({int(e["year"]) for e in entries})
        layouts = {_layout_id(e.get("variable_set")) for e in entries}
        layout = layouts.pop() if len(layouts) == 1 else None
        problem = ""
        if layout is None:
            problem = f"code_table gives no single layout ({sorted(map(str, layouts))})"
        part_years: dict[int, int] = {}
        if len(years) == 1:
            part_years = {1: years[0]}
        else:
            s2y = (selection.get(icpsr) or {}).get("section_to_year") or {}
            mapped = {int(k): int(v) for k, v in s2y.items()}
            if sorted(mapped.values()) == years:
                part_years = mapped
            else:
                problem = (
                    f"code_table names years {years} for one file and selection_schema has no "
                    f"part->year map covering them ({s2y or 'none'}); year not guessed"
                )
        out[fname] = FileEntry(icpsr, fname, layout, part_years, problem)
    return out


def parse_icpsr_county_file(
    path: Path,
    fields: list[Field],
    part_years: dict[int, int],
    *,
    source: str = SOURCE,
    required: list[str] | None = None,
    default_part: int | None = None,
    columns: list[str] | None = None,
    nines_missing: bool = False,
    totals: dict[str, float] | None = None,
) -> tuple[pd.DataFrame, RejectLog]:
    """Parse one ICPSR county-level fixed-width file into one row per county-year.

    Parameters
    ----------
    path
        The ICPSR data file (fixed width, one record per county, one or more parts).
    fields
        The study's layout (:func:`~sanctuary_lab.sources._icpsr_layout.read_layout`).
    part_years
        ICPSR part number -> year for the parts to keep (e.g. ``{1: 2008}`` for arrests, all ages;
        ``{4: 2008}`` for crimes reported). Records of other parts are rejected with a reason.
    required
        Tidy columns the layout must provide (default :data:`REQUIRED`).
    default_part
        Part assumed when the part column is blank in every record (a few old files).
    columns
        Read only these tidy columns (plus FIPS and part); default every mapped field.
    nines_missing
        Treat a value made only of 9s filling a field of width >= 4 as ICPSR's missing-data code
        (NaN). The 1977-1989 files use it for agencies that did not report; later files do not.
    totals
        If given, filled with national sums over *all* records of the parts read (county and
        non-county), the figures ICPSR's documentation and SOURCE.md checks quote.

    Returns
    -------
    (table, rejects)
        Columns ``fips, year, part, record, <tidy fields of the layout>``.

    Raises
    ------
    InputError
        Truncated record, non-numeric value, negative count, coverage outside 0-100, duplicate
        county-year, or a layout lacking a required field (names file, row, field).
    """
    path = Path(path)
    required = required or REQUIRED
    log = RejectLog(source, path.name)
    buf = read_records(path)
    n = buf[0].shape[0]
    part_field = next((f for f in fields if tidy_name(f) == "part"), None)
    if part_field is None:
        raise InputError(path, "layout has no ICPSR PART NUMBER field", field="part")
    from sanctuary_lab.sources._icpsr_layout import slice_field

    part = slice_field(path, buf[0], buf[1], part_field, "part", np.arange(n))
    if np.isnan(part).all() and default_part is not None:
        part = np.full(n, float(default_part))
    frames = []
    for p, year in sorted(part_years.items()):
        rows = np.nonzero(part == p)[0]
        if rows.size == 0:
            continue
        layout = layout_for_part(fields, p)
        if columns is not None:
            keep_cols = {"fips_st", "fips_cty", "part", *columns}
            layout = [f for f in layout if tidy_name(f) in keep_cols]
        have = {tidy_name(f) for f in layout}
        missing = [c for c in required if c not in have]
        if missing:
            raise InputError(path, f"layout for part {p} lacks {missing}", field=missing[0])
        df = read_fixed_width(path, layout, rows, buf)
        if nines_missing:
            for f in layout:
                key = tidy_name(f)
                if key not in ("fips_st", "fips_cty", "part") and f.width >= 4:
                    df.loc[df[key] == 10**f.width - 1, key] = np.nan
        df["part"] = p
        df["year"] = year
        frames.append(df)
    other = ~np.isin(part, list(part_years))
    for r in np.nonzero(other)[0]:
        pv = "blank" if np.isnan(part[r]) else str(int(part[r]))
        log.add(int(r) + 1, "part", f"ICPSR part {pv} not read (parts read: {sorted(part_years)})")
    if not frames:
        raise InputError(
            path, f"no records of part(s) {sorted(part_years)} in the file", field="part"
        )
    df = pd.concat(frames, ignore_index=True).sort_values("record", kind="mergesort")
    if totals is not None:
        for c in ("murder", "all_arrests"):
            if c in df:
                totals[c] = float(df[c].sum())
    st = df["fips_st"].astype("Int64").astype("string").str.zfill(2)
    cty = df["fips_cty"].astype("Int64").astype("string").str.zfill(3)
    reasons = pd.Series("", index=df.index)
    reasons[cty.isna() | st.isna()] = "blank FIPS code"
    reasons[(reasons == "") & (cty == "999")] = (
        "FIPS_CTY 999: state-wide/multi-county agencies, not a county"
    )
    reasons[(reasons == "") & (cty == "000")] = "FIPS_CTY 000: state-level row, not a county"
    reasons[(reasons == "") & ~st.isin(list(STATES))] = "FIPS state code not a US state, DC or PR"
    for idx in df.index[reasons != ""]:
        log.add(int(df.at[idx, "record"]), "fips_cty", str(reasons[idx]))
    keep = (reasons == "").to_numpy()
    df = df.loc[keep].copy()
    df.insert(0, "fips", (st + cty)[keep].astype(str).to_numpy())
    counts = [
        c
        for c in df.columns
        if c in ARREST_COUNTS
        or c.startswith("index")
        or c in ("modified_index", "pop_covered", "county_population", "agencies")
    ]
    for c in counts:
        neg = df[c] < 0
        if neg.any():
            rec = int(df.loc[neg, "record"].iloc[0])
            raise InputError(path, f"negative count {df.loc[neg, c].iloc[0]:g}", row=rec, field=c)
    if "coverage" in df:
        badc = (df["coverage"] < 0) | (df["coverage"] > 100)
        if badc.any():
            rec = int(df.loc[badc, "record"].iloc[0])
            raise InputError(
                path,
                f"coverage {df.loc[badc, 'coverage'].iloc[0]:g} outside 0-100",
                row=rec,
                field="coverage",
            )
    dup = df.duplicated(["fips", "year"], keep=False)
    if dup.any():
        # the 1977-1983 file holds a few county codes twice with different counts (Alaska): which
        # record is right is not knowable from the file, so neither is kept
        for r in df.loc[dup, "record"]:
            log.add(
                int(r), "fips_cty", "county-year appears twice in the file; both records rejected"
            )
        df = df.loc[~dup]
    df = df.drop(columns=["fips_st", "fips_cty"])
    return df.reset_index(drop=True), log


def _sum_check(table: pd.DataFrame) -> float | None:
    """Share of records whose violent total equals murder + rape + robbery + aggravated assault
    (a layout check: a misaligned layout fails it for most records)."""
    cols = ["violent", "murder", "rape", "robbery", "agg_assault"]
    if not set(cols) <= set(table.columns) or table.empty:
        return None
    ok = table["violent"] == table[cols[1:]].sum(axis=1)
    return float(ok.mean())


class UcrCountyArrestsIcpsr(Adapter):
    """ICPSR county-level UCR arrests (Part 1, all ages), 1977-1992 and 1994-2008."""

    name = SOURCE
    title = "ICPSR county-level UCR arrests, all ages (fixed width, per-year layouts), 1977-2008"

    def load(self, raw_dir: Path) -> SourceData:
        sd = SourceData(self.name, caveats=list(CAVEATS))
        folder = Path(raw_dir) / self.name
        if not folder.is_dir():
            sd.caveats = [f"absent: folder {self.name}/ not in the raw-data directory"]
            return sd
        schema = self.file(raw_dir, "schema.json")
        entries = read_schema(schema)
        layouts: dict[int, list[Field]] = {}
        parts, files = [], []
        data_files = sorted((folder / "unparsed").glob("*.txt"))
        if not data_files:
            raise InputError(folder / "unparsed", "no ICPSR .txt data files found")
        for path in data_files:
            entry = entries.get(path.name)
            status, years, n_kept = "parsed", "", 0
            totals: dict[str, float] = {}
            if entry is None or entry.problem:
                why = (
                    "no entry in schema.json code_table; year unknown, not parsed"
                    if entry is None
                    else entry.problem
                )
                status = "unmapped"
                log = RejectLog(self.name, path.name)
                log.add(0, "file", why)
                sd.caveats.append(f"{path.name}: {why}")
                n_read = int(read_records(path)[0].shape[0])
                sd.record(path, rows_read=n_read, rows_kept=0, log=log)
            else:
                assert entry.layout is not None
                if entry.layout not in layouts:
                    layouts[entry.layout] = read_layout(
                        folder / "definitions" / f"{entry.layout}.csv"
                    )
                pre = min(entry.part_years.values()) < SERIES_BREAK_YEAR
                table, log = parse_icpsr_county_file(
                    path,
                    layouts[entry.layout],
                    entry.part_years,
                    default_part=1,
                    columns=CORE_COLUMNS if pre else None,
                    nines_missing=pre,
                    totals=totals,
                )
                table["icpsr_study"] = entry.icpsr
                table["layout"] = entry.layout
                parts.append(table)
                n_kept = len(table)
                years = ",".join(str(y) for y in sorted(set(entry.part_years.values())))
                sd.record(path, rows_read=n_kept + len(log), rows_kept=n_kept, log=log)
            files.append(
                {
                    "file": path.name,
                    "icpsr_study": entry.icpsr if entry else path.stem,
                    "layout": entry.layout if entry else None,
                    "years": years,
                    "status": status,
                    "rows_kept": n_kept,
                    "violent_sum_ok_share": _sum_check(parts[-1]) if status == "parsed" else None,
                    "murder_all_records": totals.get("murder") if status == "parsed" else None,
                    "all_arrests_all_records": (
                        totals.get("all_arrests") if status == "parsed" else None
                    ),
                }
            )
        table = pd.concat(parts, ignore_index=True)
        dup = table.duplicated(["fips", "year"], keep=False)
        if dup.any():
            r = table.loc[dup].iloc[0]
            raise InputError(folder, f"two files hold county-year {r['fips']}/{int(r['year'])}")
        table["year"] = table["year"].astype("int64")
        sd.tables["icpsr_county_arrests"] = table
        sd.tables["icpsr_arrest_files"] = pd.DataFrame(files)
        return sd
