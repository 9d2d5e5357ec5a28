"""``sanctuary-lab multiverse STUDY``: run a study's specification curve from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import typer


def multiverse_command(
    study: Annotated[
        str, typer.Argument(help="Study id (bundled file stem) or path to a study TOML")
    ],
    warehouse: Annotated[
        Path | None, typer.Option("--warehouse", "-w", help="Warehouse file (default: config)")
    ] = None,
    backend: Annotated[
        Literal["local", "dask", "gpu"], typer.Option(help="Execution backend")
    ] = "local",
    n_perm: Annotated[
        int | None, typer.Option("--n-perm", help="Treatment permutations (default: the study's)")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write the spec table as CSV")] = None,
) -> None:
    """Run every specification declared in the multiverse section of a study file."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from sanctuary_lab.config import resolve_warehouse
    from sanctuary_lab.errors import SpecError
    from sanctuary_lab.multiverse.api import run_multiverse

    if n_perm is not None and n_perm < 0:
        raise SpecError(f"--n-perm must be >= 0, got {n_perm}")
    if out is not None:
        from sanctuary_lab.guards import check_output_file

        check_output_file(out, "multiverse --out")  # before the run, not after it
    wh = resolve_warehouse(warehouse)
    err = Console(stderr=True)
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=json_out) as bar:
        tasks: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        result = run_multiverse(study, wh, backend=backend, progress=progress, n_perm=n_perm)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        result.table.to_csv(out, index=False)
    if json_out:
        typer.echo(result.to_json())
        return
    s = result.summary()
    con = Console()
    con.print(
        f"[bold]{s['study_id']}[/bold]: {s['n_specs']} specifications, {s['n_skipped']} skipped"
    )
    for key in (
        "median_estimate",
        "share_positive",
        "share_same_sign",
        "share_significant",
        "share_significant_same_sign",
        "n_perm",
        "perm_p_median",
        "perm_p_share_significant_same_sign",
        "median_t",
        "perm_p_median_t",
    ):
        v = s[key]
        con.print(f"  {key:<36} {v:.4g}" if isinstance(v, float) else f"  {key:<36} {v}")
    if out is not None:
        con.print(f"spec table written to {out}")
