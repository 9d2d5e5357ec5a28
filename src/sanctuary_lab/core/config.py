"""Where things live: the raw-data directory and the warehouse file.

The raw-data directory is resolved, in order, from an explicit argument (CLI ``--raw-dir``), the
``SANCTUARY_LAB_RAW_DIR`` environment variable, then ``../shared/data/raw`` relative to the
current directory, then relative to the project checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

RAW_DIR_ENV = "SANCTUARY_LAB_RAW_DIR"
WAREHOUSE_ENV = "SANCTUARY_LAB_WAREHOUSE"
DEFAULT_WAREHOUSE = Path("data") / "sanctuary_lab.duckdb"

_PROJECT_ROOT = Path(__file__).resolve().parents[3]


def project_root() -> Path:
    """The checkout root (where pyproject.toml lives) for a source install."""
    return _PROJECT_ROOT


def resolve_raw_dir(explicit: str | Path | None = None) -> Path:
    """Return the raw-data directory, without checking that it exists.

    Parameters
    ----------
    explicit
        A directory given on the command line or in code; wins over everything else.
    """
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ.get(RAW_DIR_ENV)
    if env:
        return Path(env).expanduser()
    for base in (Path.cwd(), _PROJECT_ROOT):
        candidate = (base / ".." / "shared" / "data" / "raw").resolve()
        if candidate.is_dir():
            return candidate
    return (Path.cwd() / ".." / "shared" / "data" / "raw").resolve()


def resolve_reference_dir(raw_dir: Path | None = None) -> Path:
    """The ``reference`` folder beside the raw-data folder (e.g. mpdta.csv)."""
    return resolve_raw_dir(raw_dir).parent / "reference"


def resolve_warehouse(explicit: str | Path | None = None) -> Path:
    """Return the warehouse path: argument, ``SANCTUARY_LAB_WAREHOUSE``, or the default."""
    if explicit is not None:
        return Path(explicit).expanduser()
    env = os.environ.get(WAREHOUSE_ENV)
    if env:
        return Path(env).expanduser()
    return DEFAULT_WAREHOUSE
