"""Washington Post 287(g) sheriff list 2005-2019 and FBI agency list (folder ``wapo_287g_sheriffs``).

Staged tables
-------------
``wapo_287g_curated_2019`` / ``wapo_287g_curated_2018``
    One row per listed agency: agency, sheriff, state, ori, fips, ignore/joined-after-2018 flags,
    notes and one boolean column per year ``y2005``..``y2019`` (cell "X" = active that year).
``ucr_agencies``
    FBI Crime Data Explorer agency list: ori (9 chars), ori7, agency name/type, state, county
    name(s) as given (upper case, "; "-separated for multi-county agencies).
``wapo_annual_rates``
    The Post's aggregate arrests-per-officer series (sheriff's offices in vs. not in 287(g)).

Cleanup rules (curated sheets)
------------------------------
- A row whose State cell is not a US state (the stray "State (Alphabetical)" sub-header) and
  fully blank rows are rejected. Rows with a blank State but an agency name continue the state
  block above them (the "ended 287(g)" section lists several Virginia agencies this way) and
  inherit the previous row's state.
- State names are mixed case with trailing blanks; they are mapped to 2-letter codes.
- ``FIPS`` is integer-like; it is zero-padded to 5 digits. A FIPS whose state part disagrees with
  the row's State (e.g. "20701" on an Arizona row, a spreadsheet shift) is set to NULL and logged
  as a reject of field FIPS, so the county is resolved later by name/ORI instead.
- ``ori`` keeps 9-character ORIs and 7-character (old UCR) ORIs; anything else (e.g. "0") is
  NULL and logged. When ``ori`` is empty but ``ignore`` holds a 9-character ORI (another
  column shift), that ORI is used.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources._policy_util import clean_text, read_xlsx, state_abbr
from sanctuary_lab.sources.base import Adapter, RejectLog, SourceData, read_csv, to_number
from sanctuary_lab.sources.geo import ABBR_TO_FIPS

NAME = "wapo_287g_sheriffs"
YEARS = list(range(2005, 2020))
YEAR_COLS = [f"y{y}" for y in YEARS]
CURATED_REQUIRED = ["Sheriff", "State", "County", "ori", "FIPS", "ignore", "NOTES", *YEAR_COLS]
AGENCY_REQUIRED = ["ori", "agency_name", "agency_type_name", "state_abbr", "county_name"]
RATES_REQUIRED = ["AGCYTYPE", "participant", "year", "arrests_per_officer"]
ORI_RE = r"[A-Z]{2}[0-9A-Z]{5}([0-9A-Z]{2})?"

CAVEATS = [
    "WaPo curated 287(g) list: year flags are 'active that year' per the Post's curation; "
    "jail vs warrant-service models are not distinguished (model is unknown in this source).",
    "WaPo curated list: some rows are state agencies/DOCs or police departments, not sheriffs; "
    "the 'ignore' column and NOTES say which rows the Post excluded.",
    "WaPo curated list: a few FIPS/ORI cells are shifted by one column (e.g. FIPS 20701 on an Arizona "
    "row); FIPS whose state part disagrees with the row's state are dropped and logged.",
    "WaPo data are CC BY-NC-SA 4.0 (non-commercial, share-alike).",
    "FBI agency list: county is a NAME, not FIPS; multi-county agencies list several counties "
    "('SHELBY; JEFFERSON'); ~442 agencies have no county. ORIs are 9 characters; old UCR files use "
    "the first 7.",
]


def parse_curated(path: Path) -> tuple[pd.DataFrame, RejectLog]:
    """Parse a ``287g_curated_<year>.xlsx`` sheet (2018 or 2019 layout).

    Returns
    -------
    (table, rejects)
        Columns: row, agency, sheriff, state, state_fips, ori, fips, ignore, joined_after_2018,
        notes, y2005..y2019 (bool).
    """
    df = read_xlsx(path, required=CURATED_REQUIRED)
    log = RejectLog(NAME, path.name)
    out = pd.DataFrame(index=df.index)
    out["row"] = pd.Series(range(1, len(df) + 1), index=df.index, dtype="int64")
    out["agency"] = clean_text(df["County"])
    out["sheriff"] = clean_text(df["Sheriff"])
    state_raw = clean_text(df["State"])
    agency_raw = clean_text(df["County"])
    # continuation rows of a state block leave State blank: inherit the previous row's state
    cont = state_raw.isna() & agency_raw.notna()
    state_raw = state_raw.mask(cont, state_raw.ffill())
    out["state"] = state_abbr(state_raw)
    out["state_fips"] = out["state"].map(ABBR_TO_FIPS).astype("string")
    ori = clean_text(df["ori"]).str.upper()
    alt = clean_text(df["ignore"]).str.upper()
    use_alt = ori.isna() & alt.str.fullmatch(r"[A-Z]{2}[0-9A-Z]{7}").fillna(False)
    ori = ori.where(~use_alt, alt)
    bad_ori = ori.notna() & ~ori.str.fullmatch(ORI_RE).fillna(False)
    for i in bad_ori[bad_ori].index:
        log.add(int(out.at[i, "row"]), "ori", f"not an ORI ({ori.at[i]!r}); set to NULL")
    out["ori"] = ori.mask(bad_ori)
    fips_raw = clean_text(df["FIPS"]).str.replace(r"\.0$", "", regex=True)
    bad_syntax = fips_raw.notna() & ~fips_raw.str.fullmatch(r"\d{1,5}").fillna(False)
    fips = fips_raw.mask(bad_syntax).str.zfill(5)
    mismatch = fips.notna() & out["state_fips"].notna() & (fips.str[:2] != out["state_fips"])
    for i in (bad_syntax | mismatch)[bad_syntax | mismatch].index:
        log.add(
            int(out.at[i, "row"]),
            "FIPS",
            f"FIPS {fips_raw.at[i]!r} does not belong to state {out.at[i, 'state']}; set to NULL",
        )
    out["fips"] = fips.mask(mismatch)
    out["ignore"] = alt.notna() & (alt == "X")
    joined = clean_text(df.get("Joined after 2018? (Y/N)", pd.Series(pd.NA, index=df.index)))
    out["joined_after_2018"] = (
        joined.str.upper().str[0].map({"Y": True, "N": False}).astype("boolean")
    )
    out["notes"] = clean_text(df["NOTES"])
    for c in YEAR_COLS:
        out[c] = clean_text(df[c]).str.upper().eq("X").fillna(False).astype(bool)
    keep = out["state"].notna()
    for i in keep[~keep].index:
        what = (
            "blank row"
            if agency_raw.isna().at[i]
            else f"not a US state ({df.at[i, 'State']!r}): sub-header"
        )
        log.add(int(out.at[i, "row"]), "State", what)
    return out[keep].reset_index(drop=True), log


def parse_agency_list(path: Path) -> tuple[pd.DataFrame, RejectLog]:
    """Parse the FBI CDE agency list (``ucr_agencies_list.csv`` layout).

    County names are kept as given in ``county_names``; "N/A"/"NULL"/blank become NULL.
    Agencies outside the 50 states, DC and PR (e.g. Guam "GM", Virgin Islands "VI") are rejected.
    """
    df = read_csv(path, required=AGENCY_REQUIRED)
    log = RejectLog(NAME, path.name)
    out = pd.DataFrame(index=df.index)
    out["ori"] = clean_text(df["ori"]).str.upper()
    bad = out["ori"].isna() | ~out["ori"].str.fullmatch(ORI_RE).fillna(False)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(path, f"malformed ORI {df['ori'].iloc[i]!r}", row=i + 1, field="ori")
    out["ori7"] = out["ori"].str[:7]
    out["agency_name"] = clean_text(df["agency_name"])
    out["agency_type"] = clean_text(df["agency_type_name"])
    out["state"] = clean_text(df["state_abbr"]).str.upper()
    out["state_fips"] = out["state"].map(ABBR_TO_FIPS).astype("string")
    county = clean_text(df["county_name"])
    out["county_names"] = county.mask(county.str.upper().isin(["N/A", "NULL", "NA"]))
    keep = out["state_fips"].notna()
    for i in keep[~keep].index:
        log.add(i + 1, "state_abbr", f"state {out.at[i, 'state']!r} is not a US state, DC or PR")
    return out[keep].reset_index(drop=True), log


def parse_annual_rates(path: Path) -> pd.DataFrame:
    """Parse the Post's ``annual_rates.csv`` (arrests per officer by 287(g) participation)."""
    df = read_csv(path, required=RATES_REQUIRED)
    out = pd.DataFrame(
        {
            "agency_type": clean_text(df["AGCYTYPE"]),
            "participant": df["participant"].str.upper().eq("TRUE"),
            "year": to_number(df, "year", path, integer=True, min_value=1990, max_value=2100),
        }
    )
    for c in df.columns:
        if c not in ("AGCYTYPE", "participant", "year"):
            out[c] = to_number(df, c, path)
    return out


class WapoSheriffs287g(Adapter):
    """Washington Post 287(g) sheriff curation + FBI agency list."""

    name = NAME
    title = "Washington Post 287(g) sheriff agreements 2005-2019 and FBI agency list"

    def load(self, raw_dir: Path) -> SourceData:
        sd = SourceData(self.name, caveats=list(CAVEATS))
        for year in (2019, 2018):
            path = self.file(raw_dir, f"287g_curated_{year}.xlsx")
            tab, log = parse_curated(path)
            sd.tables[f"wapo_287g_curated_{year}"] = tab
            sd.record(
                path, len(tab) + sum(1 for r in log.rejects if r.field == "State"), len(tab), log
            )
        path = self.file(raw_dir, "ucr_agencies_list.csv")
        ag, log = parse_agency_list(path)
        sd.tables["ucr_agencies"] = ag
        sd.record(path, len(ag) + len(log), len(ag), log)
        path = self.file(raw_dir, "annual_rates.csv")
        rates = parse_annual_rates(path)
        sd.tables["wapo_annual_rates"] = rates
        sd.record(path, len(rates), len(rates))
        return sd
