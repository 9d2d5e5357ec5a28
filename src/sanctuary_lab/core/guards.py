"""Up-front checks of paths the user names, so bad ones fail in one line *before* any work.

- :func:`check_output_file`: a file to be written (the warehouse, a CSV): not a directory, its
  parent is a directory (or can be made one) that we may write, not under ``/proc``, ``/sys``
  or ``/dev``.
- :func:`check_output_dir`: a folder to be written (the report site): the same, plus never ``/``
  or the home folder.
- :func:`check_warehouse_file`: a DuckDB warehouse to be read: exists, is a regular non-empty
  file with the DuckDB file header (so an empty, truncated or foreign file is reported by name,
  not as a DuckDB traceback).

Every failure is an :class:`~sanctuary_lab.core.errors.InputError` (one line, exit code 2).
"""

from __future__ import annotations

import os
from pathlib import Path

from sanctuary_lab.core.errors import InputError

#: pseudo file systems nothing is ever written into
FORBIDDEN_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))
#: bytes 8..12 of every DuckDB database file
DUCKDB_MAGIC = b"DUCK"
#: smallest possible DuckDB file (main header + two database headers)
DUCKDB_MIN_BYTES = 3 * 4096


def _under(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
    except ValueError:
        return False
    return True


def _absolute(path: Path) -> Path:
    try:
        return Path(os.path.abspath(Path(path).expanduser()))
    except (OSError, RuntimeError) as exc:
        raise InputError(path, f"cannot resolve path: {exc}") from None


def _check_parent(path: Path, what: str) -> None:
    """The parent folder of ``path`` is (or can become) a writable directory."""
    parent = path.parent
    probe = parent
    while not probe.exists():
        if probe.is_symlink():
            raise InputError(parent, f"{what}: parent is a broken symbolic link")
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise InputError(probe, f"{what}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(probe, f"{what}: folder is not writable")


def check_output_file(path: str | Path, what: str = "output file") -> Path:
    """Check a file we are about to (re)write; return its absolute path."""
    p = _absolute(Path(path))
    for root in FORBIDDEN_ROOTS:
        if _under(p, root):
            raise InputError(p, f"{what}: refusing to write under {root}")
    if p.is_dir():
        raise InputError(p, f"{what}: is a directory; give a file name")
    if p.exists() and not p.is_file():
        raise InputError(p, f"{what}: exists and is not a regular file")
    _check_parent(p, what)
    return p


def check_output_dir(path: str | Path, what: str = "output folder") -> Path:
    """Check a folder we are about to fill; return its absolute path."""
    p = _absolute(Path(path))
    for root in FORBIDDEN_ROOTS:
        if _under(p, root):
            raise InputError(p, f"{what}: refusing to write under {root}")
    if p == Path(p.anchor):
        raise InputError(p, f"{what}: refusing to write into the file-system root")
    home = Path.home()
    if p == _absolute(home) or p.resolve() == home.resolve():
        raise InputError(p, f"{what}: refusing to write into the home folder; name a subfolder")
    if p.exists() and not p.is_dir():
        raise InputError(p, f"{what}: exists and is a file, not a folder")
    _check_parent(p, what)
    return p


def check_warehouse_file(path: str | Path) -> Path:
    """A readable, non-empty DuckDB file (checked by its header, before DuckDB opens it)."""
    p = Path(path)
    if p.is_dir():
        raise InputError(p, "warehouse is a directory; give the .duckdb file")
    if not p.exists():
        raise InputError(p, "warehouse not found; run `sanctuary-lab build` first")
    if not p.is_file():
        raise InputError(p, "warehouse is not a regular file")
    try:
        size = p.stat().st_size
        with open(p, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise InputError(p, f"cannot read warehouse: {exc.strerror or exc}") from None
    if size == 0:
        raise InputError(p, "warehouse file is empty; rebuild it with `sanctuary-lab build`")
    if head[8:12] != DUCKDB_MAGIC:
        raise InputError(p, "not a DuckDB warehouse file (wrong file header)")
    if size < DUCKDB_MIN_BYTES:
        raise InputError(p, f"warehouse file is truncated ({size} bytes); rebuild it")
    return p
