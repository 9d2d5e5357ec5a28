"""Assemble the static report site: pages, chart specs, the local Vega runtime and figure exports.

The site works opened from disk: every script and stylesheet is a relative path under
``assets/``, chart data is inline JSON, and the county topology is a local script. Layout::

    index.html            overview and the claims table
    studies.html          list of studies
    studies/<id>.html     one page per study
    maps.html             county choropleths
    data.html             provenance, coverage, how to rebuild
    assets/               style.css, report.js, vega.js (bundled), counties.js
    figures/              every chart as SVG and PNG
    report.json           what was written
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from sanctuary_lab.report import charts, maps, views
from sanctuary_lab.studies.model import ClaimCheck, StudyRun

ASSET_FILES = ("style.css", "report.js")
#: What the bundled Vega script exposes to the page (names per ``vl_convert.javascript_bundle``).
BUNDLE_SNIPPET = "window.vegaEmbed = vegaEmbed; window.vegaLite = vegaLite; window.vega = vega;"
_EXPORT_WIDTH = 640


@dataclass
class MapLayer:
    """One county map: a heading, a sentence on what it shows, and its Vega-Lite spec."""

    key: str
    heading: str
    description: str
    spec: dict[str, Any]


@dataclass
class ReportData:
    """Everything the report prints; filled from a warehouse by :mod:`report.gather` and
    :mod:`report.commands`, or by tests."""

    runs: list[StudyRun]
    checks: list[ClaimCheck]
    topology: dict[str, Any] | None = None
    maps: list[MapLayer] = field(default_factory=list)
    provenance: pd.DataFrame | None = None
    rejected: pd.DataFrame | None = None
    tables: pd.DataFrame | None = None
    table_years: pd.DataFrame | None = None
    coverage_checks: pd.DataFrame | None = None
    caveats: pd.DataFrame | None = None
    build: dict[str, Any] = field(default_factory=dict)
    multiverse: dict[str, pd.DataFrame] = field(default_factory=dict)
    multiverse_summary: dict[str, dict[str, Any]] = field(default_factory=dict)
    run_errors: dict[str, str] = field(default_factory=dict)
    library_warnings: dict[str, int] = field(default_factory=dict)
    warehouse_name: str = ""


@dataclass
class SiteSummary:
    """What :func:`write_site` wrote."""

    out: Path
    pages: list[str]
    charts: list[str]
    figures: list[str]
    claims: int
    studies: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "pages": self.pages,
            "charts": self.charts,
            "figures": self.figures,
            "claims": self.claims,
            "studies": self.studies,
        }


@functools.lru_cache(maxsize=1)
def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one script that defines ``window.vegaEmbed``."""
    import vl_convert

    return vl_convert.javascript_bundle(BUNDLE_SNIPPET)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "chart"


def _export_spec(spec: dict[str, Any], topology: dict[str, Any] | None) -> dict[str, Any]:
    out = dict(spec)
    if out.get("width") == "container":
        out["width"] = _EXPORT_WIDTH
    if maps.needs_topology(out) and topology is not None:
        out = maps.with_topology(out, topology)
    return out


class ChartSink:
    """Collects the charts of the site, numbering them and exporting SVG/PNG figures."""

    def __init__(self, out: Path, topology: dict[str, Any] | None, figures: bool) -> None:
        self.out = out
        self.topology = topology
        self.figures = figures
        self.ids: list[str] = []
        self.figure_files: list[str] = []

    def add(self, name: str, spec: dict[str, Any], kind: str, caption: str = "") -> dict[str, Any]:
        """Register a chart; returns the view the ``chart`` template macro prints."""
        base = _slug(name)
        chart_id, n = base, 2
        while chart_id in self.ids:
            chart_id, n = f"{base}-{n}", n + 1
        self.ids.append(chart_id)
        files: list[str] = []
        if self.figures:
            import vl_convert

            export = _export_spec(spec, self.topology)
            svg = f"figures/{chart_id}.svg"
            png = f"figures/{chart_id}.png"
            (self.out / svg).write_text(vl_convert.vegalite_to_svg(export), encoding="utf-8")
            (self.out / png).write_bytes(vl_convert.vegalite_to_png(export, scale=2))
            files = [svg, png]
            self.figure_files.extend(files)
        text = json.dumps(spec, separators=(",", ":"), allow_nan=False, default=str)
        return {
            "id": f"chart-{chart_id}",
            "json": text.replace("</", "<\\/"),
            "kind": kind,
            "caption": caption,
            "figures": files,
        }


