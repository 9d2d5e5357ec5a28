"""Public Python API of the studies package (used by the pipeline and the CLI).

``progress`` callbacks are called as ``progress(message, done, total)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sanctuary_lab.core.progress import Progress
from sanctuary_lab.studies.records import ClaimCheck, StudyRun
from sanctuary_lab.studies.runner import run as _run
from sanctuary_lab.studies.schema import Study, bundled_study_paths, parse_study, resolve_study_path

if TYPE_CHECKING:
    from sanctuary_lab.studies.reading import Frame

__all__ = ["check_claims", "list_studies", "load_study", "run_all", "run_study", "study_frame"]


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
    runs: list[StudyRun],
    *,
    registry: str | Path | None = None,
    claim_ids: list[str] | None = None,
) -> list[ClaimCheck]:
    """Check registered claims on exactly the given study runs; nothing is run here.

    A claim whose study is not among ``runs`` is ``not testable here``, saying so. Running the
    studies the claims need (each once) is the job of
    :func:`sanctuary_lab.pipeline.run_pipeline`, the orchestrator every consumer calls.
    """
    from sanctuary_lab.studies.claims import check, load_registry

    return check(load_registry(registry), {r.study_id: r for r in runs}, claim_ids)


def study_frame(study: Study, warehouse: Path) -> Frame | None:
    """The analysis frame of ``study`` built with its declared parameters.

    ``None`` when the study declares no (registered) frame. Raises
    :class:`~sanctuary_lab.studies.reading.DataUnavailable` when the warehouse lacks what the
    frame needs.
    """
    from sanctuary_lab.studies.registry import FRAMES
    from sanctuary_lab.warehouse.db import open_warehouse

    if not study.frame or study.frame not in FRAMES:
        return None
    con = open_warehouse(Path(warehouse))
    try:
        return FRAMES[study.frame](con, **dict(study.parameters))
    finally:
        con.close()
