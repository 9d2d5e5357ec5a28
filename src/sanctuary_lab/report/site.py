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
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from sanctuary_lab.core import formatting
from sanctuary_lab.core.progress import Progress
from sanctuary_lab.report import cards, charts, labels, maps, views
from sanctuary_lab.studies.records import ClaimCheck, StudyRun

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
    """Everything the report prints, handed to :func:`write_site` ready to render.

    :func:`sanctuary_lab.pipeline.report_data` fills it (study runs, claim checks, multiverses
    and the parsed study files from the pipeline; warehouse tables and maps read by
    :mod:`sanctuary_lab.report.gather`); tests build it by hand.
    """

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
    #: every raw folder's SOURCE.md, read by :func:`sanctuary_lab.report.sources.read_sources`
    sources: list[dict[str, Any]] = field(default_factory=list)
    #: the explorer's places and series (:func:`sanctuary_lab.report.explorer.explorer_data`)
    explorer: dict[str, Any] | None = None
    #: permutations behind the specification curves' joint test (None: not recorded)
    n_perm: int | None = None
    #: parsed study files by id (summary, comparison, tables read), as the pipeline read them
    studies: dict[str, Any] = field(default_factory=dict)


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


def _frame(
    df: pd.DataFrame | None, max_rows: int | None = None, humanize: bool = True
) -> dict[str, Any] | None:
    if df is None or df.empty:
        return None
    return views.table_view(df, max_rows, humanize=humanize)


def _comparison_rows(study: Any) -> list[dict[str, str]]:
    """The study's declared "published vs ours" metadata as strip rows."""
    comp = getattr(study, "comparison", None) or {}
    pub, ours = comp.get("published") or {}, comp.get("ours") or {}
    rows = []
    for key in ("unit", "geography", "years", "treatment", "outcome", "design", "data",
                "n_units", "n_treated", "notes"):  # fmt: skip
        if key not in pub and key not in ours:
            continue
        a, b = (
            labels.words(cards.stated_text(pub.get(key))),
            labels.words(cards.stated_text(ours.get(key))),
        )
        rows.append(
            {
                "aspect": labels.column(key).replace("Number of units", "Units"),
                "theirs": a,
                "ours": b,
                "same": "same" if a == b and a != "not stated" else "differs",
            }
        )
    return rows


