"""Result rows shared by the event-study and staggered-adoption designs.

Reported term names (:func:`rel_term`), effect rows with t- or normal-based intervals
(:func:`effect_rows`), the joint Wald pre-trend test (:func:`wald_test`, from a fit with
:func:`pretrend_from_fit`) and its tidy row, the tidy table with that row last
(:func:`with_pretrend`) and the event-study plot frame (:func:`es_frame`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sanctuary_lab.core.result import TIDY_COLUMNS
from sanctuary_lab.inference.fixest import FitStats

#: Two-sided 95% normal critical value.
Z95 = float(stats.norm.ppf(0.975))


def rel_term(k: int, window: tuple[int, int] | None = None, endpoints: str = "bin") -> str:
    """Reported term name for relative period ``k`` (end bins marked ``<=`` / ``>=``)."""
    if window is not None and endpoints == "bin":
        if k == window[0]:
            return f"rel_time[<={k}]"
        if k == window[1]:
            return f"rel_time[>={k}]"
    return f"rel_time[{k}]"


def effect_rows(
    terms: Sequence[str],
    estimate: Any,
    std_error: Any,
    n_obs: int,
    n_clusters: float,
    df_denom: float | None = None,
) -> pd.DataFrame:
    """Tidy rows for effects with known standard errors.

    Parameters
    ----------
    terms, estimate, std_error
        Term names with their estimates and standard errors.
    n_obs, n_clusters
        Sample size and number of clusters reported on every row.
    df_denom
        Degrees of freedom of t-based intervals and p-values. ``None``: normal ones, left
        missing where the standard error is zero or not finite (analytic influence-function SEs).
    """
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(std_error, dtype=float)
    if df_denom is None:
        ok = np.isfinite(se) & (se > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.where(ok, 2 * stats.norm.sf(np.abs(est / se)), np.nan)
        lo = np.where(ok, est - Z95 * se, np.nan)
        hi = np.where(ok, est + Z95 * se, np.nan)
    else:
        crit = float(stats.t.ppf(0.975, df_denom))
        lo, hi = est - crit * se, est + crit * se
        p = 2 * stats.t.sf(np.abs(est / se), df_denom)
    return pd.DataFrame(
        {
            "term": list(terms),
            "estimate": est,
            "std_error": se,
            "ci_low": lo,
            "ci_high": hi,
            "p_value": p,
            "n_obs": n_obs,
            "n_clusters": n_clusters,
        }
    )


def denominator_df(fit: FitStats, n_clusters: int | None) -> float:
    """Denominator degrees of freedom for F tests: G - 1 when clustered, else N - k."""
    if n_clusters:
        return float(n_clusters - 1)
    return float(fit.n_obs - fit.n_params)


def wald_test(
    beta: np.ndarray, vcov: np.ndarray, df_denom: float | None = None
) -> dict[str, float]:
    """Joint Wald test that all of ``beta`` are zero given their covariance ``vcov``.

    Returns the chi-square statistic, its degrees of freedom, the chi-square p-value and, when
    ``df_denom`` is given, the F statistic (chi2 / q) and its F(q, df_denom) p-value.
    """
    beta = np.asarray(beta, dtype=float)
    vcov = np.asarray(vcov, dtype=float)
    q = beta.size
    if q == 0:
        return {"stat": np.nan, "df": 0, "p_value": np.nan}
    w = float(beta @ np.linalg.pinv(vcov) @ beta)
    rank = int(np.linalg.matrix_rank(vcov)) if np.all(np.isfinite(vcov)) else 0
    if rank == 0:
        return {"stat": np.nan, "df": 0, "p_value": np.nan}
    out: dict[str, float] = {"chi2": w, "df": rank, "p_chi2": float(stats.chi2.sf(w, rank))}
    if df_denom is not None and df_denom > 0:
        f = w / rank
        out.update(
            {"stat": f, "p_value": float(stats.f.sf(f, rank, df_denom)), "df_denom": df_denom}
        )
    else:
        out.update({"stat": w, "p_value": out["p_chi2"]})
    return out


def pretrend_from_fit(fit: FitStats, names: list[str], df_denom: float) -> dict[str, float]:
    """Wald test that the coefficients ``names`` of a fit are jointly zero."""
    beta, vcov = fit.select(names)
    return wald_test(beta, vcov, df_denom)


def pretrend_row(test: dict[str, Any], n_obs: int, n_clusters: float) -> dict[str, Any]:
    """A tidy row for the pre-trend Wald test (statistic as estimate, its p-value)."""
    return {
        "term": "pretrend_wald",
        "estimate": np.nan if test.get("stat") is None else float(test["stat"]),
        "std_error": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "p_value": np.nan if test.get("p_value") is None else float(test["p_value"]),
        "n_obs": n_obs,
        "n_clusters": n_clusters,
    }


def with_pretrend(
    effects: pd.DataFrame, test: dict[str, Any], n_obs: int, n_clusters: float
) -> pd.DataFrame:
    """The tidy table: the effect rows, then the pre-trend row of ``test``."""
    row = pd.DataFrame([pretrend_row(test, n_obs, n_clusters)])
    return pd.concat([effects, row], ignore_index=True).loc[:, list(TIDY_COLUMNS)]


def es_frame(rel: list[int], est, se, reference: int | None, z: float = 1.959963984540054):
    """Event-study plot table with the reference period (estimate 0, no SE) marked."""
    out = pd.DataFrame(
        {
            "rel_time": np.asarray(rel, dtype=int),
            "estimate": np.asarray(est, dtype=float),
            "std_error": np.asarray(se, dtype=float),
        }
    )
    if reference is not None and reference not in set(out["rel_time"]):
        ref = pd.DataFrame({"rel_time": [reference], "estimate": [0.0], "std_error": [np.nan]})
        out = pd.concat([out, ref], ignore_index=True)
    out["ci_low"] = out["estimate"] - z * out["std_error"]
    out["ci_high"] = out["estimate"] + z * out["std_error"]
    out["reference"] = out["rel_time"] == reference if reference is not None else False
    return out.sort_values("rel_time").reset_index(drop=True)


def es_frame_from_table(
    rel: list[int], terms: list[str], table: pd.DataFrame, reference: int | None
) -> pd.DataFrame:
    """Event-study plot table for ``terms`` (one per ``rel`` period) read from a tidy table.

    Uses the table's own confidence intervals (e.g. t-based from the fit), not normal ones.
    """
    t = table.set_index("term")
    es = es_frame(
        rel,
        [t.loc[n, "estimate"] for n in terms],
        [t.loc[n, "std_error"] for n in terms],
        reference,
    )
    for n, k in zip(terms, rel, strict=True):
        es.loc[es["rel_time"] == k, ["ci_low", "ci_high"]] = t.loc[
            n, ["ci_low", "ci_high"]
        ].to_numpy(dtype=float)
    return es
