"""The claims registry and claim checks.

The registry (``studies/data/claims.csv``) lists every checkable statement in the source
articles: the verbatim quote (or a flagged paraphrase), its statement number and article, who
made it, the publication and date, the quantity, the published value and unit, the claim *kind*
and direction as stated, the outcome *family* whose margin applies (``margins.csv``), and the
study and result term that test it, or why no data the project holds can (``untestable_reason``).
Nothing in the registry is a verdict: :func:`check` computes every verdict at run time with the
single rule :func:`sanctuary_lab.studies.verdict.judge`, then gates it by comparability
(:mod:`~sanctuary_lab.studies.comparability`) and diagnostics
(:mod:`~sanctuary_lab.studies.diagnostics`) and re-judges it under every declared sensitivity.

``result_term`` is ``"<result label>@<term>"`` (a result of the study's
:class:`~sanctuary_lab.studies.records.StudyRun` and a term of its tidy table). For a
``consistency`` check it names a function of the statement's own figures (``inputs``, separated
by ``;``): see :data:`CONSISTENCY`. ``scale`` converts the published value into the units of our
estimate (default 1). ``comparison_published`` overrides the study file's published side for a
claim about another paper tested with the same study (``key=value; ...``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from sanctuary_lab.core.errors import InputError, SpecError
from sanctuary_lab.core.formatting import fmt_change, fmt_interval, fmt_level
from sanctuary_lab.studies import diagnostics as dg
from sanctuary_lab.studies.comparability import compare, merge_override, parse_override
from sanctuary_lab.studies.records import ClaimCheck, StudyRun
from sanctuary_lab.studies.verdict import CLAIM_KINDS, Margin, judge, load_margins

CLAIM_COLUMNS = (
    "claim_id",
    "statement_no",
    "article",
    "quote",
    "quote_type",
    "who",
    "where",
    "published_date",
    "source_url",
    "quantity",
    "published_value",
    "unit",
    "scale",
    "kind",
    "direction",
    "family",
    "study_id",
    "result_term",
    "inputs",
    "untestable_reason",
    "comparison_published",
    "notes",
)
_NUMERIC = ("published_value", "scale")
DECISIVE = ("supported", "contradicted", "different size")

#: consistency functions: name -> (function of the statement's figures, unit of the result)
CONSISTENCY: dict[str, tuple[Callable[..., float], int]] = {
    # percent by which a is below b: 100 * (1 - a / b)
    "percent_below": (lambda a, b: 100.0 * (1.0 - a / b), 2),
    # a as a percent of b
    "percent_of": (lambda a, b: 100.0 * a / b, 2),
}


def registry_path() -> Path:
    """The bundled claims registry."""
    from sanctuary_lab.studies.data_files import data_dir

    return data_dir() / "claims.csv"


def load_registry(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate the claims registry.

    Raises
    ------
    InputError
        Naming file, row and field for a missing column, a bad number, an unknown kind or
        family, a duplicate id, or a claim whose fields do not fit its kind.
    """
    p = Path(path) if path else registry_path()
    if not p.is_file():
        raise InputError(p, "claims registry not found")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(p, f"cannot parse as CSV: {str(exc).strip()}") from None
    missing = [c for c in CLAIM_COLUMNS if c not in df.columns]
    if missing:
        raise InputError(p, f"missing column(s) {missing}", field=missing[0])
    if df.empty:
        raise InputError(p, "registry has no claims")
    margins = load_margins()
    for i, row in enumerate(df.itertuples(index=False), start=1):
        _validate_row(p, i, row._asdict(), margins)
    dup = df["claim_id"].duplicated()
    if dup.any():
        row = int(dup.to_numpy().argmax()) + 1
        raise InputError(
            p, f"duplicate claim_id {df['claim_id'].iloc[row - 1]!r}", row=row, field="claim_id"
        )
    return df


