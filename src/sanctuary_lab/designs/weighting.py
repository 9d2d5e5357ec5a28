"""Reweighting designs for the ATT: inverse-probability weighting and entropy balancing.

* **IPW** (Hirano, Imbens & Ridder 2003): a logit propensity score ``e(X)`` (statsmodels);
  treated units get weight 1 and controls ``e/(1-e)`` (ATT), or ``1/e`` and ``1/(1-e)`` (ATE).
* **Entropy balancing** (Hainmueller 2012, *Political Analysis* 20(1)): control weights
  ``w_i ∝ exp(λ'X_i)`` closest in entropy to uniform such that the weighted control means of the
  covariates equal the treated means exactly (solved through the convex dual).

The effect is the coefficient on the treatment in a weighted regression of the outcome on the
treatment (pyfixest WLS; identical to the weighted difference in means). Its HC1/CRV1/CRV3
variance treats the weights as fixed — it ignores the estimation of the propensity score or of
the balancing weights (for IPW of the ATE this is conservative; Hirano et al. 2003). Balance
(standardised mean differences before/after) is in ``extras["balance"]``, the weights in
``extras["weights"]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.result import Result
from sanctuary_lab.designs._common import (
    as_list,
    balance_table,
    check_binary,
    check_collinear,
    check_treatment_varies,
    spec_metadata,
)
from sanctuary_lab.inference.linear import LinearModel, attach
from sanctuary_lab.inference.sample import check_sample, require_frame


def propensity_score(df: pd.DataFrame, treated: np.ndarray, covariates: list[str]) -> np.ndarray:
    """Fitted probabilities of a logit of the treatment on the covariates (with intercept)."""
    import statsmodels.api as sm

    x = sm.add_constant(df[covariates].to_numpy(dtype=float), has_constant="add")
    try:
        fit = sm.Logit(treated.astype(float), x).fit(disp=0, maxiter=200, method="newton")
    except Exception as exc:  # perfect separation, singular Hessian
        raise SpecError(
            f"the propensity-score logit failed ({exc}); a covariate may perfectly predict the "
            "treatment — drop it or coarsen it"
        ) from exc
    return np.asarray(fit.predict(x), dtype=float)


def entropy_weights(x_control: np.ndarray, target: np.ndarray, what: str) -> np.ndarray:
    """Entropy-balancing weights for the control rows (sum to 1) hitting ``target`` means."""
    scale = x_control.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x_control - target) / scale  # balance constraints: weighted mean of z = 0

    def dual(lam: np.ndarray) -> tuple[float, np.ndarray]:
        a = z @ lam
        amax = a.max()
        e = np.exp(a - amax)
        s = e.sum()
        return float(np.log(s) + amax), (e / s) @ z

    res = optimize.minimize(dual, np.zeros(z.shape[1]), jac=True, method="BFGS",
                            options={"gtol": 1e-10, "maxiter": 2000})  # fmt: skip
    a = z @ res.x
    w = np.exp(a - a.max())
    w /= w.sum()
    if np.abs(w @ z).max() > 1e-6:
        raise SpecError(
            f"{what}: entropy balancing did not converge (the treated means may lie outside the "
            "range of the controls); drop or coarsen covariates"
        )
    return w


@dataclass
class WeightingDesign:
    """Options of the reweighting design.

    Parameters
    ----------
    outcome, treatment, covariates
        Outcome, binary treatment and the covariates to balance.
    method
        ``"ipw"`` (logit propensity score) or ``"entropy"`` (entropy balancing, ATT only).
    estimand
        ``"att"`` or ``"ate"`` (IPW only).
    trim
        IPW: propensity scores are clipped to ``[trim, 1 - trim]``.
    inference, cluster
        ``"hc1"`` (default), ``"crv1"`` or ``"crv3"`` (with ``cluster``); weights treated as fixed.
    """

    outcome: str
    treatment: str
    covariates: list[str] = field(default_factory=list)
    method: Literal["ipw", "entropy"] = "ipw"
    estimand: Literal["att", "ate"] = "att"
    trim: float = 0.0
    inference: Literal["hc1", "crv1", "crv3"] = "hc1"
    cluster: str | None = None

    def fit(self, data: pd.DataFrame) -> Result:
        """Estimate the weights, the weighted effect and the balance table."""
        what = "weighting"
        require_frame(data, what)
        covs = as_list(self.covariates)
        if not covs:
            raise SpecError(f"{what}: give at least one covariate to balance (covariates=[...])")
        if self.method not in ("ipw", "entropy"):
            raise SpecError(f"{what}: method must be 'ipw' or 'entropy', got {self.method!r}")
        if self.estimand not in ("att", "ate") or (self.method, self.estimand) == (
            "entropy",
            "ate",
        ):
            raise SpecError(f"{what}: estimand must be 'att' (or 'ate' with method='ipw')")
        if self.inference not in ("hc1", "crv1", "crv3"):
            raise SpecError(
                f"{what}: inference must be 'hc1', 'crv1' or 'crv3' (the weights depend on the "
                "treatment, so wild bootstrap / permutation with fixed weights would be invalid)"
            )
        if not 0 <= self.trim < 0.5:
            raise SpecError(f"{what}: trim must be in [0, 0.5), got {self.trim}")
        cols = [self.outcome, self.treatment, *covs, self.cluster]
        df, warnings = check_sample(data, cols, [self.outcome, self.treatment, *covs], what)
        t = check_binary(df, self.treatment, what).to_numpy()
        df["_d"], df["_y"] = t.astype(float), df[self.outcome].astype(float)
        check_treatment_varies(df, "_d", what)
        check_collinear(df, covs, what)
        w = np.ones(len(df))
        if self.method == "ipw":
            ps = propensity_score(df, t, covs)
            if self.trim > 0:
                ps = np.clip(ps, self.trim, 1 - self.trim)
            if self.estimand == "att":
                w = np.where(t == 1, 1.0, ps / (1 - ps))
            else:
                w = np.where(t == 1, 1 / ps, 1 / (1 - ps))
            df["_ps"] = ps
        else:
            x = df[covs].to_numpy(dtype=float)
            wc = entropy_weights(x[t == 0], x[t == 1].mean(axis=0), what)
            w[t == 0] = wc * (t == 1).sum()
        df["_w"] = w
        model = LinearModel(
            data=df, terms={"_d": self.treatment}, controls=[], fe=[], weights="_w",
            family="ols", treatment="_d", build_terms=lambda f: f[["_d"]].to_numpy(float),
            ssc_fixef="full", allowed=("hc1", "crv1", "crv3"),
        )  # fmt: skip
        inferred = model.infer(self.inference, self.cluster, what=what)
        balance = balance_table(df, covs, t, w)
        ess = float(w[t == 0].sum() ** 2 / (w[t == 0] ** 2).sum())
        meta = spec_metadata(
            "weighting", self, n=len(df), n_treated=int(t.sum()), effective_n_controls=ess,
            warnings=warnings, sample_warnings=warnings,
        )  # fmt: skip
        keep = ["_d", "_w"] + (["_ps"] if "_ps" in df else [])
        weights = df[keep].rename(columns={"_d": "treated", "_w": "weight", "_ps": "pscore"})
        return attach(
            "weighting", model, inferred, meta,
            {"balance": balance, "weights": weights.reset_index(drop=True)},
        )  # fmt: skip
