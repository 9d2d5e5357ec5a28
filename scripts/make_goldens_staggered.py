"""Write the staggered-DiD / event-study goldens from implementations OTHER than the designs'.

Output: ``tests/golden/staggered_mpdta.json``, a list of cases. Each case names a design, the
options to build its spec with :func:`sanctuary_lab.designs.registry.design_from_dict`, the
independent implementation used, and expected rows ``{table, term, estimate, std_error}``
(``std_error`` is ``null`` where the conventions differ and only points are compared).

Independent implementations, all on the R ``did`` package's ``mpdta`` panel:

* ``callaway_santanna`` (csdid) vs the ``differences`` package: ATT(g,t), simple and event-time
  aggregations, with their analytic influence-function SEs (same definition in both).
* ``event_study`` (pyfixest) vs statsmodels OLS with explicit unit/year/event dummies; CRV1 SEs
  from statsmodels' uncorrected cluster sandwich times the fixest small-sample factor
  ``G/(G-1) * (N-1)/(N-k)`` with ``k`` = regressors other than the unit dummies + 1 (unit fixed
  effects are nested in the unit clusters and count as one, fixest's ``fixef_k="nested"``).
* ``sun_abraham`` (pyfixest + our aggregation) vs statsmodels OLS with cohort x relative-period
  dummies, aggregated here with cohort-share weights and the delta method.
* ``did2s`` (pyfixest) vs a hand two-stage with statsmodels (stage 1 OLS with unit and year
  dummies on untreated rows, stage 2 no-intercept OLS on the residuals): points only, because
  the GMM-corrected SE has no statsmodels counterpart. Units with fewer than two untreated
  periods are dropped first, as the design does.

Run: ``.venv/bin/python scripts/make_goldens_staggered.py [reference_dir]``.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from differences import ATTgt

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "golden" / "staggered_mpdta.json"
Y, UNIT, TIME, G = "lemp", "countyreal", "year", "first.treat"


def load(reference_dir: Path) -> pd.DataFrame:
    df = pd.read_csv(reference_dir / "mpdta.csv")
    return df.sort_values([UNIT, TIME]).reset_index(drop=True)


def row(table: str, term: str, est: float, se: float | None) -> dict:
    return {
        "table": table,
        "term": term,
        "estimate": float(est),
        "std_error": None if se is None else float(se),
    }


# --------------------------------------------------------------------------- Callaway-Sant'Anna
def cs_case(
    df: pd.DataFrame, control: str, method: str, covariates: list[str], anticipation: int = 0
) -> dict:
    d = df.copy()
    d["cohort"] = d[G].replace(0, np.nan)
    d = d.set_index([UNIT, TIME])
    att = ATTgt(data=d, cohort_column="cohort", anticipation=anticipation)
    formula = Y + (" ~ " + " + ".join(covariates) if covariates else "")
    with contextlib.redirect_stdout(io.StringIO()):
        res = att.fit(formula=formula, est_method=method, control_group=control, progress_bar=False)
    rows = []
    tab = att.results(type_of_aggregation=None)
    tab.columns = [c[-1] for c in tab.columns]
    for (g, _base, t), r in tab.iterrows():
        rows.append(row("att_gt", f"{int(g)},{int(t)}", r["ATT"], r["std_error"]))
    simple = att.aggregate("simple")
    simple.columns = [c[-1] for c in simple.columns]
    rows.append(row("tidy", "att", simple["ATT"].iloc[0], simple["std_error"].iloc[0]))
    event = att.aggregate("event")
    event.columns = [c[-1] for c in event.columns]
    for e, r in event.iterrows():
        rows.append(row("tidy", f"rel_time[{int(e)}]", r["ATT"], r["std_error"]))
    del res
    return {
        "design": "callaway_santanna",
        "source": (
            f"differences ATTgt est_method={method} control_group={control} "
            f"anticipation={anticipation}"
        ),
        "options": {
            "outcome": Y,
            "unit": UNIT,
            "time": TIME,
            "cohort": G,
            "control": control,
            "method": method,
            "covariates": covariates,
            "anticipation": anticipation,
        },
        "rows": rows,
    }


# --------------------------------------------------------------------------- OLS helpers
def ols_crv1(y: pd.Series, x: pd.DataFrame, groups: pd.Series, k_non_nested: int):
    """OLS with the fixest-convention CRV1 covariance (see module docstring)."""
    fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})
    n, g = len(y), groups.nunique()
    adj = g / (g - 1) * (n - 1) / (n - k_non_nested)
    return fit.params, fit.cov_params() * adj


def fe_dummies(df: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(
        [
            pd.get_dummies(df[UNIT], prefix="u", dtype=float),
            pd.get_dummies(df[TIME], prefix="t", drop_first=True, dtype=float),
        ],
        axis=1,
    )


def rel_time(df: pd.DataFrame) -> pd.Series:
    return pd.Series(np.where(df[G] > 0, df[TIME] - df[G], np.nan), index=df.index)


# --------------------------------------------------------------------------- event study
def event_study_case(df: pd.DataFrame, lo: int, hi: int) -> dict:
    rel = rel_time(df).clip(lo, hi)
    ks = [k for k in range(lo, hi + 1) if k != -1]
    ev = pd.DataFrame({f"k{k}": (rel == k).astype(float) for k in ks}, index=df.index)
    x = pd.concat([ev, fe_dummies(df)], axis=1)
    k_non_nested = len(ks) + (df[TIME].nunique() - 1) + 1
    params, vcov = ols_crv1(df[Y], x, df[UNIT], k_non_nested)
    rows = []
    for k in ks:
        name = (
            f"rel_time[<={k}]" if k == lo else f"rel_time[>={k}]" if k == hi else f"rel_time[{k}]"
        )
        rows.append(row("tidy", name, params[f"k{k}"], np.sqrt(vcov.loc[f"k{k}", f"k{k}"])))
    return {
        "design": "event_study",
        "source": "statsmodels OLS with unit/year/event dummies, CRV1 (fixest small-sample factor)",
        "options": {"outcome": Y, "unit": UNIT, "time": TIME, "cohort": G, "window": [lo, hi]},
        "rows": rows,
    }


# --------------------------------------------------------------------------- Sun-Abraham
def sun_abraham_case(df: pd.DataFrame, lo: int, hi: int) -> dict:
    rel = rel_time(df)
    cells = (
        pd.DataFrame({"g": df[G], "k": rel})
        .loc[lambda d: (d["g"] > 0) & (d["k"] != -1)]
        .value_counts()
        .rename("n")
        .reset_index()
        .sort_values(["g", "k"])
    )
    names = [f"g{int(g)}k{int(k)}" for g, k in zip(cells["g"], cells["k"], strict=True)]
    inter = pd.DataFrame(
        {
            nm: ((df[G] == g) & (rel == k)).astype(float)
            for nm, g, k in zip(names, cells["g"], cells["k"], strict=True)
        },
        index=df.index,
    )
    x = pd.concat([inter, fe_dummies(df)], axis=1)
    k_non_nested = len(names) + (df[TIME].nunique() - 1) + 1
    params, vcov = ols_crv1(df[Y], x, df[UNIT], k_non_nested)
    b = params[names].to_numpy()
    v = vcov.loc[names, names].to_numpy()
    binned = cells["k"].clip(lo, hi).to_numpy()
    n = cells["n"].to_numpy(dtype=float)
    rows = []
    for e in [k for k in range(lo, hi + 1) if k != -1]:
        m = binned == e
        if not m.any():
            continue
        w = np.where(m, n, 0.0) / n[m].sum()
        name = (
            f"rel_time[<={e}]" if e == lo else f"rel_time[>={e}]" if e == hi else f"rel_time[{e}]"
        )
        rows.append(row("tidy", name, w @ b, np.sqrt(w @ v @ w)))
    post = cells["k"].to_numpy() >= 0
    w = np.where(post, n, 0.0) / n[post].sum()
    rows.append(row("tidy", "att", w @ b, np.sqrt(w @ v @ w)))
    return {
        "design": "sun_abraham",
        "source": "statsmodels OLS with cohort x relative-period dummies, cohort-share weights",
        "options": {"outcome": Y, "unit": UNIT, "time": TIME, "cohort": G, "window": [lo, hi]},
        "rows": rows,
    }


# --------------------------------------------------------------------------- did2s
def did2s_case(df: pd.DataFrame, lo: int, hi: int) -> dict:
    treated = ((df[G] > 0) & (df[TIME] >= df[G])).astype(int)
    n_untreated = df.loc[treated == 0].groupby(UNIT).size()
    keep = df[UNIT].map(n_untreated).fillna(0) >= 2
    d = df.loc[keep].reset_index(drop=True)
    treated = treated.loc[keep].reset_index(drop=True)
    fe = fe_dummies(d)
    untr = treated == 0
    stage1 = sm.OLS(d.loc[untr, Y], fe.loc[untr]).fit()
    resid = d[Y] - fe @ stage1.params
    rel = rel_time(d).clip(lo, hi)
    ks = [k for k in range(lo, hi + 1) if k != -1 and (rel == k).any()]
    ev = pd.DataFrame({f"k{k}": (rel == k).astype(float) for k in ks})
    static = sm.OLS(resid, treated.astype(float).to_frame("d")).fit()
    dyn = sm.OLS(resid, ev).fit()
    rows = [row("tidy", "att", static.params["d"], None)]
    for k in ks:
        name = (
            f"rel_time[<={k}]" if k == lo else f"rel_time[>={k}]" if k == hi else f"rel_time[{k}]"
        )
        rows.append(row("tidy", name, dyn.params[f"k{k}"], None))
    return {
        "design": "did2s",
        "source": "hand two-stage with statsmodels OLS (points only)",
        "options": {"outcome": Y, "unit": UNIT, "time": TIME, "cohort": G, "window": [lo, hi]},
        "rows": rows,
    }


def main(argv: list[str]) -> None:
    if argv:
        ref = Path(argv[0])
    else:
        from sanctuary_lab.core.config import resolve_raw_dir, resolve_reference_dir

        ref = resolve_reference_dir(resolve_raw_dir())
    df = load(ref)
    cases = [
        cs_case(df, "never_treated", "dr", []),
        cs_case(df, "not_yet_treated", "dr", []),
        cs_case(df, "never_treated", "reg", ["lpop"]),
        cs_case(df, "not_yet_treated", "dr", ["lpop"]),
        cs_case(df, "not_yet_treated", "dr", [], anticipation=1),
        event_study_case(df, -3, 3),
        event_study_case(df, -2, 2),
        sun_abraham_case(df, -4, 3),
        sun_abraham_case(df, -2, 2),
        did2s_case(df, -3, 3),
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(cases, indent=1) + "\n")
    print(f"wrote {OUT} ({len(cases)} cases)")


if __name__ == "__main__":
    main(sys.argv[1:])
