"""Frame parameters: the builder's declared types and the stated bounds.

A study's ``[parameters]`` and ``run -p KEY=VALUE`` are checked the same way, before any work.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

from sanctuary_lab.core.errors import SpecError

#: Stated bounds of frame parameters (inclusive), by name; a value outside is an error, in a study
#: file and in ``run -p KEY=VALUE`` alike. Year-like parameters share :data:`YEAR_BOUNDS`.
PARAMETER_BOUNDS: dict[str, tuple[float, float]] = {
    "decline_threshold": (0.0, 1.0),  # a share of detainers
    "event_threshold": (0.0, 1.0),  # a share of population covered
    "min_months": (0, 12),  # months of UCR reporting in a year
    "min_detainers": (0, 10_000_000),
}
#: accepted range of any year parameter (``*_year``, ``years``, ``vintage_years``)
YEAR_BOUNDS = (1900, 2100)


def _is_year_param(name: str) -> bool:
    return name.endswith("_year") or name in ("years", "vintage_years")


def check_parameter(frame: str, key: str, value: Any, where: str) -> Any:
    """Check one frame parameter against the builder's declared type and the stated bounds.

    Types come from the frame builder's annotations (``int``, ``float``, ``bool``, ``str``,
    ``list[int]``, ``list[str]``, optionally ``| None``); bounds from :data:`PARAMETER_BOUNDS` and
    :data:`YEAR_BOUNDS`. Returns the value (an int given for a float parameter becomes a float).

    Raises
    ------
    SpecError
        One line naming ``where``, the parameter, the value and what is expected.
    """
    from sanctuary_lab.studies.registry import FRAMES

    sig = inspect.signature(FRAMES[frame])
    accepted = [n for n, p in sig.parameters.items() if p.kind is p.KEYWORD_ONLY]
    if key not in accepted:
        raise SpecError(f"{where}: frame {frame!r} takes no parameter {key!r}; it takes {accepted}")
    ann = str(sig.parameters[key].annotation).replace(" ", "")
    optional = ann.endswith("|None") or ann.startswith("None|")
    base = ann.replace("|None", "").replace("None|", "")

    def bad(expected: str) -> SpecError:
        return SpecError(f"{where}: parameter {key!r} must be {expected}, got {value!r}")

    def check_scalar(v: Any, typ: str) -> Any:
        if typ == "bool":
            if not isinstance(v, bool):
                raise bad("true or false")
            return v
        if typ == "str":
            if not isinstance(v, str):
                raise bad("a string")
            return v
        if typ in ("int", "float"):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise bad("an integer" if typ == "int" else "a number")
            if typ == "int" and not isinstance(v, int):
                raise bad("an integer")
            if isinstance(v, float) and not math.isfinite(v):
                raise bad("a finite number")
            lo_hi = YEAR_BOUNDS if _is_year_param(key) else PARAMETER_BOUNDS.get(key)
            if lo_hi is not None and not lo_hi[0] <= v <= lo_hi[1]:
                raise bad(f"between {lo_hi[0]} and {lo_hi[1]}")
            return float(v) if typ == "float" else v
        return v  # an annotation this checker does not know: leave it to the builder

    if value is None:
        if optional:
            return None
        raise bad(f"a value of type {base}")
    if base.startswith("list[") and base.endswith("]"):
        if not isinstance(value, list):
            raise bad(f"a list ({base})")
        return [check_scalar(v, base[5:-1]) for v in value]
    return check_scalar(value, base)


def check_parameters(frame: str, parameters: dict[str, Any], where: str) -> None:
    """Every parameter is a keyword argument of the frame builder, of its type and bounds, and
    ``first_year`` is not after ``last_year``."""
    for key, value in parameters.items():
        check_parameter(frame, key, value, f"{where}: key 'parameters.{key}'")
    first, last = parameters.get("first_year"), parameters.get("last_year")
    if isinstance(first, int) and isinstance(last, int) and first > last:
        raise SpecError(f"{where}: parameters: first_year {first} is after last_year {last}")
