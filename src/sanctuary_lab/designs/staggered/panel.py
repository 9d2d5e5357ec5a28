"""Panel preparation shared by the event-study and staggered-adoption designs.

Every staggered design takes a unit-by-period panel and a treatment timing given either as a
*cohort* column (first treated period; ``0`` or missing = never treated) or as a binary, absorbing
*treatment* column from which the cohort is derived. The helpers here validate that input up front
(R ``did`` style: the message says what to do) and build relative-time variables, event-time
dummies and joint Wald pre-trend tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.inference.options import check_clusters, check_inference
from sanctuary_lab.inference.sample import check_columns, drop_missing, require_frame

#: Internal column names (prefixed so they cannot clash with user columns).
COHORT = "_sl_cohort"
REL = "_sl_rel"
TREATED = "_sl_treated"


@dataclass
class Panel:
    """A validated staggered-adoption panel.

    Attributes
    ----------
    data
        The estimation rows with :data:`COHORT` (first treated period, ``0`` for never treated),
        :data:`REL` (period minus cohort, ``NaN`` for never treated) and :data:`TREATED`
        (0/1 treated-and-post indicator) added.
    warnings
        Plain-text warnings for ``Result.metadata["warnings"]``.
    """

    data: pd.DataFrame
    warnings: list[str] = field(default_factory=list)

    @property
    def cohorts(self) -> list[int]:
        """Treated cohorts (first treated periods), ascending."""
        c = self.data[COHORT]
        return sorted(int(v) for v in c[c > 0].unique())

    @property
    def n_never(self) -> int:
        """Number of never-treated units."""
        d = self.data
        return int(d.loc[d[COHORT] == 0, "_sl_unit"].nunique())


def _plain(v: Any) -> str:
    """A value as users typed it (``3`` rather than ``np.float64(3.0)``)."""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v.item() if isinstance(v, np.generic) else v)


def _cohort_from_treatment(df: pd.DataFrame, unit: str, time: str, treatment: str, what: str):
    """First period with treatment == 1 per unit; raise naming a unit whose treatment switches off."""
    s = df[treatment]
    vals = set(pd.unique(s.dropna()))
    if not vals <= {0, 1}:
        shown = sorted(map(str, vals))[:6]
        raise SpecError(
            f"{what}: treatment {treatment!r} must be binary 0/1, found values {shown}; "
            "dichotomise it first or pass the adoption period as cohort=..."
        )
    d = df.sort_values([unit, time])
    d_int = d[treatment].astype(int)
    # absorbing: within unit, treatment never drops from 1 to 0
    drops = d_int.groupby(d[unit], sort=False).diff() < 0
    if bool(drops.any()):
        first_bad = drops[drops].index[0]
        u_bad, t_bad = df.at[first_bad, unit], df.at[first_bad, time]
        raise SpecError(
            f"{what}: treatment {treatment!r} is not absorbing: unit {_plain(u_bad)} switches off "
            f"in period {_plain(t_bad)}; staggered designs need treatment that stays on once "
            "adopted — drop such units or redefine treatment as 'ever adopted'"
        )
    first = d.loc[d_int == 1].groupby(unit, sort=False)[time].min()
    return df[unit].map(first).fillna(0)


def prepare_panel(
    data: Any,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str | None,
    treatment: str | None,
    covariates: list[str] | tuple[str, ...] = (),
    weights: str | None = None,
    cluster: str | None = None,
    inference: str = "crv1",
    what: str = "design",
    allowed_inference: tuple[str, ...] = ("iid", "hc1", "crv1", "crv3"),
) -> Panel:
    """Validate a staggered-adoption panel and add cohort / relative-time columns.

    Raises :class:`~sanctuary_lab.core.errors.SpecError` for unknown columns, non-numeric values,
    a treatment that never varies or that is not absorbing, duplicated unit-period rows, a cohort
    column that varies within a unit, and too few clusters. Unbalanced panels are kept with a
    warning.
    """
    df = require_frame(data, what)
    if (cohort is None) == (treatment is None):
        raise SpecError(
            f"{what}: give exactly one of cohort= (first treated period, 0/NaN = never treated) "
            "or treatment= (binary 0/1 absorbing indicator)"
        )
    if inference not in allowed_inference:
        raise SpecError(
            f"{what}: inference={inference!r} is not available here; choose one of "
            f"{list(allowed_inference)}"
        )
    check_inference(inference, cluster, what)
    covariates = list(covariates or [])
    cols = [outcome, unit, time, cohort, treatment, weights, cluster, *covariates]
    check_columns(df, cols, [outcome, time, cohort, treatment, weights, *covariates], what)
    used = [outcome, unit, time, treatment, weights, cluster, *covariates]
    df = df.loc[:, list(dict.fromkeys(c for c in [*used, cohort] if c is not None))].copy()
    if cohort is not None:
        df[cohort] = df[cohort].fillna(0)
    df, warns = drop_missing(df, used, what)
    df = df.copy()
    if df.duplicated([unit, time]).any():
        dup = df.loc[df.duplicated([unit, time]), [unit, time]].iloc[0]
        raise SpecError(
            f"{what}: more than one row for unit {_plain(dup[unit])} in period {_plain(dup[time])}; "
            "aggregate to one row per unit and period first"
        )
    if treatment is not None:
        df[COHORT] = _cohort_from_treatment(df, unit, time, treatment, what)
    else:
        c = df[cohort].astype(float)
        if (c < 0).any():
            raise SpecError(
                f"{what}: cohort {cohort!r} has negative values; use 0 for never treated"
            )
        n_per_unit = c.groupby(df[unit]).nunique()
        if (n_per_unit > 1).any():
            bad = n_per_unit[n_per_unit > 1].index[0]
            raise SpecError(
                f"{what}: cohort {cohort!r} varies within unit {_plain(bad)}; the adoption period "
                "must be constant per unit"
            )
        df[COHORT] = c
    df[COHORT] = df[COHORT].astype(float)
    tmax = float(df[time].max())
    tmin = float(df[time].min())
    late = df[COHORT] > tmax
    if late.any():
        warns.append(
            f"{df.loc[late, unit].nunique()} unit(s) adopt after the last period {tmax:g}; "
            "treated as never treated within the sample"
        )
        df.loc[late, COHORT] = 0.0
    early = (df[COHORT] > 0) & (df[COHORT] <= tmin)
    if early.any():
        warns.append(
            f"{df.loc[early, unit].nunique()} unit(s) treated from the first period {tmin:g} "
            "have no pre-period; they are dropped"
        )
        df = df.loc[~early].copy()
    df["_sl_unit"] = df[unit]
    df[REL] = np.where(df[COHORT] > 0, df[time] - df[COHORT], np.nan)
    df[TREATED] = ((df[COHORT] > 0) & (df[time] >= df[COHORT])).astype(int)
    if df[TREATED].nunique() < 2:
        raise SpecError(
            f"{what}: treatment never varies in the estimation sample (no unit is observed both "
            "before and after adoption, or none is ever treated); check the cohort/treatment column"
        )
    periods = df.groupby(unit)[time].nunique()
    n_t = df[time].nunique()
    if (periods < n_t).any():
        warns.append(
            f"unbalanced panel: {int((periods < n_t).sum())} of {len(periods)} unit(s) are "
            f"missing some of the {n_t} periods; estimates use the rows present"
        )
    if cluster:
        warns += check_clusters(int(df[cluster].nunique()), inference, what)
    return Panel(df, warns)


def check_comparisons(panel: Panel, control: str, what: str) -> None:
    """Raise if some cohort has no comparison units under the chosen control group.

    ``control`` is ``"never_treated"`` or ``"not_yet_treated"``.
    """
    cohorts = panel.cohorts
    has_never = bool((panel.data[COHORT] == 0).any())
    if control == "never_treated" and not has_never:
        raise SpecError(
            f"{what}: there are no never-treated units; use control='not_yet_treated', "
            "or drop the last cohort and use it as the comparison group"
        )
    if control == "not_yet_treated" and not has_never and len(cohorts) < 2:
        raise SpecError(
            f"{what}: all treated units adopt in the same period ({cohorts[0]}) and there are no "
            "never-treated units, so that cohort has no comparison units; add never-treated "
            "units (control='never_treated') or drop the last cohort"
        )


def event_dummies(
    rel: pd.Series, window: tuple[int, int], reference: int, endpoints: str
) -> tuple[pd.DataFrame, list[int]]:
    """Event-time dummies for ``window`` (both ends included), leaving out ``reference``.

    With ``endpoints="bin"`` relative times beyond the window are folded into the end bins;
    with ``"drop"`` they get no dummy (the caller drops those rows). Never-treated rows (``NaN``)
    get zeros.
    """
    lo, hi = window
    r = rel.to_numpy(dtype=float)
    if endpoints == "bin":
        r = np.where(np.isnan(r), np.nan, np.clip(r, lo, hi))
    keep = [k for k in range(lo, hi + 1) if k != reference]
    out = pd.DataFrame(
        {dummy_name(k): (r == k).astype(float) for k in keep},
        index=rel.index,
    )
    return out, keep


def dummy_name(k: int) -> str:
    """Internal column name of the dummy for relative period ``k``."""
    return f"_sl_rt_m{-k}" if k < 0 else f"_sl_rt_p{k}"


def check_window(window: Any, reference: int, what: str) -> tuple[int, int]:
    """Validate an event window ``(lo, hi)`` with ``lo < reference <= hi`` style checks."""
    try:
        lo, hi = (int(window[0]), int(window[1]))
    except (TypeError, ValueError, IndexError) as exc:
        raise SpecError(f"{what}: window must be two integers (lo, hi), e.g. (-5, 5)") from exc
    if not lo < 0 <= hi:
        raise SpecError(f"{what}: window {window!r} must satisfy lo < 0 <= hi, e.g. (-5, 5)")
    if not lo <= reference < 0:
        raise SpecError(
            f"{what}: reference period {reference} must be a pre-period inside the window "
            f"[{lo}, -1]; the usual choice is -1"
        )
    if reference == lo:
        raise SpecError(
            f"{what}: reference period {reference} is the binned lower endpoint; choose a "
            "reference inside the window (e.g. -1) or widen the window"
        )
    return lo, hi


def panel_of(
    design: Any,
    data: Any,
    *,
    cluster: str | None,
    what: str,
    inference: str | None = None,
    allowed_inference: tuple[str, ...] = ("iid", "hc1", "crv1", "crv3"),
) -> Panel:
    """:func:`prepare_panel` with the panel options a staggered design object carries
    (``outcome``, ``unit``, ``time``, ``cohort``, ``treatment``, ``covariates``, ``weights``,
    ``inference``); ``inference`` overrides the design's own."""
    return prepare_panel(
        data,
        outcome=design.outcome,
        unit=design.unit,
        time=design.time,
        cohort=design.cohort,
        treatment=design.treatment,
        covariates=design.covariates,
        weights=design.weights,
        cluster=cluster,
        inference=design.inference if inference is None else inference,
        what=what,
        allowed_inference=allowed_inference,
    )
