"""Run a parsed study on a warehouse: build the frame, fit each analysis, run sensitivities.

A failing fit does not stop the study: its label is recorded in ``run.sample["failed"]`` with the
error message (and in ``run.caveats``), so a claim that depends on it becomes ``not testable here`` with
that reason instead of aborting ``sanctuary-lab check``. Missing warehouse tables/columns are
recorded the same way (:class:`~sanctuary_lab.studies.reading.DataUnavailable`).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.filters import apply_filter
from sanctuary_lab.core.progress import Progress
from sanctuary_lab.core.result import Result
from sanctuary_lab.designs.registry import design_from_dict
from sanctuary_lab.studies.reading import DataUnavailable, Frame, build_info
from sanctuary_lab.studies.records import StudyRun
from sanctuary_lab.studies.registry import DESCRIPTIVES, FRAMES
from sanctuary_lab.studies.schema import Study

#: progress(message, done, total): called before each step and once at the end (done == total).


def count_steps(study: Study) -> int:
    """Number of progress steps a run of ``study`` takes."""
    n = len(study.expanded_analyses())
    for s in study.sensitivity:
        n += len(s.values) * len(s.analyses)
    return n + len(study.descriptive)


def _fit(design: str, options: dict[str, Any], data: pd.DataFrame) -> Result:
    """Fit one design; library warnings are collected into ``metadata["warnings"]`` (deduplicated)."""
    spec = design_from_dict(design, options)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = spec.fit(data)
    seen: dict[str, int] = {}
    for w in caught:
        if issubclass(w.category, DeprecationWarning | FutureWarning):
            continue
        key = str(w.message).split("\n")[0][:160]
        seen[key] = seen.get(key, 0) + 1
    if seen:
        notes = list(result.metadata.get("warnings", []))
        notes += [m if n == 1 else f"{m} (x{n})" for m, n in list(seen.items())[:10]]
        if len(seen) > 10:
            notes.append(f"... and {len(seen) - 10} more distinct library warnings")
        result.metadata["warnings"] = notes
    return result


def _files(study: Study, params: dict[str, Any]) -> dict[str, Any]:
    """Relative ``*_file`` parameters: as given if that exists, else beside the study file."""
    out = dict(params)
    for key, value in params.items():
        if key.endswith("_file") and isinstance(value, str) and value:
            p = Path(value).expanduser()
            if not p.is_absolute() and not p.exists() and (study.path.parent / p).exists():
                out[key] = str(study.path.parent / p)
    return out


def _subset(df: pd.DataFrame, query: str | None, where: str) -> pd.DataFrame:
    if not query:
        return df
    # a whitelisted expression applied with boolean masks; never DataFrame.query on file text
    return apply_filter(df, query, f"{where}: subset")


def _descriptive_result(name: str, stats: dict[str, float], n_obs: int) -> Result:
    table = pd.DataFrame(
        {
            "term": list(stats),
            "estimate": [float(v) for v in stats.values()],
            "std_error": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "p_value": np.nan,
            "n_obs": n_obs,
            "n_clusters": np.nan,
        }
    )
    return Result(
        "descriptive",
        table,
        {"descriptive": name, "note": "computed series statistic; no sampling CI"},
    )


def run(study: Study, warehouse: Path, progress: Progress | None = None) -> StudyRun:
    """Run ``study`` on the warehouse file and return a :class:`StudyRun`."""
    from sanctuary_lab.warehouse.db import open_warehouse

    total = count_steps(study)
    done = 0

    def step(msg: str) -> None:
        if progress:
            progress(f"{study.id}: {msg}", done, total)

    out = StudyRun(
        study_id=study.id,
        title=study.title,
        citation=study.citation,
        design=study.design or ", ".join(sorted({a.design for a in study.analyses})),
        published=[dict(p) for p in study.published],
        caveats=list(study.caveats),
        comparison={k: dict(v) for k, v in study.comparison.items()},
    )
    failed: dict[str, str] = {}
    frames_meta: dict[str, Any] = {}
    con = open_warehouse(Path(warehouse))
    try:
        out.sample["warehouse"] = build_info(con)
        frame: Frame | None = None
        if study.frame:
            try:
                frame = FRAMES[study.frame](con, **_files(study, study.parameters))
                frames_meta["base"] = frame.meta
            except DataUnavailable as exc:
                failed["*"] = f"data unavailable: {exc}"
        for label, analysis, options in study.expanded_analyses():
            step(label)
            if frame is not None:
                _run_one(out, failed, label, analysis, options, frame, study)
            done += 1
        for sens in study.sensitivity:
            for value in sens.values:
                params = {**study.parameters, sens.parameter: value}
                tag = f"{sens.parameter}={value}"
                try:
                    sframe = (
                        FRAMES[study.frame](con, **_files(study, params)) if study.frame else None
                    )
                    if sframe is not None:
                        frames_meta[tag] = sframe.meta
                except DataUnavailable as exc:
                    sframe = None
                    failed[tag] = f"data unavailable: {exc}"
                expanded = {lab: (a, o) for lab, a, o in study.expanded_analyses(params)}
                for name in sens.analyses:
                    step(f"{name} [{tag}]")
                    if sframe is not None and name in expanded:
                        a, o = expanded[name]
                        _run_one(out, failed, f"{name}[{tag}]", a, o, sframe, study)
                    done += 1
        for d in study.descriptive:
            step(d.name)
            try:
                table, stats = DESCRIPTIVES[d.builder](con, **d.options)
                out.descriptive[d.name] = table
                if stats:
                    out.results[f"descriptive:{d.name}"] = _descriptive_result(
                        d.name, stats, len(table)
                    )
            except DataUnavailable as exc:
                failed[f"descriptive:{d.name}"] = f"data unavailable: {exc}"
            except TypeError as exc:
                raise SpecError(f"{study.path}: descriptive {d.name!r}: {exc}") from None
            done += 1
    finally:
        con.close()
    if progress:
        progress(f"{study.id}: done", total, total)
    out.sample.update(_sample_record(study, out, frames_meta, failed))
    for label, msg in failed.items():
        out.caveats.append(f"{label}: not estimated ({msg})")
    return out


def _run_one(
    out: StudyRun,
    failed: dict[str, str],
    label: str,
    analysis: Any,
    options: dict[str, Any],
    frame: Frame,
    study: Study,
) -> None:
    where = f"{study.path}: analysis {label!r}"
    data = _subset(frame.data, analysis.subset, where)
    try:
        result = _fit(analysis.design, options, data)
    except SpecError as exc:
        # option problems in the study file are the author's error: say so, keep going
        failed[label] = str(exc)
        return
    except Exception as exc:  # a design failing on real data must not abort the whole check
        failed[label] = f"{type(exc).__name__}: {exc}"
        return
    result.metadata.setdefault("study", study.id)
    result.metadata["analysis"] = label
    result.metadata.setdefault("data_vintage", frame.meta.get("vintage", {}))
    result.metadata.setdefault("sample_rule", frame.meta.get("rule", ""))
    if analysis.subset:
        result.metadata["subset"] = analysis.subset
    out.results[label] = result


def _n_obs(result: Result) -> int | None:
    vals = pd.to_numeric(result.table["n_obs"], errors="coerce").dropna()
    if vals.empty:
        return None
    v = float(vals.max())
    return int(v) if math.isfinite(v) else None


def _sample_record(
    study: Study, out: StudyRun, frames_meta: dict[str, Any], failed: dict[str, str]
) -> dict[str, Any]:
    base = frames_meta.get("base", {})
    n_by_result = {label: _n_obs(r) for label, r in out.results.items()}
    published_n = study.sample.get("published_n")
    ours = base.get("n_units")
    differences = list(study.sample.get("differences", []))
    if published_n is not None and ours is not None and published_n != ours:
        differences.append(
            f"our sample has {ours} {base.get('unit', 'unit')}s; the published one has {published_n}"
        )
    return {
        "description": study.sample.get("description", ""),
        "unit": base.get("unit"),
        "n_units": ours,
        # the main sample: largest n among the study's own analyses (sensitivity runs excluded)
        "n_obs": max(
            (n for lab, n in n_by_result.items() if n is not None and "[" not in lab), default=None
        ),
        "n_obs_by_result": n_by_result,
        "years": base.get("years"),
        "vintage": base.get("vintage", {}),
        "rule": base.get("rule"),
        "dropped": base.get("dropped", {}),
        "sample_flow": base.get("sample_flow", {}),
        "sample_flow_treated": base.get("sample_flow_treated", {}),
        "published_flow": base.get("published_flow", {}),
        "parameters": dict(study.parameters),
        "published_n": published_n,
        "differences": differences,
        "frames": {
            tag: {k: m[k] for k in ("n_units", "n_treated", "n_treated_units", "rule") if k in m}
            for tag, m in frames_meta.items()
        },
        "failed": failed,
    }
