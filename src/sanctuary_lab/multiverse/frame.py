"""The analysis frame of a multiverse: loading it, derived columns, treatment permutation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.multiverse.choices import Multiverse


def check_sql(sql: str, where: str) -> None:
    """Accept exactly one SELECT statement (``WITH ... SELECT`` included); one-line error else."""
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        msg = str(exc).splitlines()[0]
        raise SpecError(f"{where}: sql is not valid SQL: {msg}") from None
    if len(statements) != 1:
        raise SpecError(f"{where}: sql must be exactly one SELECT statement, got {len(statements)}")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise SpecError(f"{where}: sql must be a SELECT statement, got {kind.name}")


def load_frame(spec: Multiverse, warehouse: str | Path) -> pd.DataFrame:
    """Run the section's ``sql`` (or read its ``table``) on the warehouse.

    The connection is read-only with :data:`~sanctuary_lab.warehouse.db.SAFE_DUCKDB_CONFIG` (no external access, no
    extensions), and ``sql`` must be a single SELECT statement.
    """
    import duckdb

    from sanctuary_lab.warehouse.db import open_warehouse

    path = Path(warehouse)
    con = open_warehouse(path, safe=True)
    try:
        if spec.sql:
            check_sql(spec.sql, spec.source)
        query = spec.sql or f'SELECT * FROM "{spec.table}"'
        df = con.execute(query).df()
    except duckdb.Error as exc:
        msg = str(exc).splitlines()[0]
        raise SpecError(f"{spec.source}: multiverse data query failed on {path}: {msg}") from None
    finally:
        con.close()
    if df.empty:
        raise SpecError(f"{spec.source}: multiverse data query returned no rows from {path}")
    return df


def check_choices_against_data(spec: Multiverse, df: pd.DataFrame) -> None:
    """Every ``years`` choice must select rows of the data, before anything is fitted.

    A window outside the data (e.g. ``[-5, -1]``) would otherwise reach the estimation library
    as an empty sample (pyfixest's demeaner aborts the process on one).
    """
    t = pd.to_numeric(df[spec.time], errors="coerce")
    if t.notna().sum() == 0:
        raise SpecError(f"{spec.source}: time column {spec.time!r} holds no numeric values")
    lo, hi = t.min(), t.max()
    for c in spec.dimensions["years"]:
        if c.value is None:
            continue
        a, b = c.value
        if not ((t >= a) & (t <= b)).any():
            raise SpecError(
                f"{spec.source}: dimensions.years choice {c.label!r} [{a}, {b}] selects no rows; "
                f"the data's {spec.time} runs from {lo:g} to {hi:g}"
            )


def prepare_frame(spec: Multiverse, df: pd.DataFrame) -> pd.DataFrame:
    """Check the columns the dimensions name and add derived outcome / treatment columns.

    ``log(col)`` outcomes are ``log`` of positive values (non-positive -> missing, so those rows
    drop out of that spec's sample); threshold treatments are ``1.0 * (col >= threshold)`` with
    missing values kept missing.
    """
    needed = {spec.unit, spec.time} | ({spec.cluster} if spec.cluster else set())
    for cols in spec.columns().values():
        needed |= cols
    missing = sorted(c for c in needed if c not in df.columns)
    if missing:
        raise SpecError(
            f"{spec.source}: multiverse column(s) {missing} not in the data; "
            f"available: {', '.join(map(str, df.columns))}"
        )
    check_choices_against_data(spec, df)
    out = df.copy()
    new: dict[str, pd.Series] = {}
    for c in spec.dimensions["outcome"]:
        col, transform, name = c.value
        if name in out.columns or name in new:
            continue
        x = pd.to_numeric(out[col], errors="coerce").astype("float64")
        if transform == "log":
            x = np.log(x.where(x > 0))
        new[name] = x
    for c in spec.dimensions["treatment"]:
        col, thr, name = c.value
        if name in out.columns or name in new:
            continue
        x = pd.to_numeric(out[col], errors="coerce").astype("float64")
        new[name] = x if thr is None else (x >= thr).astype("float64").where(x.notna())
    if new:
        out = out.assign(**new)
    numeric = {c.value[2] for c in spec.dimensions["outcome"]}
    numeric |= {c.value[2] for c in spec.dimensions["treatment"]}
    for c in spec.dimensions["covariates"]:
        numeric |= set(c.value)
    numeric |= spec.columns()["weights"]
    for c in sorted(numeric):
        if not pd.api.types.is_numeric_dtype(out[c]):
            conv = pd.to_numeric(out[c], errors="coerce")
            if conv.notna().sum() < out[c].notna().sum():
                raise SpecError(f"{spec.source}: multiverse column {c!r} must be numeric")
            out[c] = conv
        out[c] = out[c].astype("float64")
    return out


def permute_treatment(spec: Multiverse, df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Reassign whole treatment paths across units (unit i gets unit pi(i)'s path by time).

    Keeps each path's timing and the time distribution of treatment, and breaks its link with
    the outcomes: the null of no effect. Unit-time cells that the donor unit lacks become missing
    (balanced panels are unaffected).
    """
    cols = sorted({c.value[0] for c in spec.dimensions["treatment"]})
    units = pd.unique(df[spec.unit])
    donor = dict(zip(units, rng.permutation(units), strict=True))
    paths = df[[spec.unit, spec.time, *cols]].drop_duplicates([spec.unit, spec.time])
    paths = paths.rename(columns={spec.unit: "__donor"})
    derived = [c.value[2] for c in spec.dimensions["treatment"]]
    drop = [c for c in dict.fromkeys(cols + derived) if c in df.columns]
    base = df.drop(columns=drop).assign(__donor=df[spec.unit].map(donor))
    out = base.merge(paths, on=["__donor", spec.time], how="left").drop(columns="__donor")
    out.index = df.index
    return prepare_frame(spec, out)
