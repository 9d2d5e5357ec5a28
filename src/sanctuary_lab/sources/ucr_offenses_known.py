"""UCR "offenses known and clearances by arrest" yearly files in Jacob Kaplan's concatenated
format (folder ``ucr_offenses_known``; absent unless a user downloads the files).

Format (Kaplan, *Uniform Crime Reporting (UCR) Program Data: Offenses Known and Clearances by
Arrest, 1960-2023*, openICPSR project 100707; column list as printed in Kaplan's *R for Criminology*
book, chapter on subsetting the ``offenses_known_yearly`` file): one row per agency (``ori``) and
year with ``population``, ``fips_state_code``, ``fips_county_code`` (or ``fips_state_county_code``),
``number_of_months_missing`` (newer releases) or ``number_of_months_reported`` (older releases), and
offence counts ``actual_murder, actual_rape_total, actual_robbery_total,
actual_assault_aggravated, actual_burg_total`` (newer: ``actual_burglary_total``),
``actual_theft_total, actual_mtr_veh_theft_total`` (newer: ``actual_motor_vehicle_theft_total``).
A county-level file in the same format has no ``ori`` and one row per county-year.

Staged table ``ucr_offenses_known``: ``ori`` (NULL for county files), ``fips, year, population,
months_reported, murder, rape, robbery, agg_assault, burglary, larceny, motor_vehicle_theft``,
``file``. Files: ``*.csv`` / ``*.csv.gz`` in the folder.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources.base import (
    Adapter,
    RejectLog,
    SourceData,
    county_fips,
    read_csv,
    to_number,
)

NAME = "ucr_offenses_known"

#: tidy offence -> accepted column names (first present wins)
OFFENCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "murder": ("actual_murder",),
    "rape": ("actual_rape_total",),
    "robbery": ("actual_robbery_total",),
    "agg_assault": ("actual_assault_aggravated",),
    "burglary": ("actual_burg_total", "actual_burglary_total"),
    "larceny": ("actual_theft_total",),
    "motor_vehicle_theft": ("actual_mtr_veh_theft_total", "actual_motor_vehicle_theft_total"),
}
MONTH_COLUMNS = ("number_of_months_reported", "number_of_months_missing")
KEEP = {
    "ori", "year", "population", "fips_state_code", "fips_county_code", "fips_state_county_code",
    *MONTH_COLUMNS, *(c for cols in OFFENCE_COLUMNS.values() for c in cols),
}  # fmt: skip

CAVEATS = [
    "UCR offences known (Kaplan concatenated format): agencies are placed in their primary county "
    "(fips_state_county_code); agencies spanning counties are not split.",
    "Agency-years with negative offence counts (UCR adjustment records) are rejected, not zeroed.",
]


def _pick(df: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    return next((c for c in names if c in df.columns), None)


def parse_offenses_known(path: Path) -> tuple[pd.DataFrame, RejectLog]:
    """Parse one offences-known yearly file (agency- or county-level, Kaplan's column names).

    Raises
    ------
    InputError
        Missing required column, non-numeric value, impossible FIPS, months outside 0-12, or a
        duplicated agency-year / county-year (names file, row, field).
    """
    path = Path(path)
    df = read_csv(path, required=["year", "population"], usecols=lambda c: c in KEEP)
    log = RejectLog(NAME, path.name)
    cols = {k: _pick(df, v) for k, v in OFFENCE_COLUMNS.items()}
    missing = [v[0] for k, v in OFFENCE_COLUMNS.items() if cols[k] is None]
    if missing:
        raise InputError(path, f"missing required offence column(s) {missing}", field=missing[0])
    out = pd.DataFrame(index=df.index)
    out["ori"] = df["ori"].astype("string").str.strip().str.upper() if "ori" in df else pd.NA
    if "fips_state_county_code" in df:
        out["fips"] = county_fips(df["fips_state_county_code"], path, "fips_state_county_code")
    elif {"fips_state_code", "fips_county_code"} <= set(df.columns):
        out["fips"] = county_fips(
            df["fips_state_code"], path, "fips_state_code", county_part=df["fips_county_code"]
        )
    else:
        raise InputError(path, "no county FIPS columns", field="fips_state_county_code")
    out["year"] = to_number(df, "year", path, integer=True, min_value=1960, max_value=2100)
    out["population"] = to_number(df, "population", path, integer=True, min_value=0)
    mcol = _pick(df, MONTH_COLUMNS)
    if mcol is None:
        out["months_reported"] = pd.array([pd.NA] * len(df), dtype="Int64")
    else:
        m = to_number(df, mcol, path, integer=True, min_value=0, max_value=12)
        out["months_reported"] = m if mcol == "number_of_months_reported" else 12 - m
    for tidy, col in cols.items():
        assert col is not None
        out[tidy] = to_number(df, col, path, integer=True)
    neg = (out[list(OFFENCE_COLUMNS)] < 0).any(axis=1).fillna(False)
    log.add_many(
        (out.index[neg] + 1).tolist(), "actual_*", "negative offence count (UCR adjustment)"
    )
    nofips = out["fips"].isna() | out["fips"].str.endswith("000").fillna(False)
    log.add_many(
        (out.index[nofips & ~neg] + 1).tolist(),
        "fips_county_code",
        "no county (FIPS missing or 000)",
    )
    out = out.loc[~(neg | nofips).to_numpy()]
    key = ["ori", "year"] if out["ori"].notna().any() else ["fips", "year"]
    dup = out.duplicated(key)
    if dup.any():
        i = int(out.index[dup.to_numpy()][0])
        raise InputError(
            path,
            f"duplicate {'agency' if key[0] == 'ori' else 'county'}-year",
            row=i + 1,
            field=key[0],
        )
    out["file"] = path.name
    return out.reset_index(drop=True), log


class UcrOffensesKnown(Adapter):
    """UCR offences known, agency or county yearly files (Kaplan's concatenated format)."""

    name = NAME
    title = "UCR offences known yearly files (Kaplan concatenated format), agency or county level"
    #: what a user should download to unlock this source
    get = "Kaplan, UCR Offenses Known and Clearances by Arrest 1960-2023 (openICPSR 100707), yearly CSV"

    def load(self, raw_dir: Path) -> SourceData:
        sd = SourceData(self.name, caveats=list(CAVEATS))
        folder = Path(raw_dir) / self.name
        files = sorted([*folder.glob("*.csv"), *folder.glob("*.csv.gz")]) if folder.is_dir() else []
        if not files:
            sd.caveats = [f"absent: no offences-known files in {self.name}/ (get: {self.get})"]
            return sd
        parts = []
        for path in files:
            table, log = parse_offenses_known(path)
            sd.record(path, rows_read=len(table) + len(log), rows_kept=len(table), log=log)
            parts.append(table)
        sd.tables["ucr_offenses_known"] = pd.concat(parts, ignore_index=True)
        return sd
