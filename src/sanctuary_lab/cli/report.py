"""`sanctuary-lab report`: the pipeline runs the studies, claims and multiverses
(:func:`sanctuary_lab.pipeline.report_data`); this writes the static report site from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

WarehouseOpt = Annotated[
    Path | None,
    typer.Option("--warehouse", "-w", help="Warehouse file (default: data/sanctuary_lab.duckdb)"),
]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Folder to write the report into")]
RawDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--raw-dir",
        help="Raw-data folder holding the county TopoJSON (default: the warehouse's build raw_dir)",
    ),
]


def report_command(
    warehouse: WarehouseOpt = None,
    out: OutOpt = Path("out/report"),
    raw_dir: RawDirOpt = None,
    figures: Annotated[
        bool, typer.Option("--figures/--no-figures", help="Export every chart as SVG and PNG")
    ] = True,
    perms: Annotated[
        int,
        typer.Option(
            "--perms",
            min=0,
            help="Treatment permutations for the specification curves' joint test "
            "(0: curves only; the report then says the test was not run)",
        ),
    ] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was written as JSON")] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Write into a non-empty folder a report did not write (never deletes)"
        ),
    ] = False,
) -> None:
    """Write the self-contained HTML report (claims, studies, maps, data) for a warehouse."""
    from rich.console import Console

    from sanctuary_lab.cli.progress import progress as cli_progress
    from sanctuary_lab.core.config import resolve_warehouse
    from sanctuary_lab.core.errors import InputError, SpecError
    from sanctuary_lab.pipeline import report_data
    from sanctuary_lab.report.site import check_report_target, write_site
    from sanctuary_lab.warehouse.db import open_warehouse

    path = resolve_warehouse(warehouse)
    open_warehouse(path).close()  # exists, DuckDB header, opens, schema: checked up front
    if out.exists() and not out.is_dir():
        raise SpecError(f"--out {out} is a file; pass a folder for the report")
    check_report_target(out, force)  # before the (long) study runs
    if raw_dir is not None and not raw_dir.is_dir():
        raise InputError(raw_dir, "raw-data folder not found; pass --raw-dir pointing at it")
    with cli_progress(Console(stderr=True)) as progress:
        data = report_data(path, raw_dir, n_perm=perms, progress=progress)
        summary = write_site(data, out, figures=figures, progress=progress, force=force)
    if as_json:
        typer.echo(json.dumps(summary.to_dict()))
        return
    con = Console()
    con.print(f"[bold]Report written:[/bold] {(summary.out / 'index.html').resolve()}")
    con.print(
        f"  {len(summary.pages)} pages, {len(summary.charts)} charts, "
        f"{len(summary.figures)} figure files (figures/), {summary.claims} claims, "
        f"{summary.studies} studies"
    )
    if data.run_errors:
        con.print(f"  {len(data.run_errors)} studies did not run (listed on the claims page)")
    if data.library_warnings:
        n = sum(data.library_warnings.values())
        con.print(f"  {n} warnings from the estimation libraries (counts per study on its page)")
