"""Public Python API of the studies package (used by the CLI and the report).

``progress`` callbacks are called as ``progress(message, done, total)``.
"""

from __future__ import annotations

from pathlib import Path

from sanctuary_lab.core.progress import Progress
from sanctuary_lab.studies.records import ClaimCheck, StudyRun
from sanctuary_lab.studies.runner import run as _run
from sanctuary_lab.studies.schema import Study, bundled_study_paths, parse_study, resolve_study_path

__all__ = ["check_claims", "list_studies", "load_study", "run_all", "run_study"]


def list_studies() -> list[Study]:
    """Every bundled study file, parsed and validated, sorted by id."""
    return sorted((parse_study(p) for p in bundled_study_paths()), key=lambda s: s.id)


def load_study(id_or_path: str | Path) -> Study:
    """A bundled study by id, or a user's study TOML by path."""
    return parse_study(resolve_study_path(id_or_path))


def run_study(
    id_or_path: str | Path, warehouse: Path, progress: Progress | None = None
) -> StudyRun:
    """Run one study on the warehouse file."""
    study = id_or_path if isinstance(id_or_path, Study) else load_study(id_or_path)
    return _run(study, Path(warehouse), progress)


def run_all(warehouse: Path, progress: Progress | None = None) -> list[StudyRun]:
    """Run every bundled study that declares analyses or descriptive series."""
    return [
        _run(s, Path(warehouse), progress) for s in list_studies() if s.analyses or s.descriptive
    ]


def check_claims(
    warehouse: Path,
    runs: list[StudyRun] | None = None,
    progress: Progress | None = None,
    registry: str | Path | None = None,
    claim_ids: list[str] | None = None,
) -> list[ClaimCheck]:
    """Check registered claims.

    With ``runs`` given, the claims are checked on exactly those runs and nothing is re-run (a
    claim whose study is missing is ``not testable here``, saying so). With ``runs=None`` the
    studies the claims need are run first, once each. :func:`sanctuary_lab.pipeline.run_pipeline`
    is the orchestrator that does both for the CLI and the report.
    """
    from sanctuary_lab.studies.claims import check, load_registry

    reg = load_registry(registry)
    if runs is None:
        wanted = reg if claim_ids is None else reg.loc[reg["claim_id"].isin(claim_ids)]
        runs = [
            run_study(s, Path(warehouse), progress)
            for s in sorted({s for s in wanted["study_id"] if s})
        ]
    return check(reg, {r.study_id: r for r in runs}, claim_ids)
