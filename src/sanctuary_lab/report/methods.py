"""The methods page (verdict rule, vocabulary, margins, comparability grades, estimators), the
data-sources page (producer, URL, dates, licence, claims fed) and the changelog of data builds.

The verdict rule's text comes from the verdict module itself: its ``RULE_TEXT`` (or
``rule_text()``) when it exposes one, else its docstring, which states the rule. Nothing here is
a second copy of the rule.
"""

from __future__ import annotations

import html
import inspect
import re
from typing import Any

import pandas as pd

from sanctuary_lab.core import formatting
from sanctuary_lab.report import cards
from sanctuary_lab.studies.records import ClaimCheck

#: The raw folders each warehouse table is built from (read off warehouse/tables_*.py and the
#: adapters in sources/); a study's ``tables`` then say which sources feed which claims.
TABLE_SOURCES: dict[str, tuple[str, ...]] = {
    "county_crime": ("county_crime_icpsr_2012", "urban_mobility_county_crime"),
    "county_covariates": (
        "acs_county_2015_2017_kaggle",
        "usdata_county_complete",
        "census_county_facts_2014",
    ),
    "counties": (
        "census_popest_county_2010_2019",
        "urban_mobility_county_crime",
        "nchs_urban_rural_2013",
        "acs_county_2015_2017_kaggle",
    ),
    "county_population": ("census_popest_county_2010_2019", "urban_mobility_county_crime"),
    "county_unemployment": ("usdata_county_complete",),
    "city_crime": ("marshall_city_crime",),
    "state_crime": ("state_ucr_classdata",),
    "county_year_287g": (
        "policy-287g-pre2018-ddp",
        "policy-287g-2024-2026",
        "wapo_287g_sheriffs",
    ),
    "policy_287g": ("policy-287g-pre2018-ddp", "policy-287g-2024-2026", "wapo_287g_sheriffs"),
    "agencies": ("wapo_287g_sheriffs",),
    "policy_sc_coverage": ("policy-sc-287g-cpuma-east2022",),
    "county_detainer_declines": ("ice-detainer-outcomes-npr",),
    "detainer_facility_county": ("ice-detainer-outcomes-npr",),
    "detainer_outcomes": ("ice-detainer-outcomes-npr",),
    "ice_aor": ("ice-aor-crosswalks",),
    "stg_aor_demog": ("ice-aor-crosswalks",),
}


def rule_text() -> str:
    """The verdict rule as the verdict module states it."""
    from sanctuary_lab.studies import verdict

    text = getattr(verdict, "RULE_TEXT", None)
    if callable(getattr(verdict, "rule_text", None)):
        text = verdict.rule_text()
    if not text:
        text = inspect.getdoc(verdict) or ""
    return str(text)


def rule_html(text: str) -> str:
    """Docstring-style text as simple HTML: paragraphs, bullet lists, ``code``."""
    out: list[str] = []
    in_list = False
    para: list[str] = []

    def inline(s: str) -> str:
        s = html.escape(s)
        return re.sub(r"``(.+?)``|`(.+?)`", lambda m: f"<code>{m.group(1) or m.group(2)}</code>", s)

    def flush() -> None:
        nonlocal para
        if para:
            out.append(f"<p>{inline(' '.join(para))}</p>")
            para = []

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
            if in_list:
                out.append("</ul>")
                in_list = False
            continue
        if line.startswith(("* ", "- ")):
            flush()
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{inline(line[2:])}</li>")
        elif in_list and raw.startswith("      "):
            out[-1] = out[-1][:-5] + " " + inline(line) + "</li>"
        else:
            if in_list:
                out.append("</ul>")
                in_list = False
            para.append(line)
    flush()
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def vocabulary(checks: list[ClaimCheck]) -> list[dict[str, str]]:
    """The verdict labels in use (new vocabulary first), each with its meaning."""
    new = ["supported", "contradicted", "inconclusive", "different size", "not testable here"]
    used = [c.verdict for c in checks]
    old = [v for v in dict.fromkeys(used) if v not in new]
    order = new if any(v in new for v in used) or not used else []
    order += old
    return [
        {
            "verdict": v,
            "label": cards.verdict_label(v),
            "slug": cards.verdict_slug(v),
            "meaning": cards.VERDICT_MEANINGS.get(v, ""),
        }
        for v in order
    ]