def _environment() -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(str(resources.files("sanctuary_lab.report") / "templates"))
    return jinja2.Environment(
        loader=loader, autoescape=jinja2.select_autoescape(["html"]), keep_trailing_newline=True
    )


def _frame(df: pd.DataFrame | None, max_rows: int | None = None) -> dict[str, Any] | None:
    if df is None or df.empty:
        return None
    return views.table_view(df, max_rows)


def _study_view(
    run: StudyRun,
    data: ReportData,
    sink: ChartSink,
    claim_views: list[dict[str, Any]],
) -> dict[str, Any]:
    sid = run.study_id
    results = []
    for label, result in run.results.items():
        es = result.plot_data()
        event_chart = None
        if es is not None and not es.empty:
            event_chart = sink.add(
                f"{sid}-event-study-{label}",
                charts.event_study_chart(es, title=f"{run.title}: {label}"),
                "event-study",
                "Points: estimates; bars: 95% CIs; dashed line: reference period.",
            )
        balance = result.extras.get("balance")
        results.append(
            {
                "label": label,
                "meta": views.result_meta(result),
                "table": views.table_view(result.tidy()),
                "warnings": [str(w) for w in result.metadata.get("warnings", [])],
                "event_chart": event_chart,
                "balance": _frame(balance),
                "other_tables": [
                    (n, views.table_view(df, 200)) for n, df in views.other_extras(result)
                ],
            }
        )
    coef_charts = []
    for outcome, coef in views.coefficient_rows(run, charts.main_term).items():
        if coef.empty:
            continue
        coef_charts.append(
            sink.add(
                f"{sid}-coefficients-{outcome}" if outcome else f"{sid}-coefficients",
                charts.coefficient_chart(coef, title=f"Outcome: {outcome}" if outcome else ""),
                "coefficients",
                "Main coefficient of each specification with its 95% CI.",
            )
        )
    spec_curve, spec_note, spec_stats = None, "", None
    mv = data.multiverse.get(sid)
    if mv is not None and not mv.empty:
        spec_curve = sink.add(
            f"{sid}-specification-curve",
            charts.spec_curve_chart(mv, title=f"{len(mv)} specifications"),
            "spec-curve",
        )
        (sink.out / "multiverse").mkdir(parents=True, exist_ok=True)
        mv.to_csv(sink.out / "multiverse" / f"{sid}.csv", index=False)
        spec_note = (
            f"{len(mv)} specifications, sorted by estimate; the lower panel marks the choices "
            "that define each one. Specifications that could not be estimated are left out "
            "(their reasons are in the full table)."
        )
        summary = data.multiverse_summary.get(sid)
        if summary:
            spec_stats = views.pairs({k: v for k, v in summary.items() if k != "study_id"})
    descriptive = []
    for name, table in run.descriptive.items():
        if not isinstance(table, pd.DataFrame) or table.empty:
            continue
        series = [
            sink.add(
                f"{sid}-{name}-{col}",
                charts.series_chart(table, "year", col, title=f"{name}: {col}"),
                "series",
            )
            for col in charts.series_columns(table, "year")
        ]
        descriptive.append({"name": name, "charts": series, "table": views.table_view(table, 200)})
    published = pd.DataFrame(run.published) if run.published else None
    return {
        "study_id": sid,
        "title": run.title,
        "citation": run.citation,
        "design": run.design,
        "sample": views.sample_view(run.sample),
        "published": _frame(published),
        "results": results,
        "coef_charts": coef_charts,
        "spec_curve": spec_curve,
        "spec_curve_note": spec_note,
        "spec_csv": f"multiverse/{sid}.csv" if spec_curve else "",
        "spec_stats": spec_stats,
        "descriptive": descriptive,
        "caveats": list(run.caveats),
        "library_warnings": data.library_warnings.get(sid, 0),
        "claims": [c for c in claim_views if c["study_id_raw"] == sid],
    }


#: file the report writes at the top of its folder: the list of files it wrote (JSON)
MANIFEST = ".sanctuary-lab-report.json"


