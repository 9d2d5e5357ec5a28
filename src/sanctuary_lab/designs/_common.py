"""Treatment and covariate checks and result metadata shared by the designs.

The sample checks every layer uses (a non-empty frame, known and numeric columns, missing rows)
live in :mod:`sanctuary_lab.inference.sample`, the inference options in
:mod:`sanctuary_lab.inference.options`. The helpers here raise
:class:`~sanctuary_lab.core.errors.SpecError` for problems that make a fit impossible, with
messages that say what to do (R ``did`` style).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import SpecError


def check_treatment_varies(df: pd.DataFrame, treatment: str, what: str) -> None:
    """Raise if the treatment column takes a single value in the estimation sample."""
    if df[treatment].nunique(dropna=True) < 2:
        only = df[treatment].dropna().unique()[:1]
        raise SpecError(
            f"{what}: treatment {treatment!r} never varies (always {only[0] if len(only) else 'NA'}) "
            "in the estimation sample; nothing can be estimated — check the sample filters"
        )


def check_binary(df: pd.DataFrame, col: str, what: str) -> pd.Series:
    """Return ``col`` as 0/1 integers, raising if it holds values other than 0/1/True/False."""
    s = df[col]
    vals = set(pd.unique(s.dropna()))
    if not vals <= {0, 1}:  # True == 1 and False == 0
        shown = sorted(map(str, vals))[:6]
        raise SpecError(
            f"{what}: treatment {col!r} must be binary 0/1, found values {shown}; "
            "dichotomise it first (e.g. share > 0)"
        )
    return s.astype(int)


def check_collinear(df: pd.DataFrame, cols: Sequence[str], what: str, tol: float = 1e-10) -> None:
    """Raise naming the column(s) that are constant or a linear combination of the earlier ones.

    ``cols`` is checked in order together with an intercept; the first column that adds no rank
    is reported together with the columns it depends on.
    """
    if not cols:
        return
    x = df.loc[:, list(cols)].to_numpy(dtype=float)
    n = x.shape[0]
    basis = [np.ones(n)]
    kept: list[str] = []
    for j, name in enumerate(cols):
        col = x[:, j]
        b = np.column_stack(basis)
        coef, *_ = np.linalg.lstsq(b, col, rcond=None)
        resid = col - b @ coef
        scale = max(float(np.linalg.norm(col - col.mean())), 1.0)
        if float(np.linalg.norm(resid)) <= tol * scale * np.sqrt(n) + 1e-12:
            if float(np.ptp(col)) == 0.0:
                raise SpecError(f"{what}: column {name!r} is constant in the sample; drop it")
            deps = [kept[i - 1] for i in range(1, len(coef)) if abs(coef[i]) > 1e-8]
            raise SpecError(
                f"{what}: column {name!r} is collinear with {deps or ['the intercept']}; "
                "drop one of them"
            )
        basis.append(col)
        kept.append(name)


def spec_metadata(design: str, spec: Any, **extra: Any) -> dict[str, Any]:
    """Metadata every design result carries: design, the spec's options and ``extra``."""
    import dataclasses

    is_instance = dataclasses.is_dataclass(spec) and not isinstance(spec, type)
    options = dataclasses.asdict(spec) if is_instance else {}
    meta: dict[str, Any] = {"design": design, "spec": options}
    for key in ("outcome", "treatment", "inference", "cluster", "seed"):
        if key in options:
            meta[key] = options[key]
    meta.update(extra)
    return meta


def as_list(value: str | Sequence[str] | None) -> list[str]:
    """Accept one column name, a list of names or ``None``."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def balance_table(
    df: pd.DataFrame,
    covariates: Sequence[str],
    treated: np.ndarray,
    weights_after: np.ndarray,
) -> pd.DataFrame:
    """Standardised mean differences before and after matching/weighting.

    The SMD is ``(mean_treated - mean_control) / sqrt((var_treated + var_control) / 2)`` with the
    *unweighted* (before) variances in the denominator both times, so before and after are on
    the same scale (as in R ``cobalt``). ``weights_after`` weights every row after adjustment
    (zero for unmatched rows).
    """
    t = np.asarray(treated, dtype=bool)
    w = np.asarray(weights_after, dtype=float)
    rows = []
    for c in covariates:
        x = df[c].to_numpy(dtype=float)
        xt, xc = x[t], x[~t]
        sd = np.sqrt((xt.var(ddof=1) + xc.var(ddof=1)) / 2) if len(xt) > 1 and len(xc) > 1 else 0.0
        mt_after = np.average(xt, weights=w[t]) if w[t].sum() > 0 else np.nan
        mc_after = np.average(xc, weights=w[~t]) if w[~t].sum() > 0 else np.nan
        rows.append(
            {
                "covariate": c,
                "mean_treated": xt.mean(),
                "mean_control_before": xc.mean(),
                "mean_treated_after": mt_after,
                "mean_control_after": mc_after,
                "smd_before": (xt.mean() - xc.mean()) / sd if sd > 0 else np.nan,
                "smd_after": (mt_after - mc_after) / sd if sd > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows)
