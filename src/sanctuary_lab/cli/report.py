"""`sanctuary-lab report`: run the studies, check the claims and write the static report site."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

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


def _multiverse_page_run(study: Any) -> Any:
    """A StudyRun with no single-fit results, so a multiverse-only study gets its own page."""
    from sanctuary_lab.studies.records import StudyRun

    return StudyRun(
        study_id=study.id,
        title=study.title,
        citation=study.citation,
        design="multiverse (specification curve)",
        sample={
            "description": study.summary,
            "identifies": study.identifies,
            "cannot identify": study.cannot_identify,
        },
        published=list(study.published),
        caveats=list(study.caveats),
    )


def collect(warehouse: Path, raw_dir: Path | None, console: Any, n_perm: int = 0) -> Any:
    """Run every study, claim check and multiverse through the pipeline; return ReportData.

    The work is done by :func:`sanctuary_lab.pipeline.run_pipeline` (each study once); this
    only moves its output into the report's data object, with a progress bar.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sanctuary_lab.pipeline import run_pipeline
    from sanctuary_lab.report.gather import warehouse_report_data

    data = warehouse_report_data(warehouse, raw_dir)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("studies", total=None)

        def step(msg: str, done: int, total: int) -> None:
            bar.update(task, description=msg[:70], completed=done, total=total or None)

        result = run_pipeline(
            warehouse, studies="all", claims=True, multiverse=True, n_perm=n_perm, progress=step
        )
        bar.update(task, description="studies and claims done")
    data.runs.extend(result.runs)
    data.checks = result.checks
    data.run_errors.update(result.errors)
    data.library_warnings.update(result.library_warnings)
    # a study file that only declares a [multiverse] still gets a page for its curve
    data.runs.extend(_multiverse_page_run(s) for s in result.multiverse_only)
    for sid, res in result.multiverse.items():
        data.multiverse[sid] = res.table
        data.multiverse_summary[sid] = res.summary()
    return data


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

    from sanctuary_lab.core.config import resolve_warehouse
    from sanctuary_lab.core.errors import InputError, SpecError
    from sanctuary_lab.report.site import check_report_target, write_site
    from sanctuary_lab.warehouse.db import open_warehouse

    path = resolve_warehouse(warehouse)
    open_warehouse(path).close()  # exists, DuckDB header, opens, schema: checked up front
    if out.exists() and not out.is_dir():
        raise SpecError(f"--out {out} is a file; pass a folder for the report")
    check_report_target(out, force)  # before the (long) study runs
    if raw_dir is not None and not raw_dir.is_dir():
        raise InputError(raw_dir, "raw-data folder not found; pass --raw-dir pointing at it")
    console = Console(stderr=True)
    data = collect(path, raw_dir, console, n_perm=perms)
    data.n_perm = perms
    with console.status("writing report") as status:
        summary = write_site(
            data,
            out,
            figures=figures,
            progress=lambda msg: status.update(f"writing: {msg}"),
            force=force,
        )
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
