"""The one JSON cleaner: every ``to_dict()`` / ``--json`` output goes through these functions.

- :func:`json_default`: the ``default=`` hook of :func:`json.dumps` for numpy / pandas values.
- :func:`clean_json`: NaN and infinities become ``null`` (JSON has no NaN), numpy scalars become
  Python numbers, recursively through dicts, lists and tuples.
- :func:`frame_records`: a DataFrame as a list of row dicts with missing values as ``None``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["clean_json", "frame_records", "json_default"]


def json_default(obj: Any) -> Any:
    """``json.dumps(..., default=json_default)``: numpy/pandas values as plain JSON values."""
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        f = float(obj)
        return None if math.isnan(f) else f
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, pd.Timestamp):
        return obj.isoformat()
    if obj is pd.NA:
        return None
    return str(obj)


def frame_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``df`` as dicts, missing values (NaN, NA, NaT) as ``None``."""
    clean = df.astype(object).where(pd.notna(df), None)
    return [dict(r) for r in clean.to_dict(orient="records")]


def clean_json(obj: Any) -> Any:
    """``obj`` with NaN/inf floats as ``None`` and numpy scalars as Python numbers, recursively."""
    if isinstance(obj, np.floating):
        obj = float(obj)
    elif isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    if isinstance(obj, dict):
        return {k: clean_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean_json(v) for v in obj]
    return obj
