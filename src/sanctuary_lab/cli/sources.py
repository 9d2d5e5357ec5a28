"""``sanctuary-lab sources``: which sources the raw folder holds and what each unlocks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def sources_command(
    raw_dir: Annotated[
        Path | None,
        typer.Option(
            "--raw-dir",
            help="Raw-data folder (default: $SANCTUARY_LAB_RAW_DIR or ../shared/data/raw)",
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Parse every source present (bad input: exit 2), without building"
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON")] = False,
) -> None:
    """List every known source: present or absent, years, and the studies and claims it unlocks."""
    from sanctuary_lab.core.config import resolve_raw_dir
    from sanctuary_lab.core.errors import InputError

    raw = resolve_raw_dir(raw_dir)
    if not raw.is_dir():
        raise InputError(
            raw, "raw-data directory not found; pass --raw-dir or set SANCTUARY_LAB_RAW_DIR"
        )
    from sanctuary_lab.studies.sources_catalog import catalog

    rows = catalog(raw, check=check)
    if as_json:
        typer.echo(json.dumps(rows))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    t = Table(
        title=f"{sum(r['present'] for r in rows)} of {len(rows)} sources present in {escape(str(raw))}"
    )
    for col in ("source", "present", "years", "studies", "get"):
        t.add_column(col)
    for r in rows:
        t.add_row(
            escape(r["source"]),
            "yes" if r["present"] else "no",
            escape(r["years"]),
            escape(", ".join(r["studies"])),
            escape(r["get"]),
        )
    Console().print(t)
