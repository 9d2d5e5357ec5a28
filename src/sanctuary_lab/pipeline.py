"""The one orchestrator: run studies, check claims and run multiverses for every consumer.

``sanctuary-lab run``, ``check``, ``multiverse`` and ``report`` and the Python API all call
:func:`run_pipeline` (the report through :func:`report_data`); consumers only render what it
returns. Each study is run at most once per call; claims are checked on those runs (a claim whose
study failed is ``not testable here`` with the error as its reason); multiverses run only when
asked for.

``progress`` callbacks are called as ``progress(message, done, total)``
(:data:`~sanctuary_lab.core.progress.Progress`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sanctuary_lab.core.errors import SanctuaryLabError, SpecError
from sanctuary_lab.core.progress import Progress
from sanctuary_lab.studies.records import ClaimCheck, StudyRun

if TYPE_CHECKING:
    from sanctuary_lab.report.gather import StudyFrame
    from sanctuary_lab.report.site import ReportData

__all__ = [
    "MAPPED_STUDY",
    "PipelineResult",
    "report_data",
    "run_pipeline",
    "studies_for_claims",
    "warehouse_report_data",
]

#: The study whose analysis frame the report's maps page draws (its sanctuary classification).
MAPPED_STUDY = "wong2017_cross_section"


@dataclass
class PipelineResult:
    """Everything one pipeline call produced.

    Attributes
    ----------
    runs
        Study runs, in study-id order.
    checks
        Claim checks, in registry order.
    multiverse
        Study id -> :class:`~sanctuary_lab.multiverse.api.MultiverseResult`.
    errors
        Study id (or ``"claims"``, ``"<id> (multiverse)"``) -> error message.
    library_warnings
        Study id -> number of warnings raised by the estimation libraries while it ran.
    multiverse_only
        Parsed studies that declare only a ``[multiverse]`` (no single fits).
    studies
        Study id -> the parsed study file, for every study file this call read.
    """

    runs: list[StudyRun] = field(default_factory=list)
    checks: list[ClaimCheck] = field(default_factory=list)
    multiverse: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    library_warnings: dict[str, int] = field(default_factory=dict)
    multiverse_only: list[Any] = field(default_factory=list)
    studies: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of runs, checks, errors and multiverse summaries."""
        return {
            "runs": [r.to_dict() for r in self.runs],
            "checks": [c.to_dict() for c in self.checks],
            "multiverse": {k: v.summary() for k, v in self.multiverse.items()},
            "errors": dict(self.errors),
            "library_warnings": dict(self.library_warnings),
        }