def _published_markers(run: StudyRun, coef: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for p in run.published:
        value = p.get("value")
        if not formatting.is_number(value):
            continue
        hit = coef.loc[
            (coef["key"] == str(p.get("result", ""))) & (coef["term"] == str(p.get("term", "")))
        ]
        if hit.empty:
            hit = coef.loc[coef["key"] == str(p.get("result", ""))]
        if not hit.empty:
            out.append({"label": hit["label"].iloc[0], "value": float(value)})
    return out


def _curves_by_family(mv: pd.DataFrame) -> list[tuple[str, labels.Outcome, pd.DataFrame]]:
    """Split a specification table into curves that share an outcome family (unit and scale)."""
    if "outcome" not in mv.columns:
        return [("", labels.Outcome("estimate", ""), mv)]
    fam = mv["outcome"].astype(str).map(lambda o: labels.outcome(o).family)
    out = []
    for key in sorted(fam.unique()):
        part = mv.loc[fam == key]
        first = labels.outcome(str(part["outcome"].astype(str).iloc[0]))
        out.append((key, first, part))
    return out


def _spec_curves(sid: str, data: ReportData, sink: ChartSink) -> dict[str, Any] | None:
    mv = data.multiverse.get(sid)
    if mv is None or mv.empty:
        return None
    (sink.out / "multiverse").mkdir(parents=True, exist_ok=True)
    mv.to_csv(sink.out / "multiverse" / f"{sid}.csv", index=False)
    skipped = (
        mv["skipped"].fillna("").astype(str)
        if "skipped" in mv.columns
        else pd.Series("", index=mv.index)
    )
    if "skip_kind" in mv.columns:
        kind = mv["skip_kind"].fillna("").astype(str)
    else:
        kind = pd.Series("", index=mv.index).where(skipped.eq(""), "not estimated")
    excluded = int((kind == "excluded by design").sum())
    failed = mv.loc[kind.isin(["failed", "not estimated"])]
    reasons = (
        failed["skipped"].astype(str).value_counts().rename_axis("reason").reset_index(name="specs")
        if not failed.empty
        else pd.DataFrame(columns=["reason", "specs"])
    )
    curves = []
    for key, o, part in _curves_by_family(mv):
        ok = part.loc[skipped.loc[part.index].eq("")]
        if ok.empty:
            continue
        outs = sorted(part["outcome"].astype(str).unique()) if "outcome" in part else []
        words = ", ".join(labels.outcome(x).words for x in outs) or o.words
        y_title = (
            "Change in outcome (%, 95% CI)"
            if o.log
            else f"Estimate ({o.unit or 'outcome units'}, 95% CI)"
        )
        title = f"Specification curve: {words}" + (" (log outcomes, as % change)" if o.log else "")
        curves.append(
            {
                "heading": words[:1].upper() + words[1:] + (" (log scale)" if o.log else ""),
                "chart": sink.add(
                    f"{sid}-specification-curve-{key}",
                    charts.spec_curve_chart(part, title=title, y_title=y_title, percent=o.log),
                    "spec-curve",
                ),
                "n": len(ok),
            }
        )
    summary = data.multiverse_summary.get(sid) or {}
    n_perm = summary.get("n_perm", data.n_perm)
    perm_note = (
        f"Joint test: {formatting.fmt_count(n_perm)} permutations of the treatment."
        if formatting.is_number(n_perm) and int(n_perm) > 0
        else "The permutation test was not run for this report (built with --perms 0): the "
        "shares below describe the curve and carry no joint p-value."
    )
    stats = []
    for key, name, fmt in (
        ("n_estimated", "Specifications estimated", formatting.fmt_count),
        (
            "median_estimate",
            "Median estimate (all outcomes in this family mix: see curves)",
            lambda v: formatting.fmt_number(v, ascii=False),
        ),
        ("share_same_sign", "Share with the median's sign", formatting.fmt_share),
        ("share_significant", "Share significant at 5%", formatting.fmt_share),
        ("perm_p_median", "Permutation p, median estimate", formatting.fmt_p),
        (
            "perm_p_share_significant_same_sign",
            "Permutation p, share significant",
            formatting.fmt_p,
        ),
    ):
        if key in summary and formatting.is_number(summary[key]):
            if key == "median_estimate" and len(curves) > 1:
                continue  # a median across outcome families mixes units; each curve shows its own
            stats.append(
                (
                    name.replace(" (all outcomes in this family mix: see curves)", ""),
                    fmt(summary[key]),
                )
            )
    return {
        "curves": curves,
        "csv": f"multiverse/{sid}.csv",
        "n_total": len(mv),
        "n_excluded": excluded,
        "n_failed": len(failed),
        "reasons": views.table_view(reasons) if not reasons.empty else None,
        "perm_note": perm_note,
        "stats": stats,
    }


def _study_view(
    run: StudyRun,
    data: ReportData,
    sink: ChartSink,
    claim_views: list[dict[str, Any]],
) -> dict[str, Any]:
    sid = run.study_id
    study = data.studies.get(sid)
    names = {r.study_id: r.title for r in data.runs}

    def say_words(text: Any) -> str:
        return labels.words(str(text or ""), names)

    results = []
    for label, result in run.results.items():
        es = result.plot_data()
        o = labels.outcome(str(result.metadata.get("outcome", "") or ""))
        heading = labels.result_label(label)
        event_chart = None
        if es is not None and not es.empty:
            window = result.metadata.get("window")
            binned = (
                result.metadata.get("endpoints", "bin") == "bin"
                and isinstance(window, (list, tuple))
                and len(window) == 2
            )
            bins = (int(window[0]), int(window[1])) if binned else None
            event_chart = sink.add(
                f"{sid}-event-study-{label}",
                charts.event_study_chart(
                    es,
                    title=f"Effect by year relative to treatment: {heading}",
                    y_title=o.axis_ci if o.unit or o.log else "Estimated effect (95% CI)",
                    bins=bins,
                    percent=o.log,
                ),
                "event-study",
                "Points: estimates; bars: 95% CIs; dashed line: reference period."
                + (" End points pool all earlier / later years (bins)." if bins else ""),
            )
        balance = result.extras.get("balance")
        if isinstance(balance, pd.DataFrame) and "covariate" in balance.columns:
            balance = balance.assign(covariate=balance["covariate"].astype(str).map(labels.term))
        results.append(
            {
                "label": heading,
                "anchor": "result-" + _slug(label),
                "meta": views.result_meta(result),
                "table": views.results_table(result),
                "warnings": [say_words(w) for w in result.metadata.get("warnings", [])],
                "event_chart": event_chart,
                "balance": _frame(balance),
                "other_tables": [
                    (labels.column(n), views.table_view(df, 200))
                    for n, df in views.other_extras(result)
                ],
            }
        )
    coef_charts = []
    for outcome, coef in views.coefficient_rows(run, charts.main_term).items():
        if coef.empty:
            continue
        o = labels.outcome(outcome)
        plot = coef.copy()
        pub = _published_markers(run, coef)
        if o.log:
            for c in ("estimate", "ci_low", "ci_high"):
                plot[c] = 100.0 * np.expm1(pd.to_numeric(plot[c], errors="coerce"))
            pub = [{**p, "value": formatting.log_points_to_percent(p["value"])} for p in pub]
        words = o.words[:1].upper() + o.words[1:]
        coef_charts.append(
            sink.add(
                f"{sid}-coefficients-{outcome}" if outcome else f"{sid}-coefficients",
                charts.coefficient_chart(
                    plot,
                    title=f"{words}: estimate of each specification",
                    x_title=o.axis_ci if (o.unit or o.log) else "Estimate (95% CI)",
                    published=pub,
                ),
                "coefficients",
                "Main coefficient of each specification with its 95% CI"
                + ("; red diamonds: the published value." if pub else "."),
            )
        )
    descriptive = []
    for name, table in run.descriptive.items():
        if not isinstance(table, pd.DataFrame) or table.empty:
            continue
        series = [
            sink.add(
                f"{sid}-{name}-{col}",
                charts.series_chart(
                    table, "year", col, title=f"{labels.column(name)}: {labels.column(col)} by year"
                ),
                "series",
            )
            for col in charts.series_columns(table, "year")
        ]
        descriptive.append(
            {
                "name": labels.column(name),
                "anchor": "table-" + _slug(name),
                "charts": series,
                "table": views.table_view(table, 200),
            }
        )
    published = pd.DataFrame(run.published) if run.published else None
    if published is not None:
        published = published.drop(
            columns=[c for c in ("result", "term") if c in published.columns]
        )
    claims = [c for c in claim_views if c["study_id"] == sid]
    comparison = _comparison_rows(study) if study is not None else []
    curves = _spec_curves(sid, data, sink)
    sample = views.sample_view(run.sample)
    differences = [say_words(d) for d in run.sample.get("differences", []) or []]
    toc = [("summary", "Summary")]
    if comparison or differences:
        toc.append(("comparison", "How this compares with the published study"))
    if run.caveats:
        toc.append(("caveats", "Caveats"))
    if coef_charts:
        toc.append(("estimates", "Estimates across specifications"))
    if curves:
        toc.append(("specification-curve", "Specification curve"))
    if results:
        toc.append(("results", "Results tables"))
    toc += [(d["anchor"], d["name"]) for d in descriptive]
    toc.append(("details", "Design and sample details"))
    return {
        "study_id": sid,
        "title": run.title,
        "citation": say_words(run.citation),
        "design": labels.design(run.design),
        "question": say_words(
            getattr(study, "summary", "") if study is not None else run.sample.get("description")
        ),
        "identifies": say_words(getattr(study, "identifies", "") if study is not None else ""),
        "cannot_identify": say_words(
            getattr(study, "cannot_identify", "") if study is not None else ""
        ),
        "comparison": comparison,
        "differences": differences,
        "sample": sample,
        "published": _frame(published),
        "results": results,
        "coef_charts": coef_charts,
        "curves": curves,
        "descriptive": descriptive,
        "caveats": [say_words(c) for c in run.caveats],
        "library_warnings": data.library_warnings.get(sid, 0),
        "claims": claims,
        "toc": toc,
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
    from sanctuary_lab.core.errors import InputError
    from sanctuary_lab.core.guards import check_output_dir

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


def build_stamp(data: ReportData) -> dict[str, str]:
    """Tool version, data build hash and build date, for "cite this" blocks and the footer.

    The data build hash is the first 12 hex digits of the SHA-256 of the sorted raw-file hashes
    in the provenance table (the same raw files give the same hash).
    """
    import hashlib

    from sanctuary_lab import __version__

    digest = ""
    prov = data.provenance
    if prov is not None and not prov.empty and "sha256" in prov.columns:
        joined = "\n".join(sorted(prov["sha256"].astype(str)))
        digest = hashlib.sha256(joined.encode()).hexdigest()[:12]
    built = str(data.build.get("built_at", "") or "")
    return {"version": __version__, "data_hash": digest or "not recorded", "built": built[:10]}


_NAV = (
    ("index", "index.html", "Claims"),
    ("studies", "studies.html", "Studies"),
    ("maps", "maps.html", "Maps"),
    ("explorer", "explorer.html", "Explorer"),
    ("methods", "methods.html", "Methods"),
    ("sources", "sources.html", "Sources"),
    ("data", "data.html", "Data"),
)


def _claim_chart(check: ClaimCheck, card: dict[str, Any], sink: ChartSink) -> dict[str, Any] | None:
    rows = cards.chart_rows(check)
    pub = check.published_value if formatting.is_number(check.published_value) else None
    if not rows and pub is None:
        return None
    unit = check.unit or ""
    if formatting.unit_kind(unit) == "log":
        rows = [
            {
                k: (
                    formatting.log_points_to_percent(v)
                    if k != "label" and formatting.is_number(v)
                    else v
                )
                for k, v in r.items()
            }
            for r in rows
        ]
        pub = formatting.log_points_to_percent(pub) if pub is not None else None
        unit = "% change"
    x_title = f"{check.quantity[:60]}" if not unit else f"Estimate ({unit})"
    if not unit:
        x_title = "Estimate (units of the claim)"
    return sink.add(
        f"claim-{check.claim_id}",
        charts.claim_chart(
            rows, pub, x_title=x_title, title="Our estimate against the published value"
        ),
        "claim",
        "Blue: our estimate with its 95% CI"
        + (" and the robustness variants" if len(rows) > 1 else "")
        + ("; red diamond: the published value." if pub is not None else "; no published value."),
    )


def write_site(
    data: ReportData,
    out: Path,
    *,
    figures: bool = True,
    progress: Progress | None = None,
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
    progress: Progress | None = None,
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
        ``progress("writing: <page>", done, total)`` as each page is written, and once with
        ``done == total`` at the end.
    """
    from sanctuary_lab.report import explorer as explorer_mod
    from sanctuary_lab.report import methods as methods_mod

    total = 7 + len(data.runs)  # the say() steps below
    done = 0

    def say(msg: str) -> None:
        nonlocal done
        if progress:
            progress(f"writing: {msg}", done, total)
        done += 1

    out = Path(out)
    for sub in ("assets", "figures", "studies", "claims"):
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
    stamp = build_stamp(data)
    generated = dt.datetime.now(dt.UTC)
    common = {
        "generated": generated.strftime("%Y-%m-%d %H:%M UTC"),
        "warehouse_name": data.warehouse_name,
        "build_time": data.build.get("built_at", ""),
        "stamp": stamp,
        "nav": _NAV,
    }

    def render(template: str, path: str, **ctx: Any) -> None:
        root = "../" * path.count("/")
        html = env.get_template(template).render(root=root, **common, **ctx)
        (out / path).write_text(html, encoding="utf-8")
        pages.append(path)

    titles = {r.study_id: r.title for r in data.runs}
    claim_cards = [cards.claim_card(check, titles) for check in data.checks]

    say("claim pages")
    for check, card in zip(data.checks, claim_cards, strict=True):
        (out / card["csv"]).write_text(cards.claim_csv(check), encoding="utf-8")
        chart = _claim_chart(check, card, sink)
        render(
            "claim.html",
            card["href"],
            page_title=f"Claim: {card['quote'][:60]}",
            active="index",
            c=card,
            claim_chart=chart,
            cite_date=generated.strftime("%Y-%m-%d"),
        )

    say("claims index")
    verdict_chart = None
    if data.checks:
        verdict_chart = sink.add(
            "claims-verdicts",
            charts.verdict_chart(pd.Series([cards.verdict_label(c.verdict) for c in data.checks])),
            "verdicts",
            "Number of registered claims by computed verdict.",
        )
    facets = {
        "who": sorted({c["who"] for c in claim_cards}),
        "topic": sorted({c["topic"] for c in claim_cards}),
        "verdict": sorted({c["verdict_label"] for c in claim_cards}),
    }
    render(
        "index.html",
        "index.html",
        page_title="Claims",
        active="index",
        claims=claim_cards,
        facets=facets,
        n_studies=len(data.runs),
        verdict_chart=verdict_chart,
        run_errors=data.run_errors,
        vocabulary=methods_mod.vocabulary(data.checks),
    )
    study_rows = []
    for run in data.runs:
        say(f"study page {run.study_id}")
        s = _study_view(run, data, sink, claim_cards)
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
                "citation": labels.words(run.citation),
                "design": labels.design(run.design),
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

    say("explorer")
    has_explorer = explorer_mod.write_explorer_data(
        data.explorer, out / "assets" / "explorer-data.js"
    )
    render(
        "explorer.html",
        "explorer.html",
        page_title="Explorer",
        active="explorer",
        has_explorer=has_explorer,
        needs_explorer=has_explorer,
        explorer_meta=(data.explorer or {}).get("meta", {}),
    )

    say("methods and sources")
    render(
        "methods.html",
        "methods.html",
        page_title="Methods",
        active="methods",
        m=methods_mod.methods_view(data.checks, claim_cards),
    )
    render(
        "sources.html",
        "sources.html",
        page_title="Data sources",
        active="sources",
        sources=methods_mod.sources_view(data.sources, data.provenance, data.checks, data.studies),
        study_titles=titles,
        changelog=methods_mod.changelog(data.provenance, data.build),
    )

    say("data page")
    provenance_view = None
    if data.provenance is not None and not data.provenance.empty:
        data.provenance.to_csv(out / "provenance.csv", index=False)
        shown = data.provenance.copy()
        if "sha256" in shown.columns:
            shown["sha256"] = shown["sha256"].astype(str).str[:16] + "…"
        shown = shown.drop(columns=[c for c in ("built_at",) if c in shown.columns])
        provenance_view = views.table_view(shown, humanize=False)
    coverage_chart = None
    if data.table_years is not None and not data.table_years.empty:
        coverage_chart = sink.add(
            "data-coverage",
            charts.coverage_chart(data.table_years),
            "coverage",
            "Rows per warehouse table and year.",
        )
    build = {k: v for k, v in data.build.items() if k != "raw_dir"}
    render(
        "data.html",
        "data.html",
        page_title="Data",
        active="data",
        build=views.pairs(build),
        provenance=provenance_view,
        rejected=_frame(data.rejected, humanize=False),
        tables=_frame(data.tables, humanize=False),
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
    if progress:
        progress("writing: done", total, total)
    return summary
