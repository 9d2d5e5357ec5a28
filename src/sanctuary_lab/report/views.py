"""Turn studies, claim checks and warehouse tables into plain values the templates print.

Templates receive only strings, lists and dicts; every number is formatted here.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sanctuary_lab.core import formatting
from sanctuary_lab.core.result import Result
from sanctuary_lab.report import labels
from sanctuary_lab.studies.records import StudyRun

#: Result extras shown by their own chart or table rather than as a generic table.
_SPECIAL_EXTRAS = {"balance", "event_study"}


def fmt_cell(value: Any, humanize: bool = True) -> str:
    """One table cell, by the report's one formatter (:func:`sanctuary_lab.core.formatting.fmt_cell`);
    identifiers in text are put in words unless ``humanize`` is false (file and table listings)."""
    if isinstance(value, dict) and value:
        return "; ".join(
            f"{labels.column(str(k))}: {fmt_cell(v, humanize)}" for k, v in value.items()
        )
    text = formatting.fmt_cell(value)
    if humanize and isinstance(value, (str, list, tuple)):
        return labels.words(text)
    return text


def table_view(
    df: pd.DataFrame,
    max_rows: int | None = None,
    headers: dict[str, str] | None = None,
    humanize: bool = True,
) -> dict[str, Any]:
    """A frame as ``{columns, rows, numeric, truncated}``: human column names, formatted cells."""
    df = df.reset_index(drop=True)
    shown = df if max_rows is None else df.head(max_rows)
    names = {str(c): (headers or {}).get(str(c), labels.column(str(c))) for c in df.columns}
    columns = [names[str(c)] for c in df.columns]
    numeric = {
        names[str(c)]
        for c in df.columns
        if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
    }
    rows = [
        {names[str(c)]: fmt_cell(r[c], humanize) for c in df.columns} for _, r in shown.iterrows()
    ]
    return {
        "columns": columns,
        "rows": rows,
        "numeric": numeric,
        "truncated": max_rows is not None and len(df) > max_rows,
        "n_rows": len(df),
    }


def results_table(result: Result) -> dict[str, Any]:
    """A result's tidy table for readers: term in words, estimate, 95% interval, p, n.

    Effects on a log outcome are shown as percent changes, ``100 (e^b - 1)``, with their
    interval transformed the same way; the header says so.
    """
    tidy = result.tidy()
    o = labels.outcome(str(result.metadata.get("outcome", "") or ""))
    pct = o.log
    rows = []
    for r in tidy.itertuples(index=False):
        est, lo, hi = r.estimate, r.ci_low, r.ci_high
        if pct and formatting.is_number(est):
            est = formatting.log_points_to_percent(est)
            lo = formatting.log_points_to_percent(lo) if formatting.is_number(lo) else lo
            hi = formatting.log_points_to_percent(hi) if formatting.is_number(hi) else hi
        unit = "%" if pct else ""
        rows.append(
            {
                "Term": labels.term(str(r.term)),
                "Estimate": formatting.fmt_value(est, unit),
                "95% interval": formatting.fmt_ci(lo, hi, unit) or formatting.DASH,
                "p-value": formatting.fmt_p(r.p_value),
                "Observations": formatting.fmt_count(r.n_obs),
                "Clusters": formatting.fmt_count(getattr(r, "n_clusters", None)),
            }
        )
    columns = ["Term", "Estimate", "95% interval", "p-value", "Observations", "Clusters"]
    if pct:
        columns[1] = "Estimate (% change)"
        for row in rows:
            row["Estimate (% change)"] = row.pop("Estimate")
    return {
        "columns": columns,
        "rows": rows,
        "numeric": set(columns[1:]),
        "truncated": False,
        "n_rows": len(rows),
        "note": "Effects on a log outcome, shown as percent changes, 100\u00b7(e^b \u2212 1)."
        if pct
        else "",
    }


def records_view(records: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A list of dicts as a table view, or ``None`` when empty."""
    if not records:
        return None
    return table_view(pd.DataFrame(records))


