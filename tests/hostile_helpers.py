"""Helpers for the hostile-input tests: raw-folder copies, a tiny warehouse, file snapshots."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd


def raw_copy(raw_dir: Path, dest: Path, *copied: str) -> Path:
    """A raw folder at ``dest``: the folders named in ``copied`` are real copies (to mutate),
    every other source folder is a symlink to the shared one (never written)."""
    dest.mkdir(parents=True, exist_ok=True)
    for folder in sorted(Path(raw_dir).iterdir()):
        if not folder.is_dir():
            continue
        if folder.name in copied:
            shutil.copytree(folder, dest / folder.name)
        else:
            (dest / folder.name).symlink_to(folder.resolve(), target_is_directory=True)
    return dest


def tiny_warehouse(path: Path, *, with_panel: bool = True) -> Path:
    """A valid warehouse file: ``build_info`` plus a small balanced state-year panel."""
    rng = np.random.default_rng(7)
    rows = []
    for s in range(12):
        start = 2004 + s % 4 if s % 3 else 9999
        for year in range(2000, 2012):
            rows.append(
                {
                    "state_id": s,
                    "year": year,
                    "state": f"S{s:02d}",
                    "treated": float(year >= start),
                    "share": float(min(max((year - start + 1) / 3, 0), 1)),
                    "y": float(rng.normal(10 + s, 1)),
                    "population": 1000 + 10 * s,
                }
            )
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE TABLE build_info AS SELECT '0.0' AS version, 'now' AS built_at")
        if with_panel:
            con.register("df", pd.DataFrame(rows))
            con.execute("CREATE TABLE panel AS SELECT * FROM df")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with (size, mtime_ns): to prove nothing else was touched."""
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        if p.is_file() and not p.is_symlink():
            st = p.stat()
            out[str(p.relative_to(folder))] = (st.st_size, st.st_mtime_ns)
    return out


def one_line_error(code: int, err: str, *needles: str) -> str:
    """Assert exit code 2 and a single ``error:`` line containing every needle; return it."""
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert code == 2, f"exit code {code}, stderr: {err[-2000:]}"
    assert len(lines) == 1, f"expected one line, got {len(lines)}: {err[-2000:]}"
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in err
    for n in needles:
        assert n in lines[0], f"{n!r} not in {lines[0]!r}"
    return lines[0]
