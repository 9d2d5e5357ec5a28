"""What is in the warehouse and how good it is: `sanctuary-lab info` and `sanctuary-lab quality`.

Each table module (:data:`~sanctuary_lab.warehouse.registry.TABLE_MODULES`) declares
``QUALITY_CHECKS``: ``(label, sql)`` pairs whose SQL returns one row with columns ``numerator``
and ``denominator`` (e.g. crime counties that have covariates / all crime counties), reported as
join or reporting coverage; and ``QUALITY_LISTS``: ``(key, label, sql)`` triples whose SQL returns
the rows to list in full (e.g. every source disagreement on a 287(g) date, every detainer facility
not matched to a county); a list whose table is absent is skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.warehouse.db import open_warehouse
from sanctuary_lab.warehouse.registry import TABLE_MODULES


def _one(con: Any, sql: str) -> tuple[Any, ...]:
    """Run ``sql`` and return its single row (a query that returns no row is a bug)."""
    row = con.execute(sql).fetchone()
    if row is None:
        raise RuntimeError(f"query returned no row: {sql}")
    return tuple(row)


def _tables(con: Any) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows]


def info(path: Path) -> dict[str, Any]:
    """Row counts and year coverage of every table, plus build metadata."""
    con = open_warehouse(path)
    try:
        out: dict[str, Any] = {"warehouse": str(path), "tables": []}
        names = _tables(con)
        if "build_info" in names:
            rec = con.execute("SELECT * FROM build_info").df().iloc[0].to_dict()
            out["build"] = {k: str(v) for k, v in rec.items()}
        for name in names:
            cols = [r[0] for r in con.execute(f'DESCRIBE "{name}"').fetchall()]
            n = _one(con, f'SELECT count(*) FROM "{name}"')[0]
            entry: dict[str, Any] = {"table": name, "rows": int(n), "columns": len(cols)}
            if "year" in cols:
                lo, hi, k = _one(
                    con, f'SELECT min(year), max(year), count(DISTINCT year) FROM "{name}"'
                )
                entry.update(year_min=lo, year_max=hi, n_years=int(k))
            out["tables"].append(entry)
        return out
    finally:
        con.close()


def quality(path: Path) -> dict[str, Any]:
    """Provenance, rejected rows by reason, caveats, and coverage checks."""
    con = open_warehouse(path)
    try:
        names = set(_tables(con))
        out: dict[str, Any] = {"warehouse": str(path)}
        out["tables"] = [
            {"table": n, "rows": int(_one(con, f'SELECT count(*) FROM "{n}"')[0])}
            for n in sorted(names)
            if not n.startswith("stg_")
        ]
        if "provenance" in names:
            out["provenance"] = (
                con.execute(
                    "SELECT source, file, sha256, rows_read, rows_kept, rows_rejected "
                    "FROM provenance ORDER BY source, file"
                )
                .df()
                .to_dict(orient="records")
            )
        if "rejected_rows" in names:
            out["rejected_by_reason"] = (
                con.execute(
                    "SELECT source, file, reason, count(*) AS rows FROM rejected_rows "
                    "GROUP BY ALL ORDER BY source, file, rows DESC"
                )
                .df()
                .to_dict(orient="records")
            )
        if "caveats" in names:
            out["caveats"] = (
                con.execute("SELECT source, caveat FROM caveats").df().to_dict(orient="records")
            )
        checks = []
        for mod in TABLE_MODULES:
            for label, sql in mod.QUALITY_CHECKS:
                try:
                    num, den = _one(con, sql)
                except duckdb.CatalogException as exc:
                    msg = str(exc).splitlines()[0]
                    raise InputError(
                        path,
                        f"warehouse lacks what quality check {label!r} reads ({msg}); rebuild it "
                        "with `sanctuary-lab build`",
                    ) from None
                share = (num / den) if den else None
                checks.append(
                    {
                        "check": label,
                        "numerator": int(num or 0),
                        "denominator": int(den or 0),
                        "share": share,
                    }
                )
        out["coverage"] = checks
        lists: dict[str, Any] = {}
        for mod in TABLE_MODULES:
            for key, label, sql in mod.QUALITY_LISTS:
                try:
                    rows = con.execute(sql).df()
                except duckdb.CatalogException:  # a partial build lacks the table
                    continue
                lists[key] = {"label": label, "rows": rows.to_dict(orient="records")}
        out["lists"] = lists
        return out
    finally:
        con.close()
