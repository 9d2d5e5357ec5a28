"""Callaway & Sant'Anna (2021) staggered difference-in-differences, fitted with ``csdid``.

Group-time average treatment effects ATT(g,t) with never-treated or not-yet-treated comparison
units, unconditional or conditional on covariates (doubly robust, IPW or outcome regression),
aggregated four ways (simple, dynamic/event-time, group, calendar). Standard errors are the
analytic influence-function ones (clustered by unit, or by ``cluster``). The pre-trend test is
R ``did``'s Wald pre-test that all pre-treatment ATT(g,t) are zero.

The Sun–Abraham and imputation / two-stage designs live in :mod:`.sun_abraham` and
:mod:`.did2s`; the panel preparation and result rows they share in :mod:`.panel` and :mod:`.rows`.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from csdid.att_gt import ATTgt
from scipy import stats

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.result import Result
from sanctuary_lab.designs.staggered.panel import COHORT, check_comparisons, panel_of
from sanctuary_lab.designs.staggered.rows import Z95, effect_rows, es_frame, rel_term, with_pretrend

WHAT = "callaway_santanna"
_AGG = {"simple": "simple", "dynamic": "dynamic", "group": "group", "calendar": "calendar"}


def _quiet(fn, *args: Any, _warns: list[str] | None = None, **kwargs: Any) -> Any:
    """Call a csdid function with its printing suppressed and its warnings collected."""
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        out = fn(*args, **kwargs)
    if _warns is not None:
        for w in got:
            msg = "csdid: " + " ".join(str(w.message).split())
            if msg not in _warns:
                _warns.append(msg)
    return out


@dataclass
class CallawaySantAnnaDesign:
    """Callaway–Sant'Anna ATT(g,t) with aggregations.

    Parameters
    ----------
    outcome, unit, time
        Outcome, unit id and (integer) period columns.
    cohort
        First treated period per unit (``0`` or missing = never treated). Give this or
        ``treatment``.
    treatment
        Binary absorbing 0/1 treatment column; the cohort is its first period equal to 1.
    control
        ``"never_treated"`` (default) or ``"not_yet_treated"`` comparison units.
    covariates
        Pre-treatment covariates for conditional parallel trends (used at the base period).
    method
        ``"dr"`` (doubly robust, default), ``"ipw"`` or ``"reg"`` (outcome regression).
    base_period
        ``"varying"`` (default; pre-periods are short differences) or ``"universal"``.
    anticipation
        Number of periods of anticipation before adoption.
    weights
        Sampling-weights column (constant within unit).
    cluster
        Cluster column for the analytic SEs (default: the unit).
    """

    outcome: str
    unit: str
    time: str
    cohort: str | None = None
    treatment: str | None = None
    control: Literal["never_treated", "not_yet_treated"] = "never_treated"
    covariates: list[str] = field(default_factory=list)
    method: Literal["dr", "ipw", "reg"] = "dr"
    base_period: Literal["varying", "universal"] = "varying"
    anticipation: int = 0
    weights: str | None = None
    cluster: str | None = None

    def _validate(self) -> None:
        if self.control not in ("never_treated", "not_yet_treated"):
            raise SpecError(
                f"{WHAT}: control must be 'never_treated' or 'not_yet_treated', got {self.control!r}"
            )
        if self.method not in ("dr", "ipw", "reg"):
            raise SpecError(f"{WHAT}: method must be 'dr', 'ipw' or 'reg', got {self.method!r}")
        if self.base_period not in ("varying", "universal"):
            raise SpecError(f"{WHAT}: base_period must be 'varying' or 'universal'")
        if not isinstance(self.anticipation, int) or self.anticipation < 0:
            raise SpecError(f"{WHAT}: anticipation must be a non-negative integer")

    def fit(self, data: pd.DataFrame) -> Result:
        """Estimate ATT(g,t) and its aggregations; return a :class:`Result`."""
        self._validate()
        cluster = self.cluster or self.unit
        panel = panel_of(
            self, data, cluster=cluster, what=WHAT, inference="crv1", allowed_inference=("crv1",)
        )
        check_comparisons(panel, self.control, WHAT)
        df = panel.data.copy()
        warns = list(panel.warnings)
        df["_sl_id"] = pd.factorize(df[self.unit], sort=True)[0] + 1
        df["_sl_t"] = df[self.time].astype(int)
        df["_sl_y"] = df[self.outcome].astype(float)
        cols = ["_sl_id", "_sl_t", "_sl_y", COHORT]
        xnames = [f"_sl_x{i}" for i in range(len(self.covariates))]
        for xn, c in zip(xnames, self.covariates, strict=True):
            df[xn] = df[c].astype(float)
        extra = {}
        if self.weights:
            df["_sl_w"] = df[self.weights].astype(float)
            extra["weights_name"] = "_sl_w"
        if cluster != self.unit:
            df["_sl_cl"] = pd.factorize(df[cluster], sort=True)[0] + 1
            extra["clustervar"] = "_sl_cl"
            cols.append("_sl_cl")
        df = df.loc[:, cols + xnames + (["_sl_w"] if self.weights else [])].copy()
        df[COHORT] = df[COHORT].astype(int)
        unbalanced = any(w.startswith("unbalanced panel") for w in warns)
        try:
            model = _quiet(
                ATTgt,
                _warns=warns,
                yname="_sl_y",
                tname="_sl_t",
                idname="_sl_id",
                gname=COHORT,
                data=df,
                control_group="nevertreated"
                if self.control == "never_treated"
                else "notyettreated",
                xformla=("~ " + " + ".join(xnames)) if xnames else None,
                allow_unbalanced_panel=unbalanced,
                anticipation=self.anticipation,
                **extra,
            )
            res = _quiet(
                model.fit,
                _warns=warns,
                est_method=self.method,
                base_period=self.base_period,
                bstrap=False,
            )
        except (ValueError, np.linalg.LinAlgError, ZeroDivisionError) as exc:
            raise SpecError(f"{WHAT}: csdid could not estimate this specification: {exc}") from exc
        n_obs = len(df)
        n_cl = int(df["_sl_cl"].nunique()) if "_sl_cl" in df else int(df["_sl_id"].nunique())
        r = res.results
        att_gt = pd.DataFrame(
            {
                "group": np.asarray(r["group"], dtype=float).astype(int),
                "time": np.asarray(r["year"], dtype=float).astype(int),
                "att": np.asarray(r["att"], dtype=float),
                "std_error": np.asarray(r["se"], dtype=float),
            }
        )
        att_gt["rel_time"] = att_gt["time"] - att_gt["group"]
        att_gt["post"] = att_gt["rel_time"] >= -self.anticipation
        att_gt["ci_low"] = att_gt["att"] - Z95 * att_gt["std_error"]
        att_gt["ci_high"] = att_gt["att"] + Z95 * att_gt["std_error"]
        aggs = {
            k: _quiet(res.aggte, _warns=warns, typec=v, bstrap=False, na_rm=True).atte
            for k, v in _AGG.items()
        }
        overall = [aggs[k] for k in ("simple", "dynamic", "group", "calendar")]
        dyn = aggs["dynamic"]
        e = np.asarray(dyn["egt"], dtype=float).astype(int)
        de = np.asarray(dyn["att_egt"], dtype=float)
        dse = np.asarray(dyn["se_egt"], dtype=float)
        effects = effect_rows(
            ["att", "att_dynamic", "att_group", "att_calendar", *(rel_term(int(k)) for k in e)],
            [*(float(a["overall_att"]) for a in overall), *de],
            [*(float(a["overall_se"]) for a in overall), *dse],
            n_obs,
            n_cl,
        )
        w, wp, q = _pretest(res, att_gt)
        pre = {"chi2": w, "df": q, "p_value": wp, "stat": w, "source": "csdid Wald pre-test"}
        if w is None:
            warns.append(
                "pre-trend Wald test not computable (singular covariance of the pre-treatment "
                "ATT(g,t), or none usable)"
            )
        table = with_pretrend(effects, pre, n_obs, n_cl)
        ref = -1 - self.anticipation if self.base_period == "universal" else None
        es = es_frame(list(e), de, dse, ref)
        extras = {
            "att_gt": att_gt,
            "event_study": es,
            "group": _agg_frame(aggs["group"], "group"),
            "calendar": _agg_frame(aggs["calendar"], "time"),
        }
        meta = {
            "outcome": self.outcome,
            "treatment": self.cohort or self.treatment,
            "inference": f"analytic influence-function SEs clustered by {cluster}",
            "sample": f"{n_obs} unit-periods, {int(df['_sl_id'].nunique())} units",
            "control": self.control,
            "method": self.method,
            "base_period": self.base_period,
            "anticipation": self.anticipation,
            "covariates": list(self.covariates),
            "cohorts": panel.cohorts,
            "n_never_treated": panel.n_never,
            "pretrend": pre,
            "warnings": warns,
        }
        return Result(WHAT, table, meta, extras)


def _pretest(res: Any, att_gt: pd.DataFrame) -> tuple[float | None, float | None, int]:
    """csdid's Wald pre-test, with the p-value recomputed unrounded from the statistic."""
    w = res.MP.get("W")
    if w is None or not np.isfinite(float(w)):
        return None, None, 0
    pre = att_gt.loc[~att_gt["post"]]
    q = int(((pre["std_error"] > 0) & np.isfinite(pre["std_error"])).sum())
    return float(w), float(stats.chi2.sf(float(w), q)), q


def _agg_frame(a: dict[str, Any], key: str) -> pd.DataFrame:
    est = np.asarray(a["att_egt"], dtype=float)
    se = np.asarray(a["se_egt"], dtype=float)
    return pd.DataFrame(
        {
            key: np.asarray(a["egt"], dtype=float).astype(int),
            "estimate": est,
            "std_error": se,
            "ci_low": est - Z95 * se,
            "ci_high": est + Z95 * se,
        }
    )
