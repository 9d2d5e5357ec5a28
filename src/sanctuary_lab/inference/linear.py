"""A prepared linear design (data + model pieces) that can be fitted under any inference option.

The designs (cross-section, TWFE, PPML) validate their arguments, build the estimation frame and
then hand a :class:`LinearModel` to :meth:`LinearModel.infer`. Point estimates and analytic
variances (HC1, CRV1, CRV3) always come from pyfixest; the wild cluster bootstrap and
randomization inference are layered on top (see :mod:`.wild` and :mod:`.ri`). Keeping the model
on the result lets :func:`with_inference` recompute the inference without re-validating.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.limits import MAX_BOOTSTRAP_DRAWS, MAX_PERMUTATIONS, check_at_most
from sanctuary_lab.core.result import Result
from sanctuary_lab.inference import fixest
from sanctuary_lab.inference.fixest import SscFixef
from sanctuary_lab.inference.options import INFERENCE_CHOICES, check_clusters, check_inference
from sanctuary_lab.inference.partial import absorb, cluster_codes, fe_codes
from sanctuary_lab.inference.ri import randomization_inference
from sanctuary_lab.inference.sample import drop_missing, require_columns
from sanctuary_lab.inference.wild import wild_cluster_bootstrap

FIXEF_TOL = 1e-10


@dataclass
class Inferred:
    """What :meth:`LinearModel.infer` returns: tidy table, extra tables, warnings, notes."""

    table: pd.DataFrame
    extras: dict[str, pd.DataFrame] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)


@dataclass
class LinearModel:
    """Estimation sample and model pieces of a linear (or Poisson) regression design.

    Parameters
    ----------
    data
        Estimation sample with columns ``_y`` (outcome), the term columns and controls.
    terms
        Ordered mapping column -> reported term name for the treatment terms.
    controls
        Other regressor columns.
    fe
        Fixed-effect columns (absorbed).
    weights
        Weight column or ``None``.
    family
        ``"ols"`` (pyfixest ``feols``) or ``"poisson"`` (pyfixest ``fepois``).
    treatment
        The column permuted by randomization inference.
    build_terms
        Rebuilds the term columns (n × m array) from a frame with a permuted treatment.
    ri_scheme, unit, time
        Permutation scheme (``"units"`` or ``"paths"``) and the panel identifiers.
    ssc_fixef
        How absorbed fixed effects count in the small-sample correction (pyfixest ``k_fixef``).
    allowed
        Inference options valid for the design (e.g. no resampling when weights depend on the
        treatment).
    offset
        Poisson only: column holding the log exposure (coefficient fixed at 1).
    ri_blocks
        Unit permutations only: permute the treatment within the levels of this column.
    """

    data: pd.DataFrame
    terms: dict[str, str]
    controls: list[str]
    fe: list[str]
    weights: str | None
    family: Literal["ols", "poisson"]
    treatment: str
    build_terms: Callable[[pd.DataFrame], np.ndarray]
    ri_scheme: Literal["units", "paths"] = "units"
    unit: str | None = None
    time: str | None = None
    ssc_fixef: SscFixef = "nonnested"
    allowed: tuple[str, ...] = INFERENCE_CHOICES
    offset: str | None = None
    ri_blocks: str | None = None

    @property
    def formula(self) -> str:
        rhs = " + ".join([*self.terms, *self.controls])
        return f"_y ~ {rhs}" + (f" | {' + '.join(self.fe)}" if self.fe else "")

    def pyfixest_fit(self, inference: str, cluster: str | None, data: pd.DataFrame) -> Any:
        """Fit with pyfixest under an analytic variance."""
        vcov = fixest.vcov_spec(inference, cluster)
        ssc = fixest.ssc(self.ssc_fixef)
        kwargs: dict[str, Any] = {"vcov": vcov, "weights": self.weights, "ssc": ssc}
        if self.family == "poisson":
            return fixest.fepois(self.formula, data, offset=self.offset, **kwargs)
        return fixest.feols(self.formula, data, fixef_tol=FIXEF_TOL, **kwargs)

    def infer(
        self,
        inference: str = "hc1",
        cluster: str | None = None,
        *,
        n_boot: int = 999,
        weights_type: str = "rademacher",
        seed: int | None = None,
        alpha: float = 0.05,
        what: str = "design",
    ) -> Inferred:
        """Fit and compute the chosen inference; see the module docstring."""
        check_inference(inference, cluster, what)
        if inference not in self.allowed:
            raise SpecError(
                f"{what}: inference={inference!r} is not valid for this design; "
                f"choose one of {list(self.allowed)}"
            )
        if inference in ("wild", "ri") and self.family == "poisson":
            raise SpecError(
                f"{what}: inference={inference!r} is implemented for linear models only; "
                "use 'hc1', 'crv1' or 'crv3' with family='poisson'"
            )
        if inference in ("wild", "ri") and n_boot < 9:
            raise SpecError(f"{what}: n_boot must be at least 9 for {inference!r}, got {n_boot}")
        if inference in ("wild", "ri"):
            limit = MAX_PERMUTATIONS if inference == "ri" else MAX_BOOTSTRAP_DRAWS
            check_at_most(n_boot, limit, f"{what}: n_boot")
        data, warnings = self.data, list[str]()
        if cluster:
            require_columns(data, [cluster], what)
            data, warnings = drop_missing(data, [cluster], what)
        g = None if not cluster or inference in ("hc1", "iid", "ri") else data[cluster].nunique()
        warnings += check_clusters(int(g or 0), inference, what) if g is not None else []
        try:
            fit = self.pyfixest_fit(inference, cluster, data)
        except ValueError as exc:
            if "collinear" not in str(exc):
                raise
            raise SpecError(
                f"{what}: all regressors are collinear with the fixed effects; the treatment "
                "needs variation within units and within periods"
            ) from exc
        warnings += self._collinearity_warnings(fit, what)
        table = fixest.tidy(
            fit, terms=list(self.terms), rename=self.terms, n_clusters=None if g is None else g
        )
        out = Inferred(table, warnings=warnings)
        if inference == "wild":
            self._wild(out, data, str(cluster), n_boot, weights_type, seed, alpha)
        elif inference == "ri":
            self._ri(out, data, n_boot, seed)
        return out

    def _collinearity_warnings(self, fit: Any, what: str) -> list[str]:
        kept = set(fixest.fit_stats(fit).coef_names)
        lost_terms = [self.terms[c] for c in self.terms if c not in kept]
        if lost_terms:
            raise SpecError(
                f"{what}: treatment term(s) {lost_terms} are collinear with the fixed effects or "
                "controls and cannot be estimated; remove the offending controls/fixed effects"
            )
        lost = [c for c in self.controls if c not in kept]
        return [f"control(s) {lost} collinear with the fixed effects/controls; dropped"] * bool(
            lost
        )

    def _partialled(self, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, Any]:
        """Outcome and regressors with FE partialled out and rows scaled by sqrt(weights),
        plus the function that re-partials residual columns (None when FE nest in clusters)."""
        cols = [*self.terms, *self.controls]
        codes = fe_codes(data, self.fe)
        w = None if self.weights is None else data[self.weights].to_numpy(dtype=float)
        sw = np.ones(len(data)) if w is None else np.sqrt(w)
        y = absorb(data["_y"].to_numpy(dtype=float), codes, w) * sw
        x = absorb(data[cols].to_numpy(dtype=float), codes, w) * sw[:, None]

        def repartial(mat: np.ndarray) -> np.ndarray:
            return absorb(mat / sw[:, None], codes, w) * sw[:, None]

        return y, x, repartial

    def _wild(self, out: Inferred, data: pd.DataFrame, cluster: str, n_boot: int,
              weights_type: str, seed: int | None, alpha: float) -> None:  # fmt: skip
        y, x, repartial = self._partialled(data)
        codes, g = cluster_codes(data[cluster])
        if self.fe and all(data.groupby(f)[cluster].nunique().max() == 1 for f in self.fe):
            repartial = None  # FE nested in clusters: re-partialling changes nothing
        if weights_type == "rademacher" and g <= 11:
            out.warnings.append(
                f"only {g} clusters: Rademacher weights give at most {2**g} distinct bootstrap "
                "samples; consider weights_type='webb' (Webb 2023)"
            )
        rows = []
        for k, term in enumerate(self.terms.values()):
            r = wild_cluster_bootstrap(
                y, x, k, codes, g, n_boot=n_boot, weights_type=weights_type, seed=seed,
                alpha=alpha, repartial=repartial,
            )  # fmt: skip
            idx = out.table.index[out.table["term"] == term]
            out.table.loc[idx, ["ci_low", "ci_high", "p_value"]] = [r.ci_low, r.ci_high, r.p_value]
            rows.append({"term": term, "t_stat": r.t_stat, "p_value": r.p_value,
                         "n_draws": r.n_draws, "full_enumeration": r.full_enumeration})  # fmt: skip
        out.extras["wild_bootstrap"] = pd.DataFrame(rows)
        out.notes.update(
            {
                "weights_type": weights_type,
                "n_boot": n_boot,
                "seed": seed,
                "std_error": "CRV1 (the bootstrap gives p-values and test-inversion CIs)",
            }  # fmt: skip
        )

    def _ri(self, out: Inferred, data: pd.DataFrame, n_perm: int, seed: int | None) -> None:
        res = randomization_inference(
            data,
            outcome="_y",
            treatment=self.treatment,
            build_terms=self.build_terms,
            controls=self.controls,
            fe=self.fe,
            weights=self.weights,
            scheme=self.ri_scheme,
            unit=self.unit,
            time=self.time,
            n_perm=n_perm,
            seed=seed,
            blocks=self.ri_blocks,
        )
        names = list(self.terms.values())
        out.table["std_error"] = res.draws.std(axis=0, ddof=1)
        out.table["p_value"] = res.p_values
        out.table[["ci_low", "ci_high"]] = np.nan
        out.extras["ri_distribution"] = pd.DataFrame(
            {
                "term": np.repeat(names, res.draws.shape[0]),
                "draw": np.tile(np.arange(1, res.draws.shape[0] + 1), len(names)),
                "estimate": res.draws.T.reshape(-1),
            }
        )
        out.notes.update(
            {
                "n_permutations": n_perm,
                "seed": seed,
                "permutation": self.ri_scheme,
                "std_error": "standard deviation of the permutation distribution; no CI",
            }  # fmt: skip
        )


_INFERENCE_EXTRAS = ("wild_bootstrap", "ri_distribution")


def attach(
    design: str,
    model: LinearModel,
    inferred: Inferred,
    metadata: dict[str, Any],
    extras: dict[str, pd.DataFrame] | None = None,
) -> Result:
    """Build the :class:`Result` and keep the model on it for :func:`with_inference`."""
    meta = dict(metadata)
    meta["warnings"] = list(dict.fromkeys([*meta.get("warnings", []), *inferred.warnings]))
    meta["inference_details"] = inferred.notes
    result = Result(design, inferred.table, meta, {**(extras or {}), **inferred.extras})
    result._model = model  # type: ignore[attr-defined]  # not serialised
    return result


def with_inference(
    result: Result,
    inference: str,
    cluster: str | None = None,
    *,
    n_boot: int = 999,
    weights_type: str = "rademacher",
    seed: int | None = None,
    alpha: float = 0.05,
) -> Result:
    """A new :class:`Result` with the same estimates and another inference.

    Works on results returned by the linear designs in this session (the model is kept on the
    result, not serialised); a result read back from JSON must be refitted instead.
    """
    model = getattr(result, "_model", None)
    if not isinstance(model, LinearModel):
        raise SpecError(
            f"result of design {result.design!r} carries no fitted model (read from JSON, or a "
            "design without re-computable inference); refit it with the new inference options"
        )
    base = [w for w in result.metadata.get("warnings", []) if w in result.metadata.get(
        "sample_warnings", [])]  # fmt: skip
    inferred = model.infer(
        inference, cluster, n_boot=n_boot, weights_type=weights_type, seed=seed, alpha=alpha,
        what=result.design,
    )  # fmt: skip
    meta = {**result.metadata, "inference": inference, "cluster": cluster, "warnings": base}
    meta["seed"] = seed
    extras = {k: v for k, v in result.extras.items() if k not in _INFERENCE_EXTRAS}
    return attach(result.design, model, inferred, meta, extras)
