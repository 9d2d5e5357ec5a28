"""Comparability grade of a claim's test, derived from declared study metadata.

A study file declares ``[comparison.published]`` (the published study: unit, geography, years,
treatment, outcome, design, data, n) and ``[comparison.ours]`` (what the file tests; our n is
computed at run time). The grade is derived from the differences:

``same design and data``
    every aspect (unit, geography, years, treatment, outcome, design, data) is declared on both
    sides and the same;
``proxy``
    the treatment or outcome *construct* differs: the text before the first parenthesis names
    the construct, the parenthesis says how it is measured, and our construct covers theirs when
    it contains it (``"violent crime rate"`` is in our ``"violent crime rate and overall crime
    rate"``; ``"overall crime rate"`` is not in our ``"violent crime rate"``; ``"Secure
    Communities activation in the cities with the most immigrants"`` is not in our ``"Secure
    Communities activation"``), e.g. % foreign-born standing in for the undocumented share; or
    the published side is not declared. A proxy cannot yield
    ``supported`` or ``contradicted``: its estimate is exploratory;
``same question on other data``
    otherwise (same constructs, but other units, places, years, sources or design).
"""

from __future__ import annotations

import re
from typing import Any

GRADES = ("same design and data", "same question on other data", "proxy")
ASPECTS = ("unit", "geography", "years", "treatment", "outcome", "design", "data")
CONSTRUCT_ASPECTS = ("treatment", "outcome")


def construct(text: str) -> str:
    """The construct a definition names: the text before its first parenthesis, normalised."""
    head = text.split("(", 1)[0]
    return re.sub(r"\s+", " ", head).strip().lower()


def same_construct(theirs: str, ours: str) -> bool:
    """True when our definition's construct contains theirs (ours covers what they measured)."""
    ct, co = construct(theirs), construct(ours)
    return bool(ct and co) and ct in co


def merge_override(side: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``side`` with ``override`` applied (``None`` values remove a key)."""
    out = {**side, **override}
    return {k: v for k, v in out.items() if v is not None}


def _norm(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "\u2013".join(str(v) for v in value)
    return re.sub(r"\s+", " ", str(value)).strip()


def parse_override(text: str) -> dict[str, Any]:
    """``"unit=city; years=2008-2011; n_units=335"`` -> a published-side override dict.

    Only the comparison keys are accepted; numbers are parsed, nothing is evaluated. An empty
    value (``"years="``) maps to ``None``: the key is removed from the side it overrides.
    """
    from sanctuary_lab.core.errors import SpecError
    from sanctuary_lab.studies.study_file import COMPARISON_KEYS

    out: dict[str, Any] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or key not in COMPARISON_KEYS:
            raise SpecError(
                f"comparison override {part!r}: expected KEY=VALUE with KEY in "
                f"{sorted(COMPARISON_KEYS)}"
            )
        if not value:
            out[key] = None
        elif key == "years":
            m = re.fullmatch(r"(\d{4})\s*[-\u2013]\s*(\d{4})", value)
            if not m:
                raise SpecError(f"comparison override years={value!r}: expected FIRST-LAST")
            out[key] = [int(m.group(1)), int(m.group(2))]
        elif key in ("n_units", "n_treated"):
            if not value.replace(",", "").isdigit():
                raise SpecError(f"comparison override {key}={value!r}: expected an integer")
            out[key] = int(value.replace(",", ""))
        else:
            out[key] = value
    return out


def compare(
    published: dict[str, Any], ours: dict[str, Any], computed: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The theirs-vs-ours table and the grade.

    Parameters
    ----------
    published, ours
        The declared sides (``Study.comparison["published"]`` / ``["ours"]``), possibly with a
        claim's published-side override merged in.
    computed
        Run-time facts about our sample (``n_units``, ``n_treated``); they replace declared ones.

    Returns
    -------
    dict
        ``{"grade": ..., "rows": [{"aspect", "theirs", "ours", "same"}], "differences": [...]}``;
        ``same`` is ``None`` when a side does not declare the aspect.
    """
    ours = {**ours, **{k: v for k, v in (computed or {}).items() if v is not None}}
    rows: list[dict[str, Any]] = []
    for aspect in (*ASPECTS, "n_units", "n_treated"):
        theirs, mine = _norm(published.get(aspect)), _norm(ours.get(aspect))
        same: bool | None = None
        if theirs and mine:
            same = theirs.lower() == mine.lower()
        rows.append({"aspect": aspect, "theirs": theirs, "ours": mine, "same": same})
    by = {r["aspect"]: r for r in rows}
    if not published:
        grade = "proxy"
        differences = ["the published study's design and data are not declared"]
    else:
        differences = [
            f"{a}: theirs {by[a]['theirs'] or 'not stated'}, ours {by[a]['ours'] or 'not stated'}"
            for a in ASPECTS
            if by[a]["same"] is not True
        ]
        constructs_differ = [
            a
            for a in CONSTRUCT_ASPECTS
            if by[a]["theirs"]
            and by[a]["ours"]
            and not same_construct(by[a]["theirs"], by[a]["ours"])
        ]
        if constructs_differ:
            grade = "proxy"
        elif all(by[a]["same"] is True for a in ASPECTS):
            grade = "same design and data"
        else:
            grade = "same question on other data"
    return {"grade": grade, "rows": rows, "differences": differences}
