"""ICE ERO noncriminal share of administrative arrests, FY2016-FY2020, from the cited figures.

ICE's "noncriminal" = no known criminal conviction **and** no pending criminal charge. It is
*not* "no criminal conviction": people with pending charges but no conviction are criminal in
ICE's count. Both shares are computed where the figures allow, under their own names.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd

from sanctuary_lab.studies.reading import DataUnavailable
from sanctuary_lab.warehouse.db import table_names


def _value(fig: pd.DataFrame, fy: int, measure: str) -> tuple[float | None, Any]:
    row = fig.loc[(fig["fiscal_year"] == fy) & (fig["measure"] == measure)]
    if row.empty:
        return None, None
    bound = row["bound"].iloc[0]
    return float(row["value"].iloc[0]), (None if pd.isna(bound) else str(bound))


def ice_ero_noncriminal_share(
    con: duckdb.DuckDBPyConnection, *, first_year: int = 2016, last_year: int = 2020
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Noncriminal share (no conviction AND no pending charge) of ICE ERO arrests per fiscal year.

    Per fiscal year, in order of preference: (1) counts: 1 - arrests with criminal history (convicted
    or pending) / all administrative arrests; (2) ICE's stated share convicted or pending:
    100 - share; (3) the two disjoint stated shares: 100 - convicted - pending. A "more than X
    percent" convicted-or-pending figure makes the noncriminal share an *upper* bound, reported
    under its own statistic (``..._upper_bound``), never as a point value.

    Statistics
    ----------
    ``noncriminal_share_fy<YYYY>`` (percent) for point values, ``noncriminal_share_fy<YYYY>_upper_bound``
    for bounds, ``noncriminal_count_fy<YYYY>`` where counts are given,
    ``noncriminal_share_latest`` (last fiscal year with a point value, also named in the table),
    ``noncriminal_share_min`` / ``noncriminal_share_max`` over point values, and
    ``no_conviction_share_fy<YYYY>`` (100 - share convicted; includes pending charges) where the
    convicted share is stated.
    """
    if "ice_ero_arrests" not in table_names(con):
        raise DataUnavailable(
            "warehouse has no table 'ice_ero_arrests' (raw folder ice_ero_arrests_cited)"
        )
    fig = con.execute("SELECT * FROM ice_ero_arrests").df()
    fig["fiscal_year"] = pd.to_numeric(fig["fiscal_year"]).astype(int)
    rows, stats = [], {}
    for fy in range(int(first_year), int(last_year) + 1):
        total, _ = _value(fig, fy, "ero_administrative_arrests_total")
        crim, _ = _value(fig, fy, "ero_admin_arrests_with_criminal_history")
        cop, cop_bound = _value(fig, fy, "share_convicted_or_pending")
        conv, _ = _value(fig, fy, "share_convicted_criminals")
        pend, _ = _value(fig, fy, "share_pending_criminal_charges")
        share, method, bound, count = np.nan, "", None, np.nan
        if total and crim is not None:
            count = total - crim
            share, method = count / total * 100, "counts: (all - with criminal history) / all"
        elif cop is not None:
            share, method = 100 - cop, "100 - stated share convicted or pending"
            bound = "upper" if cop_bound == "lower" else None
        elif conv is not None and pend is not None:
            share, method = 100 - conv - pend, "100 - stated shares convicted - pending"
        if conv is not None:
            stats[f"no_conviction_share_fy{fy}"] = float(100 - conv)
        rows.append(
            {
                "fiscal_year": fy,
                "arrests_total": total,
                "arrests_with_criminal_history": crim,
                "noncriminal_count": count,
                "noncriminal_share_pct": share,
                "bound": bound,
                "share_from_stated_shares": (
                    100 - conv - pend if conv is not None and pend is not None else np.nan
                ),
                "method": method or "no figure for this year",
            }
        )
        if np.isfinite(share):
            key = f"noncriminal_share_fy{fy}" + ("_upper_bound" if bound else "")
            stats[key] = float(share)
        if np.isfinite(count):
            stats[f"noncriminal_count_fy{fy}"] = float(count)
    df = pd.DataFrame(rows)
    point = df.loc[df["bound"].isna() & df["noncriminal_share_pct"].notna()]
    if not point.empty:
        stats["noncriminal_share_latest"] = float(point["noncriminal_share_pct"].iloc[-1])
        stats["noncriminal_share_latest_fiscal_year"] = float(point["fiscal_year"].iloc[-1])
        stats["noncriminal_share_min"] = float(point["noncriminal_share_pct"].min())
        stats["noncriminal_share_max"] = float(point["noncriminal_share_pct"].max())
    return df, stats
