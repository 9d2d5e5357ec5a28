"""Shared fixtures: the real raw-data folder and one warehouse built from it per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from sanctuary_lab.core.config import resolve_raw_dir, resolve_reference_dir


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    path = resolve_raw_dir()
    if not path.is_dir():
        pytest.fail(f"raw-data folder not found at {path}; set SANCTUARY_LAB_RAW_DIR")
    return path


@pytest.fixture(scope="session")
def reference_dir(raw_dir: Path) -> Path:
    return resolve_reference_dir(raw_dir)


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path) -> Path:
    """A warehouse built once per session from the real raw data."""
    from sanctuary_lab.warehouse.build import build

    out = tmp_path_factory.mktemp("warehouse") / "sanctuary_lab.duckdb"
    build(raw_dir, out)
    return out
