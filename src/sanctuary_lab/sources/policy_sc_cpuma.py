"""Secure Communities and 287(g) exposure by CPUMA x year, 2000-2015 (folder
``policy-sc-287g-cpuma-east2022``; East, Hines, Luck, Mansour & Velasquez 2022 replication files).

Staged tables
-------------
``sc_287g_cpuma``
    year, cpuma0010 and the twelve shares ``{state287g,jail287g,task287g,sc}_{jan,march,frac}``
    (population share of the CPUMA covered by the policy in January, in March, or averaged over
    the year), each checked to lie in [0, 1].
``cpuma_summary``
    One row per CPUMA0010 from ``CPUMA0010_summary.xls`` (IPUMS ConsPUMA summary): cpuma0010,
    state_fips (2-digit, given by the file's ``State_FIPS`` column), state_name, and the
    population counts ``pop00`` (PUMA00_Pop00, Census 2000) and ``pop10`` (PUMA10_Pop10,
    Census 2010) used as weights when aggregating to states.

The ``.dta`` copy of the policy file and the CPUMA -> commuting-zone crosswalk are not read (the
CSV is a straight export of the .dta).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources.base import Adapter, SourceData, check_nonempty, read_csv, to_number
from sanctuary_lab.sources.geo import STATES

NAME = "policy-sc-287g-cpuma-east2022"
POLICIES = ("state287g", "jail287g", "task287g", "SC")
TIMINGS = ("jan", "march", "frac")
SHARE_COLS = [f"{p}_{t}" for p in POLICIES for t in TIMINGS]
SUMMARY_REQUIRED = ["CPUMA0010", "State_FIPS", "State_Name", "PUMA10_Pop10", "PUMA00_Pop00"]

CAVEATS = [
    "SC/287(g) CPUMA file: geography is consistent PUMA (CPUMA0010), not county; county use needs "
    "a PUMA-county crosswalk and is approximate. The county-level original is not available.",
    "SC/287(g) CPUMA file: 2015 is coded 0 for Secure Communities (SC ended and was replaced by "
    "PEP), not 'no coverage observed'.",
    "SC/287(g) CPUMA file: timing only via January / March / year-average shares.",
    "SC/287(g) CPUMA file: no licence file in the replication repository.",
]


def parse_cpuma_policy(path: Path) -> pd.DataFrame:
    """Parse the CPUMA x year policy-share CSV (``287g_SC_EVerify_*_cpuma0010.csv`` layout).

    Shares must be numbers in [0, 1]; a (year, cpuma0010) pair may appear only once.
    """
    df = read_csv(path, required=["year", "cpuma0010", *SHARE_COLS])
    out = pd.DataFrame(index=df.index)
    out["year"] = to_number(df, "year", path, integer=True, min_value=1990, max_value=2030)
    out["cpuma0010"] = to_number(df, "cpuma0010", path, integer=True, min_value=1)
    for c in SHARE_COLS:
        out[c.replace("SC_", "sc_")] = to_number(df, c, path, min_value=0.0, max_value=1.0)
    dup = out.duplicated(["year", "cpuma0010"])
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise InputError(
            path, f"duplicate (year, cpuma0010) = ({out['year'].iloc[i]}, {out['cpuma0010'].iloc[i]})",
            row=i + 1, field="cpuma0010",
        )  # fmt: skip
    return out


def parse_cpuma_summary(path: Path) -> pd.DataFrame:
    """Parse ``CPUMA0010_summary.xls`` (first sheet) with xlrd.

    Returns cpuma0010, state_fips, state_name, n_puma10, n_puma00, pop00, pop10.
    """
    check_nonempty(path)
    try:
        df = pd.read_excel(path, sheet_name=0, dtype=str, engine="xlrd")
    except Exception as exc:  # xlrd raises its own error types for a corrupt workbook
        raise InputError(path, f"cannot read as an Excel .xls workbook: {exc}") from exc
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in SUMMARY_REQUIRED if c not in df.columns]
    if missing:
        raise InputError(path, f"missing required column(s) {missing}", field=missing[0])
    if df.empty:
        raise InputError(path, "sheet has a header but no data rows")
    out = pd.DataFrame(index=df.index)
    out["cpuma0010"] = to_number(df, "CPUMA0010", path, integer=True, min_value=1)
    sf = (
        df["State_FIPS"]
        .astype("string")
        .str.strip()
        .str.replace(r"\.0$", "", regex=True)
        .str.zfill(2)
    )
    bad = ~sf.isin(list(STATES))
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            path, f"unknown state FIPS {df['State_FIPS'].iloc[i]!r}", row=i + 1, field="State_FIPS"
        )
    out["state_fips"] = sf
    out["state"] = sf.map(lambda c: STATES[c][0]).astype("string")
    out["state_name"] = df["State_Name"].astype("string").str.strip()
    for src, dst in (("N_PUMA10", "n_puma10"), ("N_PUMA00", "n_puma00")):
        if src in df.columns:
            out[dst] = to_number(df, src, path, integer=True, min_value=0)
    out["pop00"] = to_number(df, "PUMA00_Pop00", path, min_value=0)
    out["pop10"] = to_number(df, "PUMA10_Pop10", path, min_value=0)
    dup = out["cpuma0010"].duplicated()
    if dup.any():
        i = int(dup.to_numpy().nonzero()[0][0])
        raise InputError(
            path, f"duplicate CPUMA0010 {out['cpuma0010'].iloc[i]}", row=i + 1, field="CPUMA0010"
        )
    return out


class ScCpumaEast2022(Adapter):
    """Secure Communities / 287(g) CPUMA-year shares (East et al. 2022)."""

    name = NAME
    title = (
        "Secure Communities and 287(g) coverage by consistent PUMA, 2000-2015 (East et al. 2022)"
    )

    def load(self, raw_dir: Path) -> SourceData:
        sd = SourceData(self.name, caveats=list(CAVEATS))
        path = self.file(raw_dir, "287g_SC_EVerify_5_13_22_cpuma0010.csv")
        pol = parse_cpuma_policy(path)
        sd.tables["sc_287g_cpuma"] = pol
        sd.record(path, len(pol), len(pol))
        path = self.file(raw_dir, "CPUMA0010_summary.xls")
        summ = parse_cpuma_summary(path)
        sd.tables["cpuma_summary"] = summ
        sd.record(path, len(summ), len(summ))
        return sd
