"""Sun & Abraham (2021) interaction-weighted event study, fitted with pyfixest.

One regression with unit and period fixed effects and a full set of cohort x relative-period
interactions (the reference period left out), with never-treated units as the comparison group;
when there are none, the last-treated cohort serves as the comparison and the periods from its
adoption on are dropped (as in Sun & Abraham). Cohort-specific effects are then averaged to
event time with weights equal to each cohort's share of the observations at that relative period
(the IW estimator); the covariance of those averages is ``R V R'`` with ``V`` the regression's
clustered covariance. Relative periods beyond the window are averaged into end bins the same way.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.result import Result
from sanctuary_lab.designs.staggered.panel import COHORT, REL, check_window, panel_of
from sanctuary_lab.designs.staggered.rows import (
    denominator_df,
    effect_rows,
    es_frame,
    rel_term,
    wald_test,
    with_pretrend,
)
from sanctuary_lab.inference import fixest
from sanctuary_lab.inference.options import n_clusters

WHAT = "sun_abraham"


def _cell(g: int, k: int) -> str:
    return f"_sl_g{g}_{'m' if k < 0 else 'p'}{abs(k)}"


@dataclass
class SunAbrahamDesign:
    """Sun–Abraham interaction-weighted event study.

    Parameters
    ----------
    outcome, unit, time
        Outcome, unit id and (integer) period columns.
    cohort, treatment
        Adoption timing: first treated period (``0``/missing = never) or a binary absorbing
        0/1 treatment column. Give exactly one.
    window
        ``(lo, hi)`` reported event window; cells beyond it are averaged into end bins.
    reference
        Omitted relative period (default ``-1``).
    covariates, weights
        Optional linear controls and regression weights.
    cluster, inference
        Cluster column (default: the unit) and ``"crv1"`` (default), ``"crv3"``, ``"hc1"`` or
        ``"iid"``.
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
    inference: Literal["iid", "hc1", "crv1", "crv3"] = "crv1"

    def fit(self, data: pd.DataFrame) -> Result:
        """Fit the saturated regression, aggregate to event time, return a :class:`Result`."""
        lo, hi = check_window(self.window, self.reference, WHAT)
        cluster = self.cluster or (self.unit if self.inference in ("crv1", "crv3") else None)
        panel = panel_of(self, data, cluster=cluster, what=WHAT)
        df = panel.data.copy()
        warns = list(panel.warnings)
        control = "never-treated units"
        if panel.n_never == 0:
            last = panel.cohorts[-1]
            if len(panel.cohorts) < 2:
                raise SpecError(
                    f"{WHAT}: all treated units adopt in period {last} and none is never treated; "
                    "there is no comparison group — add never-treated units"
                )
            df = df.loc[df[self.time] < last].copy()
            df.loc[df[COHORT] == last, [COHORT, REL]] = [0.0, np.nan]
            control = f"last-treated cohort ({last}), periods from {last} on dropped"
            warns.append(f"no never-treated units: using the {control}")
        has_ref = set(df.loc[df[REL] == self.reference, COHORT])
        lacking = sorted(int(g) for g in set(df.loc[df[COHORT] > 0, COHORT]) - has_ref)
        if lacking:
            warns.append(
                f"cohort(s) {lacking} are never observed at the reference period "
                f"{self.reference}, so their effects cannot be normalised; they are dropped"
            )
            df = df.loc[~df[COHORT].isin(lacking)].copy()
            if not (df[COHORT] > 0).any():
                raise SpecError(
                    f"{WHAT}: no cohort is observed at the reference period {self.reference}; "
                    "choose a reference period inside the observed pre-periods (e.g. -1)"
                )
        cells = (
            df.loc[df[COHORT] > 0]
            .groupby([COHORT, REL])
            .size()
            .rename("n")
            .reset_index()
            .astype({COHORT: int, REL: int})
        )
        cells = cells.loc[cells[REL] != self.reference].reset_index(drop=True)
        cells["name"] = [_cell(g, k) for g, k in zip(cells[COHORT], cells[REL], strict=True)]
        dummies = {
            n: ((df[COHORT] == g) & (df[REL] == k)).astype(float).to_numpy()
            for n, g, k in zip(cells["name"], cells[COHORT], cells[REL], strict=True)
        }
        est = pd.concat([df, pd.DataFrame(dummies, index=df.index)], axis=1)
        rhs = " + ".join([*cells["name"], *self.covariates])
        formula = f"{self.outcome} ~ {rhs} | {self.unit} + {self.time}"
        with warnings.catch_warnings():
            # collinear cells are reported below in metadata["warnings"]
            warnings.filterwarnings("ignore", message=r"(?s).*multicollinearity")
            fit = fixest.feols(
                formula,
                data=est,
                vcov=fixest.vcov_spec(self.inference, cluster),
                weights=self.weights,
            )
        fstats = fixest.fit_stats(fit)
        coefnames = list(fstats.coef_names)
        dropped = [n for n in cells["name"] if n not in coefnames]
        if dropped:
            warns.append(
                f"{len(dropped)} cohort x period cell(s) collinear with the fixed effects and "
                "dropped (a cohort without its reference-period cell has no normalisation); "
                "choose a reference period every cohort is observed in"
            )
        cells = cells.loc[cells["name"].isin(coefnames)].reset_index(drop=True)
        beta, vcov = fstats.select(list(cells["name"]))
        cells["estimate"] = beta
        cells["std_error"] = np.sqrt(np.clip(np.diag(vcov), 0, None))
        if cluster:
            per = df.loc[df[COHORT] > 0].groupby(COHORT)[cluster].nunique()
            thin = sorted(int(g) for g in per[per < 2].index)
            if thin:
                warns.append(
                    f"cohort(s) {thin} lie in a single cluster: the cluster-robust variance of "
                    "their cells is degenerate (near zero); read their SEs and the pre-test "
                    "with care, or drop those cohorts"
                )
        binned = cells[REL].clip(lo, hi)
        ks = [k for k in range(lo, hi + 1) if k != self.reference and (binned == k).any()]
        rmat = np.zeros((len(ks) + 1, len(cells)))
        for i, k in enumerate(ks):
            m = (binned == k).to_numpy()
            rmat[i, m] = cells.loc[m, "n"] / cells.loc[m, "n"].sum()
        post = (cells[REL] >= 0).to_numpy()
        rmat[-1, post] = cells.loc[post, "n"] / cells.loc[post, "n"].sum()
        agg = rmat @ beta
        agg_v = rmat @ vcov @ rmat.T
        se = np.sqrt(np.clip(np.diag(agg_v), 0, None))
        ncl = n_clusters(est, cluster)
        dfd = denominator_df(fstats, ncl)
        tcrit = float(stats.t.ppf(0.975, dfd))
        terms = [rel_term(k, (lo, hi)) for k in ks] + ["att"]
        n_cl = np.nan if ncl is None else ncl
        pre_i = [i for i, k in enumerate(ks) if k < 0]
        test = wald_test(agg[pre_i], agg_v[np.ix_(pre_i, pre_i)], dfd)
        effects = effect_rows(terms, agg, se, fstats.n_obs, n_cl, df_denom=dfd)
        table = with_pretrend(effects, test, fstats.n_obs, effects["n_clusters"].iloc[0])
        es = es_frame(ks, agg[:-1], se[:-1], self.reference, z=tcrit)
        meta = {
            "outcome": self.outcome,
            "treatment": self.cohort or self.treatment,
            "inference": self.inference if not cluster else f"{self.inference} by {cluster}",
            "sample": f"{fstats.n_obs} unit-periods, {df[self.unit].nunique()} units",
            "control": control,
            "window": [lo, hi],
            "reference": self.reference,
            "cohorts": panel.cohorts,
            "pretrend": test,
            "warnings": warns,
        }
        cohort_table = cells.rename(columns={COHORT: "cohort", REL: "rel_time"}).drop(
            columns="name"
        )
        return Result(WHAT, table, meta, {"event_study": es, "cohort_effects": cohort_table})