def _validate_row(p: Path, i: int, r: dict[str, str], margins: dict[str, Margin]) -> None:
    for col in ("claim_id", "quote", "who", "quantity", "kind", "quote_type"):
        if not r[col].strip():
            raise InputError(p, "value is required", row=i, field=col)
    kind = r["kind"]
    if kind not in CLAIM_KINDS:
        raise InputError(p, f"kind {kind!r} not one of {list(CLAIM_KINDS)}", row=i, field="kind")
    if r["quote_type"] not in ("quote", "paraphrase"):
        raise InputError(p, "quote_type must be 'quote' or 'paraphrase'", row=i, field="quote_type")
    if r["direction"] not in ("", "+", "-"):
        raise InputError(p, "direction must be '+', '-' or blank", row=i, field="direction")
    for col in _NUMERIC:
        if r[col].strip():
            try:
                float(r[col])
            except ValueError:
                raise InputError(p, f"{r[col]!r} is not a number", row=i, field=col) from None
    if r["family"] and r["family"] not in margins:
        raise InputError(
            p, f"family {r['family']!r} is not in margins.csv ({sorted(margins)})",
            row=i, field="family",
        )  # fmt: skip
    if kind == "consistency":
        if r["result_term"] not in CONSISTENCY:
            raise InputError(
                p, f"a consistency check names one of {sorted(CONSISTENCY)}",
                row=i, field="result_term",
            )  # fmt: skip
        try:
            figures = [float(x) for x in r["inputs"].split(";")]
        except ValueError:
            raise InputError(
                p, "inputs must be numbers separated by ';'", row=i, field="inputs"
            ) from None
        if len(figures) != CONSISTENCY[r["result_term"]][1]:
            raise InputError(p, "wrong number of inputs", row=i, field="inputs")
    elif r["study_id"] and "@" not in r["result_term"]:
        raise InputError(
            p, "result_term must be '<result label>@<term>'", row=i, field="result_term"
        )
    if kind != "consistency" and not r["study_id"] and not r["untestable_reason"].strip():
        raise InputError(
            p, "a claim with no study needs an untestable_reason", row=i, field="untestable_reason"
        )
    if kind in ("effect", "consistency") and not r["published_value"].strip():
        raise InputError(
            p, f"a {kind} claim needs a published_value", row=i, field="published_value"
        )
    if kind == "null" and r["study_id"] and not r["family"]:
        raise InputError(p, "a null claim needs a margin family", row=i, field="family")
    if kind == "direction" and not r["direction"]:
        raise InputError(
            p, "a direction claim needs direction '+' or '-'", row=i, field="direction"
        )
    if r["comparison_published"].strip():
        try:
            parse_override(r["comparison_published"])
        except SpecError as exc:
            raise InputError(p, str(exc), row=i, field="comparison_published") from None


def _float(text: str) -> float | None:
    return float(text) if text.strip() else None


# --- evaluating one result ------------------------------------------------------------------
def _missing(run: StudyRun, label: str) -> str:
    failed = run.sample.get("failed", {})
    base, tag = dg.split_label(label)
    why = (
        failed.get(label)
        or failed.get(tag)
        or failed.get("*")
        or failed.get(f"descriptive:{label.split(':', 1)[-1]}")
    )
    return "the study could not estimate this" + (f" ({why})" if why else "")


def _computed_n(run: StudyRun, label: str, result: Any, stats: dict[str, Any]) -> dict[str, Any]:
    """Our sample's units and treated units for this result (run-time facts)."""
    _, tag = dg.split_label(label)
    frame = run.sample.get("frames", {}).get(tag or "base", {})
    n_units = frame.get("n_units", run.sample.get("n_units"))
    n_treated = frame.get("n_treated", frame.get("n_treated_units"))
    if result is not None and result.design in ("cross_section", "matching", "weighting"):
        n_units = stats.get("n_obs") if stats.get("n_obs") is not None else n_units
        kind = result.metadata.get("spec", {}).get("treatment_kind")
        n_treated = None
        if kind == "binary" and isinstance(result.metadata.get("n_treated"), int | float):
            n_treated = int(result.metadata["n_treated"])
    return {
        "n_units": int(n_units) if isinstance(n_units, int | float) else None,
        "n_treated": int(n_treated) if isinstance(n_treated, int | float) else None,
    }


