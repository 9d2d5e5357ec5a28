"""CLI commands: ``studies``, ``run`` and ``check`` (registered by ``sanctuary_lab.cli``).

Heavy imports stay inside the functions so ``sanctuary-lab --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from sanctuary_lab.core.errors import SpecError

WarehouseOpt = Annotated[
    Path | None,
    typer.Option("--warehouse", "-w", help="Warehouse file (default: data/sanctuary_lab.duckdb)"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON")]


def parse_option(text: str, flag: str = "--option") -> tuple[str, Any]:
    """``key=value`` -> (key, value); the value is read as a TOML value when it parses as one
    (numbers, booleans, ``["a","b"]`` lists), else kept as a string."""
    import tomllib

    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise SpecError(f"{flag} {text!r}: expected KEY=VALUE, e.g. {flag} outcome=violent_rate")
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value
    return key.strip(), parsed


def studies_command(as_json: JsonOpt = False) -> None:
    """List the bundled study files."""
    from sanctuary_lab.studies.api import list_studies

    studies = list_studies()
    rows: list[dict[str, Any]] = [
        {
            "id": s.id,
            "title": s.title,
            "citation": s.citation,
            "design": s.design,
            "analyses": len(s.expanded_analyses()),
            "sensitivity_runs": sum(len(x.values) * len(x.analyses) for x in s.sensitivity),
            "descriptive": [d.name for d in s.descriptive],
            "multiverse": s.has_multiverse,
            "path": str(s.path),
        }
        for s in studies
    ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    t = Table(title=f"{len(rows)} studies (run one with `sanctuary-lab run ID`)")
    t.add_column("id", no_wrap=True)
    t.add_column("title", overflow="fold")
    t.add_column("fits", justify="right")
    for r in rows:
        t.add_row(Text(r["id"]), Text(r["title"]), str(r["analyses"] + r["sensitivity_runs"]))
    Console().print(t)


def run_command(
    study: Annotated[
        str | None, typer.Argument(help="Study id (see `studies`) or path to a study TOML")
    ] = None,
    warehouse: WarehouseOpt = None,
    as_json: JsonOpt = False,
    design: Annotated[
        str | None, typer.Option("--design", help="Ad-hoc run: a design name")
    ] = None,
    table: Annotated[
        str | None, typer.Option("--table", help="Ad-hoc run: warehouse table")
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option("--option", "-o", help="Ad-hoc design option KEY=VALUE (repeat)"),
    ] = None,
    where: Annotated[
        str | None, typer.Option("--where", help="Ad-hoc run: pandas query on the table")
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Override a study parameter KEY=VALUE (repeat)"),
    ] = None,
) -> None:
    """Run one study (by id or TOML path), or one design ad hoc on a warehouse table.

    Ad-hoc example: ``sanctuary-lab run --design twfe --table state_crime --option outcome=...
    --option treatment=... --option unit=state --option time=year --json``.
    """
    from sanctuary_lab.core.config import resolve_warehouse

    wh = resolve_warehouse(warehouse)
    if study is None:
        if design is None or table is None:
            raise SpecError(
                "give a STUDY (see `sanctuary-lab studies`) or --design and --table for an ad-hoc run"
            )
        if param:
            raise SpecError("--param applies to a STUDY run; use --option for an ad-hoc design run")
        _run_adhoc(design, table, option or [], where, wh, as_json)
        return
    if design or table or option or where:
        raise SpecError(
            "--design/--table/--option/--where are for ad-hoc runs; do not combine them with STUDY"
        )
    from sanctuary_lab.cli.progress import progress
    from sanctuary_lab.pipeline import run_pipeline
    from sanctuary_lab.studies.api import load_study

    s = load_study(study)
    if not s.analyses and not s.descriptive:
        raise SpecError(
            f"study {s.id} declares only a [multiverse]; run `sanctuary-lab multiverse {s.id}`"
        )
    for text in param or []:
        key, value = parse_option(text, "--param")
        if key not in s.parameters:
            raise SpecError(f"--param {key!r}: study {s.id} has parameters {sorted(s.parameters)}")
        if s.frame:
            from sanctuary_lab.studies.parameters import check_parameter

            value = check_parameter(s.frame, key, value, f"--param {text!r}")
        s.parameters[key] = value
    with progress() as cb:
        ran = run_pipeline(wh, studies=[s], claims=False, errors="raise", progress=cb)
    (result,) = ran.runs
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
    else:
        _print_run(result)
    _exit_if_all_failed(result)


def _exit_if_all_failed(result: Any) -> None:
    """A study none of whose analyses produced a result exits with code 2 (one line on stderr)."""
    failed = dict(result.sample.get("failed") or {})
    if result.results or not failed:
        return
    label, msg = next(iter(failed.items()))
    typer.echo(
        f"error: study {result.study_id}: no analysis could be estimated ({len(failed)} failed; "
        f"first: {label}: {' '.join(str(msg).split())[:200]})",
        err=True,
    )
    raise typer.Exit(2)


def _run_adhoc(
    design: str, table: str, options: list[str], where: str | None, wh: Path, as_json: bool
) -> None:
    from sanctuary_lab.designs.registry import design_from_dict
    from sanctuary_lab.warehouse.db import read_table

    opts = dict(parse_option(o) for o in options)
    spec = design_from_dict(design, opts)
    df = read_table(wh, table)
    if where:
        from sanctuary_lab.core.filters import apply_filter

        df = apply_filter(df, where, "--where")
    result = spec.fit(df)
    result.metadata.setdefault("table", table)
    if as_json:
        typer.echo(result.to_json())
        return
    typer.echo(result.summary())


def _print_run(run: Any) -> None:
    """Print a study run: each result label as a heading (never read as markup), its terms below.

    Every string from the study file or the results goes through :class:`rich.text.Text`, so a
    label such as ``crime_per10k:adjusted[decline_threshold=0.005]`` prints as written; the layout
    fits 80 columns (long labels and caveats wrap instead of being cut).
    """
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from sanctuary_lab.core.formatting import fmt_ci, fmt_count, fmt_number, fmt_p

    console = Console()
    console.print(Text(run.title, style="bold"), Text(f"({run.study_id})"))
    console.print(Text(run.citation))
    console.print(Text(f"Design: {run.design}"))
    hidden = 0
    for label, res in run.results.items():
        tidy = res.tidy()
        if len(tidy) > 6:
            keep = ~tidy["term"].astype(str).str.startswith("rel_time")
            hidden += int((~keep).sum())
            tidy = tidy.loc[keep]
        console.print()
        console.print(Text(str(label), style="bold cyan"))
        t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1))
        t.add_column("term", overflow="fold", max_width=28)
        t.add_column("estimate", justify="right", no_wrap=True)
        t.add_column("95% CI", justify="right", no_wrap=True)
        t.add_column("p", justify="right", no_wrap=True)
        t.add_column("n", justify="right", no_wrap=True)
        for r in tidy.itertuples(index=False):
            t.add_row(
                Text(str(r.term)),
                fmt_number(r.estimate),
                fmt_ci(r.ci_low, r.ci_high) or "-",
                fmt_p(r.p_value),
                fmt_count(r.n_obs),
            )
        console.print(t)
    if hidden:
        console.print(
            Text(f"{hidden} event-time terms not shown (see --json or the report).", style="dim")
        )
    for name, df in run.descriptive.items():
        console.print()
        console.print(Text(str(name), style="bold cyan"))
        console.print(Text(df.to_string(index=False)))
    s = run.sample
    console.print()
    console.print(
        Text(f"Sample: {s.get('n_units')} {s.get('unit') or 'units'}; vintage {s.get('vintage')}")
    )
    for d in s.get("differences", []):
        console.print(Text(f"Differs from published: {d}"))
    for c in run.caveats:
        console.print(Text(f"Caveat: {c}"))


def check_command(
    warehouse: WarehouseOpt = None,
    as_json: JsonOpt = False,
    claim: Annotated[
        str | None,
        typer.Option("--claim", "-c", help="Show one claim in full (id from the list)"),
    ] = None,
) -> None:
    """Check every registered claim against our estimates (verdicts computed now)."""
    from sanctuary_lab.cli.progress import progress
    from sanctuary_lab.core.config import resolve_warehouse
    from sanctuary_lab.core.errors import InputError
    from sanctuary_lab.pipeline import run_pipeline

    wh = resolve_warehouse(warehouse)
    if not wh.is_file():
        raise InputError(
            wh, "warehouse not found; build it with `sanctuary-lab build` or pass --warehouse"
        )
    ids = [claim] if claim else None
    with progress() as cb:
        result = run_pipeline(wh, studies="claims", claim_ids=ids, progress=cb)
    checks = result.checks
    if as_json:
        typer.echo(json.dumps([c.to_dict() for c in checks]))
        return
    from rich.console import Console

    console = Console(width=min(80, Console().width), highlight=False)
    if claim:
        _print_claim(console, checks[0])
        return
    _print_checks(console, checks, result.errors)


def _print_checks(console: Any, checks: list[Any], errors: dict[str, str]) -> None:
    from collections import Counter

    from rich.markup import escape

    console.print(f"[bold]{len(checks)} claims[/bold] (full view: sanctuary-lab check --claim ID)")
    console.print(" #  verdict            holds  claim")
    for c in checks:
        rob = c.robustness or {}
        holds = f"{rob.get('holds', 0)}/{rob.get('total', 0)}" if rob.get("total") else "-"
        flag = "*" if c.qualifier else ""
        console.print(
            f"{escape(c.statement_no):>2}  {escape(c.verdict + flag):<18} {holds:>5}  "
            f"{escape(c.claim_id)}"
        )
    counts = Counter(c.verdict for c in checks)
    console.print("Totals: " + ", ".join(f"{escape(k)} {v}" for k, v in sorted(counts.items())))
    console.print("* qualified: see --claim ID for diagnostics and comparability.")
    for sid, msg in errors.items():
        console.print(f"Not run: {escape(sid)}: {escape(msg)}")


def _print_claim(console: Any, c: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    e = escape
    quote = f"\u201c{c.quote}\u201d" if c.quote_type == "quote" else f"(paraphrase) {c.quote}"
    console.print(f"[bold]{e(c.claim_id)}[/bold] (statement {e(c.statement_no)})")
    console.print(e(quote))
    console.print(f"Who: {e(c.who)}")
    console.print(f"Where: {e(c.where)}" + (f", {e(c.published_date)}" if c.published_date else ""))
    if c.article:
        console.print(f"Article: {e(c.article)}")
    if c.source_url:
        console.print(f"Source: {e(c.source_url)}")
    verdict = c.verdict + (f" ({c.qualifier})" if c.qualifier else "")
    console.print(f"[bold]Verdict: {e(verdict)}[/bold]")
    console.print(e(c.sentence))
    if c.exploratory:
        console.print(
            "The estimate is exploratory: the data are a proxy for what the claim is about."
        )
    comp = c.comparability or {}
    if comp.get("rows"):
        console.print(f"Comparison: {e(comp.get('grade', ''))}")
        t = Table(show_lines=False, box=None, pad_edge=False)
        for col in ("aspect", "theirs", "ours", "same"):
            t.add_column(col)
        for r in comp["rows"]:
            if not (r["theirs"] or r["ours"]):
                continue
            same = {True: "yes", False: "no", None: "?"}[r["same"]]
            t.add_row(e(r["aspect"]), e(r["theirs"] or "-"), e(r["ours"] or "-"), same)
        console.print(t)
    if c.diagnostics:
        console.print("Diagnostics:")
        for d in c.diagnostics:
            console.print(f"  {e(d['status'])}: {e(d['name'])}: {e(d['detail'])}")
    rob = c.robustness or {}
    if rob.get("total"):
        console.print(f"Robustness: holds in {rob['holds']} of {rob['total']} variants")
        for v in rob.get("variants", []):
            mark = "" if v["verdict"] == c.verdict else "  <- flips"
            console.print(f"  {e(v['label'])}: {e(v['verdict'])}{mark}")
    for note in rob.get("not_comparable", []):
        console.print(f"  not re-judged: {e(note)}")
    if c.margin_family:
        console.print(f"Margin ({e(c.margin_family)}): {e(c.margin_justification)}")
    if c.notes:
        console.print(f"Notes: {e(c.notes)}")
