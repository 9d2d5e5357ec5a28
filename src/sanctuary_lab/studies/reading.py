"""Reading the warehouse for the studies: what every frame and descriptive builder shares.

- :func:`load` reads named columns of a warehouse table. Columns are read by the one name the
  warehouse build writes, as declared in :mod:`sanctuary_lab.warehouse.contract` (asking a
  declared table for an undeclared column is a programming error, ``KeyError``); a table or
  column missing from the warehouse at hand is a :class:`DataUnavailable` naming it and listing
  what is there.
- :class:`Frame` is what a frame builder returns: the analysis frame plus how it was made.
- :func:`covariates`, :func:`num` and :func:`build_info` are small helpers the builders and the
  runner share.

This module imports no builder; the builders (``studies/frames/``, ``studies/descriptives/``)
import it, and :mod:`sanctuary_lab.studies.registry` names them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.warehouse.contract import FINAL_TABLES, column
from sanctuary_lab.warehouse.db import Connection, table_names

__all__ = [
    "DataUnavailable",
    "Frame",
    "build_info",
    "covariates",
    "load",
    "num",
    "table_columns",
]


class DataUnavailable(Exception):
    """The warehouse lacks a table or column a study needs; the message says which and why."""


@dataclass
class Frame:
    """An analysis frame and how it was made."""

    data: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)


def table_columns(con: Connection, table: str) -> list[str]:
    """Column names of ``table`` in table order.

    Raises
    ------
    DataUnavailable
        The warehouse has no table ``table``.
    """
    if table not in table_names(con):
        raise DataUnavailable(
            f"warehouse has no table {table!r}; rebuild with `sanctuary-lab build`"
        )
    return [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position",
            [table],
        ).fetchall()
    ]


def load(
    con: Connection,
    table: str,
    columns: list[str],
    optional: list[str] | None = None,
    *,
    where: str = "",
    params: list[Any] | None = None,
) -> pd.DataFrame:
    """Read ``columns`` (and those of ``optional`` the table has) of warehouse table ``table``.

    Parameters
    ----------
    con
        An open warehouse.
    table
        A table the warehouse build writes.
    columns
        Column names the caller needs, as the warehouse writes them (for a final table, as
        :mod:`sanctuary_lab.warehouse.contract` declares them).
    optional
        Columns read when present (a table a test or an older build wrote may lack them).
    where, params
        An optional ``WHERE`` clause with ``?`` placeholders and its parameters.

    Raises
    ------
    KeyError
        ``table`` is a declared final table that declares no such column (a builder's bug).
    DataUnavailable
        The table or a needed column is missing (the message lists the table's columns).
    """
    if table in FINAL_TABLES:
        for name in [*columns, *(optional or [])]:
            column(table, name)
    have = table_columns(con, table)
    missing = [c for c in columns if c not in have]
    if missing:
        raise DataUnavailable(
            f"table {table!r} has no column(s) {missing}; columns: {sorted(have)}"
        )
    read = list(columns) + [c for c in optional or [] if c in have]
    cols = ", ".join(f'"{c}"' for c in read)
    return con.execute(f'SELECT {cols} FROM "{table}" {where}', params or []).df()


def build_info(con: Connection) -> dict[str, Any]:
    """Warehouse version, build time and raw folder (the raw files' sha256 are in ``provenance``)."""
    info: dict[str, Any] = {}
    names = table_names(con)
    if "build_info" in names:
        row = con.execute("SELECT * FROM build_info").df()
        if not row.empty:
            info.update({k: str(v) for k, v in row.iloc[0].items()})
    if "provenance" in names:
        row_n = con.execute("SELECT count(*) FROM provenance").fetchone()
        info["n_raw_files"] = int(row_n[0]) if row_n else 0
    return info


def num(s: pd.Series) -> pd.Series:
    """``s`` as floats (unparseable values become NaN)."""
    return pd.to_numeric(s, errors="coerce").astype(float)


def covariates(con: Connection, vintage: str, columns: list[str]) -> pd.DataFrame:
    """``fips`` and the numeric ``columns`` of ``county_covariates`` in ``vintage``, one row per county.

    Raises
    ------
    SpecError
        ``vintage`` is not in the warehouse (the message lists the vintages held).
    DataUnavailable
        The table lacks one of ``columns``.
    """
    cov = load(con, "county_covariates", ["fips", "vintage"], columns)
    vintages = sorted(cov["vintage"].dropna().unique())
    if vintage not in vintages:
        raise SpecError(
            f"covariate vintage {vintage!r} not in the warehouse; choose one of {vintages}"
        )
    sub = cov.loc[cov["vintage"] == vintage].drop(columns="vintage")
    for c in columns:
        if c not in sub:
            raise DataUnavailable(f"county_covariates vintage {vintage!r} has no column {c!r}")
        sub[c] = num(sub[c])
    return sub.drop_duplicates("fips")
