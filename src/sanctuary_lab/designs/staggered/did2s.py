"""Gardner (2021) two-stage DiD / Borusyak–Jaravel–Spiess (2024) imputation, via pyfixest's did2s
steps (:func:`sanctuary_lab.inference.fixest.did2s`, stage-1 fixed effects solved to 1e-10).

Stage 1 fits unit and period fixed effects (plus covariates) on the untreated observations only
(never-treated units and not-yet-treated periods); stage 2 regresses the stage-1 residuals of all
observations on the treatment indicator (overall ATT, equal to the BJS imputation estimate
averaged over treated observations) and on event-time dummies (dynamic effects; leads measure
pre-period departures from the untreated model and feed the pre-trend Wald test). Standard
errors are pyfixest's GMM-corrected cluster-robust ones (Gardner 2021).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.result import Result
from sanctuary_lab.designs.staggered.panel import (
    REL,
    TREATED,
    check_window,
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

WHAT = "did2s"


@dataclass
class Did2sDesign:
    """Two-stage (imputation) difference-in-differences.

    Parameters
    ----------
    outcome, unit, time
        Outcome, unit id and (integer) period columns.
    cohort, treatment
        Adoption timing: first treated period (``0``/missing = never) or a binary absorbing
        0/1 treatment column. Give exactly one.
    window
        ``(lo, hi)`` event window for the dynamic effects; relative periods beyond it are binned.
    reference
        Omitted lead in the dynamic stage 2 (default ``-1``).
    covariates
        Time-varying controls in stage 1.
    weights
        Regression weights (both stages).
    cluster
        Cluster column for the GMM-corrected CRV1 SEs (default: the unit).
    """

    outcome: str
    unit: str
    time: str
    cohort: str | None = None
    treatment: str | None = None
    window: tuple[int, int] = (-5, 5)
    reference: int = -1
    covariates: list[str] = field(default_factory=list)
    weights: str | None = None
    cluster: str | None = None
    inference: Literal["crv1"] = "crv1"

    def fit(self, data: pd.DataFrame) -> Result:
        """Run both stages (static and dynamic) and return a :class:`Result`."""
        lo, hi = check_window(self.window, self.reference, WHAT)
        cluster = self.cluster or self.unit
        panel = panel_of(self, data, cluster=cluster, what=WHAT, allowed_inference=("crv1",))
        df = panel.data.copy()
        warns = list(panel.warnings)
        df, dropped = _drop_unimputable(df, self.unit, self.time)
        if dropped["units"]:
            warns.append(
                f"dropped {dropped['units']} unit(s) with fewer than 2 untreated periods: pyfixest "
                "drops singleton fixed effects in stage 1, so their effects cannot be imputed"
            )
        if dropped["periods"]:
            warns.append(
                f"dropped period(s) {dropped['periods']} with fewer than 2 untreated units: their "
                "period effect cannot be imputed (pyfixest drops singleton fixed effects)"
            )
        if df[TREATED].nunique() < 2:
            raise SpecError(
                f"{WHAT}: no treated unit has 2 or more untreated periods; the imputation needs "
                "pre-periods — use callaway_santanna or sun_abraham instead"
            )
        dummies, ks = event_dummies(df[REL], (lo, hi), self.reference, "bin")
        keep = [c for c in dummies.columns if dummies[c].sum() > 0]
        ks = [k for k, c in zip(ks, dummies.columns, strict=True) if c in keep]
        dummies = dummies.loc[:, keep]
        est = pd.concat([df, dummies], axis=1).reset_index(drop=True)
        est[TREATED] = est[TREATED].astype(bool)
        xs = " + ".join(self.covariates) if self.covariates else "0"
        first = f"~ {xs} | {self.unit} + {self.time}"
        kwargs: dict[str, Any] = {
            "yname": self.outcome,
            "first_stage": first,
            "treatment": TREATED,
            "cluster": cluster,
            "weights": self.weights,
        }
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                static = fixest.did2s(est, second_stage=f"~ {TREATED}", **kwargs)
                dynamic = fixest.did2s(est, second_stage="~ " + " + ".join(keep), **kwargs)
        except (ValueError, np.linalg.LinAlgError) as exc:
            raise SpecError(f"{WHAT}: pyfixest did2s failed on this specification: {exc}") from exc
        ncl = int(est[cluster].nunique())
        rename = {c: rel_term(k, (lo, hi)) for c, k in zip(keep, ks, strict=True)}
        rename[TREATED] = "att"
        s_tab = fixest.tidy(static, rename=rename, n_clusters=ncl)
        s_tab = s_tab.loc[s_tab["term"] == "att"]
        d_tab = fixest.tidy(dynamic, terms=keep, rename=rename, n_clusters=ncl)
        pre = [c for c, k in zip(keep, ks, strict=True) if k < 0]
        d_stats = fixest.fit_stats(dynamic)
        test = pretrend_from_fit(d_stats, pre, denominator_df(d_stats, ncl))
        effects = pd.concat([s_tab, d_tab], ignore_index=True)
        table = with_pretrend(effects, test, d_stats.n_obs, ncl)
        es = es_frame_from_table(ks, [rename[c] for c in keep], d_tab, self.reference)
        meta = {
            "outcome": self.outcome,
            "treatment": self.cohort or self.treatment,
            "inference": f"GMM-corrected CRV1 by {cluster}",
            "sample": f"{len(est)} unit-periods, {est[self.unit].nunique()} units",
            "window": [lo, hi],
            "reference": self.reference,
            "cohorts": panel.cohorts,
            "n_never_treated": panel.n_never,
            "first_stage": first,
            "pretrend": test,
            "warnings": warns,
        }
        return Result(WHAT, table, meta, {"event_study": es})


def _drop_unimputable(df: pd.DataFrame, unit: str, time: str) -> tuple[pd.DataFrame, dict]:
    """Drop units and periods with fewer than two untreated rows, repeatedly until none is left
    (pyfixest removes singleton fixed effects in stage 1, leaving their rows without an imputed
    counterfactual)."""
    units: set = set()
    periods: set = set()
    while True:
        untreated = df.loc[df[TREATED] == 0]
        n_u = df[unit].map(untreated.groupby(unit).size()).fillna(0)
        n_t = df[time].map(untreated.groupby(time).size()).fillna(0)
        bad_u, bad_t = n_u < 2, n_t < 2
        if not (bad_u.any() or bad_t.any()):
            break
        units |= set(df.loc[bad_u, unit])
        periods |= set(df.loc[bad_t, time])
        df = df.loc[~(bad_u | bad_t)].copy()
        if df.empty:
            break
    return df, {"units": len(units), "periods": sorted(int(p) for p in periods)}
