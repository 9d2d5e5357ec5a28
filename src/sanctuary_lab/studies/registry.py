"""The builder registry: the frame and descriptive builders a study file can name, each
declared in one dict.

- :data:`FRAMES`: ``[data] frame = "..."`` -> a frame builder (``studies/frames/``), called as
  ``builder(con, **parameters)`` and returning a :class:`~sanctuary_lab.studies.reading.Frame`.
- :data:`DESCRIPTIVES`: ``[[descriptive]] builder = "..."`` -> a descriptive builder
  (``studies/descriptives/``), called as ``builder(con, **options)`` and returning
  ``(table, stats)``.

A new builder is one function in its module plus one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from sanctuary_lab.studies.descriptives.enforcement import (
    cited_facts,
    detainer_declines_by_year,
    enforcement_breadth,
)
from sanctuary_lab.studies.descriptives.ice_ero import ice_ero_noncriminal_share
from sanctuary_lab.studies.frames.arrests import (
    county_arrests_287g,
    county_offenses_287g,
    county_offenses_sc,
)
from sanctuary_lab.studies.frames.county import county_cross_section, county_panel_287g
from sanctuary_lab.studies.frames.economic import (
    county_acs_long_difference,
    county_population_panel,
    county_unemployment_panel,
)
from sanctuary_lab.studies.frames.panel import (
    aor_immigrant_panel,
    city_panel,
    state_immigrant_panel,
    state_panel,
)
from sanctuary_lab.studies.reading import Frame

__all__ = ["DESCRIPTIVES", "FRAMES", "DescriptiveBuilder", "FrameBuilder"]

#: ``builder(con, **parameters) -> Frame``
FrameBuilder = Callable[..., Frame]
#: ``builder(con, **options) -> (table, stats)``
DescriptiveBuilder = Callable[..., tuple[pd.DataFrame, dict[str, Any]]]

#: Every analysis-frame builder by the name a study file's ``[data] frame`` uses.
FRAMES: dict[str, FrameBuilder] = {
    "aor_immigrant_panel": aor_immigrant_panel,
    "city_panel": city_panel,
    "county_acs_long_difference": county_acs_long_difference,
    "county_arrests_287g": county_arrests_287g,
    "county_cross_section": county_cross_section,
    "county_offenses_287g": county_offenses_287g,
    "county_offenses_sc": county_offenses_sc,
    "county_panel_287g": county_panel_287g,
    "county_population_panel": county_population_panel,
    "county_unemployment_panel": county_unemployment_panel,
    "state_immigrant_panel": state_immigrant_panel,
    "state_panel": state_panel,
}

#: Every descriptive builder by the name a study file's ``[[descriptive]] builder`` uses.
DESCRIPTIVES: dict[str, DescriptiveBuilder] = {
    "cited_facts": cited_facts,
    "detainer_declines_by_year": detainer_declines_by_year,
    "enforcement_breadth": enforcement_breadth,
    "ice_ero_noncriminal_share": ice_ero_noncriminal_share,
}
