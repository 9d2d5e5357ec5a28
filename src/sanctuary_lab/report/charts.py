"""Altair chart builders for the report; every function returns a Vega-Lite spec as a dict.

Charts are responsive (``width: "container"``) where Vega-Lite allows it; concatenated charts get a
fixed width and scroll horizontally inside their container on narrow screens. The specs carry their
data inline, so the page needs no network and no file access at view time. Map specs are built in
:mod:`sanctuary_lab.report.maps`.
"""

from __future__ import annotations

import json
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from sanctuary_lab.core.formatting import fmt_count
from sanctuary_lab.core.result import TIDY_COLUMNS, Result

#: Columns of a specification-curve table that are numbers, not choices (the tidy columns but
#: the term).
SPEC_CURVE_NUMERIC = tuple(c for c in TIDY_COLUMNS if c != "term")
_SPEC_CURVE_NON_CHOICE = {
    *SPEC_CURVE_NUMERIC,
    "spec_id",
    "spec",
    "term",
    "error",
    "status",
    "skipped",
    "skip_kind",
    "rank",
    "interval",
}

_CONCAT_WIDTH = 560


def _wrap_title(spec: dict[str, Any], width: int = 44) -> None:
    """Long titles become several lines (Vega titles accept a list of lines) so that narrow
    screens do not cut them."""
    title = spec.get("title")
    if isinstance(title, str) and len(title) > width:
        spec["title"] = {"text": _wrap(title, width)}
    elif (
        isinstance(title, dict)
        and isinstance(title.get("text"), str)
        and len(title["text"]) > width
    ):
        title["text"] = _wrap(title["text"], width)
    for part in spec.get("vconcat", []) or []:
        if isinstance(part, dict):
            _wrap_title(part, width)


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    spec = chart.to_dict()
    _wrap_title(spec)
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


def event_study_chart(
    data: pd.DataFrame,
    title: str = "",
    y_title: str = "Estimated effect (95% CI)",
    bins: tuple[int, int] | None = None,
    percent: bool = False,
) -> dict[str, Any]:
    """Event-study plot: estimate and 95% CI by time relative to treatment.

    Parameters
    ----------
    data
        Columns ``rel_time``, ``estimate``, ``ci_low``, ``ci_high`` and optionally ``reference``
        (true for the omitted reference period, drawn as a hollow point with a dashed rule).
    title
        Chart title, in words.
    y_title
        Y-axis title with the outcome's unit.
    bins
        ``(lo, hi)`` when the end points pool everything beyond them: their tick labels read
        ``≤lo`` and ``≥hi``.
    percent
        Convert log-point effects to percent changes, ``100 (e^b - 1)``.
    """
    need = ["rel_time", "estimate", "ci_low", "ci_high"]
    missing = [c for c in need if c not in data.columns]
    if missing:
        raise ValueError(f"event-study data lacks columns {missing}")
    df = data.copy()
    df["rel_time"] = pd.to_numeric(df["rel_time"], errors="coerce")
    if percent:
        for c in ("estimate", "ci_low", "ci_high"):
            df[c] = 100.0 * np.expm1(pd.to_numeric(df[c], errors="coerce"))
    ref_col = "reference" if "reference" in df.columns else None
    df["period"] = (
        df[ref_col].fillna(False).astype(bool).map({True: "reference period", False: "estimated"})
        if ref_col
        else "estimated"
    )
    df = df.loc[:, ["rel_time", "estimate", "ci_low", "ci_high", "period"]]
    df = df.dropna(subset=["rel_time", "estimate"])
    df["when"] = [rel_text(int(k), bins) for k in df["rel_time"].astype(int)]
    lo_t, hi_t = float(df["rel_time"].min()), float(df["rel_time"].max())
    label_expr = "replace(datum.label, '-', '\u2212')"
    if bins is not None:
        lo_lab, hi_lab = rel_text(bins[0], bins), rel_text(bins[1], bins)
        label_expr = (
            f"datum.value == {bins[0]} ? '{lo_lab}' : "
            f"datum.value == {bins[1]} ? '{hi_lab}' : " + label_expr
        )
    x = alt.X(
        "rel_time:Q",
        title="Years relative to treatment" + (" (end points are bins)" if bins else ""),
        scale=alt.Scale(domain=[lo_t - 0.6, hi_t + 0.6], nice=False),
        axis=alt.Axis(tickMinStep=1, labelExpr=label_expr, labelFlush=False),
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#888").encode(y="y:Q")
    bars = (
        alt.Chart(df)
        .mark_rule(color="#1f5f8b")
        .encode(x=x, y=alt.Y("ci_low:Q", title=y_title), y2="ci_high:Q")
    )
    periods = [p for p in ("estimated", "reference period") if p in set(df["period"])]
    shapes = {"estimated": "circle", "reference period": "square"}
    colors = {"estimated": "#1f5f8b", "reference period": "#b05a00"}
    fmt = ".3~f"
    points = (
        alt.Chart(df)
        .mark_point(filled=True, size=60)
        .encode(
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
                alt.Tooltip("when:N", title="Years relative to treatment"),
                alt.Tooltip("estimate:Q", format=fmt, title="Estimate"),
                alt.Tooltip("ci_low:Q", format=fmt, title="95% CI, low"),
                alt.Tooltip("ci_high:Q", format=fmt, title="95% CI, high"),
                alt.Tooltip("period:N", title="Period"),
            ],
        )
    )
    layers = [zero, bars, points]
    refs = df.loc[df["period"] == "reference period", ["rel_time"]].drop_duplicates()
    if not refs.empty:
        layers.insert(
            1, alt.Chart(refs).mark_rule(strokeDash=[4, 4], color="#b05a00").encode(x="rel_time:Q")
        )
    chart = alt.layer(*layers).properties(width="container", height=260, title=title)
    return _spec(chart)