def pairs(mapping: dict[str, Any]) -> list[tuple[str, str]]:
    """Key/value pairs of a dict, formatted, with readable keys."""
    return [(labels.column(str(k)), fmt_cell(v)) for k, v in mapping.items()]


def result_meta(result: Result) -> list[dict[str, Any]]:
    """The metadata printed above a results table; long nested values are collapsible."""
    skip = {"warnings", "study", "analysis"}
    return sample_view({k: v for k, v in result.metadata.items() if k not in skip})


def spec_label(label: str, term: str, outcome: str) -> str:
    """A coefficient-plot row label in words: the result label without its outcome (the chart is
    per outcome), the sensitivity in words, and the term when it is not the treatment."""
    text = str(label)
    sens = ""
    if text.endswith("]") and "[" in text:
        text, sens = text[: text.index("[")], text[text.index("[") + 1 : -1]
    head, _, kind = text.partition(":")
    words = (kind or head).replace("_", " ")
    if outcome and head != outcome and kind:
        words = f"{labels.outcome(head).words}, {words}"
    if sens:
        key, _, value = sens.partition("=")
        words += f" ({key.replace('_', ' ')} = {value})"
    return f"{words}: {labels.term(term)}"


def coefficient_rows(run: StudyRun, main_term: Any) -> dict[str, pd.DataFrame]:
    """Per outcome, one row per result of a study: the main term's estimate and CI.

    Results are grouped by ``metadata["outcome"]`` so that one axis never mixes units; pure
    event-study fits (leading term a relative-time dummy) are left to their event-study plot.
    Columns: ``key`` (result label), ``term``, ``label`` (in words), ``estimate``, ``ci_low``,
    ``ci_high``.
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    for label, result in run.results.items():
        tidy = result.tidy()
        term = main_term(result)
        if term is None or str(term).startswith("rel_time"):
            continue
        row = tidy.loc[tidy["term"] == term].iloc[0]
        outcome = str(result.metadata.get("outcome", "") or "")
        groups.setdefault(outcome, []).append(
            {
                "key": str(label),
                "term": str(term),
                "label": spec_label(str(label), str(term), outcome),
                "estimate": row["estimate"],
                "ci_low": row["ci_low"],
                "ci_high": row["ci_high"],
            }
        )
    cols = ["key", "term", "label", "estimate", "ci_low", "ci_high"]
    return {k: pd.DataFrame(v, columns=cols) for k, v in groups.items()}


def sample_view(sample: dict[str, Any]) -> list[dict[str, Any]]:
    """Sample facts: short values inline, long nested ones collapsible.

    The ``warehouse`` entry (build stamp and file hashes) is summarised; the hashes are on the
    data page.
    """
    out: list[dict[str, Any]] = []
    for key, value in sample.items():
        name = labels.column(str(key))
        if key == "warehouse" and isinstance(value, dict):
            files = value.get("files") or {}
            text = ", ".join(
                f"{k.replace('_', ' ')} {value[k]}" for k in ("version", "built_at") if value.get(k)
            )
            if files:
                text += f"; {len(files)} raw files (SHA-256 on the data page)"
            out.append({"key": "data vintage (warehouse)", "text": text, "details": None})
            continue
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
            out.append(
                {
                    "key": labels.column(str(key)),
                    "text": "",
                    "list_items": [labels.words(v) for v in value],
                    "details": None,
                }
            )
            continue
        text = fmt_cell(value)
        if isinstance(value, dict) and len(text) > 160:
            out.append({"key": name, "text": f"{len(value)} entries", "details": pairs(value)})
        else:
            out.append({"key": name, "text": text, "details": None})
    return out


def other_extras(result: Result) -> list[tuple[str, pd.DataFrame]]:
    """Result extras without a dedicated chart, shown as collapsible tables."""
    return [
        (name, df)
        for name, df in result.extras.items()
        if name not in _SPECIAL_EXTRAS and isinstance(df, pd.DataFrame) and not df.empty
    ]
