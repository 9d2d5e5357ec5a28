"""ICPSR county-level UCR "crimes reported" files (Part 4), folder ``ucr_county_offenses_icpsr``
(absent unless a user downloads them).

Each ICPSR county-level study ("Uniform Crime Reporting Program Data [United States]:
County-Level Detailed Arrest and Offense Data", one per year) has a Part 4, *crimes reported*
(offences known to police), in the same fixed-width family as the arrest part. Layout: the
``parts = 4`` rows of the ICPSR codebook variable list, as transcribed in the arrest folder's
``definitions/1.csv`` (1998-2008 codebooks): FIPS_ST 11-12, FIPS_CTY 13-15, CPOPARST 16-23,
CPOPCRIM 24-31 (population of agencies reporting offences), AG_ARRST 32-34, AG_OFF 35-37,
COVIND 38-45, INDEX 46-51, MODINDX 52-57, MURDER 58-61, RAPE 62-65, ROBBERY 66-70,
AGASLT 71-75, BURGLRY 76-81, LARCENY 82-87, MVTHEFT 88-93, ARSON 94-97. A ``layout.csv`` in the
folder (same tab-separated definition format) overrides it.

Year: a 4-digit year in the file name, else the ICPSR study number in the name looked up in the
arrest folder's ``schema.json`` code_table; a file with neither is reported, not guessed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources._icpsr_layout import Field, read_layout
from sanctuary_lab.sources.base import Adapter, RejectLog, SourceData
from sanctuary_lab.sources.ucr_county_arrests_icpsr import parse_icpsr_county_file, read_schema

NAME = "ucr_county_offenses_icpsr"
PART = 4

#: ICPSR Part 4 (crimes reported) layout, 1998-2008 codebooks (see module docstring)
PART4_LAYOUT: list[Field] = [
    Field(name, label, start, end, (PART,), decimals=(name == "COVIND"))
    for name, label, start, end in [
        ("STUDYNO", "ICPSR STUDY NUMBER", 1, 4),
        ("PART", "ICPSR PART NUMBER", 6, 6),
        ("FIPS_ST", "FIPS STATE CODE", 11, 12),
        ("FIPS_CTY", "FIPS COUNTY CODE", 13, 15),
        ("CPOPARST", "TOTAL COUNTY POPULATION OF AGENCIES", 16, 23),
        ("CPOPCRIM", "COUNTY POPULATION OF AGENCIES", 24, 31),
        ("AG_ARRST", "NUMBER OF AGENCIES IN COUNTY", 32, 34),
        ("AG_OFF", "NUMBER OF AGENCIES IN COUNTY", 35, 37),
        ("COVIND", "COVERAGE INDICATOR", 38, 45),
        ("INDEX", "INDEX", 46, 51),
        ("MODINDX", "MODIFIED INDEX", 52, 57),
        ("MURDER", "MURDERS", 58, 61),
        ("RAPE", "FORCIBLE RAPES", 62, 65),
        ("ROBBERY", "ROBBERIES", 66, 70),
        ("AGASLT", "AGGRAVATED ASSAULTS", 71, 75),
        ("BURGLRY", "BURGLARIES", 76, 81),
        ("LARCENY", "LARCENIES", 82, 87),
        ("MVTHEFT", "MOTOR VEHICLE THEFTS", 88, 93),
        ("ARSON", "ARSONS", 94, 97),
    ]
]
OFFENCES = ["murder", "rape", "robbery", "agg_assault", "burglary", "larceny", "motor_vehicle_theft", "arson"]  # fmt: skip
REQUIRED = ["fips_st", "fips_cty", "coverage", "pop_covered_offences", "murder"]

CAVEATS = [
    "ICPSR county crimes reported (Part 4): counts imputed by ICPSR for partial reporters "
    "(COVIND < 100 = partial coverage); 1994+ method only.",
]


def year_for(path: Path, schema_years: dict[str, int]) -> int | None:
    """Year from a 4-digit year in the file name, else from its ICPSR study number."""
    m = re.search(r"(?<!\d)(19[6-9]\d|20\d\d)(?!\d)", path.stem)
    if m:
        return int(m.group(1))
    m = re.match(r"^(\d{5})", path.name)
    if m and m.group(1) in schema_years:
        return schema_years[m.group(1)]
    return None


def parse_icpsr_county_offenses(
    path: Path, year: int, layout: list[Field] | None = None
) -> tuple[pd.DataFrame, RejectLog]:
    """Parse one ICPSR Part 4 (crimes reported) county file into county-year offence counts.

    Returns ``fips, year, record, pop_covered, agencies, coverage, <offences>, index_offences``;
    raises :class:`InputError` (file, row, field) on truncated or non-numeric records.
    """
    table, log = parse_icpsr_county_file(
        path, layout or PART4_LAYOUT, {PART: year}, source=NAME, required=REQUIRED
    )
    # CPOPARST / AG_ARRST describe the arrest part; offences use CPOPCRIM / AG_OFF
    table = table.drop(columns=[c for c in ("pop_covered", "agencies") if c in table])
    table = table.rename(
        columns={"pop_covered_offences": "pop_covered", "agencies_offences": "agencies"}
    )
    keep = [
        "fips",
        "year",
        "record",
        "pop_covered",
        "agencies",
        "coverage",
        *OFFENCES,
        "index_offences",
    ]
    return table.reindex(columns=keep), log


class UcrCountyOffensesIcpsr(Adapter):
    """ICPSR county-level UCR crimes reported (Part 4), fixed width."""

    name = NAME
    title = "ICPSR county-level UCR crimes reported (offences known, Part 4), fixed width"
    get = (
        "ICPSR county-level UCR studies (e.g. 04466 for 2004), Part 4 'crimes reported' ASCII data"
    )

    def load(self, raw_dir: Path) -> SourceData:
        sd = SourceData(self.name, caveats=list(CAVEATS))
        folder = Path(raw_dir) / self.name
        files = sorted(p for p in folder.glob("*.txt")) if folder.is_dir() else []
        if not files:
            sd.caveats = [f"absent: no ICPSR Part 4 files in {self.name}/ (get: {self.get})"]
            return sd
        layout = read_layout(folder / "layout.csv") if (folder / "layout.csv").is_file() else None
        schema = Path(raw_dir) / "ucr_county_arrests_icpsr" / "schema.json"
        years: dict[str, int] = {}
        if schema.is_file():
            for e in read_schema(schema).values():
                if not e.problem and len(set(e.part_years.values())) == 1:
                    years[e.icpsr] = next(iter(e.part_years.values()))
        parts = []
        for path in files:
            year = year_for(path, years)
            if year is None:
                log = RejectLog(self.name, path.name)
                log.add(
                    0,
                    "file",
                    "no year in the file name and no known ICPSR study number; not parsed",
                )
                sd.record(path, rows_read=0, rows_kept=0, log=log)
                continue
            table, log = parse_icpsr_county_offenses(path, year, layout)
            sd.record(path, rows_read=len(table) + len(log), rows_kept=len(table), log=log)
            parts.append(table)
        if parts:
            out = pd.concat(parts, ignore_index=True)
            if out.duplicated(["fips", "year"]).any():
                raise InputError(
                    folder, "two files hold the same county-year; keep one file per year"
                )
            sd.tables["icpsr_county_offenses"] = out
        return sd