def _listing(root: Path) -> list[str]:
    """Relative paths of every file (and symlink) under ``root``, sorted."""
    out = []
    for p in sorted(root.rglob("*")):
        if p.is_file() or p.is_symlink():
            out.append(p.relative_to(root).as_posix())
    return out


def _read_manifest(folder: Path) -> set[str] | None:
    """Files a previous report wrote into ``folder``; ``None`` when it holds no manifest."""
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return set(files)


def check_report_target(out: Path, force: bool = False) -> Path:
    """Check ``--out`` before any work: a folder we may write, never ``/``, the home folder,
    a pseudo file system, or a folder holding files a report did not write (unless ``force``).

    Returns the absolute folder path. Raises InputError (one line, exit code 2).
    """
    from sanctuary_lab.errors import InputError
    from sanctuary_lab.guards import check_output_dir

    target = check_output_dir(out, "report --out")
    if target.is_dir():
        try:
            present = _listing(target)
        except OSError as exc:
            raise InputError(target, f"report --out: cannot list folder: {exc.strerror}") from None
        if present and not force:
            written = _read_manifest(target)
            if written is None:
                raise InputError(
                    target,
                    "report --out: folder is not empty and was not written by `sanctuary-lab "
                    "report` (no manifest); choose an empty or new folder, or pass --force",
                )
    return target


def write_site(
    data: ReportData,
    out: Path,
    *,
    figures: bool = True,
    progress: Callable[[str], None] | None = None,
    force: bool = False,
) -> SiteSummary:
    """Write the report site for ``data`` into ``out`` safely.

    The site is built in a temporary folder beside ``out`` and swapped in by renames, so a
    failure leaves the previous report as it was. A manifest (:data:`MANIFEST`) lists the files
    the report wrote; on the next run only those are replaced or removed. Files the report did
    not write (a user's notes, subfolders in ``figures/``) are kept in place. ``/``, the home
    folder and folders with files but no manifest are refused unless ``force`` (then report
    files are written over same-named ones and nothing else is deleted).
    """
    import shutil
    import tempfile

    target = check_report_target(out, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        summary = _write_into(data, tmp, target, figures=figures, progress=progress)
        files = _listing(tmp)
        (tmp / MANIFEST).write_text(
            json.dumps({"written_by": "sanctuary-lab report", "files": files}, indent=1),
            encoding="utf-8",
        )
        previous = _read_manifest(target) if target.is_dir() else None
        if not target.exists() or (target.is_dir() and not any(target.iterdir())):
            if target.exists():
                target.rmdir()
            tmp.rename(target)
        elif previous is None:
            # --force on a folder a report did not write: add/overwrite our files only
            for rel in [*files, MANIFEST]:
                dest = target / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                if dest.is_dir() and not dest.is_symlink():
                    continue  # never replace a user's folder by a file
                os.replace(tmp / rel, dest)
            shutil.rmtree(tmp)
        else:
            _swap(tmp, target, previous | {MANIFEST})
    except BaseException:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def _swap(new: Path, target: Path, previous: set[str]) -> None:
    """Rename ``new`` over ``target``, carrying over every file a report did not write."""
    import shutil
    import tempfile

    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    old.rmdir()
    target.rename(old)
    try:
        new.rename(target)
    except OSError:
        old.rename(target)
        raise
    # the user's files go back, in place (a name the new report also uses keeps the user's copy
    # beside it with a .user suffix — never deleted)
    for rel in _listing(old):
        if rel in previous:
            continue
        src, dest = old / rel, target / rel
        if dest.exists() or dest.is_symlink():
            dest = dest.with_name(dest.name + ".user")
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)
    # what is left in `old` is only files the previous report wrote (and empty folders)
    leftovers = [rel for rel in _listing(old) if rel not in previous]
    if not leftovers:
        shutil.rmtree(old)


