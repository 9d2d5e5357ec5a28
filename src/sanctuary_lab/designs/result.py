"""The one result shape every design returns.

``Result.tidy()`` always has the columns in :data:`TIDY_COLUMNS`; design-specific tables (balance
tables, ATT(g,t), event-study plot data) live in ``Result.extras``; everything serialises to JSON
and back.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

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


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        f = float(obj)
        return None if math.isnan(f) else f
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (pd.Timestamp,)):
        return obj.isoformat()
    if obj is pd.NA:
        return None
    return str(obj)


def _frame_to_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    clean = df.astype(object).where(pd.notna(df), None)
    return [dict(r) for r in clean.to_dict(orient="records")]


def _clean_floats(obj: Any) -> Any:
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    if isinstance(obj, dict):
        return {k: _clean_floats(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean_floats(v) for v in obj]
    return obj


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
        return _clean_floats(
            {
                "design": self.design,
                "tidy": _frame_to_records(self.tidy()),
                "metadata": json.loads(json.dumps(self.metadata, default=_json_default)),
                "extras": {k: _frame_to_records(v) for k, v in self.extras.items()},
            }
        )

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), default=_json_default, **kwargs)

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
