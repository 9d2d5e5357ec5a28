"""Claim cards: everything the claims index and the one-page-per-claim views print for a claim.

Reads a :class:`~sanctuary_lab.studies.records.ClaimCheck`. Fields the verdict rule adds
(``qualifier``, ``sentence``, ``comparability``, ``diagnostics``, ``robustness``, ``exploratory``,
``article``, ``published_date``, ``statement_no``) are read with ``getattr`` and defaults, so a
check without them still renders, saying what was not computed. Nothing here decides a verdict.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from sanctuary_lab.core.formatting import fmt_ci, fmt_value, is_number
from sanctuary_lab.report.reading import claim_reading
from sanctuary_lab.studies.records import ClaimCheck

#: Display label and CSS slug of each verdict, old and new vocabulary.
VERDICT_LABELS = {
    "supported": "Supported",
    "contradicted": "Contradicted",
    "inconclusive": "Inconclusive",
    "different size": "Different size",
    "not testable here": "Not testable here",
    # the vocabulary before the verdict rule's revision
    "reproduced": "Reproduced",
    "direction-only": "Direction only",
    "not-supported": "Not supported",
    "untestable": "Not testable here",
}

#: What each verdict means, for the methods page and the card's tooltip.
VERDICT_MEANINGS = {
    "supported": "Our estimate agrees with the claim as written, within the claim's margin.",
    "contradicted": "Our estimate rules out the claim: the interval lies on the other side.",
    "inconclusive": "The estimate is too imprecise to tell; this is not evidence against the claim.",
    "different size": "The direction agrees but the size differs from the claimed value.",
    "not testable here": "The data we hold cannot test the claim; the card says what would.",
    "reproduced": "Same sign and the published value inside our 95% interval.",
    "direction-only": "Same sign, interval excludes zero, published value outside it.",
    "not-supported": "Our interval includes zero and excludes the published value.",
    "untestable": "The data we hold cannot test the claim.",
}

#: Comparability grades (the contract of the verdict rule) and what each means.
GRADES = {
    "same design and data": "We ran the published design on the published data source, unit and "
    "years (differences listed in the strip).",
    "same question on other data": "Same question, but our data, unit, years or treatment "
    "definition differ from the published study.",
    "proxy": "A proxy: what we tested is related to, but not the same as, the claim. It is never "
    "presented as a test of the claim itself.",
}

_TOPICS = (
    ("arrests", ("arrest",)),
    ("enforcement", ("detainer", "ice ", "deport", "287(g)", "secure communities", "removal")),
    ("economy", ("income", "poverty", "unemploy", "econom", "wage", "employment")),
    ("crime", ("crime", "violent", "property", "murder", "safe", "offen")),
)


def verdict_label(verdict: str) -> str:
    """The verdict as a reader sees it (``"not-supported"`` -> ``"Not supported"``)."""
    return VERDICT_LABELS.get(verdict, str(verdict).replace("-", " ").capitalize())


def verdict_slug(verdict: str) -> str:
    """CSS class suffix of a verdict (``"different size"`` -> ``"different-size"``)."""
    return re.sub(r"[^a-z0-9]+", "-", str(verdict).lower()).strip("-") or "unknown"


def topic_of(check: ClaimCheck) -> str:
    """The claim's topic: the check's ``topic`` when set, else read from its quantity and quote."""
    topic = getattr(check, "topic", "") or ""
    if topic:
        return str(topic)
    text = f" {check.quantity} {check.quote} {check.unit} ".lower()
    for name, words in _TOPICS:
        if any(w in text for w in words):
            return name
    return "other"


def display_who(who: str) -> str:
    """Who made the claim, as printed (whitespace tidied)."""
    return " ".join(str(who or "").split())


def _rows(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, list):
        return [r for r in value if isinstance(r, dict)]
    return []


def comparability_view(check: ClaimCheck) -> dict[str, Any]:
    """The "theirs vs ours" strip: grade, its meaning, and one row per aspect."""
    from sanctuary_lab.report.labels import words

    comp = getattr(check, "comparability", None) or {}
    if not isinstance(comp, dict):
        comp = {}
    grade = str(comp.get("grade", "") or "")
    rows = []
    for r in _rows(comp.get("rows")):
        same = r.get("same")
        rows.append(
            {
                "aspect": str(r.get("aspect", "")).replace("_", " "),
                "theirs": words(stated_text(r.get("theirs"))),
                "ours": words(stated_text(r.get("ours"))),
                "same": "same" if same is True else "differs" if same is False else "",
            }
        )
    return {
        "grade": grade,
        "grade_meaning": GRADES.get(grade, ""),
        "rows": rows,
        "computed": bool(grade or rows),
    }


def stated_text(value: Any) -> str:
    """A declared study-file value as text: ``"not stated"`` when empty, a ``[a, b]`` range as
    ``a–b`` (one value when both ends agree), other lists comma-separated."""
    if value is None or value == "":
        return "not stated"
    if isinstance(value, (list, tuple)):
        if len(value) == 2:
            return str(value[0]) if value[0] == value[1] else f"{value[0]}–{value[1]}"
        return ", ".join(map(str, value))
    return str(value)


_SCI = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?[eE][+-]?\d+)\b")


def plain_numbers(text: str) -> str:
    """Scientific notation in free text written out: ``p = 3.09e-11`` -> ``p < 0.001``."""

    def one(m: re.Match[str]) -> str:
        v = float(m.group(1))
        if abs(v) < 0.001:
            return "<0.001" if v >= 0 else "above \u22120.001"
        return fmt_value(v)

    out = _SCI.sub(one, text)
    return re.sub(r"=\s*<0\.001", "< 0.001", out)


def diagnostics_view(check: ClaimCheck) -> list[dict[str, str]]:
    """Diagnostics with a readable status."""
    from sanctuary_lab.report.labels import words

    out = []
    for d in _rows(getattr(check, "diagnostics", None)):
        status = str(d.get("status", "") or "")
        out.append(
            {
                "name": words(str(d.get("name", ""))).replace("_", " "),
                "status": status,
                "slug": verdict_slug(status),
                "detail": plain_numbers(words(str(d.get("detail", "") or ""))),
            }
        )
    return out


def robustness_view(check: ClaimCheck) -> dict[str, Any]:
    """``holds in k of n``, the variants, and what would change the verdict."""
    from sanctuary_lab.report.labels import words

    rob = getattr(check, "robustness", None) or {}
    if not isinstance(rob, dict):
        rob = {}
    unit = check.unit or ""
    variants = [
        {
            "label": words(str(v.get("label", ""))),
            "verdict": verdict_label(str(v.get("verdict", ""))),
            "slug": verdict_slug(str(v.get("verdict", ""))),
            "estimate": fmt_value(v.get("estimate"), unit),
            "ci": fmt_ci(v.get("ci_low"), v.get("ci_high"), unit),
            "raw": v,
        }
        for v in _rows(rob.get("variants"))
    ]
    holds, total = rob.get("holds"), rob.get("total")
    flips = [words(str(f)) for f in rob.get("flips", []) or []]
    if is_number(holds) and is_number(total) and int(total) > 0:
        summary = f"The verdict holds in {int(holds)} of {int(total)} variants we ran."
    else:
        summary = "Robustness variants were not computed for this claim."
    if flips:
        change = "The verdict changes under: " + "; ".join(flips) + "."
    elif variants:
        change = "None of the variants we ran changes the verdict."
    else:
        change = ""
    return {"summary": summary, "variants": variants, "flips": flips, "change": change}


def finding_sentence(check: ClaimCheck) -> str:
    """The one-sentence finding: the verdict rule's ``sentence`` when present, else a reading
    generated from the numbers."""
    sentence = str(getattr(check, "sentence", "") or "").strip()
    if sentence:
        return sentence
    return claim_reading(check)


def claim_card(check: ClaimCheck, study_titles: dict[str, str]) -> dict[str, Any]:
    """Everything a claim card prints (paths relative to the report root). Study ids and other
    identifiers in the checker's text are put in words (a study id becomes its title)."""
    from sanctuary_lab.report.labels import words

    def say(text: Any) -> str:
        return words(str(text or ""), study_titles)

    unit = check.unit or ""
    sid = check.study_id or ""
    quantity = check.quantity or ""
    show_unit = bool(unit) and unit.lower() not in quantity.lower()
    article = getattr(check, "article", "") or ""
    where = getattr(check, "where", "") or ""
    return {
        "claim_id": check.claim_id,
        "href": f"claims/{check.claim_id}.html",
        "csv": f"claims/{check.claim_id}.csv",
        "quote": check.quote,
        "is_paraphrase": getattr(check, "quote_type", "") == "paraphrase",
        "who": display_who(check.who),
        "where": where,
        "article": str(article),
        "published_date": str(getattr(check, "published_date", "") or ""),
        "statement_no": str(getattr(check, "statement_no", "") or ""),
        "source_url": check.source_url or "",
        "topic": topic_of(check),
        "quantity": say(quantity),
        "unit_note": unit if show_unit else "",
        "verdict": check.verdict,
        "verdict_label": verdict_label(check.verdict),
        "verdict_slug": verdict_slug(check.verdict),
        "verdict_meaning": VERDICT_MEANINGS.get(check.verdict, ""),
        "qualifier": str(getattr(check, "qualifier", "") or ""),
        "exploratory": bool(getattr(check, "exploratory", False)),
        "sentence": plain_numbers(say(finding_sentence(check))),
        "reason": plain_numbers(say(check.reason)),
        "published_text": fmt_value(check.published_value, unit),
        "estimate_text": fmt_value(check.estimate, unit),
        "ci_text": fmt_ci(check.ci_low, check.ci_high, unit),
        "n_obs": check.n_obs,
        "margin_text": fmt_value(check.margin, unit) if is_number(check.margin) else "",
        "notes": say(getattr(check, "notes", "")),
        "margin_why": say(
            getattr(check, "margin_justification", "") or getattr(check, "notes", "")
        ),
        "decided_by": say(getattr(check, "decided_by", "")),
        "comparability": comparability_view(check),
        "diagnostics": diagnostics_view(check),
        "robustness": robustness_view(check),
        "study_id": sid,
        "study_href": f"studies/{sid}.html" if sid and sid in study_titles else "",
        "study_title": study_titles.get(sid, ""),
    }


