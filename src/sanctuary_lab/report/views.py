"""Turn studies, claim checks and warehouse tables into plain values the templates print.

Templates receive only strings, lists and dicts; every number is formatted here.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from sanctuary_lab.designs.result import Result
from sanctuary_lab.report.reading import claim_reading, fmt_number
from sanctuary_lab.studies.model import ClaimCheck, StudyRun

#: Result extras shown by their own chart or table rather than as a generic table.
_SPECIAL_EXTRAS = {"balance", "event_study"}


def fmt_cell(value: Any) -> str:
    """One table cell: numbers to four significant figures, missing values as an en dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (hasattr(value, "dtype") and pd.api.types.is_integer(value)):
        return f"{int(value):,}" if abs(int(value)) >= 10000 else str(int(value))
    if isinstance(value, float) or pd.api.types.is_float(value):
        v = float(value)
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        if v.is_integer() and abs(v) < 1e15:
            return f"{int(v):,}" if abs(v) >= 10000 else str(int(v))
        return f"{v:,.0f}" if abs(v) >= 10000 else f"{v:.4g}"
    if isinstance(value, (list, tuple, dict)) and len(value) == 0:
        return "–"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt_cell(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {fmt_cell(v)}" for k, v in value.items())
    return str(value)


def table_view(df: pd.DataFrame, max_rows: int | None = None) -> dict[str, Any]:
    """A frame as ``{columns, rows, numeric, truncated}`` with every cell formatted."""
    df = df.reset_index(drop=True)
    shown = df if max_rows is None else df.head(max_rows)
    columns = [str(c) for c in df.columns]
    numeric = {
        str(c)
        for c in df.columns
        if pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
    }
    rows = [{str(c): fmt_cell(r[c]) for c in df.columns} for _, r in shown.iterrows()]
    return {
        "columns": columns,
        "rows": rows,
        "numeric": numeric,
        "truncated": max_rows is not None and len(df) > max_rows,
    }


def records_view(records: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A list of dicts as a table view, or ``None`` when empty."""
    if not records:
        return None
    return table_view(pd.DataFrame(records))


def pairs(mapping: dict[str, Any]) -> list[tuple[str, str]]:
    """Key/value pairs of a dict, formatted, with readable keys."""
    return [(str(k).replace("_", " "), fmt_cell(v)) for k, v in mapping.items()]


def claim_view(check: ClaimCheck, study_titles: dict[str, str], root: str) -> dict[str, Any]:
    """Everything the claims table prints for one claim."""
    unit = check.unit or ""
    has_ci = check.ci_low is not None and check.ci_high is not None
    ci_text = ""
    if has_ci and all(math.isfinite(float(v)) for v in (check.ci_low, check.ci_high)):  # type: ignore[arg-type]
        ci_text = f"{fmt_number(check.ci_low, unit)} to {fmt_number(check.ci_high, unit)}"
    sid = check.study_id
    return {
        "claim_id": check.claim_id,
        "quote": check.quote,
        "is_paraphrase": getattr(check, "quote_type", "") == "paraphrase",
        "where": getattr(check, "where", ""),
        "who": check.who,
        "quantity": check.quantity,
        "unit": unit,
        "verdict": check.verdict,
        "published_text": fmt_number(check.published_value, unit),
        "estimate_text": fmt_number(check.estimate, unit),
        "ci_text": ci_text,
        "reading": claim_reading(check),
        "source_url": check.source_url,
        "study_href": f"{root}studies/{sid}.html" if sid and sid in study_titles else "",
        "study_title": study_titles.get(sid or "", sid or ""),
    }


def result_meta(result: Result) -> list[dict[str, Any]]:
    """The metadata printed above a results table; long nested values are collapsible."""
    skip = {"warnings", "study", "analysis"}
    return sample_view({k: v for k, v in result.metadata.items() if k not in skip})


def coefficient_rows(run: StudyRun, main_term: Any) -> dict[str, pd.DataFrame]:
    """Per outcome, one row per result of a study: the main term's estimate and CI.

    Results are grouped by ``metadata["outcome"]`` so that one axis never mixes units; pure
    event-study fits (leading term a relative-time dummy) are left to their event-study plot.
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
                "label": f"{label} [{term}]",
                "estimate": row["estimate"],
                "ci_low": row["ci_low"],
                "ci_high": row["ci_high"],
            }
        )
    return {
        k: pd.DataFrame(v, columns=["label", "estimate", "ci_low", "ci_high"])
        for k, v in groups.items()
    }


def sample_view(sample: dict[str, Any]) -> list[dict[str, Any]]:
    """Sample facts: short values inline, long nested ones collapsible.

    The ``warehouse`` entry (build stamp and file hashes) is summarised; the hashes are on the
    data page.
    """
    out: list[dict[str, Any]] = []
    for key, value in sample.items():
        name = str(key).replace("_", " ")
        if key == "warehouse" and isinstance(value, dict):
            files = value.get("files") or {}
            text = ", ".join(
                f"{k.replace('_', ' ')} {value[k]}" for k in ("version", "built_at") if value.get(k)
            )
            if files:
                text += f"; {len(files)} raw files (SHA-256 on the data page)"
            out.append({"key": "data vintage (warehouse)", "text": text, "details": None})
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