def estimators() -> list[dict[str, str]]:
    """Every registered design with the first line of its documentation."""
    try:
        from sanctuary_lab.designs.registry import designs
    except ImportError:  # pragma: no cover
        return []
    out = []
    for name, cls in designs().items():
        doc = (inspect.getdoc(cls) or "").strip().splitlines()
        out.append({"name": name.replace("_", " "), "doc": doc[0] if doc else ""})
    return out


def methods_view(checks: list[ClaimCheck], claim_cards: list[dict[str, Any]]) -> dict[str, Any]:
    """What the methods page prints."""
    margins = [
        {
            "claim": c["quote"],
            "href": c["href"],
            "margin": c["margin_text"],
            "why": c["margin_why"],
        }
        for c in claim_cards
        if c["margin_text"]
    ]
    text = rule_text()
    return {
        "rule_html": rule_html(text),
        "vocabulary": vocabulary(checks),
        "grades": [{"grade": g, "meaning": m} for g, m in cards.GRADES.items()],
        "margins": margins,
        "estimators": estimators(),
    }


def _study_tables(studies: dict[str, Any]) -> dict[str, list[str]]:
    """Warehouse tables each study reads (its ``tables`` list and its multiverse's tables)."""
    out: dict[str, list[str]] = {}
    for study in studies.values():
        tables = list(study.tables)
        tables += [str(t) for t in (study.raw.get("multiverse", {}) or {}).get("tables", []) or []]
        table = (study.raw.get("multiverse", {}) or {}).get("table")
        if table:
            tables.append(str(table))
        out[study.id] = tables
    return out


def _feeds(folder: str, study_tables: dict[str, list[str]]) -> list[str]:
    """Studies that read a warehouse table built from this raw folder."""
    return sorted(
        sid
        for sid, tables in study_tables.items()
        if any(folder in TABLE_SOURCES.get(t, ()) for t in tables)
    )


def sources_view(
    sources: list[dict[str, Any]],
    provenance: pd.DataFrame | None,
    checks: list[ClaimCheck],
    studies: dict[str, Any],
) -> list[dict[str, Any]]:
    """One entry per raw source: facts from SOURCE.md, files read, and the studies and claims it
    feeds (``studies``: the parsed study files by id)."""
    files: dict[str, list[dict[str, str]]] = {}
    if provenance is not None and not provenance.empty and "source" in provenance.columns:
        for r in provenance.to_dict(orient="records"):
            files.setdefault(str(r.get("source")), []).append(
                {
                    "file": str(r.get("file", "")),
                    "rows": formatting.fmt_count(r.get("rows_kept")),
                    "copied": str(r.get("built_at", "") or "")[:10],
                }
            )
    out = []
    seen = set()
    study_tables = _study_tables(studies)
    for src in sources:
        folder = src["folder"]
        seen.add(folder)
        fed = _feeds(folder, study_tables)
        claims = [
            {"id": c.claim_id, "href": f"claims/{c.claim_id}.html", "quote": c.quote}
            for c in checks
            if c.study_id and c.study_id in fed
        ]
        out.append({**src, "files": files.get(folder, []), "studies": fed, "claims": claims})
    for folder, fl in sorted(files.items()):
        if folder not in seen:
            out.append(
                {
                    "folder": folder, "title": folder, "producer": "", "licence": "",
                    "repository": "", "repository_url": "", "commit": "", "urls": [],
                    "dates": [], "caveats": [], "files": fl, "studies": [], "claims": [],
                }
            )  # fmt: skip
    return out


def changelog(provenance: pd.DataFrame | None, build: dict[str, Any]) -> list[dict[str, str]]:
    """Data builds recorded in the warehouse: when, tool version, files and rows."""
    if provenance is None or provenance.empty:
        return []
    prov = provenance.copy()
    if "built_at" not in prov.columns:
        prov["built_at"] = build.get("built_at", "")
    rows = []
    for built, part in prov.groupby(prov["built_at"].astype(str), sort=True):
        rows.append(
            {
                "built": built.replace("T", " ")[:16] or "not recorded",
                "version": str(build.get("version", "") or ""),
                "files": formatting.fmt_count(len(part)),
                "rows": formatting.fmt_count(
                    pd.to_numeric(part.get("rows_kept"), errors="coerce").sum()
                ),
                "sources": formatting.fmt_count(
                    part["source"].nunique() if "source" in part else 0
                ),
            }
        )
    return rows[::-1]
