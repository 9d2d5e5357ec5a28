"""The design registry: design name -> design class, declared in one dict (:data:`DESIGNS`).

A design class is a dataclass whose fields are the estimator's options and which has
``fit(data: pandas.DataFrame) -> Result``. :func:`design_from_dict` builds a design from plain
options (as read from a study TOML file or CLI flags), so every design is reachable from Python,
studies and the CLI alike. A new design is one module plus one line here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.designs.cross_section import CrossSectionDesign
from sanctuary_lab.designs.event_study import EventStudyDesign
from sanctuary_lab.designs.matching import MatchingDesign
from sanctuary_lab.designs.staggered.callaway_santanna import CallawaySantAnnaDesign
from sanctuary_lab.designs.staggered.did2s import Did2sDesign
from sanctuary_lab.designs.staggered.sun_abraham import SunAbrahamDesign
from sanctuary_lab.designs.twfe import TWFEDesign
from sanctuary_lab.designs.weighting import WeightingDesign

#: Every design by name, sorted.
DESIGNS: dict[str, type] = {
    "callaway_santanna": CallawaySantAnnaDesign,
    "cross_section": CrossSectionDesign,
    "did2s": Did2sDesign,
    "event_study": EventStudyDesign,
    "matching": MatchingDesign,
    "sun_abraham": SunAbrahamDesign,
    "twfe": TWFEDesign,
    "weighting": WeightingDesign,
}


def designs() -> dict[str, type]:
    """All registered design classes by name (a copy of :data:`DESIGNS`)."""
    return dict(DESIGNS)


def design_from_dict(design: str, options: dict[str, Any]) -> Any:
    """Build the design object for ``design`` from plain options, validating the option names."""
    registry = designs()
    if design not in registry:
        raise SpecError(f"unknown design {design!r}; choose one of {sorted(registry)}")
    cls = registry[design]
    if dataclasses.is_dataclass(cls):
        allowed = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - allowed)
        if unknown:
            raise SpecError(
                f"design {design!r} has no option(s) {unknown}; its options are {sorted(allowed)}"
            )
    try:
        return cls(**options)
    except TypeError as exc:
        raise SpecError(f"design {design!r}: {exc}") from exc
