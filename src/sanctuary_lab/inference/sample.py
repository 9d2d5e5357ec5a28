"""Checks of an estimation sample shared by the inference layer and the designs.

Each raises :class:`~sanctuary_lab.core.errors.SpecError` with a message that says what to do
(R ``did`` style), or returns plain-text warnings (for ``Result.metadata["warnings"]``) for
problems that only weaken a fit. :func:`check_sample` is the validation preamble of the
designs: a non-empty frame that holds the used columns, numeric where they must be, without the
rows that miss a used value (:func:`check_columns` without the drop).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import SpecError


def require_frame(data: Any, what: str) -> pd.DataFrame:
    """Check that ``data`` is a non-empty DataFrame."""
    if not isinstance(data, pd.DataFrame):
        raise SpecError(f"{what}: data must be a pandas DataFrame, got {type(data).__name__}")
    if data.empty:
        raise SpecError(f"{what}: data has no rows; check the filters that produced it")
    return data


def require_columns(df: pd.DataFrame, cols: Iterable[str | None], what: str) -> None:
    """Raise if any of ``cols`` (``None`` entries ignored) is not a column of ``df``.

    The message lists the available columns so the user can fix a typo.
    """
    missing = [c for c in cols if c is not None and c not in df.columns]
    if missing:
        avail = ", ".join(map(str, df.columns[:60]))
        more = "" if len(df.columns) <= 60 else f" ... ({len(df.columns)} in all)"
        raise SpecError(
            f"{what}: column(s) {missing} not found in the data; available columns: {avail}{more}"
        )


def require_numeric(df: pd.DataFrame, cols: Iterable[str | None], what: str) -> None:
    """Raise if any of ``cols`` is not numeric (bool counts as numeric)."""
    for c in cols:
        if c is None:
            continue
        s = df[c]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            raise SpecError(
                f"{what}: column {c!r} must be numeric (dtype is {s.dtype}); "
                "convert it, or use it as a fixed effect / stratum instead"
            )


def check_columns(
    data: Any,
    columns: Sequence[str | None],
    numeric: Sequence[str | None],
    what: str,
) -> pd.DataFrame:
    """``data`` is a non-empty DataFrame holding ``columns``, of which ``numeric`` are numeric;
    returns ``data``.

    Parameters
    ----------
    data
        The design's input.
    columns
        Every column the design uses (``None`` entries ignored).
    numeric
        The columns that must be numeric (bool counts).
    what
        The design name that starts each error message.
    """
    df = require_frame(data, what)
    require_columns(df, columns, what)
    require_numeric(df, numeric, what)
    return df


def check_sample(
    data: Any,
    columns: Sequence[str | None],
    numeric: Sequence[str | None],
    what: str,
) -> tuple[pd.DataFrame, list[str]]:
    """The designs' validation preamble: :func:`check_columns`, then a copy of ``data`` without
    the rows that miss a value in ``columns`` and the warnings of :func:`drop_missing`.

    A design that validates its own options first calls :func:`require_frame` before them, so
    that input that is not a frame is reported first.
    """
    df = check_columns(data, columns, numeric, what)
    return drop_missing(df.copy(), columns, what)


def drop_missing(
    df: pd.DataFrame, cols: Sequence[str | None], what: str = "data"
) -> tuple[pd.DataFrame, list[str]]:
    """Drop rows with a missing or non-finite value in any used column.

    Returns the kept rows and a list of warnings (one per column with missing values plus a total)
    for ``Result.metadata["warnings"]``. Raises if no row survives.
    """
    use = [c for c in dict.fromkeys(cols) if c is not None]
    warnings: list[str] = []
    bad = pd.Series(False, index=df.index)
    for c in use:
        s = df[c]
        miss = s.isna()
        if pd.api.types.is_float_dtype(s):
            miss = miss | ~np.isfinite(s.to_numpy(dtype=float, na_value=np.nan))
        n = int(miss.sum())
        if n:
            warnings.append(f"{n} row(s) have a missing value in {c!r}")
        bad |= miss
    n_bad = int(bad.sum())
    if n_bad:
        warnings.append(f"dropped {n_bad} of {len(df)} row(s) with missing values in used columns")
    out = df.loc[~bad]
    if out.empty:
        raise SpecError(
            f"{what}: no rows left after dropping missing values in {use}; check those columns"
        )
    return out, warnings