def rel_text(k: int, bins: tuple[int, int] | None = None) -> str:
    """Relative time as printed: ``−3``; end bins ``≤−5`` / ``≥5``."""
    text = str(k).replace("-", "\u2212")
    if bins is not None and k == bins[0]:
        return "\u2264" + text
    if bins is not None and k == bins[1]:
        return "\u2265" + text
    return text


def _wrap(text: str, width: int = 30) -> list[str]:
    import textwrap

    return textwrap.wrap(str(text), width=width, break_long_words=True) or [""]


def coefficient_chart(
    rows: pd.DataFrame,
    title: str = "",
    x_title: str = "Estimated difference (95% CI)",
    published: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Coefficient plot across specifications: one row per specification, estimate with 95% CI.

    Labels are wrapped over several lines rather than cut. Published values (``published``:
    ``[{"label": <row label>, "value": v}]``) are drawn as red diamonds on their row.

    Parameters
    ----------
    rows
        Columns ``label``, ``estimate``, ``ci_low``, ``ci_high`` (rows without a finite CI are
        drawn as points only).
    x_title
        Axis title with the outcome's unit.
    """
    df = rows.loc[:, ["label", "estimate", "ci_low", "ci_high"]].copy()
    for c in ("estimate", "ci_low", "ci_high"):
        df[c] = pd.to_numeric(df[c], errors="coerce")
    df = df.dropna(subset=["estimate"])
    df["label"] = df["label"].astype(str)
    order = list(df["label"])
    wrapped = {lab: _wrap(lab, 28) for lab in order}
    # the axis prints each label as several lines (Vega text accepts an array of lines)
    mapping = json.dumps({k: v for k, v in wrapped.items()}, ensure_ascii=False)
    y = alt.Y(
        "label:N",
        title=None,
        sort=order,
        axis=alt.Axis(
            labelExpr=f"{mapping}[datum.value] || datum.value",
            labelLimit=0,
            labelFontSize=11,
            labelLineHeight=13,
        ),
    )
    base = alt.Chart(df)
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#888").encode(x="x:Q")
    bars = (
        base.transform_filter("isValid(datum.ci_low) && isValid(datum.ci_high)")
        .mark_rule(color="#1f5f8b", strokeWidth=2)
        .encode(x=alt.X("ci_low:Q", title=x_title), x2="ci_high:Q", y=y)
    )
    points = base.mark_point(filled=True, size=60, color="#1f5f8b").encode(
        x="estimate:Q",
        y=y,
        tooltip=[
            alt.Tooltip("label:N", title="Specification"),
            alt.Tooltip("estimate:Q", format=",.4~g", title="Estimate"),
            alt.Tooltip("ci_low:Q", format=",.4~g", title="95% CI, low"),
            alt.Tooltip("ci_high:Q", format=",.4~g", title="95% CI, high"),
        ],
    )
    layers = [zero, bars, points]
    pub = [p for p in (published or []) if p.get("label") in set(order)]
    if pub:
        pub_df = pd.DataFrame(
            {
                "label": [p["label"] for p in pub],
                "value": [float(p["value"]) for p in pub],
                "marker": "published value",
            }
        )
        layers.append(
            alt.Chart(pub_df)
            .mark_point(shape="diamond", size=110, filled=True, color="#c0392b")
            .encode(
                x="value:Q",
                y=y,
                shape=alt.Shape(
                    "marker:N",
                    title=None,
                    legend=alt.Legend(orient="bottom"),
                    scale=alt.Scale(range=["diamond"]),
                ),
                tooltip=[
                    alt.Tooltip("label:N", title="Specification"),
                    alt.Tooltip("value:Q", format=",.4~g", title="Published value"),
                ],
            )
        )
    lines = max((len(v) for v in wrapped.values()), default=1)
    height = max(60, (16 + 13 * lines) * len(df))
    return _spec(alt.layer(*layers).properties(width="container", height=height, title=title))


def claim_chart(
    rows: list[dict[str, Any]],
    published: float | None,
    x_title: str,
    title: str = "",
) -> dict[str, Any]:
    """Our estimate (and robustness variants) with 95% CIs against the published value.

    The published value is a red dashed rule labelled "published"; zero is a grey rule.
    """
    df = pd.DataFrame(rows, columns=["label", "estimate", "ci_low", "ci_high"])
    pub_rows = (
        [
            {
                "label": "Published value",
                "estimate": float(published),
                "ci_low": None,
                "ci_high": None,
            }
        ]
        if published is not None
        else []
    )
    spec_rows = pd.DataFrame(
        pub_rows + df.to_dict(orient="records"), columns=["label", "estimate", "ci_low", "ci_high"]
    )
    chart = coefficient_chart(
        spec_rows,
        title=title,
        x_title=x_title,
        published=[{"label": "Published value", "value": published}]
        if published is not None
        else None,
    )
    return chart


def spec_curve_chart(
    table: pd.DataFrame,
    choices: list[str] | None = None,
    title: str = "",
    max_points: int = 1000,
    y_title: str = "Estimate (95% CI)",
    percent: bool = False,
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
    y_title
        Axis title of the estimates, with their unit (one curve never mixes units).
    percent
        Convert log-point estimates to percent changes, ``100 (e^b - 1)``.
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
        if percent:
            df[c] = 100.0 * np.expm1(df[c])
    df = df.dropna(subset=["estimate"]).sort_values("estimate").reset_index(drop=True)
    df["rank"] = range(1, len(df) + 1)
    n_total = len(df)
    if n_total > max_points:
        picks = np.unique(np.linspace(0, n_total - 1, max_points).round().astype(int))
        df = df.iloc[picks].reset_index(drop=True)
        shown = f"{fmt_count(len(df))} of {fmt_count(n_total)} shown, evenly spaced by rank"
        title = f"{title} ({shown})".strip()
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
        .encode(x=x, y=alt.Y("ci_low:Q", title=y_title), y2="ci_high:Q")
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
            tooltip=[
                alt.Tooltip("rank:Q", title="Rank"),
                alt.Tooltip("estimate:Q", format=",.4~g", title="Estimate"),
            ],
        )
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#888").encode(y="y:Q")
    top = alt.layer(band, zero, points).properties(width=_CONCAT_WIDTH, height=220, title=title)
    from sanctuary_lab.report import labels

    def choice_text(dim: str, value: Any) -> str:
        text = labels.term(str(value)) if dim == "outcome" else str(value)
        return f"{labels.column(dim)}: {text}"

    long = [
        {"rank": int(r["rank"]), "choice": choice_text(c, r[c])}
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
                "rank:Q",
                title="Specification (rank, sorted by estimate)",
                scale=alt.Scale(nice=False),
            ),
            y=alt.Y("choice:N", title=None, axis=alt.Axis(labelLimit=320)),
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
            y=alt.Y("verdict:N", title="Verdict", sort="-x"),
            x=alt.X("claims:Q", title="Claims (count)", axis=alt.Axis(tickMinStep=1, format="d")),
            tooltip=["verdict:N", "claims:Q"],
        )
    )
    return _spec(
        chart.properties(
            width="container", height=max(60, 26 * len(counts)), title="Claims by verdict"
        )
    )


def series_unit(column: str) -> str:
    """Unit of a descriptive series column, for its axis title."""
    c = column.lower()
    if "pct" in c or "percent" in c:
        return "%"
    if "share" in c:
        return "share"
    if "rate" in c:
        return "rate"
    return "count"


def series_chart(df: pd.DataFrame, x: str, column: str, title: str = "") -> dict[str, Any]:
    """Line chart of one numeric column of a descriptive table against ``x`` (e.g. year).

    One chart per column, so that counts and shares never share an axis.
    """
    from sanctuary_lab.report import labels

    if column not in df.columns or not pd.api.types.is_numeric_dtype(df[column]):
        raise ValueError(f"table has no numeric column {column!r} to plot against {x!r}")
    data = df.loc[:, [x, column]].dropna()
    y_title = f"{labels.column(column)} ({series_unit(column)})"
    chart = (
        alt.Chart(data)
        .mark_line(point=True, color="#1f5f8b")
        .encode(
            x=alt.X(f"{x}:Q", title=labels.column(x), axis=alt.Axis(format="d", tickMinStep=1)),
            y=alt.Y(f"{column}:Q", title=y_title),
            tooltip=[
                alt.Tooltip(f"{x}:Q", title=labels.column(x)),
                alt.Tooltip(f"{column}:Q", format=",.4~g", title=labels.column(column)),
            ],
        )
    )
    return _spec(
        chart.properties(width="container", height=180, title=title or labels.column(column))
    )


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
            x=alt.X("year:O", title="Year (as recorded by the source)"),
            y=alt.Y("table:N", title="Warehouse table", axis=alt.Axis(labelLimit=200)),
            color=alt.Color("rows:Q", title="Rows (count)", scale=alt.Scale(scheme="blues")),
            tooltip=[
                alt.Tooltip("table:N", title="Table"),
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("rows:Q", format=",", title="Rows"),
            ],
        )
    )
    n_tables = max(1, counts["table"].nunique())
    return _spec(
        chart.properties(
            width="container", height=22 * n_tables, title="Rows per warehouse table and year"
        )
    )
