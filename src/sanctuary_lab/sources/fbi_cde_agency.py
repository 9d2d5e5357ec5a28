"""FBI Crime Data Explorer (CDE) agency offence downloads, folder ``fbi_cde_agency`` (absent unless
a user downloads them).

Format: the CDE summarized (SRS) agency offence data, as served by the CDE API endpoint
``summarized/agencies/{ori}/offenses`` and its CSV download (FBI, *Crime Data Explorer API
documentation*, https://cde.ucr.cjis.gov/LATEST/webapp/#/pages/docApi): one row per agency, year
and offence with fields ``ori, data_year, offense, state_abbr, actual, cleared`` (the CSV may also
carry ``data_range``). Offence names: ``homicide`` (or ``murder``), ``rape`` (``rape-legacy``),
``robbery``, ``aggravated-assault``, ``burglary``, ``larceny``, ``motor-vehicle-theft``,
``arson``; the aggregates ``violent-crime`` and ``property-crime`` are recomputed, not read.

Staged table ``cde_agency_offenses``: ``ori`` (9 characters), ``ori7``, ``year``, ``state``,
offence counts (wide). Agencies are placed in counties through the warehouse ``agencies`` list.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources.base import Adapter, RejectLog, SourceData, read_csv, to_number

NAME = "fbi_cde_agency"
REQUIRED = ["ori", "data_year", "offense", "actual"]
OFFENCES: dict[str, str] = {
    "homicide": "murder",
    "murder": "murder",
    "rape": "rape",
    "rape-legacy": "rape",
    "robbery": "robbery",
    "aggravated-assault": "agg_assault",
    "burglary": "burglary",
    "larceny": "larceny",
    "motor-vehicle-theft": "motor_vehicle_theft",
    "arson": "arson",
}
AGGREGATES = {"violent-crime", "property-crime"}

CAVEATS = [
    "FBI CDE agency offences: agencies are placed in their primary county via the FBI agency list "
    "(warehouse `agencies`); agencies missing from it are not placed.",
]


def parse_cde_agency(path: Path) -> tuple[pd.DataFrame, RejectLog]:
    """Parse one CDE agency offence download (long: agency x year x offence) into wide rows.

    Raises
    ------
    InputError
        Missing column, non-numeric or negative ``actual``, malformed ORI, or the same agency,
        year and offence twice (names file, row, field).
    """
    path = Path(path)
    df = read_csv(path, required=REQUIRED)
    log = RejectLog(NAME, path.name)
    ori = df["ori"].astype("string").str.strip().str.upper()
    bad = ~ori.str.fullmatch(r"[A-Z]{2}[A-Z0-9]{5}([A-Z0-9]{2})?").fillna(False)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(path, f"malformed ORI {df['ori'].iloc[i]!r}", row=i + 1, field="ori")
    year = to_number(df, "data_year", path, integer=True, min_value=1960, max_value=2100)
    actual = to_number(df, "actual", path, integer=True, min_value=0)
    offense = df["offense"].astype("string").str.strip().str.lower()
    known = offense.isin(list(OFFENCES))
    agg = offense.isin(list(AGGREGATES))
    unknown = ~known & ~agg
    log.add_many(
        (df.index[unknown] + 1).tolist(), "offense", "offence name not known to the adapter"
    )
    long = pd.DataFrame(
        {"ori": ori, "year": year, "offence": offense.map(OFFENCES), "actual": actual}
    )
    long["row"] = df.index + 1
    long = long.loc[known.to_numpy()]
    dup = long.duplicated(["ori", "year", "offence"])
    if dup.any():
        r = int(long.loc[dup, "row"].iloc[0])
        raise InputError(path, "same agency, year and offence twice", row=r, field="offense")
    wide = long.pivot(index=["ori", "year"], columns="offence", values="actual").reset_index()
    wide.columns.name = None
    for c in set(OFFENCES.values()) - set(wide.columns):
        wide[c] = pd.array([pd.NA] * len(wide), dtype="Int64")
    wide["ori7"] = wide["ori"].str[:7]
    state = df.assign(_o=ori).drop_duplicates("_o").set_index("_o")
    wide["state"] = (
        wide["ori"].map(state["state_abbr"]) if "state_abbr" in df else wide["ori"].str[:2]
    )
    wide["file"] = path.name
    return wide, log


class FbiCdeAgency(Adapter):
    """FBI Crime Data Explorer agency offence downloads (SRS summarized)."""

    name = NAME
    title = "FBI Crime Data Explorer agency offence downloads (SRS summarized, agency x year)"
    get = "FBI Crime Data Explorer: agency-level summarized offences (API/CSV) per ORI"

    def load(self, raw_dir: Path) -> SourceData:
        sd = SourceData(self.name, caveats=list(CAVEATS))
        folder = Path(raw_dir) / self.name
        files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
        if not files:
            sd.caveats = [f"absent: no CDE agency files in {self.name}/ (get: {self.get})"]
            return sd
        parts = []
        for path in files:
            table, log = parse_cde_agency(path)
            sd.record(path, rows_read=len(table) + len(log), rows_kept=len(table), log=log)
            parts.append(table)
        out = pd.concat(parts, ignore_index=True)
        if out.duplicated(["ori", "year"]).any():
            raise InputError(
                folder, "two files hold the same agency-year; keep one file per agency"
            )
        sd.tables["cde_agency_offenses"] = out
        return sd
