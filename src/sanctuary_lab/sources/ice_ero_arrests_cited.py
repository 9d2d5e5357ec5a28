"""ICE ERO administrative arrests by criminality FY2016-FY2020, cited figures (folder
``ice_ero_arrests_cited``).

Not an ICE data file: each value was read from a public page and the sentence it comes from is
kept (``quote``). Staged table ``ice_ero_figures``: ``fiscal_year, measure, value, unit,
value_type`` (``reported`` / ``derived``), ``bound`` (``'lower'`` where the source says "more
than"; else NULL), ``source_url, source_kind, quote``.

ICE's "noncriminal" = no known criminal conviction **and** no pending criminal charge.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources.base import Adapter, RejectLog, SourceData, read_csv, to_number

NAME = "ice_ero_arrests_cited"
FILENAME = "ice_ero_admin_arrests_fy2016_2020.csv"
REQUIRED = [
    "fiscal_year", "measure", "value", "unit", "value_type", "source_url", "source_kind",
    "quote_or_derivation",
]  # fmt: skip
#: measure -> kind of value ("count" or "share" in percent)
MEASURES: dict[str, str] = {
    "ero_administrative_arrests_total": "count",
    "ero_admin_arrests_with_criminal_history": "count",
    "share_convicted_criminals": "share",
    "share_pending_criminal_charges": "share",
    "share_convicted_or_pending": "share",
}
UNITS = {"persons": (None, "persons"), "percent": (None, "percent"),
         "percent_lower_bound": ("lower", "percent")}  # fmt: skip

CAVEATS = [
    "ICE ERO figures are quoted second-hand (news/blog pages quoting ICE's ERO reports) except "
    "FY2020 (ICE's own page); check against the ERO report PDFs when available.",
    "FY2016 and FY2017 arrests with criminal history are derived by subtraction from stated "
    "year-over-year differences (value_type = derived).",
    "FY2019 share convicted or pending is a lower bound ('more than 86 percent').",
    "FY2009-FY2015 are not in this file: claims about those years stay untestable here.",
]


def parse_ice_ero_cited(path: Path) -> tuple[pd.DataFrame, RejectLog]:
    """Parse the cited ICE ERO figures CSV (columns :data:`REQUIRED`).

    Raises
    ------
    InputError
        Missing column, non-numeric year/value, share outside 0-100, negative count, unknown
        unit or value type, or a duplicated (fiscal_year, measure) pair (names row and field).
    """
    df = read_csv(path, required=REQUIRED)
    log = RejectLog(NAME, Path(path).name)
    out = pd.DataFrame(index=df.index)
    out["fiscal_year"] = to_number(
        df, "fiscal_year", path, integer=True, min_value=1990, max_value=2100
    )
    out["measure"] = df["measure"].astype("string").str.strip()
    out["value"] = to_number(df, "value", path, min_value=0)
    unit = df["unit"].astype("string").str.strip()
    bad_unit = ~unit.isin(list(UNITS))
    if bad_unit.any():
        i = int(bad_unit.to_numpy().nonzero()[0][0])
        raise InputError(
            path,
            f"unknown unit {unit.iloc[i]!r}; expected {sorted(UNITS)}",
            row=i + 1,
            field="unit",
        )
    out["bound"] = unit.map(lambda u: UNITS[u][0])
    out["unit"] = unit.map(lambda u: UNITS[u][1])
    vt = df["value_type"].astype("string").str.strip()
    bad_vt = ~vt.isin(["reported", "derived"])
    if bad_vt.any():
        i = int(bad_vt.to_numpy().nonzero()[0][0])
        raise InputError(
            path,
            f"value_type must be reported or derived, got {vt.iloc[i]!r}",
            row=i + 1,
            field="value_type",
        )
    out["value_type"] = vt
    out["source_url"] = df["source_url"]
    out["source_kind"] = df["source_kind"]
    out["quote"] = df["quote_or_derivation"]
    unknown = ~out["measure"].isin(list(MEASURES))
    log.add_many((out.index[unknown] + 1).tolist(), "measure", "measure not known to the adapter")
    out = out.loc[~unknown]
    share = out["measure"].map(MEASURES) == "share"
    over = share & (out["value"] > 100)
    if over.any():
        i = int(out.index[over.to_numpy()][0])
        raise InputError(
            path, f"share {out.at[i, 'value']} above 100 percent", row=i + 1, field="value"
        )
    wrong = (share & (out["unit"] != "percent")) | (~share & (out["unit"] != "persons"))
    if wrong.any():
        i = int(out.index[wrong.to_numpy()][0])
        raise InputError(
            path,
            f"unit {out.at[i, 'unit']!r} does not fit measure {out.at[i, 'measure']!r}",
            row=i + 1,
            field="unit",
        )
    missing_quote = out["quote"].isna() | out["source_url"].isna()
    if missing_quote.any():
        i = int(out.index[missing_quote.to_numpy()][0])
        raise InputError(
            path,
            "a figure without its source URL and quote is not data",
            row=i + 1,
            field="quote_or_derivation",
        )
    dup = out.duplicated(["fiscal_year", "measure"])
    if dup.any():
        i = int(out.index[dup.to_numpy()][0])
        raise InputError(
            path,
            f"duplicate figure for FY{out.at[i, 'fiscal_year']} {out.at[i, 'measure']}",
            row=i + 1,
            field="measure",
        )
    return out.reset_index(drop=True), log


class IceEroArrestsCited(Adapter):
    """ICE ERO administrative arrests and criminality shares FY2016-FY2020, cited figures."""

    name = NAME
    title = (
        "ICE ERO administrative arrests and shares with convictions/pending charges, FY2016-2020"
    )

    def load(self, raw_dir: Path) -> SourceData:
        sd = SourceData(self.name, caveats=list(CAVEATS))
        if not (Path(raw_dir) / self.name).is_dir():
            sd.caveats = [f"absent: folder {self.name}/ not in the raw-data directory"]
            return sd
        path = self.file(raw_dir, FILENAME)
        table, log = parse_ice_ero_cited(path)
        sd.record(path, rows_read=len(table) + len(log), rows_kept=len(table), log=log)
        sd.tables["ice_ero_figures"] = table
        return sd