def _write_into(
    data: ReportData,
    out: Path,
    final: Path,
    *,
    figures: bool = True,
    progress: Callable[[str], None] | None = None,
) -> SiteSummary:
    """Write every report file into the fresh folder ``out`` (later renamed to ``final``).

    Parameters
    ----------
    data
        Study runs, claim checks and warehouse tables.
    out
        Output folder.
    figures
        Also export every chart as SVG and PNG into ``figures/``.
    progress
        Called with a short message as each page is written.
    """
    say = progress or (lambda _msg: None)
    out = Path(out)
    for sub in ("assets", "figures", "studies"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    assets = resources.files("sanctuary_lab.report") / "assets"
    for name in ASSET_FILES:
        (out / "assets" / name).write_text((assets / name).read_text(encoding="utf-8"), "utf-8")
    say("bundling the Vega runtime")
    (out / "assets" / "vega.js").write_text(vega_bundle(), encoding="utf-8")
    if data.topology is not None:
        (out / "assets" / "counties.js").write_text(
            maps.topology_script(data.topology), encoding="utf-8"
        )

    env = _environment()
    sink = ChartSink(out, data.topology, figures)
    pages: list[str] = []
    common = {
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "warehouse_name": data.warehouse_name,
        "build_time": data.build.get("built_at", ""),
    }

    def render(template: str, path: str, **ctx: Any) -> None:
        root = "../" * path.count("/")
        html = env.get_template(template).render(root=root, **common, **ctx)
        (out / path).write_text(html, encoding="utf-8")
        pages.append(path)

    titles = {r.study_id: r.title for r in data.runs}
    claim_views = []
    for check in data.checks:
        view = views.claim_view(check, titles, "")
        view["study_id_raw"] = check.study_id
        claim_views.append(view)

    say("claims page")
    verdict_chart = None
    if data.checks:
        verdict_chart = sink.add(
            "claims-verdicts",
            charts.verdict_chart(pd.Series([c.verdict for c in data.checks])),
            "verdicts",
            "Number of registered claims by computed verdict.",
        )
    render(
        "index.html",
        "index.html",
        page_title="Claims",
        active="index",
        claims=claim_views,
        n_studies=len(data.runs),
        verdict_chart=verdict_chart,
        run_errors=data.run_errors,
    )
    study_rows = []
    for run in data.runs:
        say(f"study page {run.study_id}")
        s = _study_view(run, data, sink, [dict(c, study_href="") for c in claim_views])
        render(
            "study.html",
            f"studies/{run.study_id}.html",
            page_title=run.title,
            active="studies",
            s=s,
        )
        study_rows.append(
            {
                "href": f"studies/{run.study_id}.html",
                "title": run.title,
                "citation": run.citation,
                "design": run.design,
                "n_results": len(run.results),
                "n_claims": len(s["claims"]),
            }
        )
    render(
        "studies.html", "studies.html", page_title="Studies", active="studies", studies=study_rows
    )

    say("maps page")
    map_views = [
        {
            "heading": m.heading,
            "description": m.description,
            "chart": sink.add(f"map-{m.key}", m.spec, "map"),
        }
        for m in data.maps
    ]
    render(
        "maps.html",
        "maps.html",
        page_title="Maps",
        active="maps",
        maps=map_views,
        needs_topology=bool(map_views),
    )

    say("data page")
    provenance_view = None
    if data.provenance is not None and not data.provenance.empty:
        data.provenance.to_csv(out / "provenance.csv", index=False)
        shown = data.provenance.copy()
        if "sha256" in shown.columns:
            shown["sha256"] = shown["sha256"].astype(str).str[:16] + "…"
        provenance_view = views.table_view(shown)
    coverage_chart = None
    if data.table_years is not None and not data.table_years.empty:
        coverage_chart = sink.add(
            "data-coverage",
            charts.coverage_chart(data.table_years),
            "coverage",
            "Rows per warehouse table and year.",
        )
    render(
        "data.html",
        "data.html",
        page_title="Data",
        active="data",
        build=views.pairs(data.build),
        provenance=provenance_view,
        rejected=_frame(data.rejected),
        tables=_frame(data.tables),
        checks=_frame(data.coverage_checks),
        caveats=_frame(data.caveats),
        coverage_chart=coverage_chart,
    )
    summary = SiteSummary(
        out=final,
        pages=pages,
        charts=list(sink.ids),
        figures=list(sink.figure_files),
        claims=len(data.checks),
        studies=len(data.runs),
    )
    (out / "report.json").write_text(json.dumps(summary.to_dict(), indent=2), encoding="utf-8")
    return summary
