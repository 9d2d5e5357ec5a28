"""Altair chart builders for the report; every function returns a Vega-Lite spec as a dict.

Charts are responsive (``width: "container"``) where Vega-Lite allows it; concatenated charts get a
fixed width and scroll horizontally inside their container on narrow screens. The specs carry their
data inline, so the page needs no network and no file access at view time. Map specs are built in
:mod:`sanctuary_lab.report.maps`.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from sanctuary_lab.designs.result import Result

#: Columns of a specification-curve table that are numbers, not choices.
SPEC_CURVE_NUMERIC = (
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "p_value",
    "n_obs",
    "n_clusters",
)
_SPEC_CURVE_NON_CHOICE = {
    *SPEC_CURVE_NUMERIC,
    "spec_id",
    "spec",
    "term",
    "error",
    "status",
    "skipped",
}

_CONCAT_WIDTH = 560


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    spec = chart.to_dict()
    spec.setdefault("config", {})
    spec["config"].setdefault("view", {}).update({"continuousWidth": 400, "continuousHeight": 260})
    spec["config"]["font"] = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
    return spec


def main_term(result: Result) -> str | None:
    """The coefficient a result is about: its treatment term when named, else the first term."""
    tidy = result.tidy()
    if tidy.empty:
        return None
    for key in ("main_term", "treatment_term", "treatment"):
        name = result.metadata.get(key)
        if isinstance(name, str) and name in set(tidy["term"]):
            return name
    return str(tidy["term"].iloc[0])


def event_study_chart(data: pd.DataFrame, title: str = "") -> dict[str, Any]:
    """Event-study plot: estimate and 95% CI by time relative to treatment.

    Parameters
    ----------
    data
        Columns ``rel_time``, ``estimate``, ``ci_low``, ``ci_high`` and optionally ``reference``
        (true for the omitted reference period, drawn as a hollow point with a dashed rule).
    title
        Chart title.
    """
    need = ["rel_time", "estimate", "ci_low", "ci_high"]
    missing = [c for c in need if c not in data.columns]
    if missing:
        raise ValueError(f"event-study data lacks columns {missing}")
    df = data.copy()
    df["rel_time"] = pd.to_numeric(df["rel_time"], errors="coerce")
    ref_col = "reference" if "reference" in df.columns else None
    df["period"] = (
        df[ref_col].fillna(False).astype(bool).map({True: "reference period", False: "estimated"})
        if ref_col
        else "estimated"
    )
    df = df.loc[:, ["rel_time", "estimate", "ci_low", "ci_high", "period"]]
    df = df.dropna(subset=["rel_time", "estimate"])
    base = alt.Chart(df)
    x = alt.X("rel_time:Q", title="Years relative to treatment", axis=alt.Axis(tickMinStep=1))
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#888").encode(y="y:Q")
    bars = base.mark_rule(color="#1f5f8b").encode(
        x=x, y=alt.Y("ci_low:Q", title="Estimate (95% CI)"), y2="ci_high:Q"
    )
    periods = [p for p in ("estimated", "reference period") if p in set(df["period"])]
    shapes = {"estimated": "circle", "reference period": "square"}
    colors = {"estimated": "#1f5f8b", "reference period": "#b05a00"}
    points = base.mark_point(filled=True, size=60).encode(
        x=x,
        y="estimate:Q",
        shape=alt.Shape(
            "period:N",
            title=None,
            scale=alt.Scale(domain=periods, range=[shapes[p] for p in periods]),
            legend=alt.Legend(orient="bottom"),
        ),
        color=alt.Color(
            "period:N",
            title=None,
            scale=alt.Scale(domain=periods, range=[colors[p] for p in periods]),
            legend=alt.Legend(orient="bottom"),
        ),
        tooltip=[
            "rel_time:Q",
            alt.Tooltip("estimate:Q", format=".3f"),
            alt.Tooltip("ci_low:Q", format=".3f"),
            alt.Tooltip("ci_high:Q", format=".3f"),
            "period:N",
        ],
    )
    layers = [zero, bars, points]
    refs = df.loc[df["period"] == "reference period", ["rel_time"]].drop_duplicates()
    if not refs.empty:
        layers.insert(
            1, alt.Chart(refs).mark_rule(strokeDash=[4, 4], color="#b05a00").encode(x="rel_time:Q")
        )
    chart = alt.layer(*layers).properties(width="container", height=260, title=title)
    return _spec(chart)


def coefficient_chart(rows: pd.DataFrame, title: str = "") -> dict[str, Any]:
    """Coefficient plot across specifications: one row per specification, estimate with 95% CI.

    Parameters
    ----------
    rows
        Columns ``label``, ``estimate``, ``ci_low``, ``ci_high`` (rows without a finite CI are
        drawn as points only).
    """
    df = rows.loc[:, ["label", "estimate", "ci_low", "ci_high"]].copy()
    for c in ("estimate", "ci_low", "ci_high"):
        df[c] = pd.to_numeric(df[c], errors="coerce")
    df = df.dropna(subset=["estimate"])
    order = list(df["label"])
    y = alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=220))
    base = alt.Chart(df)
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#888").encode(x="x:Q")
    bars = (
        base.transform_filter("isValid(datum.ci_low) && isValid(datum.ci_high)")
        .mark_rule(color="#1f5f8b")
        .encode(x=alt.X("ci_low:Q", title="Estimate (95% CI)"), x2="ci_high:Q", y=y)
    )
    points = base.mark_point(filled=True, size=60, color="#1f5f8b").encode(
        x="estimate:Q",
        y=y,
        tooltip=[
            "label:N",
            alt.Tooltip("estimate:Q", format=".4g"),
            alt.Tooltip("ci_low:Q", format=".4g"),
            alt.Tooltip("ci_high:Q", format=".4g"),
        ],
    )
    height = max(60, 28 * len(df))
    return _spec(
        alt.layer(zero, bars, points).properties(width="container", height=height, title=title)
    )


def spec_curve_chart(
    table: pd.DataFrame,
    choices: list[str] | None = None,
    title: str = "",
    max_points: int = 1000,
) -> dict[str, Any]:
    """Specification curve: estimates sorted with a CI band, over a panel marking each choice.

    Parameters
    ----------
    table
        One row per specification: the choice columns plus ``estimate``, ``ci_low``, ``ci_high``
        and ``p_value`` (the multiverse's tidy table).
    choices
        Choice columns; default every non-number column with more than one value. Rows with a
        non-empty ``skipped`` reason are left out.
    max_points
        Largest number of specifications drawn. A longer curve is thinned to ``max_points``
        specifications evenly spaced by rank (always keeping the smallest and largest estimate);
        ranks stay those of the full curve, so the shape is kept, and the title says so.
    """
    need = ["estimate", "ci_low", "ci_high"]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise ValueError(f"specification table lacks columns {missing}")
    df = table.copy()
    if "skipped" in df.columns:
        df = df.loc[df["skipped"].fillna("").astype(str).eq("")]
    if choices is None:
        choices = [c for c in df.columns if c not in _SPEC_CURVE_NON_CHOICE and df[c].nunique() > 1]
    for c in need:
        df[c] = pd.to_numeric(df[c], errors="coerce")
    df = df.dropna(subset=["estimate"]).sort_values("estimate").reset_index(drop=True)
    df["rank"] = range(1, len(df) + 1)
    n_total = len(df)
    if n_total > max_points:
        picks = np.unique(np.linspace(0, n_total - 1, max_points).round().astype(int))
        df = df.iloc[picks].reset_index(drop=True)
        title = f"{title} ({len(df):,} of {n_total:,} shown, evenly spaced by rank)".strip()
    excl = (df["ci_low"] > 0) | (df["ci_high"] < 0)
    df["interval"] = excl.map({True: "95% CI excludes 0", False: "95% CI includes 0"})
    keep = ["rank", "estimate", "ci_low", "ci_high", "interval"]
    if "p_value" in df.columns:
        keep.append("p_value")
    top_df = df.loc[:, keep]
    x = alt.X("rank:Q", title=None, scale=alt.Scale(nice=False), axis=alt.Axis(labels=False))
    band = (
        alt.Chart(top_df)
        .mark_area(opacity=0.25, color="#1f5f8b")
        .encode(x=x, y=alt.Y("ci_low:Q", title="Estimate (95% CI)"), y2="ci_high:Q")
    )
    points = (
        alt.Chart(top_df)
        .mark_point(filled=True, size=18)
        .encode(
            x=x,
            y="estimate:Q",
            color=alt.Color(
                "interval:N",
                title=None,
                scale=alt.Scale(
                    domain=["95% CI excludes 0", "95% CI includes 0"], range=["#1f5f8b", "#a0a0a0"]
                ),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=["rank:Q", alt.Tooltip("estimate:Q", format=".4g")],
        )
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#888").encode(y="y:Q")
    top = alt.layer(band, zero, points).properties(width=_CONCAT_WIDTH, height=220, title=title)
    long = [
        {"rank": int(r["rank"]), "choice": f"{c}: {r[c]}"}
        for _, r in df.iterrows()
        for c in choices
    ]
    panel_df = pd.DataFrame(long, columns=["rank", "choice"])
    n_levels = max(1, panel_df["choice"].nunique())
    panel = (
        alt.Chart(panel_df)
        .mark_tick(thickness=2, color="#333")
        .encode(
            x=alt.X(
                "rank:Q", title="Specification (sorted by estimate)", scale=alt.Scale(nice=False)
            ),
            y=alt.Y("choice:N", title=None, axis=alt.Axis(labelLimit=200)),
        )
        .properties(width=_CONCAT_WIDTH, height=16 * n_levels)
    )
    # bounded by max_points x len(choices) rows, above Altair's default 5,000-row guard
    with alt.data_transformers.disable_max_rows():
        return _spec(alt.vconcat(top, panel, spacing=8).resolve_scale(x="shared"))


def verdict_chart(verdicts: pd.Series) -> dict[str, Any]:
    """Bar chart of how many claims got each verdict."""
    counts = verdicts.value_counts().rename_axis("verdict").reset_index(name="claims")
    chart = (
        alt.Chart(counts)
        .mark_bar(color="#1f5f8b")
        .encode(
            y=alt.Y("verdict:N", title=None, sort="-x"),
            x=alt.X("claims:Q", title="Claims", axis=alt.Axis(tickMinStep=1, format="d")),
            tooltip=["verdict:N", "claims:Q"],
        )
    )
    return _spec(chart.properties(width="container", height=max(60, 26 * len(counts))))


def series_chart(df: pd.DataFrame, x: str, column: str, title: str = "") -> dict[str, Any]:
    """Line chart of one numeric column of a descriptive table against ``x`` (e.g. year).

    One chart per column, so that counts and shares never share an axis.
    """
    if column not in df.columns or not pd.api.types.is_numeric_dtype(df[column]):
        raise ValueError(f"table has no numeric column {column!r} to plot against {x!r}")
    data = df.loc[:, [x, column]].dropna()
    chart = (
        alt.Chart(data)
        .mark_line(point=True, color="#1f5f8b")
        .encode(
            x=alt.X(f"{x}:Q", title=x, axis=alt.Axis(format="d", tickMinStep=1)),
            y=alt.Y(f"{column}:Q", title=column),
            tooltip=[f"{x}:Q", alt.Tooltip(f"{column}:Q", format=",.4~g")],
        )
    )
    return _spec(chart.properties(width="container", height=180, title=title or column))


def series_columns(df: pd.DataFrame, x: str, limit: int = 6) -> list[str]:
    """The numeric columns of a descriptive table worth a line chart against ``x``."""
    if x not in df.columns or not pd.api.types.is_numeric_dtype(df[x]):
        return []
    cols = [
        c
        for c in df.columns
        if c != x and pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
    ]
    return cols[:limit]


def coverage_chart(counts: pd.DataFrame) -> dict[str, Any]:
    """Heat map of rows per table and year (columns ``table``, ``year``, ``rows``)."""
    chart = (
        alt.Chart(counts)
        .mark_rect()
        .encode(
            x=alt.X("year:O", title="Year"),
            y=alt.Y("table:N", title=None, axis=alt.Axis(labelLimit=200)),
            color=alt.Color("rows:Q", title="Rows", scale=alt.Scale(scheme="blues")),
            tooltip=["table:N", "year:O", alt.Tooltip("rows:Q", format=",")],
        )
    )
    n_tables = max(1, counts["table"].nunique())
    return _spec(chart.properties(width="container", height=22 * n_tables))
