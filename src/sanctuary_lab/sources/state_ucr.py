"""FBI state crime totals 1961-2021 from the heike/classdata package (folder ``state_ucr_classdata``).

Three wide CSVs (derived from the package's ``.rda`` files; the ``.rda`` files are read with
pyreadr when a CSV is absent):

- ``state_crime_wide_1961_2019_ucrdatatool.csv`` (fbiwide.v1): UCR Data Tool estimates.
- ``state_crime_wide_1979_2020_cde.csv`` (fbiwide): Crime Data Explorer SRS estimates.
- ``state_crime_wide_1979_2021_cde_with_agency_counts.csv`` (fbiwide.v2): CDE with agency counts and
  a ``source`` column (SRS or NIBRS). NIBRS rows come one offence per row and count only
  NIBRS-reporting agencies; they are collapsed to one row per state-year and kept apart from SRS.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources.base import Adapter, SourceData, read_csv, to_number
from sanctuary_lab.sources.geo import STATES, state_fips_from_any

OFFENCES = ["murder", "rape_legacy", "rape_revised", "robbery", "agg_assault", "burglary", "larceny", "motor_vehicle_theft", "arson"]  # fmt: skip

V1_FILE = "state_crime_wide_1961_2019_ucrdatatool.csv"
CDE_FILE = "state_crime_wide_1979_2020_cde.csv"
V2_FILE = "state_crime_wide_1979_2021_cde_with_agency_counts.csv"
RDA_FOR = {V1_FILE: "fbiwide.v1.rda", CDE_FILE: "fbiwide.rda", V2_FILE: "fbiwide.v2.rda"}

V1_COLS = {
    "Population": "population", "Murder": "murder", "Legacy.rape": "rape_legacy", "Rape": "rape_revised",
    "Robbery": "robbery", "Aggravated.assault": "agg_assault", "Burglary": "burglary",
    "Larceny.theft": "larceny", "Motor.vehicle.theft": "motor_vehicle_theft",
}  # fmt: skip
CDE_COLS = {
    "population": "population", "homicide": "murder", "rape_legacy": "rape_legacy",
    "rape_revised": "rape_revised", "rape": "rape_revised", "robbery": "robbery",
    "aggravated_assault": "agg_assault", "burglary": "burglary", "larceny": "larceny",
    "motor_vehicle_theft": "motor_vehicle_theft", "arson": "arson",
    "total_agency_count": "agencies_total", "agency_submitting": "agencies_submitting",
}  # fmt: skip

CAVEATS = [
    "State UCR counts are FBI *estimated* state totals (imputed for non-reporting agencies).",
    "Rape: legacy definition through 2016 (CDE), revised from 2013; `rape` in state_crime uses legacy "
    "where available, else revised (series break).",
    "state_crime primary series: UCR Data Tool (1961-2019), else CDE SRS (2020), else NIBRS "
    "reporting-agency counts (2021, series='nibrs', not comparable); NIBRS never added to SRS.",
    "Year 1960 is not in these files; Puerto Rico appears in a few years only.",
    "State files hold crime only: undocumented-immigrant shares for state panels are not included.",
]


def _state(df: pd.DataFrame, col: str, path: Path) -> pd.Series:
    vals = df[col].astype("string").str.strip().str.replace(".", "", regex=False)
    fips = vals.map(lambda v: state_fips_from_any(v) if isinstance(v, str) else None)
    bad = fips.isna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(path, f"unknown state {df[col].iloc[i]!r}", row=i + 1, field=col)
    return fips.astype("string")


def _read(path: Path, required: list[str]) -> pd.DataFrame:
    if path.suffix == ".rda":
        import pyreadr

        try:
            frames = pyreadr.read_r(str(path))
        except Exception as exc:  # pyreadr raises its own error types
            raise InputError(path, f"cannot read R data file: {exc}") from exc
        if not frames:
            raise InputError(path, "R data file holds no data frame")
        df = next(iter(frames.values()))
        df = df.astype("string")
        missing = [c for c in required if c not in df.columns]
        if missing:
            raise InputError(path, f"missing required column(s) {missing}", field=missing[0])
        return df.reset_index(drop=True)
    return read_csv(path, required=required)


def _tidy(
    df: pd.DataFrame, path: Path, state_col: str, year_col: str, cols: dict[str, str]
) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    out["state_fips"] = _state(df, state_col, path)
    out["state"] = out["state_fips"].map(lambda f: STATES[f][0])
    out["year"] = to_number(df, year_col, path, integer=True, min_value=1900, max_value=2100)
    for raw, tidy in cols.items():
        if raw in df.columns:
            out[tidy] = to_number(df, raw, path, min_value=0)
    for c in ["population", *OFFENCES]:
        if c not in out.columns:
            out[c] = float("nan")
    for c in ["population", *OFFENCES]:
        out[c] = out[c].round().astype("Int64")
    return out


def _no_dups(out: pd.DataFrame, keys: list[str], path: Path) -> None:
    dup = out.duplicated(keys)
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        what = "/".join(str(out[k].iloc[i]) for k in keys)
        raise InputError(path, f"duplicate state-year {what}", row=i + 1, field=keys[-1])


def parse_ucrdatatool(path: Path) -> pd.DataFrame:
    """Parse fbiwide.v1 (``State, Abb, Year, Population, Murder, Legacy.rape, Rape, ...``)."""
    df = _read(path, ["Abb", "Year", *V1_COLS])
    out = _tidy(df, path, "Abb", "Year", V1_COLS)
    _no_dups(out, ["state", "year"], path)
    return out.assign(source="fbi_ucr_data_tool", series="ucr_srs_estimated").reset_index(drop=True)


def parse_cde(path: Path) -> pd.DataFrame:
    """Parse fbiwide (CDE SRS estimates: ``state_abbr, year, population, homicide, ...``)."""
    df = _read(
        path,
        [
            "state_abbr",
            "year",
            "population",
            "homicide",
            "robbery",
            "aggravated_assault",
            "burglary",
            "larceny",
            "motor_vehicle_theft",
        ],
    )
    out = _tidy(df, path, "state_abbr", "year", CDE_COLS)
    _no_dups(out, ["state", "year"], path)
    return out.assign(source="fbi_cde_srs", series="ucr_srs_estimated").reset_index(drop=True)


def parse_cde_agency(path: Path) -> pd.DataFrame:
    """Parse fbiwide.v2: SRS rows as they are; NIBRS rows (one offence per row) collapsed to one
    row per state-year by taking each offence's reported value."""
    df = _read(
        path,
        [
            "state_abbr",
            "year",
            "population",
            "source",
            "total_agency_count",
            "agency_submitting",
            "homicide",
        ],
    )
    out = _tidy(df, path, "state_abbr", "year", CDE_COLS)
    for c in ("agencies_total", "agencies_submitting"):
        out[c] = out[c].round().astype("Int64")
    src = df["source"].astype("string").str.strip().str.upper()
    bad = ~src.isin(["SRS", "NIBRS"])
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            path,
            f"source must be SRS or NIBRS, got {df['source'].iloc[i]!r}",
            row=i + 1,
            field="source",
        )
    out["series"] = src.map({"SRS": "ucr_srs_estimated", "NIBRS": "nibrs_reporting_agencies"})
    out["source"] = src.map({"SRS": "fbi_cde_srs", "NIBRS": "fbi_cde_nibrs"})
    srs = out[src.to_numpy() == "SRS"]
    _no_dups(srs, ["state", "year"], path)
    nib = out[src.to_numpy() == "NIBRS"]
    keys = ["state_fips", "state", "year", "source", "series"]
    if len(nib):
        # groupby.first takes each column's first non-missing value: one offence per NIBRS row
        nib = nib.groupby(keys, as_index=False, sort=True)[
            ["population", "agencies_total", "agencies_submitting", *OFFENCES]
        ].first()
        for c in ["population", "agencies_total", "agencies_submitting", *OFFENCES]:
            nib[c] = nib[c].astype("Int64")
    both = pd.concat([srs, nib], ignore_index=True)
    both.attrs["rows_read"] = len(df)  # NIBRS rows come one offence per row
    return both


class StateUcrClassdata(Adapter):
    """FBI state crime totals (UCR Data Tool, CDE SRS, CDE NIBRS), 1961-2021."""

    name = "state_ucr_classdata"
    title = "FBI state Part I crime totals 1961-2021 (heike/classdata: UCR Data Tool and CDE)"

    def _path(self, raw_dir: Path, fname: str) -> Path:
        folder = self.folder(raw_dir)
        if (folder / fname).is_file():
            return folder / fname
        if (folder / RDA_FOR[fname]).is_file():
            return folder / RDA_FOR[fname]
        return self.file(raw_dir, fname)

    def load(self, raw_dir: Path) -> SourceData:
        sd = SourceData(self.name, caveats=list(CAVEATS))
        for fname, parser, table in (
            (V1_FILE, parse_ucrdatatool, "state_crime_ucrdatatool"),
            (CDE_FILE, parse_cde, "state_crime_cde"),
            (V2_FILE, parse_cde_agency, "state_crime_cde_agency"),
        ):
            path = self._path(raw_dir, fname)
            df = parser(path)
            n_read = int(df.attrs.get("rows_read", len(df)))
            sd.record(path, rows_read=n_read, rows_kept=n_read)
            sd.tables[table] = df
        return sd
