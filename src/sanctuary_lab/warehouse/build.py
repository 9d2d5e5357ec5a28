"""Build the DuckDB warehouse: raw -> staged -> final tables, atomically.

Steps
-----
1. Every source adapter (:data:`sanctuary_lab.sources.registry.ADAPTERS`) reads its folder into
   staged tables (``stg_<name>``) plus provenance, rejected rows and caveats.
2. Every table module (:data:`sanctuary_lab.warehouse.registry.TABLE_MODULES`, in that order)
   derives final tables from the staged ones and from the final tables built before it. Each
   table is checked against the column contract (:mod:`sanctuary_lab.warehouse.contract`) as it
   is produced.
3. All tables are written to a temporary DuckDB file beside the target, which is then renamed over
   the target. A failure at any step leaves the previous warehouse untouched.

Determinism: tables are sorted on their key columns before writing, so the same inputs give the
same table contents; only ``build_info.built_at`` and ``provenance.built_at`` change.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from sanctuary_lab import __version__
from sanctuary_lab.core.errors import InputError
from sanctuary_lab.core.guards import check_output_file
from sanctuary_lab.core.progress import Progress
from sanctuary_lab.sources.base import SourceData
from sanctuary_lab.sources.checks import validate_sources
from sanctuary_lab.sources.registry import all_adapters
from sanctuary_lab.warehouse.contract import (
    STAGED_PREFIX,
    check_complete,
    check_produced,
    columns,
)
from sanctuary_lab.warehouse.db import write_tables
from sanctuary_lab.warehouse.registry import TABLE_MODULES, module_name


@dataclass
class BuildSummary:
    """What a build wrote."""

    path: Path
    tables: dict[str, int] = field(default_factory=dict)
    rows_rejected: int = 0
    sources: list[str] = field(default_factory=list)


def _sort_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Deterministic row order: sort on all columns (stringified for mixed types)."""
    if df.empty:
        return df.reset_index(drop=True)
    keys = [c for c in df.columns if df[c].map(lambda v: isinstance(v, (list, dict))).sum() == 0]
    try:
        out = df.sort_values(keys, kind="mergesort", na_position="last")
    except TypeError:
        out = df.assign(**{f"__k{i}": df[c].astype(str) for i, c in enumerate(keys)})
        out = out.sort_values([f"__k{i}" for i in range(len(keys))], kind="mergesort")
        out = out.drop(columns=[f"__k{i}" for i in range(len(keys))])
    return out.reset_index(drop=True)


def load_sources(raw_dir: Path, progress: Progress | None = None) -> list[SourceData]:
    """Run every adapter over ``raw_dir``."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise InputError(
            raw_dir, "raw-data directory not found; pass --raw-dir or set SANCTUARY_LAB_RAW_DIR"
        )
    out = []
    for adapter in all_adapters():
        if progress:
            progress(f"source {adapter.name}", 0, 0)
        out.append(adapter.load(raw_dir))
    # cross-source checks: duplicated keys (error), unknown county FIPS, counts above
    # population, impossible rates (rejected rows)
    validate_sources(out)
    return out


def assemble(raw_dir: Path, progress: Progress | None = None) -> dict[str, pd.DataFrame]:
    """Run adapters and table modules; return every table to write (staged + final + meta)."""
    sources = load_sources(raw_dir, progress)
    staged: dict[str, pd.DataFrame] = {}
    for sd in sources:
        for name, df in sd.tables.items():
            key = f"{STAGED_PREFIX}{name}"
            if key in staged:
                raise RuntimeError(f"two sources produce staged table {key!r}")
            staged[key] = df
    final: dict[str, pd.DataFrame] = {}
    for mod in TABLE_MODULES:
        if progress:
            progress(f"tables {module_name(mod)}", 0, 0)
        produced = mod.derive(staged, final)
        for name in produced:
            if name in final or name in staged:
                raise RuntimeError(f"table {name!r} produced twice")
        check_produced(module_name(mod), produced)
        final.update(produced)
    check_complete(final)
    built_at = datetime.now(UTC).replace(microsecond=0).isoformat()
    prov = pd.DataFrame(
        [
            {
                "source": f.source,
                "file": f.file,
                "sha256": f.sha256,
                "rows_read": f.rows_read,
                "rows_kept": f.rows_kept,
                "rows_rejected": f.rows_rejected,
                "built_at": built_at,
            }
            for sd in sources
            for f in sd.files
        ],
        columns=columns("provenance"),
    )
    rejects = pd.DataFrame(
        [r.__dict__ for sd in sources for r in sd.rejects],
        columns=columns("rejected_rows"),
    )
    caveats = pd.DataFrame(
        [{"source": sd.source, "caveat": c} for sd in sources for c in sd.caveats],
        columns=columns("caveats"),
    )
    meta = {
        "provenance": prov,
        "rejected_rows": rejects,
        "caveats": caveats,
        "build_info": pd.DataFrame(
            [
                {
                    "version": __version__,
                    "raw_dir": str(Path(raw_dir).resolve()),
                    "built_at": built_at,
                }
            ],
            columns=columns("build_info"),
        ),
    }
    return {**staged, **final, **meta}


def _temp_prefix(out: Path) -> str:
    """Temp files are ``.<name>.<pid>.<random>.tmp`` (plus DuckDB's ``.wal``) beside ``out``."""
    return f".{out.name}.{os.getpid()}."


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own leftovers from an earlier build in this process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temp_files(out: Path) -> list[Path]:
    """Delete temp warehouse files a killed build left beside ``out``; return what was removed.

    Only files named by this module's own pattern (``.<out name>.<pid>.<random>.tmp`` and its
    ``.wal``) whose writing process no longer runs are removed; nothing else is touched.
    """
    out = Path(out)
    pattern = re.compile(rf"^\.{re.escape(out.name)}\.(\d+)\.[A-Za-z0-9_]{{6,}}\.tmp(\.wal)?$")
    removed: list[Path] = []
    try:
        entries = list(out.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = pattern.match(entry.name)
        if not m or not entry.is_file() or entry.is_symlink():
            continue
        if _pid_alive(int(m.group(1))):
            continue  # another build is writing it right now
        try:
            entry.unlink()
            removed.append(entry)
        except OSError:
            pass
    return removed


def build(raw_dir: Path, out: Path, progress: Progress | None = None) -> BuildSummary:
    """Build the warehouse at ``out`` from ``raw_dir`` atomically.

    Raises
    ------
    InputError
        A raw file is missing or malformed; ``out`` is left as it was.
    """
    out = check_output_file(out, "warehouse --out")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(out.parent, f"cannot create folder: {exc.strerror or exc}") from None
    remove_stale_temp_files(out)
    tables = assemble(Path(raw_dir), progress)
    fd, tmp_name = tempfile.mkstemp(prefix=_temp_prefix(out), suffix=".tmp", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # DuckDB wants to create the file itself
    try:
        if progress:
            progress("writing warehouse", 0, 0)
        write_tables({name: _sort_frame(df) for name, df in tables.items()}, tmp)
        os.replace(tmp, out)
    finally:
        for leftover in (tmp, Path(str(tmp) + ".wal")):
            if leftover.exists():
                leftover.unlink()
    return BuildSummary(
        path=out,
        tables={k: len(v) for k, v in sorted(tables.items())},
        rows_rejected=len(tables["rejected_rows"]),
        sources=sorted({s for s in tables["provenance"]["source"]}),
    )