def _evaluate(
    run: StudyRun,
    label: str,
    term: str,
    claim: dict[str, Any],
    margin: float | None,
    grade: str,
) -> dict[str, Any]:
    """Rule + gating for one result label (main run or one sensitivity variant)."""
    result = run.results.get(label)
    if result is None:
        return {"verdict": "not testable here", "reason": _missing(run, label), "stats": {}}
    stats = dg.row(result, term)
    if stats is None:
        terms = [str(t) for t in result.tidy()["term"]][:8]
        return {
            "verdict": "not testable here",
            "reason": f"the result has no term {term!r} (terms: {terms})",
            "stats": {},
        }
    used_label, used_term, used, used_stats = label, term, result, stats
    others: list[tuple[str, str, dict[str, Any]]] = []  # (design, label@term, stats)
    # Robust substitution and the designs-agree check only apply to the overall effect term: an
    # interaction or other coefficient (e.g. ``treated_x_nonmetro``) has no robust counterpart.
    headline = term == dg.headline_term(result) and not dg.is_interaction(term)
    if not headline:
        pass
    elif result.design in ("twfe", "event_study"):
        for lab, r in dg.siblings(run, label, dg.ROBUST_DESIGNS):
            t = dg.headline_term(r)
            st = dg.row(r, t) if t else None
            if st and st["estimate"] is not None:
                others.append((result.design, f"{label}@{term}", stats))
                used_label, used_term, used, used_stats = lab, str(t), r, st
                break
    elif result.design in dg.ROBUST_DESIGNS:
        for lab, r in dg.siblings(run, label, ("twfe",)):
            t = dg.headline_term(r)
            st = dg.row(r, t) if t else None
            if st and st["estimate"] is not None:
                others.append(("twfe", f"{lab}@{t}", st))
                break
    j = judge(
        claim["kind"],
        used_stats["estimate"],
        used_stats["ci_low"],
        used_stats["ci_high"],
        published=claim["published"],
        margin=margin,
        direction=claim["direction"] or None,
        unit=claim["unit"],
    )
    computed = _computed_n(run, used_label, used, used_stats)
    diags = dg.diagnose(run, used_label, used, {**used_stats, "n_treated": computed["n_treated"]})
    disagree = False
    for design, _ref, st in others:
        d = dg.designs_disagree(used_stats, st)
        disagree = disagree or d
        diags.append(
            {
                "name": "designs agree",
                "status": "fail" if d else "pass",
                "detail": (
                    f"{dg.design_name(used.design)} gives {fmt_change(used_stats['estimate'], claim['unit'])} "
                    f"({fmt_interval(used_stats['ci_low'], used_stats['ci_high'], claim['unit'])}); "
                    f"{dg.design_name(design)} gives {fmt_change(st['estimate'], claim['unit'])} "
                    f"({fmt_interval(st['ci_low'], st['ci_high'], claim['unit'])})"
                ),
            }
        )
    verdict, qualifiers = j.verdict, []
    if grade == "proxy" and verdict != "not testable here":
        verdict, qualifiers = "not testable here", ["proxy"]
    elif verdict in DECISIVE:
        if disagree:
            verdict, qualifiers = "inconclusive", ["designs disagree"]
        failed = [
            d["name"] for d in diags if d["status"] == "fail" and d["name"] != "designs agree"
        ]
        if failed:
            verdict = "inconclusive"
            qualifiers += [f"{n} failed" for n in failed]
    soft = [
        f"{d['name']} {d['status']}"
        for d in diags
        if d["status"] in ("not computable",) and d["name"] == "pre-trends"
    ]
    return {
        "verdict": verdict,
        "rule_verdict": j.verdict,
        "reason": j.reason,
        "qualifiers": qualifiers + [q for q in soft if q not in qualifiers],
        "gates": list(qualifiers),
        "stats": used_stats,
        "decided_by": f"{used_label}@{used_term}",
        "design": used.design,
        "diagnostics": diags,
        "computed": computed,
        "pre_max": dg.pre_period_max(run, used_label)
        if used.design in dg.TIMED_DESIGNS
        else (None, ""),
    }


