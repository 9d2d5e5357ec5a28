"""One number formatter for verdict sentences, the CLI and the report.

Estimates are printed in natural units: a log-point effect as a percent change
(``100 * (exp(b) - 1)``), dollars with a ``$`` and thousands separators, crime rates per 10,000
residents, shares in percent, differences in percentage points. Nothing here decides anything; it
only writes numbers.
"""

from __future__ import annotations

import math

#: units whose estimates are log points (effects shown as percent changes)
LOG_UNITS = frozenset({"log points", "log points per percentage point"})


def finite(x: object) -> bool:
    """True for a finite int/float (bools excluded)."""
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def fmt_number(value: float | None, digits: int = 3) -> str:
    """``value`` with ``digits`` significant figures (thousands separated); an en dash if missing.

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
    return "0" if text in ("-0", "+0") else text


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
