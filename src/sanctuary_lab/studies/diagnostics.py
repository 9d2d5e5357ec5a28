"""Diagnostics that gate a claim's verdict, computed from a study run's results.

Every check returns ``{"name", "status", "detail"}`` with status ``pass``, ``fail``, ``warning``
or ``not computable``. A ``fail`` turns a ``supported``/``contradicted``/``different size``
verdict into ``inconclusive`` (see :func:`sanctuary_lab.studies.claims.check`); ``warning`` and
``not computable`` are shown beside the verdict and qualify it.

Checks
------
pre-trends
    Panel designs with a treatment date: the design's own pre-trend Wald test, else the event
    study of the same outcome in the same study run. p < 0.05 fails; no test available is ``not
    computable`` (a fail for staggered binary designs: their identifying assumption went
    unchecked; for continuous-dose TWFE it is shown, not gating).
comparison group
    Staggered designs: with no never-treated units a never-treated comparison fails; a
    not-yet-treated comparison passes with a note.
clusters
    Cluster-robust inference with fewer than :data:`MIN_CLUSTERS` clusters fails, fewer than
    :data:`FEW_CLUSTERS` is a warning.
treated units
    Fewer than :data:`MIN_TREATED` treated units fails; fewer than :data:`FEW_TREATED` warns.
heterogeneity-robust estimator
    A binary-treatment TWFE with no Callaway-Sant'Anna / Sun-Abraham / did2s result for the same
    outcome fails (TWFE alone can be biased under staggered, heterogeneous effects).
estimator warnings
    Library warnings recorded on the result (a warning, never gating).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from sanctuary_lab.core.result import Result
from sanctuary_lab.studies.records import StudyRun

ROBUST_DESIGNS = ("callaway_santanna", "sun_abraham", "did2s")
TIMED_DESIGNS = (*ROBUST_DESIGNS, "event_study")
DESIGN_NAMES = {
    "twfe": "two-way fixed effects",
    "event_study": "event study",
    "callaway_santanna": "Callaway-Sant'Anna",
    "sun_abraham": "Sun-Abraham",
    "did2s": "did2s",
    "cross_section": "cross-section",
    "matching": "matching",
    "weighting": "weighting",
    "descriptive": "descriptive series",
}
PRETREND_ALPHA = 0.05
MIN_CLUSTERS = 10
FEW_CLUSTERS = 30
MIN_TREATED = 5
FEW_TREATED = 10


def design_name(design: str) -> str:
    """A design's name for readers (``"twfe"`` -> ``"two-way fixed effects"``)."""
    return DESIGN_NAMES.get(design, design.replace("_", " "))


def split_label(label: str) -> tuple[str, str]:
    """``"y:twfe[p=1]"`` -> ``("y:twfe", "p=1")``; no tag -> ``(label, "")``."""
    if label.endswith("]") and "[" in label:
        base, _, tag = label[:-1].partition("[")
        return base, tag
    return label, ""


def _outcome(label: str, result: Result) -> str:
    return str(result.metadata.get("outcome") or label.split(":", 1)[0])


def siblings(run: StudyRun, label: str, designs: tuple[str, ...]) -> list[tuple[str, Result]]:
    """Results of ``designs`` for the same outcome and sensitivity tag as ``label``."""
    res = run.results.get(label)
    if res is None:
        return []
    _, tag = split_label(label)
    out = _outcome(label, res)
    found = []
    for lab, r in run.results.items():
        if lab == label or split_label(lab)[1] != tag or r.design not in designs:
            continue
        if _outcome(lab, r) == out and r.metadata.get("subset") == res.metadata.get("subset"):
            found.append((lab, r))
    order = {d: i for i, d in enumerate(designs)}
    return sorted(found, key=lambda x: (order[x[1].design], x[0]))


def row(result: Result, term: str) -> dict[str, Any] | None:
    """The tidy row of ``term`` as floats (None for missing), or None."""
    t = result.tidy()
    hit = t.loc[t["term"].astype(str) == term]
    if hit.empty:
        return None
    r = hit.iloc[0]

    def f(x: object) -> float | None:
        v = pd.to_numeric(x, errors="coerce")
        return None if pd.isna(v) or not math.isfinite(float(v)) else float(v)

    return {k: f(r[k]) for k in ("estimate", "ci_low", "ci_high", "n_obs", "n_clusters")}


def headline_term(result: Result) -> str | None:
    """The overall effect term of a robust/TWFE result (``att`` or the treatment)."""
    terms = [str(t) for t in result.tidy()["term"]]
    if "att" in terms:
        return "att"
    treatment = result.metadata.get("treatment")
    if treatment in terms:
        return str(treatment)
    plain = [t for t in terms if not t.startswith(("rel_time", "pretrend", "att_"))]
    return plain[0] if len(plain) == 1 else None


def is_interaction(term: str) -> bool:
    """An interaction treatment (named ``a_x_b`` by the frame builders, e.g.
    ``treated_x_nonmetro``): a contrast between groups, with no robust-estimator counterpart."""
    return "_x_" in term


