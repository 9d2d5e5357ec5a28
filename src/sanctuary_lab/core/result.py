"""The one result shape every design returns.

``Result.tidy()`` always has the columns in :data:`TIDY_COLUMNS`; design-specific tables (balance
tables, ATT(g,t), event-study plot data) live in ``Result.extras``; everything serialises to JSON
and back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sanctuary_lab.core.jsonio import clean_json, frame_records, json_default

TIDY_COLUMNS: tuple[str, ...] = (
    "term",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "p_value",
    "n_obs",
    "n_clusters",
)


@dataclass
class Result:
    """Estimates from one fit of one design.

    Parameters
    ----------
    design
        Design name, e.g. ``"twfe"``, ``"callaway_santanna"``.
    table
        Tidy coefficient table; must contain :data:`TIDY_COLUMNS` (extra columns allowed).
    metadata
        Spec, inference method, sample notes, data vintage, warnings.
    extras
        Named auxiliary tables (``"balance"``, ``"event_study"``, ``"att_gt"`` ...).
    """

    design: str
    table: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, pd.DataFrame] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [c for c in TIDY_COLUMNS if c not in self.table.columns]
        if missing:
            raise ValueError(f"Result table for {self.design!r} lacks columns {missing}")

    def tidy(self) -> pd.DataFrame:
        """Coefficient table with the shared columns first."""
        extra = [c for c in self.table.columns if c not in TIDY_COLUMNS]
        return self.table.loc[:, list(TIDY_COLUMNS) + extra].reset_index(drop=True)

    def coef(self, term: str) -> float:
        """Point estimate for ``term``."""
        row = self.table.loc[self.table["term"] == term]
        if row.empty:
            raise KeyError(f"no term {term!r}; terms are {list(self.table['term'])}")
        return float(row["estimate"].iloc[0])

    def plot_data(self) -> pd.DataFrame | None:
        """Event-study plot data (relative time, estimate, CI) when the design has it."""
        return self.extras.get("event_study")

    def summary(self) -> str:
        """Plain-text summary for terminals and logs."""
        lines = [f"Design: {self.design}"]
        for key in ("outcome", "treatment", "inference", "sample"):
            if key in self.metadata:
                lines.append(f"{key.capitalize()}: {self.metadata[key]}")
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            lines.append(self.tidy().to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        for w in self.metadata.get("warnings", []):
            lines.append(f"Warning: {w}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return clean_json(
            {
                "design": self.design,
                "tidy": frame_records(self.tidy()),
                "metadata": json.loads(json.dumps(self.metadata, default=json_default)),
                "extras": {k: frame_records(v) for k, v in self.extras.items()},
            }
        )

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), default=json_default, **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        table = pd.DataFrame(data["tidy"])
        for c in TIDY_COLUMNS[1:]:
            if c in table:
                table[c] = pd.to_numeric(table[c], errors="coerce")
        extras = {k: pd.DataFrame(v) for k, v in data.get("extras", {}).items()}
        return cls(data["design"], table, dict(data.get("metadata", {})), extras)

    @classmethod
    def from_json(cls, text: str) -> Result:
        return cls.from_dict(json.loads(text))
