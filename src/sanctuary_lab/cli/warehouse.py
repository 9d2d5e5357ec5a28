"""CLI commands for the warehouse: build, info, quality."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

RawDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--raw-dir", help="Raw-data folder (default: $SANCTUARY_LAB_RAW_DIR or ../shared/data/raw)"
    ),
]
WarehouseOpt = Annotated[
    Path | None,
    typer.Option("--warehouse", "-w", help="Warehouse file (default: data/sanctuary_lab.duckdb)"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON")]


def build(
    raw_dir: RawDirOpt = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Warehouse file to write")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Build the DuckDB warehouse from the raw public data (atomically)."""
    from rich.console import Console
    from rich.table import Table

    from sanctuary_lab.cli.progress import progress as cli_progress
    from sanctuary_lab.core.config import resolve_raw_dir, resolve_warehouse
    from sanctuary_lab.core.formatting import fmt_count
    from sanctuary_lab.warehouse.build import build as do_build

    raw = resolve_raw_dir(raw_dir)
    target = resolve_warehouse(out)
    with cli_progress(Console(stderr=True), lines=False) as callback:
        summary = do_build(
            raw, target, progress=lambda msg, done, total: callback(f"building: {msg}", done, total)
        )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "warehouse": str(summary.path),
                    "tables": summary.tables,
                    "rows_rejected": summary.rows_rejected,
                    "sources": summary.sources,
                }
            )
        )
        return
    from rich.text import Text

    table = Table(title=Text(f"Warehouse written: {summary.path}"))
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in summary.tables.items():
        if not name.startswith("stg_"):
            table.add_row(Text(name), fmt_count(n, ascii=True))
    Console().print(table)
    Console().print(
        f"{len(summary.sources)} sources, {fmt_count(summary.rows_rejected, ascii=True)} rows "
        "rejected (see `sanctuary-lab quality`)."
    )


def _print_records(
    title: str,
    records: list[dict[str, Any]],
    columns: list[str],
    headers: dict[str, str] | None = None,
    numeric: tuple[str, ...] = (),
) -> None:
    """A Rich table of records; cells are plain text (never markup), long text wraps."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from sanctuary_lab.core.formatting import fmt_cell

    names = headers or {}
    t = Table(title=Text(title), box=box.SIMPLE_HEAD)
    for c in columns:
        if c in numeric:
            t.add_column(names.get(c, c), justify="right", no_wrap=True)
        else:
            t.add_column(names.get(c, c), overflow="fold")
    for r in records:
        cells = []
        for c in columns:
            v = r.get(c)
            cells.append(
                Text("" if v is None else fmt_cell(v, ascii=True) if c in numeric else str(v))
            )
        t.add_row(*cells)
    Console().print(t)


def provenance_counts(record: dict[str, Any]) -> dict[str, Any]:
    """Rows read/kept/dropped and field-level fixes of one provenance record.

    ``rows_rejected`` counts entries in ``rejected_rows``: a dropped row, or one field of a kept
    row that was set to NULL. Rows dropped are ``rows_read - rows_kept``; the rest are fields.
    """
    read, kept = int(record.get("rows_read") or 0), int(record.get("rows_kept") or 0)
    entries = int(record.get("rows_rejected") or 0)
    dropped = max(0, read - kept)
    return {
        **record,
        "rows_dropped": dropped,
        "fields_blanked": max(0, entries - dropped),
    }


def info(warehouse: WarehouseOpt = None, as_json: JsonOpt = False) -> None:
    """Show the warehouse's tables, row counts and year coverage."""
    from sanctuary_lab.core.config import resolve_warehouse
    from sanctuary_lab.warehouse.quality import info as get_info

    data = get_info(resolve_warehouse(warehouse))
    if as_json:
        typer.echo(json.dumps(data, default=str))
        return
    _print_records(
        f"Warehouse {data['warehouse']}",
        data["tables"],
        ["table", "rows", "columns", "year_min", "year_max", "n_years"],
    )


LIST_ROWS = 25


def quality(warehouse: WarehouseOpt = None, as_json: JsonOpt = False) -> None:
    """Show provenance, rejected rows, caveats and coverage of the warehouse."""
    from sanctuary_lab.core.config import resolve_warehouse
    from sanctuary_lab.core.formatting import fmt_share
    from sanctuary_lab.warehouse.quality import quality as get_quality

    data = get_quality(resolve_warehouse(warehouse))
    if as_json:
        typer.echo(json.dumps(data, default=str))
        return
    _print_records("Tables", data["tables"], ["table", "rows"], numeric=("rows",))
    prov = [
        {**provenance_counts(r), "source_file": f"{r.get('source')}/{r.get('file')}"}
        for r in data.get("provenance", [])
    ]
    _print_records(
        "Provenance: rows read, kept and dropped; fields blanked (set to NULL in kept rows)",
        prov,
        ["source_file", "rows_read", "rows_kept", "rows_dropped", "fields_blanked"],
        headers={
            "source_file": "source/file",
            "rows_read": "read",
            "rows_kept": "kept",
            "rows_dropped": "dropped",
            "fields_blanked": "fields",
        },
        numeric=("rows_read", "rows_kept", "rows_dropped", "fields_blanked"),
    )
    _print_records(
        "Rejections by reason (a dropped row or a blanked field each count once)",
        data.get("rejected_by_reason", []),
        ["source", "file", "reason", "rows"],
        headers={"rows": "entries"},
        numeric=("rows",),
    )
    cov = [
        {**c, "share": None if c["share"] is None else fmt_share(c["share"], ascii=True)}
        for c in data["coverage"]
    ]
    _print_records(
        "Coverage",
        cov,
        ["check", "numerator", "denominator", "share"],
        numeric=("numerator", "denominator"),
    )
    for entry in data.get("lists", {}).values():
        rows = entry["rows"]
        cols = list(rows[0]) if rows else ["(none)"]
        shown = rows[:LIST_ROWS]
        more = f"; first {LIST_ROWS} shown, all in --json" if len(rows) > LIST_ROWS else ""
        _print_records(f"{entry['label']} ({len(rows)} rows{more})", shown, cols)
    _print_records("Caveats", data.get("caveats", []), ["source", "caveat"])
