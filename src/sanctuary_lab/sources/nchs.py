"""NCHS 2013 Urban-Rural Classification Scheme for Counties (folder ``nchs_urban_rural_2013``).

The official format is the NCHS workbook ``NCHSURCodes2013.xlsx`` (read with openpyxl); a CSV
export of the same sheet is used only when no workbook is present.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources.base import Adapter, SourceData, county_fips, read_csv, to_number

#: NCHS 2013 codes and their labels
LABELS: dict[int, str] = {
    1: "Large central metro",
    2: "Large fringe metro",
    3: "Medium metro",
    4: "Small metro",
    5: "Micropolitan",
    6: "Noncore",
}
COLUMNS = {
    "FIPS code": "fips",
    "State Abr.": "state",
    "County name": "county_name",
    "CBSA title": "cbsa_title",
    "CBSA 2012 pop": "cbsa_pop_2012",
    "County 2012 pop": "county_pop_2012",
    "2013 code": "nchs_code",
    "2006 code": "nchs_code_2006",
    "1990-based code": "nchs_code_1990",
}
REQUIRED = ["FIPS code", "State Abr.", "County name", "2013 code"]

CAVEATS = [
    "NCHS 2013 county set lists both old and new codes for renamed counties (Wade Hampton 02270 and "
    "Kusilvak 02158; Shannon 46113 and Oglala Lakota 46102; SOURCE.md says renamings are not applied) "
    "plus Bedford city VA 51515 and the old CT counties; a crosswalk is needed for 2020+ geographies.",
]


def _cell(v: object) -> object:
    """Workbook cell -> string as a CSV export would write it (None/NaN -> missing)."""
    if v is None or (isinstance(v, float) and v != v):
        return pd.NA
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _read_xlsx(path: Path) -> pd.DataFrame:
    import openpyxl

    if path.stat().st_size == 0:
        raise InputError(path, "file is empty")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for non-workbooks
        raise InputError(path, f"cannot open as an Excel workbook: {exc}") from exc
    try:
        rows = list(wb[wb.sheetnames[0]].iter_rows(values_only=True))
    finally:
        wb.close()
    if not rows:
        raise InputError(path, "worksheet is empty")
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    body = [r for r in rows[1:] if any(v is not None and str(v).strip() != "" for v in r)]
    if not body:
        raise InputError(path, "worksheet has a header but no data rows")
    df = pd.DataFrame(body, columns=header).loc[:, [h for h in header if h]]
    df = df.map(_cell)
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise InputError(
            path,
            f"missing required column(s) {missing}; found {list(df.columns)}",
            field=missing[0],
        )
    return df.astype("string")


_SPLIT = r"^(\D*?)\s+(\d+)$"


def _repair_split_titles(df: pd.DataFrame, out: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The official sheet cuts CBSA titles at 41 characters and puts the rest in the population
    cell (", CA        274804", "-WV        5860342"); move the text back to the title."""
    cell = df["CBSA 2012 pop"].astype("string").str.strip()
    parts = cell.str.extract(_SPLIT)
    hit = parts[0].notna()
    if hit.any():
        df = df.copy()
        out = out.copy()
        out.loc[hit, "cbsa_title"] = out.loc[hit, "cbsa_title"] + parts.loc[hit, 0]
        df.loc[hit, "CBSA 2012 pop"] = parts.loc[hit, 1]
    out.attrs["repaired_titles"] = int(hit.sum())
    return df, out


def parse_nchs(path: Path) -> pd.DataFrame:
    """Parse the NCHS 2013 workbook (``.xlsx``) or a CSV export of it.

    Returns one row per county: ``fips, state, county_name, cbsa_title, cbsa_pop_2012,
    county_pop_2012, nchs_code, nchs_label, nchs_code_2006, nchs_code_1990``.
    """
    df = (
        _read_xlsx(path)
        if path.suffix.lower() in (".xlsx", ".xlsm")
        else read_csv(path, required=REQUIRED)
    )
    out = pd.DataFrame(index=df.index)
    out["fips"] = county_fips(df["FIPS code"], path, "FIPS code")
    out["state"] = df["State Abr."].str.strip()
    out["county_name"] = df["County name"].str.strip()
    out["cbsa_title"] = df["CBSA title"].str.strip() if "CBSA title" in df.columns else pd.NA
    if "CBSA title" in df.columns and "CBSA 2012 pop" in df.columns:
        df, out = _repair_split_titles(df, out)
    for raw in ("CBSA 2012 pop", "County 2012 pop"):
        if raw in df.columns:
            out[COLUMNS[raw]] = to_number(df, raw, path, integer=True, min_value=0)
    for raw in ("2013 code", "2006 code", "1990-based code"):
        if raw in df.columns:
            out[COLUMNS[raw]] = to_number(df, raw, path, integer=True, min_value=1, max_value=6)
    missing = out["nchs_code"].isna()
    if missing.any():
        i = int(missing.to_numpy().nonzero()[0][0])
        raise InputError(path, "2013 code is missing", row=i + 1, field="2013 code")
    out["nchs_label"] = out["nchs_code"].map(LABELS).astype("string")
    dup = out["fips"].duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise InputError(
            path, f"duplicate county {out['fips'].iloc[i]}", row=i + 1, field="FIPS code"
        )
    return out.reset_index(drop=True)


class NchsUrbanRural(Adapter):
    """NCHS 2013 six-level urban-rural county classes."""

    name = "nchs_urban_rural_2013"
    title = "NCHS 2013 Urban-Rural Classification Scheme for Counties"

    def load(self, raw_dir: Path) -> SourceData:
        folder = self.folder(raw_dir)
        books = sorted(folder.glob("*.xlsx"))
        path = books[0] if books else next(iter(sorted(folder.glob("*.csv"))), None)
        if path is None:
            raise InputError(folder, "no NCHSURCodes2013.xlsx (or CSV export) in the source folder")
        sd = SourceData(self.name, caveats=list(CAVEATS))
        df = parse_nchs(path)
        sd.record(path, rows_read=len(df), rows_kept=len(df))
        n_fix = int(df.attrs.get("repaired_titles", 0))
        if n_fix:
            sd.caveats.append(
                f"NCHS workbook: {n_fix} rows have the CBSA title cut at 41 characters with the rest in the "
                "CBSA population cell; repaired on read (title + population)."
            )
        sd.tables["nchs_urban_rural"] = df
        return sd
