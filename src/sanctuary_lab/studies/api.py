"""Public Python API of the studies package (used by the CLI and the report).

``progress`` callbacks are called as ``progress(message, done, total)``.
"""

from __future__ import annotations

from pathlib import Path

from sanctuary_lab.studies.model import ClaimCheck, StudyRun
from sanctuary_lab.studies.runner import Progress
from sanctuary_lab.studies.runner import run as _run
from sanctuary_lab.studies.spec import Study, bundled_study_paths, parse_study, resolve_study_path

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
) -> list[ClaimCheck]:
    """Check every registered claim, running the studies it needs that ``runs`` lacks."""
    from sanctuary_lab.studies.claims import check, load_registry

    reg = load_registry(registry)
    by_id = {r.study_id: r for r in runs or []}
    for study_id in sorted({s for s in reg["study_id"] if s}):
        if study_id not in by_id:
            by_id[study_id] = run_study(study_id, Path(warehouse), progress)
    return check(reg, by_id)