def _variant(label: str, ev: dict[str, Any]) -> dict[str, Any]:
    st = ev.get("stats") or {}
    return {
        "label": label,
        "verdict": ev["verdict"],
        "estimate": st.get("estimate"),
        "ci_low": st.get("ci_low"),
        "ci_high": st.get("ci_high"),
    }


def _robustness(
    run: StudyRun,
    label: str,
    term: str,
    claim: dict[str, Any],
    margin: Margin | None,
    grade: str,
    main: dict[str, Any],
) -> dict[str, Any]:
    """Re-judge under every declared sensitivity of the same outcome, the margin at half and
    double, TWFE alone (when a robust estimator decided) and relaxed parallel trends."""
    variants: list[dict[str, Any]] = []
    not_comparable: list[str] = []
    used_label, _, used_term = main["decided_by"].rpartition("@")
    related = {label, used_label}
    related |= {
        lab for lab, _ in dg.siblings(run, label, tuple({r.design for r in run.results.values()}))
    }
    tags: dict[str, list[str]] = {}
    for lab in run.results:
        base, tag = dg.split_label(lab)
        if tag and base in related:
            tags.setdefault(tag, []).append(base)
    for tag, bases in tags.items():
        if label in bases:
            ev = _evaluate(run, f"{label}[{tag}]", term, claim, main["margin"], grade)
        else:
            base = bases[0]
            t = term if base == label else dg.headline_term(run.results[f"{base}[{tag}]"]) or term
            ev = _evaluate(run, f"{base}[{tag}]", t, claim, main["margin"], grade)
        if not ev.get("stats"):
            why = ev["reason"]
            if "has no term" in why:
                why = "the re-run result has no single overall estimate"
            not_comparable.append(f"{tag}: {why}")
            continue
        variants.append(_variant(tag, ev))
    uses_margin = claim["kind"] in ("null", "direction") or (
        claim["kind"] in ("effect", "descriptive") and margin is not None
    )
    margin_flip = False
    if margin is not None and uses_margin:
        for factor, word in ((0.5, "half"), (2.0, "double")):
            m = margin.margin * factor
            ev = _evaluate(run, label, term, claim, m, grade)
            variants.append(_variant(f"margin={fmt_level(m, margin.unit)} ({word})", ev))
            margin_flip = margin_flip or ev["verdict"] != main["verdict"]
    if main["design"] in dg.ROBUST_DESIGNS:
        for _lab, r in dg.siblings(run, used_label, ("twfe",)):
            head = dg.headline_term(r)
            if head:
                variants.append(
                    _variant(
                        "two-way fixed effects alone", _judge_only(r, head, claim, main, grade)
                    )
                )
                break
    pre_max, _ = main.get("pre_max", (None, ""))
    st = main.get("stats") or {}
    if pre_max is not None and st.get("ci_low") is not None and claim["kind"] != "descriptive":
        lo, hi = st["ci_low"] - pre_max, st["ci_high"] + pre_max
        j = judge(
            claim["kind"], st["estimate"], lo, hi, published=claim["published"],
            margin=main["margin"], direction=claim["direction"] or None, unit=claim["unit"],
        )  # fmt: skip
        v = "not testable here" if grade == "proxy" else j.verdict
        if v in DECISIVE and main.get("gates"):
            v = "inconclusive"  # the same gates as the main verdict
        variants.append(
            {
                "label": "parallel trends relaxed (relative magnitudes, M=1)",
                "verdict": v,
                "estimate": st["estimate"],
                "ci_low": lo,
                "ci_high": hi,
            }
        )
    holds = sum(v["verdict"] == main["verdict"] for v in variants)
    return {
        "holds": holds,
        "total": len(variants),
        "variants": variants,
        "flips": [v["label"] for v in variants if v["verdict"] != main["verdict"]],
        "margin_dependent": margin_flip,
        "not_comparable": not_comparable,
    }


