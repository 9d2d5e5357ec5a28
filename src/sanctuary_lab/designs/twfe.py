"""Two-way fixed effects panel regression (OLS or Poisson/PPML), all fits via pyfixest.

Model: ``y_it = beta * D_it + X_it' gamma + alpha_i + lambda_t + e_it`` with a binary or
continuous treatment ``D`` (e.g. the share of a county's population covered by Secure
Communities), unit and time effects, optional covariates and weights (e.g. population). The
outcome can be transformed (rate per 100k/10k from a count and a population column, log, log1p).
With ``family="poisson"`` the model is ``E[y_it] = exp(beta * D_it + X_it' gamma + alpha_i +
lambda_t)`` estimated by pseudo-maximum likelihood (PPML; Santos Silva & Tenreyro 2006) with
pyfixest ``fepois``; ``exp(beta) - 1`` is the proportional effect.

Inference: see :mod:`sanctuary_lab.inference` (HC1, CRV1, CRV3, wild cluster bootstrap,
randomization inference permuting treatment paths across units).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.result import Result
from sanctuary_lab.designs._common import (
    as_list,
    check_treatment_varies,
    spec_metadata,
)
from sanctuary_lab.inference.fixest import SscFixef
from sanctuary_lab.inference.linear import LinearModel, attach
from sanctuary_lab.inference.options import Inference
from sanctuary_lab.inference.sample import check_columns, drop_missing, require_frame

Transform = Literal["none", "rate100k", "rate10k", "log", "log1p"]
_RATE = {"rate100k": 1e5, "rate10k": 1e4}


def transform_outcome(
    df: pd.DataFrame, outcome: str, transform: str, population: str | None, what: str
) -> tuple[pd.Series, list[str]]:
    """The transformed outcome and warnings (rows made missing by the transform)."""
    y = pd.to_numeric(df[outcome], errors="coerce").astype(float)
    warnings: list[str] = []
    if transform == "none":
        return y, warnings
    if transform in _RATE:
        if population is None:
            raise SpecError(
                f"{what}: transform={transform!r} needs population='<column>' to divide by"
            )
        pop = pd.to_numeric(df[population], errors="coerce").astype(float)
        bad = pop <= 0
        if bad.any():
            warnings.append(f"{int(bad.sum())} row(s) with population <= 0 set to missing")
        return (y / pop.where(~bad) * _RATE[transform]), warnings
    if transform == "log":
        bad = y <= 0
        if bad.any():
            warnings.append(
                f"{int(bad.sum())} row(s) with {outcome} <= 0 have no log and were dropped; "
                "consider transform='log1p' or family='poisson'"
            )
        return np.log(y.where(~bad)), warnings
    if transform == "log1p":
        bad = y < 0
        if bad.any():
            warnings.append(f"{int(bad.sum())} row(s) with negative {outcome} dropped for log1p")
        return np.log1p(y.where(~bad)), warnings
    choices = ["none", *_RATE, "log", "log1p"]
    raise SpecError(f"{what}: unknown transform {transform!r}; choose one of {choices}")


@dataclass
class TWFEDesign:
    """Options of the two-way fixed effects design.

    Parameters
    ----------
    outcome, treatment, unit, time
        Column names. ``treatment`` may be binary (0/1) or continuous.
    controls
        Time-varying covariates.
    transform, population
        Outcome transform; the rates need the ``population`` column.
    weights
        Weight column (e.g. the population column for population-weighted estimates).
    family
        ``"ols"`` (feols) or ``"poisson"`` (PPML, fepois) for counts.
    inference, cluster
        ``"hc1"``, ``"crv1"``, ``"crv3"``, ``"wild"`` or ``"ri"``; the cluster column defaults to
        ``unit`` for the clustered options.
    n_boot, weights_type, seed
        Bootstrap draws / permutations, wild weights (``"rademacher"`` or ``"webb"``), seed.
    ssc_fixef
        How the absorbed fixed effects count in the small-sample correction (pyfixest
        ``k_fixef``): ``"nonnested"`` (fixest default), ``"none"`` (as R ``plm``) or ``"full"``
        (as a dummy-variable regression in statsmodels/Stata ``regress``).
    exposure
        PPML only: a positive column (e.g. population) whose log enters as an offset, so the
        model is for the rate ``count / exposure``.
    """

    outcome: str
    treatment: str
    unit: str
    time: str
    controls: list[str] = field(default_factory=list)
    transform: Transform = "none"
    population: str | None = None
    weights: str | None = None
    family: Literal["ols", "poisson"] = "ols"
    inference: Inference = "crv1"
    cluster: str | None = None
    n_boot: int = 999
    weights_type: Literal["rademacher", "webb"] = "rademacher"
    seed: int | None = None
    ssc_fixef: SscFixef = "nonnested"
    exposure: str | None = None

    def linear_model(self, data: pd.DataFrame) -> tuple[LinearModel, list[str]]:
        """Validate the options against ``data`` and build the estimation model."""
        what = "twfe"
        require_frame(data, what)
        controls = as_list(self.controls)
        if self.family not in ("ols", "poisson"):
            raise SpecError(f"{what}: family must be 'ols' or 'poisson', got {self.family!r}")
        if self.ssc_fixef not in ("nonnested", "none", "full"):
            raise SpecError(f"{what}: ssc_fixef must be 'nonnested', 'none' or 'full'")
        cols: list[str | None] = [self.outcome, self.treatment, self.unit, self.time, *controls]
        cols += [self.population, self.weights]
        numeric = [self.outcome, self.treatment, *controls, self.weights]
        check_columns(data, [*cols, self.exposure], numeric, what)
        if self.exposure is not None and self.family != "poisson":
            raise SpecError(
                f"{what}: exposure is for family='poisson'; with OLS use "
                "transform='rate100k' and population='<column>'"
            )
        if self.family == "poisson" and self.transform in ("log", "log1p"):
            raise SpecError(f"{what}: PPML models the count itself; use transform='none'")
        df = data.copy()
        df["_y"], warnings = transform_outcome(
            df, self.outcome, self.transform, self.population, what
        )
        df["_d"] = df[self.treatment].astype(float)
        used = ["_y", "_d", self.unit, self.time, *controls, self.weights]
        if self.exposure is not None:
            expo = pd.to_numeric(df[self.exposure], errors="coerce").astype(float)
            if (expo <= 0).any():
                warnings.append(
                    f"{int((expo <= 0).sum())} row(s) with {self.exposure} <= 0 dropped"
                )
            df["_log_exposure"] = np.log(expo.where(expo > 0))
            used.append("_log_exposure")
        df, dropped = drop_missing(df, used, what)
        warnings += dropped
        if self.weights is not None and (df[self.weights] < 0).any():
            raise SpecError(f"{what}: weights column {self.weights!r} has negative values")
        if self.family == "poisson" and (df["_y"] < 0).any():
            raise SpecError(f"{what}: PPML needs a non-negative outcome; {self.outcome!r} has < 0")
        check_treatment_varies(df, "_d", what)
        within_unit = df.groupby(self.unit)["_d"].nunique().max() >= 2
        within_time = df.groupby(self.time)["_d"].nunique().max() >= 2
        if not (within_unit and within_time):
            absorbed, col = ("unit", self.unit) if not within_unit else ("time", self.time)
            raise SpecError(
                f"{what}: treatment {self.treatment!r} is collinear with the fixed effects: it "
                f"never changes within a {absorbed} ({col}), so the {absorbed} effects absorb "
                "it; use a cross-section design instead"
            )
        if df.duplicated([self.unit, self.time]).any():
            n = int(df.duplicated([self.unit, self.time]).sum())
            raise SpecError(
                f"{what}: {n} duplicated ({self.unit}, {self.time}) pair(s); aggregate first"
            )
        model = LinearModel(
            data=df,
            terms={"_d": self.treatment},
            controls=controls,
            fe=[self.unit, self.time],
            weights=self.weights,
            family=self.family,
            treatment="_d",
            build_terms=lambda frame: frame[["_d"]].to_numpy(dtype=float),
            ri_scheme="paths",
            unit=self.unit,
            time=self.time,
            ssc_fixef=self.ssc_fixef,
            offset=None if self.exposure is None else "_log_exposure",
        )
        return model, warnings

    def fit(self, data: pd.DataFrame) -> Result:
        """Estimate the design on ``data`` and return a :class:`Result`."""
        model, warnings = self.linear_model(data)
        cluster = self.cluster
        if cluster is None and self.inference in ("crv1", "crv3", "wild"):
            cluster = self.unit
        inferred = model.infer(
            self.inference, cluster, n_boot=self.n_boot, weights_type=self.weights_type,
            seed=self.seed, what="twfe",
        )  # fmt: skip
        df = model.data
        meta = spec_metadata(
            "twfe",
            self,
            cluster=cluster,
            n=len(df),
            n_units=int(df[self.unit].nunique()),
            n_periods=int(df[self.time].nunique()),
            treatment_kind="binary" if set(df["_d"].unique()) <= {0.0, 1.0} else "continuous",
            warnings=warnings,
            sample_warnings=warnings,
        )
        if self.family == "poisson":
            meta["effect_scale"] = "log points; exp(estimate) - 1 is the proportional effect"
        return attach("twfe", model, inferred, meta)
