"""Nearest-neighbour matching for the ATT (with replacement), Abadie–Imbens variance.

Each treated unit is matched to its ``n_neighbors`` nearest controls, either by Mahalanobis
distance on the covariates (full-sample covariance) or by distance on the logit of a propensity
score (statsmodels logit). The ATT is ``mean_i∈T (Y_i - Ŷ_i(0))`` where ``Ŷ_i(0)`` is the mean
outcome of i's matches, optionally bias-corrected by a regression of Y on X among the controls
(Abadie & Imbens 2011, *JBES* 29(1)).

Standard error: the analytic Abadie & Imbens (2006, *Econometrica* 74(1), Theorem 7) estimator of
the variance of the (population) ATT, with the conditional variances ``σ²(X_i, W_i)`` estimated by
matching each unit to its ``J = 2`` nearest units of the same treatment group (as Stata
``teffects nnmatch, vce(robust, nn(2))``):

``V = (1/N1²) [ Σ_{treated} (Y_i - Ŷ_i(0) - ATT)² + Σ_{controls} K_i (K_i - 1)/M² · σ̂²_i ]``

where ``K_i`` is the number of times control i is used and ``M = n_neighbors``. No bootstrap (it
is invalid for matching; Abadie & Imbens 2008). With propensity-score matching the variance
treats the score as known (the Abadie & Imbens 2016 adjustment is not applied).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import cKDTree

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.result import TIDY_COLUMNS, Result
from sanctuary_lab.designs._common import (
    as_list,
    balance_table,
    check_binary,
    check_collinear,
    check_treatment_varies,
    spec_metadata,
)
from sanctuary_lab.designs.weighting import propensity_score
from sanctuary_lab.inference.sample import check_sample, require_frame

J_VARIANCE = 2


def _whiten(x: np.ndarray, what: str) -> np.ndarray:
    """Rows transformed so that Euclidean distance equals Mahalanobis distance."""
    cov = np.atleast_2d(np.cov(x, rowvar=False))
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError as exc:
        raise SpecError(
            f"{what}: covariate covariance is singular; drop redundant covariates"
        ) from exc
    return np.linalg.solve(chol, (x - x.mean(axis=0)).T).T


def _neighbours(source: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    """Indices (len(query) × k) of the k nearest rows of ``source``."""
    _, idx = cKDTree(source).query(query, k=k)
    return np.asarray(idx).reshape(len(query), k)


def _sigma2(space: np.ndarray, y: np.ndarray, j: int) -> np.ndarray:
    """σ̂²_i = J/(J+1) (Y_i - mean of its J nearest same-group neighbours)²."""
    if len(y) <= j:
        return np.full(len(y), np.var(y, ddof=1) if len(y) > 1 else 0.0)
    idx = _neighbours(space, space, j + 1)[:, 1:]  # drop self (first hit)
    return j / (j + 1) * (y - y[idx].mean(axis=1)) ** 2


@dataclass
class MatchingDesign:
    """Options of the nearest-neighbour matching design.

    Parameters
    ----------
    outcome, treatment, covariates
        Outcome, binary treatment and matching covariates.
    distance
        ``"mahalanobis"`` (on the covariates) or ``"propensity"`` (logit of a logit score).
    n_neighbors
        Matches per treated unit (M), with replacement.
    caliper
        Optional maximum distance (in the matching metric: Mahalanobis units or SDs of the
        logit score); treated units without a match inside it are dropped (reported).
    bias_adjust
        Abadie–Imbens (2011) regression bias correction.
    inference
        ``"abadie_imbens"`` (the only option; see the module docstring).
    """

    outcome: str
    treatment: str
    covariates: list[str] = field(default_factory=list)
    distance: Literal["mahalanobis", "propensity"] = "mahalanobis"
    n_neighbors: int = 1
    caliper: float | None = None
    bias_adjust: bool = True
    inference: Literal["abadie_imbens"] = "abadie_imbens"

    def fit(self, data: pd.DataFrame) -> Result:
        """Match, estimate the ATT and its Abadie–Imbens SE, and tabulate balance."""
        what = "matching"
        require_frame(data, what)
        covs = as_list(self.covariates)
        if not covs:
            raise SpecError(f"{what}: give at least one covariate to match on (covariates=[...])")
        if self.distance not in ("mahalanobis", "propensity"):
            raise SpecError(f"{what}: distance must be 'mahalanobis' or 'propensity'")
        if self.inference != "abadie_imbens":
            raise SpecError(f"{what}: inference must be 'abadie_imbens' (bootstrap is invalid)")
        if int(self.n_neighbors) < 1:
            raise SpecError(f"{what}: n_neighbors must be >= 1, got {self.n_neighbors}")
        if self.caliper is not None and self.caliper <= 0:
            raise SpecError(f"{what}: caliper must be positive (or None), got {self.caliper}")
        cols = [self.outcome, self.treatment, *covs]
        df, warnings = check_sample(data, cols, cols, what)
        df = df.reset_index(drop=True)
        t = check_binary(df, self.treatment, what).to_numpy() == 1
        df["_d"] = t.astype(float)
        check_treatment_varies(df, "_d", what)
        check_collinear(df, covs, what)
        m = int(self.n_neighbors)
        if (~t).sum() < m:
            raise SpecError(f"{what}: only {(~t).sum()} controls for n_neighbors={m}")
        x = df[covs].to_numpy(dtype=float)
        y = df[self.outcome].to_numpy(dtype=float)
        if self.distance == "mahalanobis":
            space = _whiten(x, what)
        else:
            ps = np.clip(propensity_score(df, t, covs), 1e-10, 1 - 1e-10)
            lg = np.log(ps / (1 - ps))
            space = ((lg - lg.mean()) / lg.std())[:, None]
        ti, ci = np.flatnonzero(t), np.flatnonzero(~t)
        dist, idx = cKDTree(space[ci]).query(space[ti], k=m)
        dist, idx = np.asarray(dist).reshape(len(ti), m), np.asarray(idx).reshape(len(ti), m)
        keep = np.ones(len(ti), bool)
        if self.caliper is not None:
            keep = dist.max(axis=1) <= self.caliper
            if not keep.any():
                raise SpecError(
                    f"{what}: no treated unit has a match within caliper={self.caliper}"
                )
            if (~keep).any():
                warnings.append(
                    f"{int((~keep).sum())} treated unit(s) without a match within the caliper "
                    "were dropped (the estimand is the ATT on the matched treated)"
                )
        ti, idx = ti[keep], idx[keep]
        matched = ci[idx]  # (N1, M) row numbers of the controls
        y0_hat = y[matched].mean(axis=1)
        if self.bias_adjust:
            xc = np.column_stack([np.ones(len(ci)), x[ci]])
            beta, *_ = np.linalg.lstsq(xc, y[ci], rcond=None)
            y0_hat = y0_hat + (x[ti] - x[matched].mean(axis=1)) @ beta[1:]
        effects = y[ti] - y0_hat
        att = float(effects.mean())
        n1 = len(ti)
        k_used = np.bincount(matched.ravel(), minlength=len(df)).astype(float)
        sig_c = np.zeros(len(df))
        sig_c[ci] = _sigma2(space[ci], y[ci], J_VARIANCE)
        var = (np.sum((effects - att) ** 2) + np.sum(k_used * (k_used - 1) / m**2 * sig_c)) / n1**2
        se = float(np.sqrt(var))
        z = stats.norm.ppf(0.975)
        table = pd.DataFrame(
            [[self.treatment, att, se, att - z * se, att + z * se,
              float(2 * stats.norm.sf(abs(att / se))) if se > 0 else np.nan, len(df), np.nan]],
            columns=list(TIDY_COLUMNS),
        )  # fmt: skip
        w_after = k_used / m
        w_after[ti] = 1.0
        balance = balance_table(df, covs, t, w_after)
        meta = spec_metadata(
            "matching", self, n=len(df), n_treated_matched=n1, n_controls_used=int((k_used > 0).sum()),
            warnings=warnings, sample_warnings=warnings,
            variance="Abadie-Imbens (2006) population ATT, sigma^2 by J=2 within-group matching",
        )  # fmt: skip
        pairs = pd.DataFrame({"treated_row": np.repeat(ti, m), "control_row": matched.ravel(),
                              "distance": dist[keep].ravel()})  # fmt: skip
        return Result("matching", table, meta, {"balance": balance, "matches": pairs})