def _judge_only(
    result: Any, term: str, claim: dict[str, Any], main: dict[str, Any], grade: str
) -> dict[str, Any]:
    """The bare rule on one result (no robust substitution), e.g. TWFE alone."""
    st = dg.row(result, term) or {}
    j = judge(
        claim["kind"], st.get("estimate"), st.get("ci_low"), st.get("ci_high"),
        published=claim["published"], margin=main["margin"],
        direction=claim["direction"] or None, unit=claim["unit"],
    )  # fmt: skip
    return {"verdict": "not testable here" if grade == "proxy" else j.verdict, "stats": st}


# --- sentence ---------------------------------------------------------------------------------
_MEANING = {
    "supported": "the claim is supported",
    "contradicted": "the claim is contradicted",
    "inconclusive": "the data cannot settle the claim",
    "different size": "the claim is right in direction but not in size",
    "not testable here": "the claim is not testable here",
}


_GATE_TEXT = {
    "designs disagree": "the two-way fixed-effects and heterogeneity-robust estimates disagree",
    "pre-trends failed": "the pre-trend test fails",
}


def _quantity(text: str) -> str:
    q = text.strip().rstrip(".")
    for tail in (" (log points)", " (log points per percentage point)"):
        if q.endswith(tail):
            q = q[: -len(tail)]
    return q


def sentence(check: ClaimCheck, exploratory_reason: str = "") -> str:
    """One plain sentence for a check: number in natural units, CI, what it means."""
    q = _quantity(check.quantity)
    unit = check.unit
    qual = f" ({check.qualifier})" if check.qualifier else ""
    if check.estimate is None:
        reason = check.reason.rstrip(".")
        return f"{q}: {_MEANING['not testable here']}; {reason}."
    if check.kind == "consistency":
        return f"{q}: {check.reason}, which means {_MEANING[check.verdict]}{qual}."
    if check.kind == "descriptive" or check.ci_low is None:
        lead = f"{q}: computed {fmt_level(check.estimate, unit)}"
    else:
        lead = (
            f"{q}: our estimate is {fmt_change(check.estimate, unit)} "
            f"({fmt_interval(check.ci_low, check.ci_high, unit)})"
        )
    if check.exploratory:
        return (
            f"{lead}, an exploratory proxy, not a test of the claim ({exploratory_reason}); "
            f"{_MEANING['not testable here']}."
        )
    if check.rule_verdict and check.rule_verdict != check.verdict and check.qualifier:
        gates = [
            _GATE_TEXT.get(g, g)
            for g in check.qualifier.split("; ")
            if g in _GATE_TEXT or g.endswith(" failed")
        ]
        gates = [g if g in _GATE_TEXT.values() else f"the {g}" for g in gates]
        return (
            f"{lead}; {check.reason}, but {' and '.join(gates)}, which means "
            f"{_MEANING[check.verdict]}."
        )
    return f"{lead}; {check.reason}, which means {_MEANING[check.verdict]}{qual}."


# --- the check -------------------------------------------------------------------------------
def check(
    registry: pd.DataFrame, runs: dict[str, StudyRun], claim_ids: list[str] | None = None
) -> list[ClaimCheck]:
    """Compute every claim's verdict from study runs (keyed by study id).

    A claim whose study is not in ``runs`` is ``not testable here`` with that reason: this
    function never runs a study (:mod:`sanctuary_lab.pipeline` does).
    """
    margins = load_margins()
    out = []
    for row in registry.itertuples(index=False):
        r = row._asdict()
        if claim_ids is not None and r["claim_id"] not in claim_ids:
            continue
        out.append(_check_one(r, runs, margins))
    return out


