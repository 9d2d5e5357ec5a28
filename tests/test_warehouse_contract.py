"""The final-table column contract (``warehouse/contract.py``) and the table-module registry.

The contract matches a real build column for column and type for type; the tables that only some
raw folders allow match it on the format fixtures; a table module that breaks it fails the build
with one line naming the table and column, leaving no warehouse behind.
"""

from __future__ import annotations

import pkgutil
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

import sanctuary_lab.warehouse as warehouse_pkg
from cli_helpers import run_cli
from format_fixtures import write_ddp, write_kaplan_offenses_known
from sanctuary_lab.sources.ddp_ice_records import DdpIceRecords
from sanctuary_lab.sources.ucr_offenses_known import UcrOffensesKnown
from sanctuary_lab.warehouse import build as build_module
from sanctuary_lab.warehouse import contract, tables_offenses
from sanctuary_lab.warehouse.contract import (
    FINAL_TABLES,
    META_TABLES,
    STAGED_PREFIX,
    ContractError,
    check_produced,
)
from sanctuary_lab.warehouse.db import open_warehouse, write_tables
from sanctuary_lab.warehouse.registry import TABLE_MODULES, module_name


def _schema(path: Path) -> dict[str, dict[str, str]]:
    con = open_warehouse(path)
    try:
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "ORDER BY table_name, ordinal_position"
        ).fetchall()
    finally:
        con.close()
    out: dict[str, dict[str, str]] = {}
    for table, col, typ in rows:
        out.setdefault(table, {})[col] = typ
    return out


def test_contract_matches_a_real_build(warehouse: Path) -> None:
    schema = _schema(warehouse)
    final = {t for t in schema if not t.startswith(STAGED_PREFIX) and t not in META_TABLES}
    assert set(META_TABLES) <= set(schema)
    undeclared = sorted(final - set(FINAL_TABLES))
    assert not undeclared, f"tables the build writes but the contract lacks: {undeclared}"
    required = {t for t, spec in FINAL_TABLES.items() if not spec.optional}
    assert required <= final, sorted(required - final)
    for table in sorted(final | set(META_TABLES)):
        declared = (FINAL_TABLES.get(table) or META_TABLES[table]).columns
        assert list(schema[table].items()) == list(declared.items()), table


def test_optional_tables_match_the_contract(tmp_path: Path) -> None:
    """county_offenses, ice_records_by_year and ice_arrests, built from the format fixtures."""
    raw = tmp_path / "raw"
    (raw / "ucr_offenses_known").mkdir(parents=True)
    write_kaplan_offenses_known(raw / "ucr_offenses_known" / "offenses_known_yearly_2004_2012.csv")
    (raw / "ddp_ice_records").mkdir()
    write_ddp(raw / "ddp_ice_records")
    staged = {}
    for adapter in (UcrOffensesKnown(), DdpIceRecords()):
        staged.update({f"{STAGED_PREFIX}{k}": v for k, v in adapter.load(raw).tables.items()})
    produced = tables_offenses.derive(staged, {})
    optional = {t for t, spec in FINAL_TABLES.items() if spec.module == "tables_offenses"}
    assert set(produced) == optional
    check_produced("tables_offenses", produced)
    out = tmp_path / "w.duckdb"
    write_tables({**produced, "build_info": pd.DataFrame({"version": ["x"]})}, out)
    schema = _schema(out)
    for table in produced:
        assert list(schema[table].items()) == list(FINAL_TABLES[table].columns.items()), table


def test_every_table_module_is_registered_and_declared() -> None:
    on_disk = {
        m.name for m in pkgutil.iter_modules(warehouse_pkg.__path__) if m.name.startswith("tables_")
    }
    registered = [module_name(m) for m in TABLE_MODULES]
    assert sorted(registered) == sorted(on_disk) and len(set(registered)) == len(registered)
    assert {spec.module for spec in FINAL_TABLES.values()} == set(registered)
    assert {spec.module for spec in META_TABLES.values()} == {"build"}
    assert not set(FINAL_TABLES) & set(META_TABLES)
    assert not any(t.startswith(STAGED_PREFIX) for t in [*FINAL_TABLES, *META_TABLES])


def test_columns_are_read_by_name() -> None:
    assert contract.column("county_crime", "violent_rate_100k") == "violent_rate_100k"
    assert contract.columns("caveats") == ["source", "caveat"]
    assert contract.columns("county_population") == ["fips", "year", "population", "source"]
    with pytest.raises(KeyError, match="'county_crime' declares no column 'violent_per_100k'"):
        contract.column("county_crime", "violent_per_100k")
    with pytest.raises(KeyError, match="'stg_usdata_covariates' is not a declared"):
        contract.columns("stg_usdata_covariates")


def _module(name: str, tables: dict[str, pd.DataFrame]) -> SimpleNamespace:
    """A stand-in table module whose derive returns ``tables``."""
    return SimpleNamespace(
        __name__=f"sanctuary_lab.warehouse.{name}",
        derive=lambda staged, final: dict(tables),
        QUALITY_CHECKS=[],
        QUALITY_LISTS=[],
    )


def _frame(table: str, drop: str | None = None, add: str | None = None) -> pd.DataFrame:
    cols = [c for c in contract.columns(table) if c != drop] + ([add] if add else [])
    return pd.DataFrame(columns=cols)


VIOLATIONS = {
    "missing column": (
        {"counties": _frame("counties", drop="nchs_code")},
        "tables_core: table 'counties' lacks declared column 'nchs_code'",
    ),
    "undeclared column": (
        {"counties": _frame("counties", add="nchs_class")},
        "tables_core: table 'counties' has column 'nchs_class', which warehouse/contract.py "
        "does not declare",
    ),
    "undeclared table": (
        {"counties": _frame("counties"), "county_crime_wide": pd.DataFrame({"fips": []})},
        "tables_core produced table 'county_crime_wide', which warehouse/contract.py does not "
        "declare",
    ),
    "table of another module": (
        {"ice_aor": _frame("ice_aor")},
        "tables_core produced table 'ice_aor', which warehouse/contract.py declares for "
        "tables_policy",
    ),
    "required table missing": (
        {"counties": _frame("counties")},
        "tables_core did not produce required table 'county_population'",
    ),
}


@pytest.mark.parametrize("case", sorted(VIOLATIONS))
def test_a_violating_table_module_fails_the_build(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables, message = VIOLATIONS[case]
    monkeypatch.setattr(build_module, "TABLE_MODULES", (_module("tables_core", tables),))
    monkeypatch.setattr(build_module, "load_sources", lambda raw_dir, progress=None: [])
    out = tmp_path / "w.duckdb"
    with pytest.raises(ContractError) as exc:
        build_module.build(tmp_path, out)
    assert str(exc.value) == message
    assert not out.exists() and not list(tmp_path.glob(".w.duckdb.*"))


def test_a_contract_violation_is_one_line_on_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tables, message = VIOLATIONS["missing column"]
    monkeypatch.setattr(build_module, "TABLE_MODULES", (_module("tables_core", tables),))
    monkeypatch.setattr(build_module, "load_sources", lambda raw_dir, progress=None: [])
    out = tmp_path / "w.duckdb"
    code, _, err = run_cli(
        monkeypatch, capsys, "build", "--raw-dir", str(tmp_path), "--out", str(out)
    )
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 1 and len(lines) == 1, err
    assert lines[0].startswith("error: internal error (ContractError: ") and message in lines[0]
    assert not out.exists()
