"""Plain-language readings generated from the numbers of a claim check.

The text is a template filled with the estimate, its interval, the published value and the verdict
the checker computed; nothing here decides a verdict. Wording stays neutral: it says what the
numbers are and where the published value falls relative to our interval.
"""

from __future__ import annotations

import math
import re

from sanctuary_lab.core.formatting import fmt_count, fmt_value, is_number, unit_kind
from sanctuary_lab.studies.records import ClaimCheck

_VERDICT_TEXT = {
    "supported": "supported by our estimate",
    "contradicted": "contradicted by our estimate",
    "inconclusive": "inconclusive: the data cannot settle it",
    "different size": "right in direction, different in size",
    "not testable here": "not testable with the data we hold",
    "reproduced": "reproduced",
    "direction-only": "matched in direction only",
    "not-supported": "not supported by our estimate",
    "untestable": "untestable with the data we hold",
}


def verdict_phrase(verdict: str) -> str:
    """The verdict as words for a sentence."""
    return _VERDICT_TEXT.get(verdict, verdict.replace("-", " "))


def _unit_suffix(unit: str, quantity: str) -> str:
    if not unit or unit_kind(unit) != "other" or unit.lower() in quantity.lower():
        return ""
    return f" ({unit})"


_TESTED_AS = re.compile(r"^\s*tested as\s*:\s*", re.I)


def _mid_sentence(text: str) -> str:
    """Lower-case the first letter unless the first word is an acronym (e.g. ATT, ICE)."""
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first[1:].islower():
        return text[0].lower() + text[1:]
    return text


def claim_reading(check: ClaimCheck) -> str:
    """One paragraph that reads a claim check from its numbers.

    Parameters
    ----------
    check
        A computed claim check.

    Returns
    -------
    str
        E.g. "Our estimate of the effect on violent crime (per 10,000 residents) is 0.12 (95% CI
        -0.4 to 0.64) against the published -0.5. The published value lies outside our interval.
        The verdict is: contradicted by our estimate. Reason: ..."
    """
    unit = check.unit or ""
    tested_as = bool(_TESTED_AS.match(check.quantity or ""))
    raw_quantity = _TESTED_AS.sub("", check.quantity or "").strip().rstrip(".")
    quantity = _mid_sentence(raw_quantity) if raw_quantity else "the quantity"
    parts: list[str] = []
    if tested_as:
        parts.append(f"Tested as: {raw_quantity}.")
    has_est = is_number(check.estimate)
    has_ci = is_number(check.ci_low) and is_number(check.ci_high)
    has_pub = is_number(check.published_value)
    if has_est:
        subject = "Our estimate" if tested_as else f"Our estimate of {quantity}"
        est = f"{subject}{_unit_suffix(unit, quantity)} is {fmt_value(check.estimate, unit)}"
        if has_ci:
            est += f" (95% CI {fmt_value(check.ci_low, unit)} to {fmt_value(check.ci_high, unit)})"
        if has_pub:
            est += f" against the published {fmt_value(check.published_value, unit)}"
        if is_number(check.n_obs):
            est += f", from {fmt_count(int(check.n_obs or 0))} observations"
        parts.append(est + ".")
        if has_pub and has_ci:
            lo, hi = sorted((float(check.ci_low or 0), float(check.ci_high or 0)))
            pub = float(check.published_value or 0)
            where = "inside" if lo <= pub <= hi else "outside"
            parts.append(f"The published value lies {where} our interval.")
        if has_pub:
            same = math.copysign(1, float(check.estimate or 0)) == math.copysign(
                1, float(check.published_value or 0)
            )
            if float(check.estimate or 0) == 0 or float(check.published_value or 0) == 0:
                pass
            else:
                parts.append(
                    "Our estimate has the same sign as the published value."
                    if same
                    else "Our estimate has the opposite sign to the published value."
                )
        if has_ci:
            lo, hi = sorted((float(check.ci_low or 0), float(check.ci_high or 0)))
            parts.append(
                "Our interval includes zero." if lo <= 0 <= hi else "Our interval excludes zero."
            )
    else:
        text = (
            "We could not estimate it from the warehouse"
            if tested_as
            else f"We could not estimate {quantity} from the warehouse"
        )
        if has_pub:
            text += f"; the published value is {fmt_value(check.published_value, unit)}"
        parts.append(text + ".")
    parts.append(f"The verdict is: {verdict_phrase(check.verdict)}.")
    if check.reason:
        reason = check.reason.strip()
        parts.append(f"Reason: {reason}" + ("" if reason.endswith(".") else "."))
    return " ".join(parts)
