"""The one boundary to pyfixest: every fit, demeaning and fit attribute the package uses.

No other module imports pyfixest or reads a fit's private attributes; they call the functions
here and read a fit through :func:`fit_stats` (a typed :class:`FitStats`) or :func:`tidy`.

Two pyfixest 0.60 behaviours are corrected here (``pyproject.toml`` keeps pyfixest at 0.60.x):

* **Fixed-effect order.** pyfixest 0.60 builds a fit's fixed-effects frame (``fit._fe``) in an
  order that depends on Python's string-hash seed, while its small-sample correction flags the
  fixed effects nested in the cluster variable in formula order (``fit._fixef``). When the two
  orders differ, the number of levels of the *wrong* fixed effect is removed from ``k``, so a
  two-way model clustered on one of its fixed effects gets a different CRV1 standard error from
  one Python process to the next (e.g. ``y ~ d | unit + year`` clustered by unit: ``k`` drops 10
  year levels instead of 40 unit levels in about half of all processes). :func:`align_fixef_order`
  puts ``_fe`` back in formula order and recomputes the variance, which gives fixest's "nested"
  convention in every process; :func:`feols` and :func:`fepois` apply it.
* **did2s stage-1 fixed effects.** ``pyfixest.did2s`` recovers the stage-1 fixed effects with
  ``scipy.sparse.linalg.lsqr`` at its default tolerances (``atol = btol = 1e-6``). That stopping
  rule can be met marginally, so the iteration it stops at (and the 6th digit of every did2s
  estimate) depends on the floating-point rounding of the machine: on mpdta the overall ATT is
  -0.0337214 where lsqr stops after 10 iterations and -0.0337160 where it runs 12 (the exact
  two-stage value is -0.03371585). :func:`did2s` runs the same two stages and GMM variance with
  the fixed effects solved to :data:`DID2S_LSQR_TOL`, which gives the exact value on every machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyfixest as pf
from pyfixest.core.demean import demean as pyfixest_demean
from pyfixest.core.detect_singletons import detect_singletons as pyfixest_detect_singletons
from pyfixest.did.did2s import _did2s_vcov

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.result import TIDY_COLUMNS
from sanctuary_lab.inference.options import INFERENCE_CHOICES

SscFixef = Literal["nonnested", "none", "full"]
#: lsqr tolerance for the stage-1 fixed effects of :func:`did2s` (pyfixest's default is 1e-6).
DID2S_LSQR_TOL = 1e-10


@dataclass(frozen=True)
class FitStats:
    """What the package reads from a pyfixest fit.

    Attributes
    ----------
    n_obs
        Observations used (after pyfixest's own drops).
    n_params
        Number of estimated coefficients (``k``, fixed effects not counted).
    coef_names
        Names of the estimated coefficients (collinear regressors dropped), in fit order.
    beta
        Coefficient estimates, in ``coef_names`` order.
    vcov
        Their variance-covariance matrix.
    """

    n_obs: int
    n_params: int
    coef_names: tuple[str, ...]
    beta: np.ndarray
    vcov: np.ndarray

    def select(self, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Coefficients and covariance block of the ``names`` the fit kept (in ``names`` order)."""
        idx = [self.coef_names.index(n) for n in names if n in self.coef_names]
        return self.beta[idx], self.vcov[np.ix_(idx, idx)]


def fit_stats(fit: Any) -> FitStats:
    """The :class:`FitStats` of a pyfixest ``Feols``/``Fepois`` fit."""
    return FitStats(
        n_obs=int(fit._N),
        n_params=int(fit._k),
        coef_names=tuple(str(c) for c in fit._coefnames),
        beta=np.asarray(fit._beta_hat, dtype=float),
        vcov=np.asarray(fit._vcov, dtype=float),
    )


def vcov_spec(inference: str, cluster: str | None) -> str | dict[str, str]:
    """The pyfixest ``vcov`` argument for an analytic inference option."""
    if inference == "iid":
        return "iid"
    if inference in ("hc1", "ri"):
        return "hetero"
    if inference in ("crv1", "wild"):
        return {"CRV1": str(cluster)}
    if inference == "crv3":
        return {"CRV3": str(cluster)}
    raise SpecError(f"unknown inference {inference!r}; choose one of {list(INFERENCE_CHOICES)}")


def ssc(k_fixef: SscFixef) -> Any:
    """pyfixest's small-sample correction with ``k_fixef`` for the absorbed fixed effects."""
    return pf.ssc(k_adj=True, k_fixef=k_fixef, G_adj=True, G_df="min")


def fixef_columns(fixef: str) -> list[str]:
    """The ``fit._fe`` column names of the fixed effects in formula order."""
    return [f"__fixed_effect__({name.strip().replace('^', '_')})" for name in fixef.split("+")]


def align_fixef_order(fit: Any, vcov: Any = None) -> bool:
    """Put ``fit._fe`` in formula order and recompute a clustered variance; True if it did.

    Parameters
    ----------
    fit
        A pyfixest ``Feols``/``Fepois`` fit.
    vcov
        The ``vcov`` argument the fit was made with (``None``: the fit's own clustered spec).
    """
    fe = getattr(fit, "_fe", None)
    fixef = getattr(fit, "_fixef", None)
    if not isinstance(fe, pd.DataFrame) or not fixef or fixef == "0":
        return False
    wanted = fixef_columns(fixef)
    if list(fe.columns) == wanted or set(fe.columns) != set(wanted):
        return False
    fit._fe = fe.loc[:, wanted]
    fit._k_fe = fit._fe.nunique(axis=0)
    if getattr(fit, "_is_clustered", False):
        spec = vcov
        if spec is None:
            spec = {fit._vcov_type_detail: "+".join(fit._clustervar)}
        fit.vcov(spec)
    return True


def feols(fml: str, data: pd.DataFrame, **kwargs: Any) -> Any:
    """:func:`pyfixest.feols` with :func:`align_fixef_order` applied."""
    fit = pf.feols(fml, data, **kwargs)
    align_fixef_order(fit, kwargs.get("vcov"))
    return fit


def fepois(fml: str, data: pd.DataFrame, **kwargs: Any) -> Any:
    """:func:`pyfixest.fepois` with :func:`align_fixef_order` applied."""
    fit = pf.fepois(fml, data, **kwargs)
    align_fixef_order(fit, kwargs.get("vcov"))
    return fit


def did2s(
    data: pd.DataFrame,
    *,
    yname: str,
    first_stage: str,
    second_stage: str,
    treatment: str,
    cluster: str,
    weights: str | None = None,
) -> Any:
    """:func:`pyfixest.did2s` with the stage-1 fixed effects solved to :data:`DID2S_LSQR_TOL`.

    The same steps as pyfixest 0.60's ``did2s`` (stage 1 on the untreated rows, stage 2 on its
    residuals without intercept, Gardner's GMM-corrected CRV1 variance); only the lsqr tolerance
    of the stage-1 fixed effects differs (see the module docstring). Raises what pyfixest raises
    (``ValueError``, ``numpy.linalg.LinAlgError``).
    """
    first_stage = first_stage.replace(" ", "")
    second_stage = second_stage.replace(" ", "")
    data = data.copy()
    treat_u = data[treatment].unique()
    if len(treat_u) != 2:
        raise ValueError(
            f"The treatment variable {treatment} must have 2 unique values but it has unique "
            f"values {treat_u}."
        )
    data[treatment] = data[treatment].astype(bool)
    stage1 = pf.feols(
        f"{yname} {first_stage}", data=data.loc[~data[treatment]], vcov="iid", weights=weights
    )
    stage1.fixef(atol=DID2S_LSQR_TOL, btol=DID2S_LSQR_TOL)
    first_u = data[yname].to_numpy().flatten() - stage1.predict(newdata=data)
    data[f"{yname}_hat"] = first_u
    fit = pf.feols(
        f"{yname}_hat {second_stage}", data=data, vcov="iid", drop_intercept=True, weights=weights
    )
    vcov, n_groups = _did2s_vcov(
        data=data,
        yname=yname,
        first_stage=first_stage,
        second_stage=second_stage,
        treatment=treatment,
        first_u=first_u,
        second_u=fit.resid(),
        cluster=cluster,
        weights=weights,
    )
    fit._vcov = vcov
    fit._G = n_groups
    fit.get_inference()
    fit._vcov_type = "CRV1"
    fit._vcov_type_detail = "CRV1 (GMM)"
    fit._method = "did2s"
    return fit


def tidy(
    fit: Any,
    *,
    terms: Sequence[str] | None = None,
    rename: dict[str, str] | None = None,
    n_clusters: int | None = None,
) -> pd.DataFrame:
    """Turn a pyfixest fit (Feols/Fepois) into the shared tidy frame.

    Parameters
    ----------
    fit
        A fitted pyfixest model.
    terms
        Coefficient names to keep (default: all).
    rename
        Optional mapping from pyfixest coefficient names to reported term names.
    n_clusters
        Number of clusters to report (``None`` for unclustered inference).
    """
    t = fit.tidy()
    if terms is not None:
        t = t.loc[[c for c in terms if c in t.index]]
    rename = rename or {}
    out = pd.DataFrame(
        {
            "term": [rename.get(str(c), str(c)) for c in t.index],
            "estimate": t["Estimate"].to_numpy(dtype=float),
            "std_error": t["Std. Error"].to_numpy(dtype=float),
            "ci_low": t["2.5%"].to_numpy(dtype=float),
            "ci_high": t["97.5%"].to_numpy(dtype=float),
            "p_value": t["Pr(>|t|)"].to_numpy(dtype=float),
        }
    )
    out["n_obs"] = fit_stats(fit).n_obs
    out["n_clusters"] = np.nan if n_clusters is None else int(n_clusters)
    return out.loc[:, list(TIDY_COLUMNS)]


def demean(
    x: np.ndarray, flist: np.ndarray, weights: np.ndarray, *, tol: float, maxiter: int
) -> tuple[np.ndarray, bool]:
    """pyfixest's alternating-projections demeaner: ``x`` (n × k, C-contiguous float64) by the
    fixed-effect codes ``flist`` (n × n_fe, uint64), weighted; returns (demeaned, converged)."""
    return pyfixest_demean(x, flist, weights, tol=tol, maxiter=maxiter)


def detect_singletons(ids: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows in singleton fixed-effect groups (pyfixest's rule, iterated)."""
    return pyfixest_detect_singletons(ids)