def _check_one(
    r: dict[str, str], runs: dict[str, StudyRun], margins: dict[str, Margin]
) -> ClaimCheck:
    published = _float(r["published_value"])
    scale = _float(r["scale"]) or 1.0
    fam = margins.get(r["family"]) if r["family"] else None
    claim = {
        "kind": r["kind"],
        "published": None if published is None else published * scale,
        "direction": r["direction"],
        "unit": r["unit"],
    }
    c = ClaimCheck(
        claim_id=r["claim_id"], quote=r["quote"], who=r["who"], quantity=r["quantity"],
        published_value=None if published is None else published * scale,
        unit=r["unit"], study_id=r["study_id"] or None,
        estimate=None, ci_low=None, ci_high=None, verdict="not testable here", reason="",
        source_url=r["source_url"], kind=r["kind"], where=r["where"], quote_type=r["quote_type"],
        result_term=r["result_term"], margin=None if fam is None else fam.margin,
        notes=r["notes"], statement_no=r["statement_no"], article=r["article"],
        published_date=r["published_date"], direction=r["direction"],
        margin_family=r["family"], margin_justification="" if fam is None else fam.justification,
    )  # fmt: skip
    c.robustness = {
        "holds": 0, "total": 0, "variants": [], "flips": [], "margin_dependent": False,
        "not_comparable": [],
    }  # fmt: skip
    c.comparability = {"grade": "", "rows": [], "differences": []}
    if r["kind"] == "consistency":
        fn, _ = CONSISTENCY[r["result_term"]]
        figures = [float(x) for x in r["inputs"].split(";")]
        est = fn(*figures)
        j = judge(
            "consistency", est, None, None, published=published, margin=c.margin, unit=r["unit"]
        )
        c.estimate, c.verdict, c.rule_verdict, c.reason = est, j.verdict, j.verdict, j.reason  # type: ignore[assignment]
        if j.verdict == "contradicted":
            c.qualifier = "the statement's own figures disagree"
        c.comparability["grade"] = "same design and data"
        c.design = "internal consistency"
        c.decided_by = f"{r['result_term']}({r['inputs']})"
        c.sentence = sentence(c)
        return c
    if not r["study_id"]:
        c.reason = r["untestable_reason"]
        c.sentence = sentence(c)
        return c
    run = runs.get(r["study_id"])
    if run is None:
        c.reason = f"the study that tests it was not run ({r['untestable_reason'] or 'no run'})"
        c.sentence = sentence(c)
        return c
    label, _, term = r["result_term"].rpartition("@")
    pub_side = dict(run.comparison.get("published", {}))
    if r["comparison_published"].strip():
        pub_side = merge_override(pub_side, parse_override(r["comparison_published"]))
    ours_side = dict(run.comparison.get("ours", {}))
    main = _evaluate(run, label, term, claim, c.margin, "")
    computed = main.get("computed", {})
    comp = compare(pub_side, ours_side, computed)
    grade = comp["grade"]
    main = _evaluate(run, label, term, claim, c.margin, grade)
    main["margin"] = c.margin
    c.comparability = comp
    st = main.get("stats") or {}
    c.estimate, c.ci_low, c.ci_high = st.get("estimate"), st.get("ci_low"), st.get("ci_high")
    n = st.get("n_obs")
    c.n_obs = int(n) if n is not None and math.isfinite(n) else None
    c.verdict = main["verdict"]  # type: ignore[assignment]
    c.rule_verdict = main.get("rule_verdict", main["verdict"])
    c.reason = main["reason"]
    if r["untestable_reason"] and c.estimate is None:
        c.reason = f"{r['untestable_reason']} ({c.reason})"
    c.qualifier = "; ".join(main.get("qualifiers", []))
    c.diagnostics = main.get("diagnostics", [])
    c.decided_by = main.get("decided_by", "")
    c.design = main.get("design", "")
    c.exploratory = grade == "proxy" and c.estimate is not None
    if c.estimate is not None:
        c.robustness = _robustness(run, label, term, claim, fam, grade, main)
        if c.robustness["margin_dependent"]:
            c.qualifier = "; ".join(q for q in (c.qualifier, "depends on the margin") if q)
    differ = [
        f"{row['aspect']}: {row['theirs']} vs ours {row['ours']}"
        for row in comp["rows"]
        if row["aspect"] in ("treatment", "outcome") and row["same"] is False
    ]
    c.sentence = sentence(c, "; ".join(differ) or "the published design is not declared")
    return c
