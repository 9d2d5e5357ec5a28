"""Shared argument validation and data preparation for the designs.

Every design validates its arguments up front with messages that say what to do (R ``did``
style). The helpers here raise :class:`~sanctuary_lab.core.errors.SpecError` for problems that make a
fit impossible and return plain-text warnings (to be stored in ``Result.metadata["warnings"]``)
for problems that only weaken it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.result import TIDY_COLUMNS

Inference = Literal["iid", "hc1", "crv1", "crv3", "wild", "ri"]
INFERENCE_CHOICES: tuple[str, ...] = ("iid", "hc1", "crv1", "crv3", "wild", "ri")
CLUSTERED: frozenset[str] = frozenset({"crv1", "crv3", "wild"})
#: Below this many clusters CRV1/CRV3 t-tests over-reject; a wild bootstrap is advised.
FEW_CLUSTERS = 10


def require_frame(data: Any, what: str) -> pd.DataFrame:
    """Check that ``data`` is a non-empty DataFrame."""
    if not isinstance(data, pd.DataFrame):
        raise SpecError(f"{what}: data must be a pandas DataFrame, got {type(data).__name__}")
    if data.empty:
        raise SpecError(f"{what}: data has no rows; check the filters that produced it")
    return data


def require_columns(df: pd.DataFrame, cols: Iterable[str | None], what: str) -> None:
    """Raise if any of ``cols`` (``None`` entries ignored) is not a column of ``df``.

    The message lists the available columns so the user can fix a typo.
    """
    missing = [c for c in cols if c is not None and c not in df.columns]
    if missing:
        avail = ", ".join(map(str, df.columns[:60]))
        more = "" if len(df.columns) <= 60 else f" ... ({len(df.columns)} in all)"
        raise SpecError(
            f"{what}: column(s) {missing} not found in the data; available columns: {avail}{more}"
        )


def require_numeric(df: pd.DataFrame, cols: Iterable[str | None], what: str) -> None:
    """Raise if any of ``cols`` is not numeric (bool counts as numeric)."""
    for c in cols:
        if c is None:
            continue
        s = df[c]
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            raise SpecError(
                f"{what}: column {c!r} must be numeric (dtype is {s.dtype}); "
                "convert it, or use it as a fixed effect / stratum instead"
            )


def check_inference(inference: str, cluster: str | None, what: str) -> None:
    """Validate the inference option and that a cluster column is given when needed."""
    if inference not in INFERENCE_CHOICES:
        raise SpecError(
            f"{what}: unknown inference {inference!r}; choose one of {list(INFERENCE_CHOICES)}"
        )
    if inference in CLUSTERED and not cluster:
        raise SpecError(
            f"{what}: inference={inference!r} needs a cluster column; set cluster='state_fips' "
            "(or similar), or use inference='hc1'"
        )


def drop_missing(
    df: pd.DataFrame, cols: Sequence[str | None], what: str = "data"
) -> tuple[pd.DataFrame, list[str]]:
    """Drop rows with a missing or non-finite value in any used column.

    Returns the kept rows and a list of warnings (one per column with missing values plus a total)
    for ``Result.metadata["warnings"]``. Raises if no row survives.
    """
    use = [c for c in dict.fromkeys(cols) if c is not None]
    warnings: list[str] = []
    bad = pd.Series(False, index=df.index)
    for c in use:
        s = df[c]
        miss = s.isna()
        if pd.api.types.is_float_dtype(s):
            miss = miss | ~np.isfinite(s.to_numpy(dtype=float, na_value=np.nan))
        n = int(miss.sum())
        if n:
            warnings.append(f"{n} row(s) have a missing value in {c!r}")
        bad |= miss
    n_bad = int(bad.sum())
    if n_bad:
        warnings.append(f"dropped {n_bad} of {len(df)} row(s) with missing values in used columns")
    out = df.loc[~bad]
    if out.empty:
        raise SpecError(
            f"{what}: no rows left after dropping missing values in {use}; check those columns"
        )
    return out, warnings


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


def check_clusters(n_clusters: int, inference: str, what: str = "design") -> list[str]:
    """Validate the number of clusters for the chosen inference.

    Fewer than 2 clusters is an error for clustered inference; fewer than :data:`FEW_CLUSTERS`
    with CRV1/CRV3 gives a warning recommending the wild cluster bootstrap.
    """
    if inference not in CLUSTERED:
        return []
    if n_clusters < 2:
        raise SpecError(
            f"{what}: inference={inference!r} needs at least 2 clusters, found {n_clusters}; "
            "choose a coarser sample or inference='hc1'"
        )
    if n_clusters < FEW_CLUSTERS and inference in ("crv1", "crv3"):
        return [
            f"only {n_clusters} clusters: {inference.upper()} tests over-reject with few "
            "clusters; consider inference='wild' (wild cluster bootstrap)"
        ]
    return []


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


def n_clusters(df: pd.DataFrame, cluster: str | None) -> int | None:
    """Number of distinct cluster ids, or ``None`` when unclustered."""
    return None if not cluster else int(df[cluster].nunique())


def pyfixest_vcov(inference: str, cluster: str | None) -> str | dict[str, str]:
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


def tidy_from_pyfixest(
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
    out["n_obs"] = int(fit._N)
    out["n_clusters"] = np.nan if n_clusters is None else int(n_clusters)
    return out.loc[:, list(TIDY_COLUMNS)]


def empty_tidy() -> pd.DataFrame:
    """A tidy frame with the shared columns and no rows."""
    return pd.DataFrame({c: pd.Series(dtype=float) for c in TIDY_COLUMNS}).astype({"term": object})


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
