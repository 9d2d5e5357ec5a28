"""Cross-section comparison of treated and untreated units, raw and covariate-adjusted.

Wong (2017, *The Effects of Sanctuary Policies on Crime and the Economy*, Center for American
Progress) compares sanctuary and non-sanctuary counties by difference in means and within
urban–rural classes. This design estimates

* the **raw** difference in means ``E[y | D=1] - E[y | D=0]`` (OLS of y on D), reported in
  ``extras["raw_difference"]``, and
* the **adjusted** difference by OLS ``y = a + b D + X'g + e`` (the tidy table),

optionally within strata (one term per stratum, ``treated:stratum=1`` ..., with stratum fixed
effects, so each term compares units of the same class) and with weights. All fits via pyfixest;
inference options as in :mod:`sanctuary_lab.inference` (RI permutes the treatment across units,
within strata when strata are given).
The estimate is a conditional difference, causal only under selection on observables.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.result import Result
from sanctuary_lab.designs._common import (
    as_list,
    check_binary,
    check_collinear,
    check_treatment_varies,
    spec_metadata,
)
from sanctuary_lab.inference.fixest import SscFixef
from sanctuary_lab.inference.linear import LinearModel, attach
from sanctuary_lab.inference.options import Inference
from sanctuary_lab.inference.sample import check_sample


@dataclass
class CrossSectionDesign:
    """Options of the cross-section design.

    Parameters
    ----------
    outcome, treatment
        Outcome column and binary (0/1) treatment column.
    controls
        Covariates for the adjusted comparison (empty: adjusted = raw).
    strata
        Optional stratum column (e.g. NCHS urban–rural class): one treatment term per stratum.
    weights
        Optional weight column (e.g. population).
    inference, cluster, n_boot, weights_type, seed
        Inference options (``"hc1"`` default; ``"crv1"`` etc. need ``cluster``, e.g. the state).
    ssc_fixef
        Small-sample treatment of the stratum fixed effects (pyfixest ``k_fixef``); the default
        ``"full"`` counts them as a dummy-variable OLS regression does.
    treatment_kind
        ``"binary"`` (a 0/1 comparison) or ``"continuous"`` (the tidy terms are then slopes and
        ``raw_difference`` is the bivariate slope).
    """

    outcome: str
    treatment: str
    controls: list[str] = field(default_factory=list)
    strata: str | None = None
    weights: str | None = None
    inference: Inference = "hc1"
    cluster: str | None = None
    n_boot: int = 999
    weights_type: Literal["rademacher", "webb"] = "rademacher"
    seed: int | None = None
    ssc_fixef: SscFixef = "full"
    treatment_kind: Literal["binary", "continuous"] = "binary"

    def linear_model(self, data: pd.DataFrame) -> tuple[LinearModel, list[str]]:
        """Validate the options against ``data`` and build the estimation model."""
        what = "cross_section"
        controls = as_list(self.controls)
        cols = [self.outcome, self.treatment, *controls, self.strata, self.weights, self.cluster]
        numeric = [self.outcome, self.treatment, *controls, self.weights]
        df, warnings = check_sample(data, cols, numeric, what)
        df["_y"] = df[self.outcome].astype(float)
        if self.treatment_kind == "binary":
            df["_d"] = check_binary(df, self.treatment, what).astype(float)
        elif self.treatment_kind == "continuous":
            df["_d"] = df[self.treatment].astype(float)
        else:
            raise SpecError(f"{what}: treatment_kind must be 'binary' or 'continuous'")
        check_treatment_varies(df, "_d", what)
        if self.weights is not None and (df[self.weights] < 0).any():
            raise SpecError(f"{what}: weights column {self.weights!r} has negative values")
        check_collinear(df, ["_d", *controls] if not self.strata else controls, what)
        if not self.strata:
            terms = {"_d": self.treatment}
            levels: list[object] = []
        else:
            levels, terms = [], {}
            for i, (level, grp) in enumerate(sorted(df.groupby(self.strata)["_d"], key=_key)):
                if grp.nunique() < 2:
                    warnings.append(
                        f"treatment does not vary within stratum {self.strata}={level}; "
                        "no estimate for it"
                    )
                    continue
                levels.append(level)
                terms[f"_d{i}"] = f"{self.treatment}:{self.strata}={level}"
            if not terms:
                raise SpecError(
                    f"{what}: no stratum of {self.strata!r} has treated and untreated units"
                )
        strata, treat_cols = self.strata, list(terms)

        def build_terms(frame: pd.DataFrame) -> np.ndarray:
            d = frame["_d"].to_numpy(dtype=float)
            if not strata:
                return d[:, None]
            s = frame[strata].to_numpy()
            return np.column_stack([d * (s == lv) for lv in levels])

        df[treat_cols] = build_terms(df)
        model = LinearModel(
            data=df,
            terms=terms,
            controls=controls,
            fe=[self.strata] if self.strata else [],
            weights=self.weights,
            family="ols",
            treatment="_d",
            build_terms=build_terms,
            ri_scheme="units",
            ri_blocks=self.strata,
            ssc_fixef=self.ssc_fixef,
        )
        return model, warnings

    def fit(self, data: pd.DataFrame) -> Result:
        """Estimate the raw and adjusted differences on ``data``."""
        model, warnings = self.linear_model(data)
        opts = dict(n_boot=self.n_boot, weights_type=self.weights_type, seed=self.seed)
        inferred = model.infer(self.inference, self.cluster, what="cross_section", **opts)  # type: ignore[arg-type]
        raw = inferred
        if model.controls:
            raw = replace(model, controls=[]).infer(
                self.inference,
                self.cluster,
                what="cross_section",
                **opts,  # type: ignore[arg-type]
            )
        df = model.data
        binary = self.treatment_kind == "binary"
        groups = _group_means(df, self.strata, self.weights) if binary else None
        meta = spec_metadata(
            "cross_section",
            self,
            n=len(df),
            n_treated=int(df["_d"].sum()),
            warnings=warnings,
            sample_warnings=warnings,
        )
        extras = {"raw_difference": raw.table}
        if groups is not None:
            extras["group_means"] = groups
        return attach("cross_section", model, inferred, meta, extras)


def _key(item: tuple[object, pd.Series]) -> tuple[int, str]:
    level = item[0]
    return (0, f"{float(level):020.6f}") if isinstance(level, (int, float)) else (1, str(level))


def _group_means(df: pd.DataFrame, strata: str | None, weights: str | None) -> pd.DataFrame:
    keys = ([strata] if strata else []) + ["_d"]
    w = df[weights] if weights else pd.Series(1.0, index=df.index)
    tmp = df.assign(_w=w, _wy=df["_y"] * w)
    g = tmp.groupby(keys).agg(n=("_y", "size"), sum_wy=("_wy", "sum"), sum_w=("_w", "sum"))
    g["mean"] = g["sum_wy"] / g["sum_w"]
    out = g.reset_index().rename(columns={"_d": "treated"})
    return out.drop(columns=["sum_wy", "sum_w"])
