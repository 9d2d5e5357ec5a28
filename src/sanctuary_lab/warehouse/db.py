"""The one place that opens DuckDB: the warehouse file, for reading or for writing a new one.

- :func:`open_warehouse`: an existing warehouse, read-only, checked up front (a missing, empty,
  truncated or foreign file, or one without :data:`REQUIRED_TABLES`, is an
  :class:`~sanctuary_lab.core.errors.InputError` naming the file: one line, exit code 2). With
  ``safe=True`` the connection is locked down (:data:`SAFE_DUCKDB_CONFIG`) for SQL that comes
  from a study file.
- :func:`write_tables`: a new DuckDB file holding the given tables.
- :func:`read_table`: one table into pandas.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.core.guards import check_warehouse_file

__all__ = [
    "REQUIRED_TABLES",
    "SAFE_DUCKDB_CONFIG",
    "Connection",
    "open_warehouse",
    "read_table",
    "table_names",
    "write_tables",
]

Connection = duckdb.DuckDBPyConnection

#: Tables every warehouse written by ``sanctuary-lab build`` has.
REQUIRED_TABLES = ("build_info",)

#: DuckDB settings of the connection a study file's ``sql`` runs on: no file system access
#: beyond the warehouse itself (no read_text/read_csv/COPY TO/ATTACH), no extension loading or
#: installing, and the configuration locked so the query cannot switch any of it back on.
SAFE_DUCKDB_CONFIG: dict[str, str | bool] = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "lock_configuration": True,
}


def table_names(con: Connection) -> set[str]:
    """Names of the tables in an open warehouse."""
    return {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }


def open_warehouse(path: str | Path, *, safe: bool = False) -> Connection:
    """Open an existing warehouse read-only, checking it up front.

    Parameters
    ----------
    path
        The ``.duckdb`` file ``sanctuary-lab build`` wrote.
    safe
        Lock the connection down (:data:`SAFE_DUCKDB_CONFIG`) before running SQL from a study file.

    Raises
    ------
    InputError
        A missing, empty, truncated or non-DuckDB file, or one without :data:`REQUIRED_TABLES`.
    """
    file = check_warehouse_file(Path(path))
    config: dict[str, str | bool | int | float | list[str]] = (
        dict(SAFE_DUCKDB_CONFIG) if safe else {}
    )
    try:
        con = duckdb.connect(str(file), read_only=True, config=config)
    except duckdb.Error as exc:
        msg = str(exc).splitlines()[0]
        raise InputError(file, f"cannot open as a DuckDB warehouse: {msg}") from None
    try:
        names = table_names(con)
    except duckdb.Error as exc:
        con.close()
        raise InputError(
            file, f"cannot read the warehouse schema: {str(exc).splitlines()[0]}"
        ) from None
    missing = [t for t in REQUIRED_TABLES if t not in names]
    if missing:
        con.close()
        raise InputError(
            file,
            f"not a sanctuary-lab warehouse (no table {missing[0]!r}); rebuild it with "
            "`sanctuary-lab build`",
        )
    return con


def read_table(path: str | Path, table: str) -> pd.DataFrame:
    """Read one warehouse table into pandas."""
    con = open_warehouse(path)
    try:
        names = table_names(con)
        if table not in names:
            raise InputError(path, f"warehouse has no table {table!r}; tables: {sorted(names)}")
        return con.execute(f'SELECT * FROM "{table}"').df()
    finally:
        con.close()


def write_tables(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """Write ``tables`` (in name order, rows as given) into a new DuckDB file at ``path``."""
    con = duckdb.connect(str(path))
    try:
        for name in sorted(tables):
            con.register("__df", tables[name])
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM __df')
            con.unregister("__df")
        con.execute("CHECKPOINT")
    finally:
        con.close()
