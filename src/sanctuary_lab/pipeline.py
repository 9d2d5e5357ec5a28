"""The one orchestrator: run studies, check claims and run multiverses for every consumer.

``sanctuary-lab check``, ``sanctuary-lab report`` and the Python API all call
:func:`run_pipeline`; consumers only render what it returns. Each study is run at most once per
call; claims are checked on those runs (a claim whose study failed is ``not testable here`` with
the error as its reason); multiverses run only when asked for.

``progress`` callbacks are called as ``progress(message, done, total)``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sanctuary_lab.core.errors import SanctuaryLabError, SpecError
from sanctuary_lab.core.progress import Progress
from sanctuary_lab.studies.records import ClaimCheck, StudyRun

__all__ = ["PipelineResult", "run_pipeline", "studies_for_claims"]


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
    """

    runs: list[StudyRun] = field(default_factory=list)
    checks: list[ClaimCheck] = field(default_factory=list)
    multiverse: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    library_warnings: dict[str, int] = field(default_factory=dict)
    multiverse_only: list[Any] = field(default_factory=list)

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
    studies: Literal["all", "claims"] | list[str] = "claims",
    claims: bool = True,
    claim_ids: list[str] | None = None,
    multiverse: bool = False,
    n_perm: int = 0,
    registry: str | Path | None = None,
    progress: Progress | None = None,
) -> PipelineResult:
    """Run studies, check claims and (optionally) run multiverses, each study once.

    Parameters
    ----------
    warehouse
        The warehouse file.
    studies
        ``"claims"``: only the studies the checked claims need; ``"all"``: every bundled study
        with single fits or descriptive series; or a list of study ids / TOML paths.
    claims
        Check the claims registry on the runs.
    claim_ids
        Check only these claims (and run only their studies when ``studies="claims"``).
    multiverse
        Also run the ``[multiverse]`` of every bundled study that declares one.
    n_perm
        Permutations for the multiverse joint test (0: curves only).
    registry
        A claims registry CSV other than the bundled one.
    progress
        ``progress(message, done, total)`` callback.

    Returns
    -------
    PipelineResult
    """
    from sanctuary_lab.studies.api import load_study
    from sanctuary_lab.studies.runner import run as run_study
    from sanctuary_lab.studies.schema import bundled_study_paths, parse_study

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
                out.errors[path.stem] = str(exc)
                continue
            if study.analyses or study.descriptive:
                todo.append(study)
            elif study.has_multiverse:
                out.multiverse_only.append(study)
    else:
        todo = [load_study(s) for s in studies]
    todo.sort(key=lambda s: s.id)
    out.multiverse_only.sort(key=lambda s: s.id)
    for i, study in enumerate(todo):

        def step(msg: str, done: int, total: int, _i: int = i) -> None:
            if progress:
                progress(f"study {_i + 1}/{len(todo)} {msg}", done, total)

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
        from sanctuary_lab.studies.claims import check, load_registry

        if progress:
            progress("checking claims", 0, 1)
        by_id = {r.study_id: r for r in out.runs}
        try:
            out.checks = check(load_registry(registry), by_id, claim_ids)
        except SanctuaryLabError as exc:
            out.errors["claims"] = f"claims could not be checked: {exc}"
        for c in out.checks:
            if c.study_id in out.errors and c.estimate is None:
                c.reason = f"the study failed to run: {out.errors[c.study_id]}"
                from sanctuary_lab.studies.claims import sentence

                c.sentence = sentence(c)
        if progress:
            progress("checking claims", 1, 1)
    if multiverse:
        with_mv = {s.id: s for s in [*todo, *out.multiverse_only] if s.has_multiverse}
        run_multiverses([with_mv[k] for k in sorted(with_mv)], wh, n_perm, out, progress)
    return out


def run_multiverses(
    studies: list[Any],
    warehouse: Path,
    n_perm: int,
    out: PipelineResult,
    progress: Progress | None = None,
) -> None:
    """Run the ``[multiverse]`` of each parsed study (its decoded document, not read again) into
    ``out.multiverse`` (errors into ``out.errors``)."""
    from sanctuary_lab.multiverse.api import run_multiverse

    for study in studies:
        sid = study.id

        def on_step(stage: str, done: int, total: int, _sid: str = sid) -> None:
            if progress:
                progress(f"multiverse {_sid}: {stage}", done, total)

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out.multiverse[sid] = run_multiverse(
                    study, warehouse, progress=on_step, n_perm=n_perm
                )
        except SanctuaryLabError as exc:
            out.errors[f"{sid} (multiverse)"] = str(exc)