def studies_for_claims(
    claim_ids: list[str] | None = None, registry: str | Path | None = None
) -> list[str]:
    """Study ids the given claims (default: every registered claim) need.

    Raises
    ------
    SpecError
        When a claim id is not in the registry (the message lists close matches).
    """
    from sanctuary_lab.studies.claims import load_registry

    reg = load_registry(registry)
    if claim_ids is not None:
        known = set(reg["claim_id"])
        unknown = [c for c in claim_ids if c not in known]
        if unknown:
            import difflib

            near = difflib.get_close_matches(unknown[0], sorted(known), n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise SpecError(
                f"--claim {unknown[0]!r} is not a registered claim (see `sanctuary-lab check`)"
                + hint
            )
        reg = reg.loc[reg["claim_id"].isin(claim_ids)]
    return sorted({s for s in reg["study_id"] if s})


def run_pipeline(
    warehouse: str | Path,
    *,
    studies: Literal["all", "claims"] | list[Any] = "claims",
    claims: bool = True,
    claim_ids: list[str] | None = None,
    multiverse: bool | list[str | Path] = False,
    n_perm: int | None = 0,
    backend: str | Any = "local",
    registry: str | Path | None = None,
    errors: Literal["record", "raise"] = "record",
    progress: Progress | None = None,
) -> PipelineResult:
    """Run studies, check claims and (optionally) run multiverses, each study once.

    Parameters
    ----------
    warehouse
        The warehouse file.
    studies
        ``"claims"``: only the studies the checked claims need; ``"all"``: every bundled study
        with single fits or descriptive series; or a list of study ids, TOML paths or parsed
        studies (an empty list: none).
    claims
        Check the claims registry on the runs.
    claim_ids
        Check only these claims (and run only their studies when ``studies="claims"``).
    multiverse
        ``True``: also run the ``[multiverse]`` of every selected study that declares one; or a
        list of study ids / TOML paths whose multiverse to run.
    n_perm
        Permutations for the multiverse joint test (0: curves only; ``None``: each study's own).
    backend
        Multiverse execution backend (``"local"``, ``"dask"``, ``"gpu"`` or a backend object).
    registry
        A claims registry CSV other than the bundled one.
    errors
        ``"record"``: a study, claim check or multiverse that fails is recorded in
        :attr:`PipelineResult.errors` and the others go on, and warnings from the estimation
        libraries are counted per study instead of printed (the report, ``check``);
        ``"raise"``: the first error propagates and warnings are left alone (one-study commands).
    progress
        ``progress(message, done, total)`` callback.

    Returns
    -------
    PipelineResult
    """
    from sanctuary_lab.studies.api import load_study
    from sanctuary_lab.studies.runner import run as run_study
    from sanctuary_lab.studies.schema import Study, bundled_study_paths, parse_study

    record = errors == "record"
    out = PipelineResult()
    wh = Path(warehouse)
    if studies == "claims":
        todo = [load_study(s) for s in studies_for_claims(claim_ids, registry)] if claims else []
    elif studies == "all":
        todo = []
        for path in bundled_study_paths():
            try:
                study = parse_study(path)
            except SanctuaryLabError as exc:
                if not record:
                    raise
                out.errors[path.stem] = str(exc)
                continue
            out.studies[study.id] = study
            if study.analyses or study.descriptive:
                todo.append(study)
            elif study.has_multiverse:
                out.multiverse_only.append(study)
    else:
        todo = [s if isinstance(s, Study) else load_study(s) for s in studies]
    todo.sort(key=lambda s: s.id)
    out.multiverse_only.sort(key=lambda s: s.id)
    out.studies.update((s.id, s) for s in todo)
    for i, study in enumerate(todo):

        def step(msg: str, done: int, total: int, _i: int = i) -> None:
            if progress:
                progress(f"study {_i + 1}/{len(todo)} {msg}", done, total)

        if not record:
            out.runs.append(run_study(study, wh, step))
            continue
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                out.runs.append(run_study(study, wh, step))
            if caught:
                out.library_warnings[study.id] = len(caught)
        except SanctuaryLabError as exc:
            out.errors[study.id] = str(exc)
        except Exception as exc:  # one failing study must not hide the others
            out.errors[study.id] = f"{type(exc).__name__}: {exc}"
    if claims:
        _check_claims(out, registry, claim_ids, record, progress)
    if multiverse is True:  # the parsed studies: their decoded documents are not read again
        with_mv = {s.id: s for s in [*todo, *out.multiverse_only] if s.has_multiverse}
        targets: list[Any] = [with_mv[k] for k in sorted(with_mv)]
    else:
        targets = list(multiverse or [])
    for target in targets:
        _run_multiverse(target, wh, n_perm, backend, out, record, progress)
    return out


def _check_claims(
    out: PipelineResult,
    registry: str | Path | None,
    claim_ids: list[str] | None,
    record: bool,
    progress: Progress | None,
) -> None:
    """Check the claims on ``out.runs`` into ``out.checks`` (an error into ``out.errors``)."""
    from sanctuary_lab.studies.api import check_claims
    from sanctuary_lab.studies.claims import sentence

    if progress:
        progress("checking claims", 0, 1)
    try:
        out.checks = check_claims(out.runs, registry=registry, claim_ids=claim_ids)
    except SanctuaryLabError as exc:
        if not record:
            raise
        out.errors["claims"] = f"claims could not be checked: {exc}"
    for c in out.checks:
        if c.study_id in out.errors and c.estimate is None:
            c.reason = f"the study failed to run: {out.errors[c.study_id]}"
            c.sentence = sentence(c)
    if progress:
        progress("checking claims", 1, 1)


def _run_multiverse(
    target: Any,
    warehouse: Path,
    n_perm: int | None,
    backend: str | Any,
    out: PipelineResult,
    record: bool,
    progress: Progress | None,
) -> None:
    """Run the ``[multiverse]`` of one study (a parsed study, an id or a TOML path) into
    ``out.multiverse`` under the study's id."""
    from sanctuary_lab.multiverse.api import run_multiverse
    from sanctuary_lab.studies.schema import Study

    parsed = isinstance(target, Study)
    name = target.id if parsed else Path(str(target)).stem

    def on_step(stage: str, done: int, total: int) -> None:
        if progress:
            progress(f"multiverse {name}: {stage}", done, total)

    if not record:
        res = run_multiverse(target, warehouse, backend, progress=on_step, n_perm=n_perm)
        out.multiverse[name if parsed else res.study_id] = res
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = run_multiverse(target, warehouse, backend, progress=on_step, n_perm=n_perm)
        out.multiverse[name if parsed else res.study_id] = res
    except SanctuaryLabError as exc:
        out.errors[f"{name if parsed else target} (multiverse)"] = str(exc)


# --- the report's hand-off ------------------------------------------------------------------


def _mapped_study_frame(warehouse: str | Path) -> StudyFrame | None:
    """The analysis frame of :data:`MAPPED_STUDY` for the report's classification map.

    ``None`` (no such map) when the study or its frame cannot be built on this warehouse.
    """
    from sanctuary_lab.report.gather import StudyFrame
    from sanctuary_lab.studies.api import load_study, study_frame
    from sanctuary_lab.studies.reading import DataUnavailable

    try:
        study = load_study(MAPPED_STUDY)
        frame = study_frame(study, Path(warehouse))
    except (SanctuaryLabError, DataUnavailable, KeyError, ImportError):
        return None
    return None if frame is None else StudyFrame(study, frame.data)


def warehouse_report_data(warehouse: str | Path, raw_dir: Path | None = None) -> ReportData:
    """What the report shows about the warehouse: provenance, coverage, maps, explorer series.

    Runs, checks and multiverses are left empty (:func:`report_data` adds them).
    """
    from sanctuary_lab.report.gather import read_warehouse

    path = Path(warehouse)
    return read_warehouse(path, raw_dir, wong=_mapped_study_frame(path))


def _multiverse_page_run(study: Any) -> StudyRun:
    """A StudyRun with no single-fit results, so a multiverse-only study gets its own page."""
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


def report_data(
    warehouse: str | Path,
    raw_dir: Path | None = None,
    *,
    n_perm: int = 0,
    progress: Progress | None = None,
) -> ReportData:
    """Everything ``sanctuary-lab report`` prints, ready for
    :func:`~sanctuary_lab.report.site.write_site`.

    Every bundled study is run once, every claim checked on those runs and every ``[multiverse]``
    run (with ``n_perm`` permutations); a study file that only declares a multiverse still gets a
    page for its curve. Failures are recorded in ``run_errors``, never raised.
    """
    data = warehouse_report_data(warehouse, raw_dir)
    result = run_pipeline(
        warehouse, studies="all", claims=True, multiverse=True, n_perm=n_perm, progress=progress
    )
    data.runs.extend(result.runs)
    data.checks = result.checks
    data.run_errors.update(result.errors)
    data.library_warnings.update(result.library_warnings)
    data.runs.extend(_multiverse_page_run(s) for s in result.multiverse_only)
    for sid, res in result.multiverse.items():
        data.multiverse[sid] = res.table
        data.multiverse_summary[sid] = res.summary()
    data.studies = result.studies
    data.n_perm = n_perm
    return data
