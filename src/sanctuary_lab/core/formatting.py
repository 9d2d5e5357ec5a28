"""One number formatter for verdict sentences, the CLI and the report.

Estimates are printed in natural units: a log-point effect as a percent change
(``100 * (exp(b) - 1)``), dollars with a ``$`` and thousands separators, crime rates per 10,000
residents, shares in percent, differences in percentage points. Nothing here decides anything; it
only writes numbers.

The report's tables and cards also use :func:`fmt_value`, :func:`fmt_ci`, :func:`fmt_count`,
:func:`fmt_p`, :func:`fmt_share` and :func:`fmt_cell`, which follow the same rules (three
significant figures, thousands separators, no scientific notation) and write a true minus sign
unless ``ascii=True``; counts are whole numbers, p-values three decimals or ``<0.001``.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

MINUS = "\u2212"
DASH = "\u2013"

#: units whose estimates are log points (effects shown as percent changes)
LOG_UNITS = frozenset({"log points", "log points per percentage point"})


def finite(x: object) -> bool:
    """True for a finite int/float (bools excluded)."""
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def fmt_number(value: float | None, digits: int = 3, *, ascii: bool = True) -> str:
    """``value`` with ``digits`` significant figures (thousands separated); an en dash if missing.

    ``ascii=False`` writes a true minus sign (U+2212), as the report does.

    Examples
    --------
    >>> fmt_number(4353.2)
    '4,353'
    >>> fmt_number(-0.04888)
    '-0.0489'
    """
    if not finite(value):
        return "\u2013"
    assert value is not None
    v = float(value)
    if v == 0:
        return "0"
    if abs(v) >= 10 ** (digits - 1):
        text = f"{v:,.0f}"
    else:
        decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(v)))))
        text = f"{v:,.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    if text in ("-0", "+0"):
        return "0"
    return text if ascii else text.replace("-", MINUS)


def log_to_percent(b: float) -> float:
    """Percent change implied by a log-point effect ``b``: ``100 * (exp(b) - 1)``."""
    return 100.0 * math.expm1(b)


def natural(value: float | None, unit: str) -> float | None:
    """``value`` converted to the unit shown to readers (percent for log units)."""
    if not finite(value):
        return None
    assert value is not None
    return log_to_percent(float(value)) if unit in LOG_UNITS else float(value)


def fmt_level(value: float | None, unit: str) -> str:
    """A value (not a change) in its unit: ``'$4,353'``, ``'57%'``, ``'35.5 crimes per 10,000'``."""
    if not finite(value):
        return "\u2013"
    assert value is not None
    if unit in ("US dollars", "dollars", "$"):
        return ("-" if value < 0 else "") + "$" + fmt_number(abs(value))
    if unit in ("percent", "%"):
        return f"{fmt_number(value)}%"
    if unit in ("percentage points", "pp"):
        return f"{fmt_number(value)} percentage points"
    if unit in LOG_UNITS:
        per = " per percentage point" if unit.endswith("point") else ""
        return f"{fmt_number(log_to_percent(value))}%{per}"
    if unit:
        return f"{fmt_number(value)} {unit}"
    return fmt_number(value)


def fmt_change(value: float | None, unit: str) -> str:
    """A signed change in words: ``'9.8% lower'``, ``'3 more crimes per 10,000'``, ``'$3,380 higher'``.

    Log-point values become percent changes; a zero reads ``'no change'``.
    """
    if not finite(value):
        return "\u2013"
    assert value is not None
    v = float(value)
    if v == 0:
        return "no change"
    count = unit.startswith("crimes") or unit.startswith("arrests")
    word = ("more" if v > 0 else "fewer") if count else ("higher" if v > 0 else "lower")
    if unit in LOG_UNITS:
        per = " per percentage point" if unit.endswith("point") else ""
        return f"{fmt_number(abs(log_to_percent(v)))}% {word}{per}"
    if unit in ("US dollars", "dollars", "$"):
        return f"${fmt_number(abs(v))} {word}"
    if unit in ("percent", "%"):
        return f"{fmt_number(abs(v))} percentage points {word}"
    if unit in ("percentage points", "pp"):
        return f"{fmt_number(abs(v))} percentage points {word}"
    if count:
        noun, _, rest = unit.partition(" ")
        return f"{fmt_number(abs(v))} {word} {noun} {rest}".rstrip()
    if unit:
        return f"{fmt_number(abs(v))} {word} ({unit})"
    return f"{fmt_number(abs(v))} {word}"


def fmt_interval(lo: float | None, hi: float | None, unit: str) -> str:
    """``'95% CI: 15% lower to 4.2% higher'`` (lower end first, in natural units)."""
    if not (finite(lo) and finite(hi)):
        return "no confidence interval"
    assert lo is not None and hi is not None
    a, b = sorted((float(lo), float(hi)))
    return f"95% CI: {fmt_change(a, unit)} to {fmt_change(b, unit)}"


# --- report tables and cards ---------------------------------------------------------

_PERCENT_UNITS = {"%", "percent", "per cent"}
_PP_UNITS = {"pp", "percentage points", "percentage point"}
_DOLLAR_UNITS = {"us dollars", "dollars", "usd", "$"}
_LOG_UNITS = {"log points", "log point", "log"}


def is_number(value: Any) -> bool:
    """Whether ``value`` is a finite real number (bools excluded)."""
    if value is None or isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def fmt_count(value: Any, *, ascii: bool = False) -> str:
    """A count: a whole number with thousands separators."""
    if not is_number(value):
        return "-" if ascii else DASH
    v = int(round(float(value)))
    return (("-" if ascii else MINUS) if v < 0 else "") + f"{abs(v):,}"


def fmt_p(value: Any, *, ascii: bool = False) -> str:
    """A p-value: three decimals, ``<0.001`` below that."""
    if not is_number(value):
        return "-" if ascii else DASH
    v = float(value)
    if v < 0.001:
        return "<0.001"
    return f"{v:.3f}"


def fmt_share(value: Any, *, ascii: bool = False) -> str:
    """A share in [0, 1] as a percentage with one decimal (``0.523`` -> ``52.3%``)."""
    if not is_number(value):
        return "-" if ascii else DASH
    return fmt_number(round(float(value) * 100, 1), ascii=ascii) + "%"


def log_points_to_percent(value: float) -> float:
    """A log-point effect ``b`` as a percent change (:func:`log_to_percent`)."""
    return log_to_percent(float(value))


def unit_kind(unit: str | None) -> str:
    """``percent``, ``pp``, ``dollars``, ``log`` or ``other`` for a unit string."""
    u = (unit or "").strip().lower()
    if u in _PERCENT_UNITS:
        return "percent"
    if u in _PP_UNITS:
        return "pp"
    if u in _DOLLAR_UNITS:
        return "dollars"
    if u in _LOG_UNITS:
        return "log"
    return "other"


def fmt_value(
    value: Any, unit: str | None = "", *, words: bool = False, ascii: bool = False
) -> str:
    """A number with its unit: ``12.3%``, ``2.3 pp``, ``$4,353``; with ``words=True`` other
    units follow the number (``35.5 crimes per 10,000``).

    Log-point values are shown as a percent change (``0.1`` -> ``10.5%``).
    """
    if not is_number(value):
        return fmt_number(value, ascii=ascii)
    value = float(value)
    kind = unit_kind(unit)
    if kind == "percent":
        return fmt_number(value, ascii=ascii) + "%"
    if kind == "pp":
        return fmt_number(value, ascii=ascii) + " pp"
    if kind == "dollars":
        text = fmt_number(value, ascii=ascii)
        neg = text.startswith(("-", MINUS))
        return (text[0] if neg else "") + "$" + (text[1:] if neg else text)
    if kind == "log":
        return fmt_number(log_points_to_percent(float(value)), ascii=ascii) + "%"
    text = fmt_number(value, ascii=ascii)
    if words and unit:
        return f"{text} {unit}"
    return text


def fmt_ci(low: Any, high: Any, unit: str | None = "", *, ascii: bool = False) -> str:
    """A 95% interval as ``a to b`` in the unit of :func:`fmt_value`; empty when missing."""
    if not (is_number(low) and is_number(high)):
        return ""
    return f"{fmt_value(low, unit, ascii=ascii)} to {fmt_value(high, unit, ascii=ascii)}"


def fmt_cell(value: Any, *, ascii: bool = False) -> str:
    """A table cell: numbers by the module's rules (integers as counts), missing as a dash."""
    if value is None:
        return "-" if ascii else DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        if not value:
            return "-" if ascii else DASH
        return ", ".join(fmt_cell(v, ascii=ascii) for v in value)
    if isinstance(value, dict):
        if not value:
            return "-" if ascii else DASH
        return "; ".join(f"{k}: {fmt_cell(v, ascii=ascii)}" for k, v in value.items())
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return "-" if ascii else DASH
    except ImportError:  # pragma: no cover
        pass
    if hasattr(value, "item") and not isinstance(value, str):
        with contextlib.suppress(ValueError, AttributeError):
            value = value.item()
    if isinstance(value, int):
        return fmt_count(value, ascii=ascii)
    if isinstance(value, float):
        if math.isnan(value):
            return "-" if ascii else DASH
        if value.is_integer() and abs(value) < 1e15:
            return fmt_count(value, ascii=ascii)
        return fmt_number(value, ascii=ascii)
    return str(value)
