"""``sanctuary-lab multiverse STUDY``: run a study's specification curve from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

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
    from rich.text import Text

    from sanctuary_lab.cli.progress import progress as cli_progress
    from sanctuary_lab.core.config import resolve_warehouse
    from sanctuary_lab.core.errors import SpecError
    from sanctuary_lab.core.formatting import fmt_count, fmt_number, fmt_p, fmt_share
    from sanctuary_lab.pipeline import run_pipeline

    if n_perm is not None and n_perm < 0:
        raise SpecError(f"--n-perm must be >= 0, got {n_perm}")
    if out is not None:
        from sanctuary_lab.core.guards import check_output_file

        check_output_file(out, "multiverse --out")  # before the run, not after it
    wh = resolve_warehouse(warehouse)
    err = Console(stderr=True)
    with cli_progress(err, transient=json_out) as progress:
        ran = run_pipeline(
            wh,
            studies=[],
            claims=False,
            multiverse=[study],
            n_perm=n_perm,
            backend=backend,
            errors="raise",
            progress=progress,
        )
    (result,) = ran.multiverse.values()
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        result.table.to_csv(out, index=False)
    if json_out:
        typer.echo(result.to_json())
        return
    s = result.summary()
    con = Console()
    head = f"{s['study_id']}: {fmt_count(s['n_specs'])} specifications"
    if "n_excluded" in s:
        head += (
            f", {fmt_count(s['n_excluded'])} excluded by design, {fmt_count(s['n_failed'])} failed"
        )
    else:
        head += f", {fmt_count(s['n_skipped'])} not estimated"
    con.print(Text(head, style="bold"))
    rows = [
        ("specifications estimated", fmt_count(s.get("n_estimated"))),
        ("median estimate", fmt_number(s["median_estimate"])),
        ("share positive", fmt_share(s["share_positive"])),
        ("share with the median's sign", fmt_share(s["share_same_sign"])),
        ("share significant (5%)", fmt_share(s["share_significant"])),
        ("share significant, same sign", fmt_share(s["share_significant_same_sign"])),
        ("median t statistic", fmt_number(s["median_t"])),
    ]
    if s["n_perm"]:
        rows += [
            ("permutations", fmt_count(s["n_perm"])),
            ("permutation p, median estimate", fmt_p(s["perm_p_median"])),
            ("permutation p, share significant", fmt_p(s["perm_p_share_significant_same_sign"])),
            ("permutation p, median t", fmt_p(s["perm_p_median_t"])),
        ]
    else:
        rows.append(("permutation test", "not run (--n-perm 0)"))
    for key, value in rows:
        con.print(Text(f"  {key:<34} {value}"))
    if "outcome" in result.table.columns and result.table["outcome"].nunique() > 1:
        con.print(
            Text(
                "  The curve mixes outcomes with different units; the median is across all of "
                "them (see --out or the report for one curve per outcome).",
                style="dim",
            )
        )
    if out is not None:
        con.print(Text(f"spec table written to {out}"))
