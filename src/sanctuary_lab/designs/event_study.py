"""Two-way fixed-effects event study (leads and lags relative to adoption), fitted with pyfixest.

Model: ``y_it = a_i + l_t + sum_{k != ref} b_k 1[t - G_i = k] + X_it'c + e_it`` with end bins
(``k <= lo`` and ``k >= hi`` pooled when ``endpoints="bin"``), never-treated units kept as
controls (all dummies zero), unit and period fixed effects, optional weights and covariates.
A joint Wald test that all lead coefficients are zero is reported as the ``pretrend_wald`` row.

Under staggered adoption with heterogeneous effects the TWFE lead/lag coefficients can be
contaminated by other periods' effects (Sun & Abraham 2021); compare with the ``sun_abraham``,
``callaway_santanna`` and ``did2s`` designs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.result import Result
from sanctuary_lab.designs.staggered.panel import (
    REL,
    TREATED,
    check_window,
    dummy_name,
    event_dummies,
    panel_of,
)
from sanctuary_lab.designs.staggered.rows import (
    denominator_df,
    es_frame_from_table,
    pretrend_from_fit,
    rel_term,
    with_pretrend,
)
from sanctuary_lab.inference import fixest
from sanctuary_lab.inference.options import n_clusters

WHAT = "event_study"


@dataclass
class EventStudyDesign:
    """TWFE event study with binned endpoints.

    Parameters
    ----------
    outcome, unit, time
        Outcome, unit id and (integer) period columns.
    cohort
        First treated period per unit (``0`` or missing = never treated). Give this or
        ``treatment``.
    treatment
        Binary absorbing 0/1 treatment column; the cohort is its first period equal to 1.
    window
        ``(lo, hi)`` event window; relative times beyond it are binned into the end points
        (``endpoints="bin"``) or their rows dropped (``"drop"``).
    reference
        Omitted relative period (default ``-1``).
    covariates
        Time-varying controls added linearly.
    weights
        Regression weights column.
    cluster, inference
        Cluster column and ``"crv1"`` (default), ``"crv3"``, ``"hc1"``, ``"iid"`` or ``"ri"``
        (randomization inference: whole adoption paths are reassigned across units with
        :func:`sanctuary_lab.inference.ri.randomization_inference`; p-values from the permutation
        distribution, the pre-trend p-value from the permutation distribution of the Wald
        statistic; needs ``endpoints="bin"``).
    n_boot, seed
        Number of permutations and seed for ``inference="ri"``.
    """

    outcome: str
    unit: str
    time: str
    cohort: str | None = None
    treatment: str | None = None
    window: tuple[int, int] = (-5, 5)
    reference: int = -1
    endpoints: Literal["bin", "drop"] = "bin"
    covariates: list[str] = field(default_factory=list)
    weights: str | None = None
    cluster: str | None = None
    inference: Literal["iid", "hc1", "crv1", "crv3", "ri"] = "crv1"
    n_boot: int = 999
    seed: int | None = None

    def fit(self, data: pd.DataFrame) -> Result:
        """Fit the event study and return a :class:`Result`."""
        window = check_window(self.window, self.reference, WHAT)
        if self.endpoints not in ("bin", "drop"):
            raise SpecError(f"{WHAT}: endpoints must be 'bin' or 'drop', got {self.endpoints!r}")
        cluster = (
            self.cluster
            if self.cluster
            else (self.unit if self.inference in ("crv1", "crv3") else None)
        )
        panel = panel_of(
            self,
            data,
            cluster=cluster,
            what=WHAT,
            allowed_inference=("iid", "hc1", "crv1", "crv3", "ri"),
        )
        if self.inference == "ri" and self.endpoints != "bin":
            raise SpecError(f"{WHAT}: inference='ri' needs endpoints='bin'")
        if self.inference == "ri" and self.n_boot < 9:
            raise SpecError(f"{WHAT}: n_boot must be at least 9 for 'ri', got {self.n_boot}")
        df = panel.data
        warns = list(panel.warnings)
        if self.endpoints == "drop":
            out = df[REL].notna() & ((df[REL] < window[0]) | (df[REL] > window[1]))
            if out.any():
                warns.append(f"dropped {int(out.sum())} treated-unit row(s) outside the window")
                df = df.loc[~out]
        dummies, ks = event_dummies(df[REL], window, self.reference, self.endpoints)
        empty = [k for k in ks if dummies[dummy_name(k)].sum() == 0]
        if empty:
            warns.append(f"no observations at relative period(s) {empty}; those terms are dropped")
            dummies = dummies.drop(columns=[dummy_name(k) for k in empty])
            ks = [k for k in ks if k not in empty]
        est = pd.concat([df, dummies], axis=1)
        rhs = " + ".join([*dummies.columns, *self.covariates])
        formula = f"{self.outcome} ~ {rhs} | {self.unit} + {self.time}"
        fit = fixest.feols(
            formula,
            data=est,
            vcov=fixest.vcov_spec(self.inference, cluster),
            weights=self.weights,
        )
        fstats = fixest.fit_stats(fit)
        names = list(dummies.columns)
        rename = {n: rel_term(k, window, self.endpoints) for n, k in zip(names, ks, strict=True)}
        ncl = n_clusters(est, cluster)
        table = fixest.tidy(fit, terms=names, rename=rename, n_clusters=ncl)
        pre = [n for n, k in zip(names, ks, strict=True) if k < 0]
        test = pretrend_from_fit(fstats, pre, denominator_df(fstats, ncl))
        if self.inference == "ri":
            table, test = _randomization(self, est, names, ks, window, table, pre)
        table = with_pretrend(table, test, fstats.n_obs, np.nan if ncl is None else ncl)
        # use the fit's own CIs (t-based) for the plotted terms
        es = es_frame_from_table(ks, [rename[n] for n in names], table, self.reference)
        meta = {
            "outcome": self.outcome,
            "treatment": self.cohort or self.treatment,
            "inference": self.inference if not cluster else f"{self.inference} by {cluster}",
            "sample": f"{fstats.n_obs} unit-periods, {df[self.unit].nunique()} units",
            "window": list(window),
            "reference": self.reference,
            "endpoints": self.endpoints,
            "cohorts": panel.cohorts,
            "n_never_treated": panel.n_never,
            "pretrend": test,
            "formula": formula,
            "warnings": warns,
        }
        return Result("event_study", table, meta, {"event_study": es})


def _randomization(spec, est, names, ks, window, table, pre):
    """Permutation p-values: adoption paths reassigned across units, dummies rebuilt."""
    from sanctuary_lab.inference.ri import randomization_inference

    def build_terms(frame: pd.DataFrame) -> np.ndarray:
        on = frame.loc[frame[TREATED] == 1]
        first = on.groupby(spec.unit)[spec.time].min()
        cohort = frame[spec.unit].map(first)
        rel = frame[spec.time] - cohort  # NaN for never treated
        dummies, kk = event_dummies(rel, window, spec.reference, "bin")
        return dummies.loc[:, [dummy_name(k) for k in ks]].to_numpy(dtype=float)

    res = randomization_inference(
        est,
        outcome=spec.outcome,
        treatment=TREATED,
        build_terms=build_terms,
        controls=list(spec.covariates),
        fe=[spec.unit, spec.time],
        weights=spec.weights,
        scheme="paths",
        unit=spec.unit,
        time=spec.time,
        n_perm=spec.n_boot,
        seed=spec.seed,
    )
    table = table.copy()
    table["std_error"] = res.draws.std(axis=0, ddof=1)
    table["p_value"] = res.p_values
    table[["ci_low", "ci_high"]] = np.nan
    idx = [names.index(n) for n in pre]
    d = res.draws[:, idx]
    s_inv = np.linalg.pinv(np.atleast_2d(np.cov(d, rowvar=False)))
    w_obs = float(res.observed[idx] @ s_inv @ res.observed[idx])
    w_perm = np.einsum("pi,ij,pj->p", d, s_inv, d)
    p = float((1 + (w_perm >= w_obs * (1 - 1e-9)).sum()) / (1 + len(w_perm)))
    test = {"stat": w_obs, "df": len(idx), "p_value": p, "n_permutations": spec.n_boot,
            "seed": spec.seed, "method": "permutation distribution of the Wald statistic"}  # fmt: skip
    return table, test