def claim_csv(check: ClaimCheck) -> str:
    """The numbers behind a claim card as CSV: the main estimate and every robustness variant."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["claim_id", "row", "verdict", "estimate", "ci_low", "ci_high", "published_value", "unit"]
    )
    w.writerow(
        [
            check.claim_id,
            "main",
            check.verdict,
            _num(check.estimate),
            _num(check.ci_low),
            _num(check.ci_high),
            _num(check.published_value),
            check.unit or "",
        ]
    )
    for v in robustness_view(check)["variants"]:
        raw = v["raw"]
        w.writerow(
            [
                check.claim_id,
                v["label"],
                raw.get("verdict", ""),
                _num(raw.get("estimate")),
                _num(raw.get("ci_low")),
                _num(raw.get("ci_high")),
                _num(check.published_value),
                check.unit or "",
            ]
        )
    return buf.getvalue()


def _num(v: Any) -> str:
    return repr(float(v)) if is_number(v) else ""


def chart_rows(check: ClaimCheck) -> list[dict[str, Any]]:
    """Rows for the claim chart: our main estimate and each robustness variant with its CI."""
    rows = []
    if is_number(check.estimate):
        rows.append(
            {
                "label": "Our main estimate",
                "estimate": float(check.estimate),  # type: ignore[arg-type]
                "ci_low": float(check.ci_low) if is_number(check.ci_low) else None,  # type: ignore[arg-type]
                "ci_high": float(check.ci_high) if is_number(check.ci_high) else None,  # type: ignore[arg-type]
            }
        )
    for v in robustness_view(check)["variants"]:
        raw = v["raw"]
        if is_number(raw.get("estimate")):
            rows.append(
                {
                    "label": v["label"] or "variant",
                    "estimate": float(raw["estimate"]),
                    "ci_low": float(raw["ci_low"]) if is_number(raw.get("ci_low")) else None,
                    "ci_high": float(raw["ci_high"]) if is_number(raw.get("ci_high")) else None,
                }
            )
    return rows
