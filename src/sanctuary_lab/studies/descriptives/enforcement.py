"""Descriptive series builders: national detainer declines and enforcement breadth.

Each builder takes an open DuckDB connection plus keyword options and returns ``(table, stats)``:
a tidy DataFrame for the report and a dict of named statistics (plain floats) that claims can
test (``descriptive:<name>@<stat>``). Published official figures never enter here: they live in
the cited facts table (``studies/data/facts.csv``) and are shown beside, not as, computed results.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from sanctuary_lab.studies.data_files import load_facts
from sanctuary_lab.studies.reading import DataUnavailable, load
from sanctuary_lab.warehouse.db import table_names

DECLINED_REASON = "Detainer Declined by LEA"


def detainer_declines_by_year(
    con: duckdb.DuckDBPyConnection,
    *,
    before: list[int] | None = None,
    after: list[int] | None = None,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Detainers ICE recorded as declined by the local agency, per year, and their share.

    Statistics: ``declined_share_change`` = mean yearly share declined (percent of all detainers
    issued that year) in ``after`` minus the mean in ``before``; ``declined_count_ratio`` = mean
    yearly count in ``after`` / mean in ``before``. Shares are used for the comparison because
    the first and last years are partial (the share is not affected by the partial year the way a
    count is).
    """
    before = before or [2008, 2013]
    after = after or [2014, 2015]
    lift = load(con, "detainers_national_by_reason", ["year", "lift_reason", "count"])
    declined = (
        lift.loc[lift["lift_reason"].astype(str) == DECLINED_REASON]
        .groupby("year")["count"]
        .sum()
        .rename("declined")
    )
    alls = load(con, "detainers_national_by_year", ["year", "count"])
    total = alls.groupby("year")["count"].sum().rename("all_detainers")
    df = pd.concat([declined, total], axis=1).fillna({"declined": 0}).reset_index()
    df = df.rename(columns={df.columns[0]: "year"})
    df["year"] = pd.to_numeric(df["year"]).astype(int)
    df["share_declined_pct"] = df["declined"] / df["all_detainers"] * 100
    df = df.sort_values("year").reset_index(drop=True)

    def window(bounds: list[int]) -> pd.DataFrame:
        return df.loc[(df["year"] >= bounds[0]) & (df["year"] <= bounds[-1])]

    b, a = window(before), window(after)
    stats: dict[str, float] = {}
    if not b.empty and not a.empty:
        stats["declined_share_change"] = float(
            a["share_declined_pct"].mean() - b["share_declined_pct"].mean()
        )
        if b["declined"].mean() > 0:
            stats["declined_count_ratio"] = float(a["declined"].mean() / b["declined"].mean())
    return df, stats


def enforcement_breadth(
    con: duckdb.DuckDBPyConnection,
    *,
    arrests_table: str = "ice_arrests",
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Enforcement breadth series from the data held: detainers issued, 287(g) counties, SC coverage.

    The share of ICE arrests of people without criminal convictions needs record-level ICE arrest
    data with criminal history (``arrests_table``, columns ``year``, ``n_arrests``,
    ``n_noncriminal``). When the warehouse holds it, ``noncriminal_share_<year>`` statistics are
    computed, plus ``noncriminal_share_2009_2014`` (pooled) and ``noncriminal_share_latest`` (last
    year held); otherwise none are, and claims about that share are untestable.
    """
    parts = []
    try:
        alls = load(con, "detainers_national_by_year", ["year", "count"])
        parts.append(alls.groupby("year")["count"].sum().rename("detainers_issued"))
    except DataUnavailable:
        pass
    names = table_names(con)
    if "county_year_287g" in names:
        c = load(con, "county_year_287g", ["fips", "year", "any_287g"], ["known"])
        active = pd.to_numeric(c["any_287g"], errors="coerce") > 0
        parts.append(c.loc[active].groupby("year")["fips"].nunique().rename("counties_with_287g"))
        if "known" in c:
            known = c["known"].astype("boolean").fillna(False).astype(bool)
            parts.append(
                c.loc[known].groupby("year")["fips"].nunique().rename("counties_287g_status_known")
            )
    if "policy_sc_coverage" in names:
        sc = load(con, "policy_sc_coverage", ["year", "sc_frac"])
        parts.append(sc.groupby("year")["sc_frac"].mean().rename("mean_state_sc_share"))
    stats: dict[str, float] = {}
    if arrests_table in names:
        arr = con.execute(f'SELECT * FROM "{arrests_table}"').df()
        by = arr.groupby("year")[["n_arrests", "n_noncriminal"]].sum()
        share = (by["n_noncriminal"] / by["n_arrests"] * 100).rename("noncriminal_share_pct")
        parts.append(share)
        stats.update(
            {f"noncriminal_share_{int(y)}": float(v) for y, v in share.items() if np.isfinite(v)}
        )
        pooled = by.loc[(by.index >= 2009) & (by.index <= 2014)].sum()
        if pooled["n_arrests"] > 0:
            stats["noncriminal_share_2009_2014"] = float(
                pooled["n_noncriminal"] / pooled["n_arrests"] * 100
            )
        if len(share):
            stats["noncriminal_share_latest"] = float(share.iloc[-1])
    if not parts:
        raise DataUnavailable("no enforcement series (detainers, 287(g), SC) in the warehouse")
    df = pd.concat(parts, axis=1).sort_index().reset_index()
    df = df.rename(columns={df.columns[0]: "year"})
    df["year"] = pd.to_numeric(df["year"]).astype(int)
    return df, stats


def cited_facts(
    con: duckdb.DuckDBPyConnection, *, path: str = ""
) -> tuple[pd.DataFrame, dict[str, float]]:
    """The cited facts table (published figures, not computed); no statistics."""
    return load_facts(path), {}