def designs_disagree(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Signs differ with both CIs excluding 0, or the two CIs do not overlap."""
    vals = (a["ci_low"], a["ci_high"], b["ci_low"], b["ci_high"])
    if any(v is None for v in vals):
        return False
    alo, ahi, blo, bhi = vals
    excl_a, excl_b = alo > 0 or ahi < 0, blo > 0 or bhi < 0
    if excl_a and excl_b and (alo > 0) != (blo > 0):
        return True
    return ahi < blo or bhi < alo


def _pretrend(test: Any) -> tuple[float | None, float | None]:
    if not isinstance(test, dict):
        return None, None
    p = test.get("p_value")
    stat = test.get("stat")
    pv = float(p) if isinstance(p, int | float) and math.isfinite(p) else None
    return pv, (float(stat) if isinstance(stat, int | float) else None)


def pre_period_max(run: StudyRun, label: str) -> tuple[float | None, str]:
    """Largest |pre-period coefficient| (reference excluded) of the result or its event study."""
    res = run.results.get(label)
    if res is None:
        return None, ""
    cands = [(label, res)] + siblings(run, label, ("event_study", *ROBUST_DESIGNS))
    for lab, r in cands:
        es = r.extras.get("event_study")
        if es is None or es.empty or "rel_time" not in es:
            continue
        ref = es["reference"] if "reference" in es else pd.Series(False, index=es.index)
        pre = es.loc[(es["rel_time"] < 0) & ~ref.astype(bool), "estimate"]
        pre = pd.to_numeric(pre, errors="coerce").dropna()
        if not pre.empty:
            return float(pre.abs().max()), lab
    return None, ""


def diagnose(
    run: StudyRun, label: str, result: Result, stats: dict[str, Any]
) -> list[dict[str, str]]:
    """The diagnostics list for the result that decides a claim (see module docstring)."""
    out: list[dict[str, str]] = []
    meta = result.metadata
    design = result.design
    binary_twfe = design == "twfe" and meta.get("treatment_kind") == "binary"
    timed = design in TIMED_DESIGNS or binary_twfe
    if design in TIMED_DESIGNS or design == "twfe":
        p, _ = _pretrend(meta.get("pretrend"))
        source = "this design's pre-trend test"
        if p is None:
            for _lab, r in siblings(run, label, ("event_study", *ROBUST_DESIGNS)):
                p, _ = _pretrend(r.metadata.get("pretrend"))
                if p is not None:
                    source = f"the {design_name(r.design)} pre-trend test"
                    break
        if p is None:
            detail = (
                "no pre-trend test could be computed, so parallel trends is unchecked"
                if timed
                else "a continuous-dose two-way fixed-effects fit has no pre-period test; "
                "parallel trends is assumed"
            )
            out.append({"name": "pre-trends", "status": "not computable", "detail": detail})
        elif p < PRETREND_ALPHA:
            out.append(
                {
                    "name": "pre-trends",
                    "status": "fail",
                    "detail": f"{source} rejects parallel pre-trends (p = {p:.3g})",
                }
            )
        else:
            out.append(
                {
                    "name": "pre-trends",
                    "status": "pass",
                    "detail": f"{source} does not reject parallel pre-trends (p = {p:.3g})",
                }
            )
    if design in TIMED_DESIGNS:
        n_never = meta.get("n_never_treated")
        control = meta.get("control", "never_treated" if design != "event_study" else "")
        if isinstance(n_never, int | float):
            if n_never == 0 and control == "never_treated":
                out.append(
                    {
                        "name": "comparison group",
                        "status": "fail",
                        "detail": "no never-treated units for a never-treated comparison",
                    }
                )
            elif n_never == 0:
                status = "pass" if control == "not_yet_treated" else "warning"
                out.append(
                    {
                        "name": "comparison group",
                        "status": status,
                        "detail": "no never-treated units; identified from not-yet-treated units "
                        "(adoption timing) only",
                    }
                )
            else:
                out.append(
                    {
                        "name": "comparison group",
                        "status": "pass",
                        "detail": f"{int(n_never)} never-treated units",
                    }
                )
    ncl = stats.get("n_clusters")
    inference = str(meta.get("inference", ""))
    if ncl is not None and ("crv" in inference or "cluster" in inference or "wild" in inference):
        n = int(ncl)
        status = "fail" if n < MIN_CLUSTERS else "warning" if n < FEW_CLUSTERS else "pass"
        out.append(
            {
                "name": "clusters",
                "status": status,
                "detail": f"{n} clusters for cluster-robust inference"
                + ("" if status == "pass" else f" (fewer than {FEW_CLUSTERS}: approximate)"),
            }
        )
    n_treated = stats.get("n_treated")
    if n_treated is not None:
        n = int(n_treated)
        status = "fail" if n < MIN_TREATED else "warning" if n < FEW_TREATED else "pass"
        out.append({"name": "treated units", "status": status, "detail": f"{n} treated units"})
    if binary_twfe and not siblings(run, label, ROBUST_DESIGNS):
        out.append(
            {
                "name": "heterogeneity-robust estimator",
                "status": "fail",
                "detail": "two-way fixed effects only; with staggered timing and heterogeneous "
                "effects it can be biased, and no robust estimator was run",
            }
        )
    warns = [w for w in meta.get("warnings", []) if w]
    if warns:
        more = f" (and {len(warns) - 1} more)" if len(warns) > 1 else ""
        out.append(
            {
                "name": "estimator warnings",
                "status": "warning",
                "detail": f"{str(warns[0])[:120]}{more}",
            }
        )
    return out
