"""ICE detainers FY2008-2015 and their outcomes, NPR FOIA aggregates (folder
``ice-detainer-outcomes-npr``).

Staged tables
-------------
``detainer_facility_outcomes``
    facility x lift reason for public and private facilities: facility (NULL where NPR's file has
    a blank name), lift_reason (NULL = no lift reason recorded), count, count_all (all detainers
    at the facility), freq (percent), public (bool).
``detainers_national_by_reason`` (year, lift_reason, count), ``detainers_national_by_year``
(year, count), ``detainers_national_by_month`` (year, month, count), ``detainers_national_by_type``
(year, detainer_type, count), ``detainers_national_lifted`` (year, count).

Checks
------
- The leading unnamed column is R's row index and is dropped.
- Within a facility, ``count_all`` must be constant and equal the sum of ``count``; a violation
  is an InputError (the file would not be NPR's aggregate).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources._policy_util import clean_text
from sanctuary_lab.sources.base import Adapter, SourceData, read_csv, to_number

NAME = "ice-detainer-outcomes-npr"
FACILITY_REQUIRED = ["det_facility", "lift_reason", "count", "count_all", "freq"]
DECLINED = "Detainer Declined by LEA"

CAVEATS = [
    "NPR detainers: 'year' is the calendar year of the detainer date; 2007 (from Oct) and 2015 "
    "(to 19 Jul) are partial years.",
    "NPR detainers: facility names only (no city, state, FIPS); the facility->county match is by "
    "name patterns and is approximate (see detainer_facility_county.match_confidence).",
    "NPR detainers: facility is where the person was held, not necessarily the jurisdiction; state "
    "prisons and federal facilities are included.",
    "NPR detainers: the facility file pools all years, so per-year sanctuary timing cannot be read "
    "from it. Declines are ICE-recorded and undercounted (LEAs rarely notify ICE).",
    "NPR detainers: public-facility rows with a blank facility name are kept with facility NULL "
    "(they count in national totals but cannot be placed in a county).",
]


def parse_facility_outcomes(path: Path, *, public: bool) -> pd.DataFrame:
    """Parse an NPR ``*_facility_detainer_outcomes.csv`` (facility x lift reason) file."""
    df = read_csv(path, required=FACILITY_REQUIRED)
    out = pd.DataFrame(index=df.index)
    out["facility"] = clean_text(df["det_facility"]).str.upper()
    out["lift_reason"] = clean_text(df["lift_reason"])
    out["count"] = to_number(df, "count", path, integer=True, min_value=0)
    out["count_all"] = to_number(df, "count_all", path, integer=True, min_value=0)
    out["freq"] = to_number(df, "freq", path, min_value=0, max_value=100)
    out["public"] = public
    key = out["facility"].fillna("")
    g = out.groupby(key, sort=False)
    sums = g["count"].transform("sum")
    n_all = g["count_all"].transform("nunique")
    bad = (n_all > 1) | (sums != out["count_all"])
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            path,
            f"count_all {out['count_all'].iloc[i]} of facility {out['facility'].iloc[i]!r} does not "
            f"equal the sum of its counts ({sums.iloc[i]})",
            row=i + 1,
            field="count_all",
        )
    return out


def parse_national(path: Path, columns: list[str]) -> pd.DataFrame:
    """Parse a national NPR export (``year[, key], count``); ``year_month`` is split."""
    df = read_csv(path, required=columns)
    out = pd.DataFrame(index=df.index)
    if "year_month" in columns:
        ym = clean_text(df["year_month"])
        ok = ym.str.fullmatch(r"\d{4}-\d{2}").fillna(False)
        if not ok.all():
            i = int((~ok).to_numpy().nonzero()[0][0])
            raise InputError(
                path, f"expected YYYY-MM, got {ym.iloc[i]!r}", row=i + 1, field="year_month"
            )
        parts = pd.DataFrame({"y": ym.str[:4], "m": ym.str[5:]})
        out["year"] = to_number(parts, "y", path, integer=True)
        out["month"] = to_number(parts, "m", path, integer=True, min_value=1, max_value=12)
    else:
        out["year"] = to_number(df, "year", path, integer=True, min_value=2000, max_value=2030)
    for c in columns:
        if c not in ("year", "year_month", "count"):
            out[c] = clean_text(df[c])
    out["count"] = to_number(df, "count", path, integer=True, min_value=0)
    return out


NATIONAL = {
    "detainers_national_by_reason": (
        "detainers_by_lift_reason_and_year.csv",
        ["year", "lift_reason", "count"],
    ),
    "detainers_national_by_year": ("all_detainers_by_year.csv", ["year", "count"]),
    "detainers_national_by_month": ("detainers_by_year_and_month.csv", ["year_month", "count"]),
    "detainers_national_by_type": (
        "detainers_by_type_and_year.csv",
        ["year", "detainer_type", "count"],
    ),
    "detainers_national_lifted": ("lifted_detainers_by_year.csv", ["year", "count"]),
}


class NprDetainers(Adapter):
    """NPR's aggregates of ICE detainers and their outcomes."""

    name = NAME
    title = "ICE detainers FY2008-2015 and outcomes (NPR FOIA aggregates)"

    def load(self, raw_dir: Path) -> SourceData:
        sd = SourceData(self.name, caveats=list(CAVEATS))
        parts = []
        for fname, public in (
            ("public_facility_detainer_outcomes.csv", True),
            ("private_facility_detainer_outcomes.csv", False),
        ):
            path = self.file(raw_dir, fname)
            tab = parse_facility_outcomes(path, public=public)
            parts.append(tab)
            sd.record(path, len(tab), len(tab))
        sd.tables["detainer_facility_outcomes"] = pd.concat(parts, ignore_index=True)
        for table, (fname, cols) in NATIONAL.items():
            path = self.file(raw_dir, fname)
            tab = parse_national(path, cols)
            sd.tables[table] = tab
            sd.record(path, len(tab), len(tab))
        return sd
