"""Public entry point: :func:`run_multiverse` and :class:`MultiverseResult`.

Joint inference follows Simonsohn, Simmons & Nelson (2020): descriptive shares over the curve
(same sign as the median, significant, significant in the dominant direction) and a permutation
test under the null. Each permutation reassigns whole treatment paths across units
(:func:`~sanctuary_lab.multiverse.frame.permute_treatment`) and re-runs every linear spec; the
p-values are ``(1 + #{permuted stat >= observed stat}) / (1 + n_perm)`` for ``|median estimate|``,
for ``|median t|`` (scale-free when outcomes have different units) and for the share of specs
significant in the dominant direction. Non-linear estimators are left
out of the permutation curves (they are too slow to re-run hundreds of times); wild-bootstrap
specs use ``perm_bootstrap_draws`` draws inside the permutations.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.jsonio import clean_json, json_default
from sanctuary_lab.core.limits import MAX_PERMUTATIONS, check_at_most
from sanctuary_lab.core.progress import Progress
from sanctuary_lab.multiverse.backends import LocalBackend, get_backend
from sanctuary_lab.multiverse.choices import DIMENSIONS, Multiverse
from sanctuary_lab.multiverse.engine import curve_stats, run_curve
from sanctuary_lab.multiverse.frame import load_frame, permute_treatment, prepare_frame
from sanctuary_lab.multiverse.schema import load_multiverse, parse_multiverse
from sanctuary_lab.studies.schema import Study


@dataclass
class MultiverseResult:
    """A specification curve and its joint inference.

    Attributes
    ----------
    study_id
        Study file stem.
    table
        One row per spec: ``spec_id``, one column per dimension (choice label), ``estimate``,
        ``std_error``, ``ci_low``, ``ci_high``, ``p_value``, ``n_obs``, ``n_clusters`` and
        ``skipped`` ('' when the spec ran, else the reason).
    stats
        Curve statistics (:func:`~sanctuary_lab.multiverse.engine.curve_stats`).
    permutations
        One row of curve statistics per permutation of the treatment.
    meta
        Run settings: alpha, seed, draws, backend, base spec, dimension names.
    """

    study_id: str
    table: pd.DataFrame
    stats: dict[str, float]
    permutations: pd.DataFrame = field(default_factory=pd.DataFrame)
    meta: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """n_specs, shares, median estimate and permutation p-values."""
        out: dict[str, Any] = {
            "study_id": self.study_id,
            "n_specs": int(len(self.table)),
            "n_skipped": int((self.table["skipped"] != "").sum()),
            **_skip_counts(self.table),
            **self.stats,
            "n_perm": int(len(self.permutations)),
            "perm_p_median": np.nan,
            "perm_p_share_significant_same_sign": np.nan,
            "perm_p_median_t": np.nan,
        }
        if len(self.permutations):
            perm = self.permutations
            n = len(perm)
            med = abs(self.stats["median_estimate"])
            share = self.stats["share_significant_same_sign"]
            out["perm_p_median"] = (1 + int((perm["median_estimate"].abs() >= med).sum())) / (1 + n)
            out["perm_p_share_significant_same_sign"] = (
                1 + int((perm["share_significant_same_sign"] >= share).sum())
            ) / (1 + n)
            mt = abs(self.stats["median_t"])
            out["perm_p_median_t"] = (1 + int((perm["median_t"].abs() >= mt).sum())) / (1 + n)
        return out

    def to_dict(self) -> dict[str, Any]:
        table = self.table.copy()
        for d in DIMENSIONS:
            if d in table:
                table[d] = table[d].astype(str)
        records = table.astype(object).where(table.notna(), None).to_dict(orient="records")
        return clean_json(
            {
                "study_id": self.study_id,
                "summary": self.summary(),
                "meta": self.meta,
                "specs": records,
                "permutations": self.permutations.to_dict(orient="records"),
            }
        )

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), default=json_default, **kwargs)


def _skip_counts(table: pd.DataFrame) -> dict[str, int]:
    """Specs left out by design (study exclusions, estimator rules) vs attempted and failed."""
    if "skip_kind" not in table.columns:
        return {}
    from sanctuary_lab.multiverse.engine import EXCLUDED, FAILED

    kind = table["skip_kind"].astype(str)
    return {"n_excluded": int((kind == EXCLUDED).sum()), "n_failed": int((kind == FAILED).sum())}


def study_path(study: str | Path) -> Path:
    """A study id (bundled file stem) or a path to a study TOML file."""
    p = Path(study)
    if p.suffix == ".toml" or p.is_file():
        if not p.is_file():
            raise SpecError(f"{p}: study file not found")
        return p
    from sanctuary_lab.studies.schema import bundled_study_paths

    for cand in bundled_study_paths():
        if cand.stem == str(study):
            return cand
    known = [c.stem for c in bundled_study_paths()]
    raise SpecError(f"unknown study {study!r}; bundled studies: {known}")


def _perm_task(args: tuple[Multiverse, pd.DataFrame, int]) -> dict[str, float]:
    mv, frame, index = args
    rng = np.random.default_rng([mv.seed, 7919, index])
    permuted = permute_treatment(mv, frame, rng)
    table = run_curve(
        mv, permuted, LocalBackend(workers=1), draws=mv.perm_bootstrap_draws, linear_only=True
    )
    return {"permutation": index, **curve_stats(table, mv.alpha)}


def run_multiverse_frame(
    mv: Multiverse,
    frame: pd.DataFrame,
    backend: str | Any = "local",
    *,
    n_perm: int | None = None,
    progress: Progress | None = None,
    study_id: str = "",
    on_chunk: Callable[[int], None] | None = None,
) -> MultiverseResult:
    """Run a parsed multiverse on an analysis frame already in memory (tests, benchmarks)."""
    frame = prepare_frame(mv, frame)
    own = isinstance(backend, str)
    be = get_backend(backend) if isinstance(backend, str) else backend
    n_perm = mv.n_perm if n_perm is None else n_perm
    if n_perm < 0:
        raise SpecError(f"n_perm must be >= 0, got {n_perm}")
    check_at_most(n_perm, MAX_PERMUTATIONS, "n_perm")
    try:
        table = run_curve(mv, frame, be, progress=progress, on_chunk=on_chunk)
        stats = curve_stats(table, mv.alpha)
        perms = []
        items = ((mv, frame, i) for i in range(n_perm))
        for i, row in enumerate(be.map(_perm_task, items)):
            perms.append(row)
            if progress:
                progress("permutations", i + 1, n_perm)
    finally:
        if own:
            be.close()
    meta = {
        "alpha": mv.alpha,
        "seed": mv.seed,
        "bootstrap_draws": mv.bootstrap_draws,
        "bootstrap_weights": mv.bootstrap_weights,
        "perm_bootstrap_draws": mv.perm_bootstrap_draws,
        "backend": be.name,
        "dimensions": {d: [c.label for c in mv.dimensions[d]] for d in DIMENSIONS},
        "base": mv.base,
        "unit": mv.unit,
        "time": mv.time,
        "cluster": mv.cluster,
    }
    return MultiverseResult(study_id, table, stats, pd.DataFrame(perms), meta)


def run_multiverse(
    study: str | Path | Study,
    warehouse: str | Path,
    backend: str | Any = "local",
    progress: Progress | None = None,
    *,
    n_perm: int | None = None,
) -> MultiverseResult:
    """Run the ``[multiverse]`` of a study on a warehouse.

    Parameters
    ----------
    study
        Bundled study id (file stem), a path to a study TOML file, or a parsed study (its
        decoded document is used; the file is not read again).
    warehouse
        The DuckDB warehouse built by ``sanctuary-lab build``.
    backend
        ``"local"`` (processes), ``"dask"`` (LocalCluster, or pass a backend object wrapping a
        ``distributed.Client``), ``"gpu"`` (CuPy).
    progress
        Called with (stage, done, total); stage is ``"specs"`` or ``"permutations"``.
    n_perm
        Permutations for the joint test (default: the study's ``n_perm``).
    """
    from sanctuary_lab.designs.registry import designs

    if isinstance(study, Study):
        path = study.path
        mv = parse_multiverse(study.raw, str(path), set(designs()))
    else:
        path = study_path(study)
        mv = load_multiverse(path, set(designs()))
    frame = load_frame(mv, warehouse)
    return run_multiverse_frame(
        mv, frame, backend, n_perm=n_perm, progress=progress, study_id=path.stem
    )
