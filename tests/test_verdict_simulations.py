"""Seeded simulations with known truth drive every verdict label through the real designs and the
claim checker: a wide-CI numeric claim is inconclusive, a proxy is not testable, TWFE biased by
staggered heterogeneous effects loses to Callaway-Sant'Anna (and the verdict says the designs
disagree), a failed pre-trend downgrades the verdict, and mirror claims get mirror verdicts."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sanctuary_lab.designs.registry import design_from_dict
from sanctuary_lab.studies.claims import CLAIM_COLUMNS, check, load_registry
from sanctuary_lab.studies.records import StudyRun
from sanctuary_lab.studies.verdict import judge

SAME = {
    "unit": "county",
    "geography": "United States",
    "treatment": "policy (simulated)",
    "outcome": "crime rate (simulated)",
    "design": "simulation",
    "years": [2000, 2010],
    "data": "simulated",
}


def _fit(design: str, options: dict, data: pd.DataFrame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return design_from_dict(design, options).fit(data)


def _run(results: dict, frames: dict | None = None) -> StudyRun:
    run = StudyRun("sim", "Simulation", "none", "sim")
    run.results.update(results)
    run.comparison = {"published": dict(SAME), "ours": dict(SAME)}
    run.sample["frames"] = frames or {}
    return run


def _registry(tmp_path: Path, rows: list[dict[str, str]]) -> pd.DataFrame:
    base = {
        "quote": "a claim",
        "quote_type": "quote",
        "who": "someone",
        "article": "X",
        "quantity": "effect",
        "study_id": "sim",
        "unit": "crimes per 10,000",
    }
    df = pd.DataFrame([{c: {**base, **r}.get(c, "") for c in CLAIM_COLUMNS} for r in rows])
    p = tmp_path / "claims.csv"
    df.to_csv(p, index=False)
    return load_registry(p)


def _cross_section(seed: int, n: int, effect: float, sd: float, sign: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = (rng.random(n) < 0.4).astype(int)
    x = rng.normal(size=n)
    y = 300 + effect * d + 5 * x + rng.normal(scale=sd, size=n)
    return pd.DataFrame({"y": sign * y, "d": d, "x": x})


CS_OPTS = {"outcome": "y", "treatment": "d", "controls": ["x"], "inference": "hc1"}


def test_wide_ci_numeric_claim_is_inconclusive(tmp_path: Path) -> None:
    # truth: -35.5; 40 noisy counties cannot tell -35.5 from 0
    df = _cross_section(2, 40, -35.5, 120.0)
    res = _fit("cross_section", CS_OPTS, df)
    row = res.tidy().set_index("term").loc["d"]
    assert row["ci_low"] < -35.5 < row["ci_high"] and row["ci_low"] < 0 < row["ci_high"]
    reg = _registry(
        tmp_path,
        [{"claim_id": "wide", "kind": "effect", "published_value": "-35.5",
          "family": "crimes_per_10k", "result_term": "y:adjusted@d"}],
    )  # fmt: skip
    (c,) = check(reg, {"sim": _run({"y:adjusted": res})})
    assert c.verdict == "inconclusive" and c.rule_verdict == "inconclusive"
    assert c.comparability["grade"] == "same design and data"
    assert "35.5 fewer" in c.sentence and "95% CI" in c.sentence
    # the same truth measured precisely (4,000 counties, less noise) is supported
    precise = _fit("cross_section", CS_OPTS, _cross_section(1, 4000, -35.5, 20.0))
    (c2,) = check(reg, {"sim": _run({"y:adjusted": precise})})
    assert c2.verdict == "supported"


def test_proxy_is_not_testable_and_exploratory(tmp_path: Path) -> None:
    precise = _fit("cross_section", CS_OPTS, _cross_section(2, 4000, -35.5, 20.0))
    reg = _registry(
        tmp_path,
        [{"claim_id": "proxy", "kind": "effect", "published_value": "-35.5",
          "family": "crimes_per_10k", "result_term": "y:adjusted@d",
          "comparison_published": "treatment=another policy (what the claim is about)"}],
    )  # fmt: skip
    (c,) = check(reg, {"sim": _run({"y:adjusted": precise})})
    assert c.rule_verdict == "supported"  # the estimate alone would support it ...
    assert c.verdict == "not testable here"  # ... but a proxy is never a test
    assert c.exploratory and c.estimate is not None
    assert c.comparability["grade"] == "proxy"
    assert "exploratory proxy" in c.sentence
    rows = {r["aspect"]: r for r in c.comparability["rows"]}
    assert rows["treatment"]["same"] is False and rows["unit"]["same"] is True


def _staggered(seed: int) -> tuple[pd.DataFrame, float]:
    """Every unit treated eventually, effects growing with time since adoption: TWFE is biased."""
    rng = np.random.default_rng(seed)
    units, periods = 90, 20
    cohorts = np.repeat([5, 10, 15], units // 3)
    rows = []
    for i in range(units):
        a = rng.normal()
        for t in range(1, periods + 1):
            e = t - cohorts[i]
            effect = 0.1 * (e + 1) if e >= 0 else 0.0
            y = a + 0.02 * t + effect + rng.normal(scale=0.05)
            rows.append((i, t, cohorts[i], int(e >= 0), y))
    df = pd.DataFrame(rows, columns=["id", "t", "cohort", "d", "y"])
    return df, 0.1


def test_twfe_biased_by_staggered_heterogeneity_loses_to_callaway_santanna(tmp_path: Path) -> None:
    df, slope = _staggered(3)
    twfe = _fit("twfe", {"outcome": "y", "treatment": "d", "unit": "id", "time": "t"}, df)
    cs = _fit(
        "callaway_santanna",
        {"outcome": "y", "unit": "id", "time": "t", "cohort": "cohort",
         "control": "not_yet_treated"},
        df,
    )  # fmt: skip
    es = _fit(
        "event_study",
        {"outcome": "y", "unit": "id", "time": "t", "cohort": "cohort", "window": [-4, 4]},
        df,
    )
    # CS recovers the truth: the mean of the true ATT(g,t) over the cells it averages
    att_gt = cs.extras["att_gt"]
    post = att_gt.loc[att_gt["post"]]
    truth = float((slope * (post["rel_time"] + 1)).mean())
    cs_row = cs.tidy().set_index("term").loc["att"]
    assert cs_row["ci_low"] <= truth <= cs_row["ci_high"]
    tw_row = twfe.tidy().set_index("term").loc["d"]
    assert not (tw_row["ci_low"] <= truth <= tw_row["ci_high"])  # TWFE misses it
    reg = _registry(
        tmp_path,
        [{"claim_id": "raises", "kind": "direction", "direction": "+", "unit": "log points",
          "family": "log_crime_rate", "result_term": "y:twfe@d"}],
    )  # fmt: skip
    run = _run({"y:twfe": twfe, "y:callaway_santanna": cs, "y:event_study": es})
    (c,) = check(reg, {"sim": run})
    # the claim was wired to TWFE, but the robust estimator decides
    assert c.decided_by == "y:callaway_santanna@att" and c.design == "callaway_santanna"
    assert c.estimate == pytest.approx(cs_row["estimate"])
    agree = [d for d in c.diagnostics if d["name"] == "designs agree"]
    assert agree and agree[0]["status"] == "fail"
    assert c.verdict == "inconclusive" and "designs disagree" in c.qualifier
    assert "disagree" in c.sentence
    assert any(v["label"] == "two-way fixed effects alone" for v in c.robustness["variants"])


def test_interaction_term_is_judged_on_itself_not_replaced_by_the_robust_att(
    tmp_path: Path,
) -> None:
    """A group contrast (``d_x_g``) has no robust counterpart: the CS sibling must not decide."""
    df, _ = _staggered(3)
    rng = np.random.default_rng(5)
    groups = pd.Series(rng.random(df["id"].nunique()) < 0.5, index=df["id"].unique())
    df["g"] = df["id"].map(groups).astype(int)
    df["d_x_g"] = df["d"] * df["g"]
    inter = _fit(
        "twfe",
        {"outcome": "y", "treatment": "d_x_g", "controls": ["d"], "unit": "id", "time": "t"},
        df,
    )
    cs = _fit(
        "callaway_santanna",
        {"outcome": "y", "unit": "id", "time": "t", "cohort": "cohort",
         "control": "not_yet_treated"},
        df,
    )  # fmt: skip
    reg = _registry(
        tmp_path,
        [{"claim_id": "contrast", "kind": "direction", "direction": "+", "unit": "log points",
          "family": "log_crime_rate", "result_term": "y:difference@d_x_g"}],
    )  # fmt: skip
    (c,) = check(reg, {"sim": _run({"y:difference": inter, "y:callaway_santanna": cs})})
    row = inter.tidy().set_index("term").loc["d_x_g"]
    assert c.decided_by == "y:difference@d_x_g" and c.design == "twfe"
    assert c.estimate == pytest.approx(row["estimate"])
    assert not [d for d in c.diagnostics if d["name"] == "designs agree"]


def _pretrend_panel(seed: int) -> pd.DataFrame:
    """Treated units trend up before and after adoption; the true effect is zero."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(80):
        cohort = 0 if i < 40 else (8 if i < 60 else 12)
        a = rng.normal()
        for t in range(1, 17):
            trend = 0.08 * t if cohort else 0.0
            y = a + trend + rng.normal(scale=0.05)
            rows.append((i, t, cohort, y))
    return pd.DataFrame(rows, columns=["id", "t", "cohort", "y"])


def test_failed_pre_trend_downgrades_the_verdict(tmp_path: Path) -> None:
    df = _pretrend_panel(4)
    es = _fit(
        "event_study",
        {"outcome": "y", "unit": "id", "time": "t", "cohort": "cohort", "window": [-4, 4]},
        df,
    )
    assert es.metadata["pretrend"]["p_value"] < 0.05
    cs = _fit(
        "callaway_santanna", {"outcome": "y", "unit": "id", "time": "t", "cohort": "cohort"}, df
    )
    reg = _registry(
        tmp_path,
        [{"claim_id": "up", "kind": "direction", "direction": "+", "unit": "log points",
          "family": "log_crime_rate", "result_term": "y:callaway_santanna@att"}],
    )  # fmt: skip
    (c,) = check(reg, {"sim": _run({"y:callaway_santanna": cs, "y:event_study": es})})
    assert c.rule_verdict == "supported"  # the biased estimate alone looks like support
    assert c.verdict == "inconclusive" and "pre-trends failed" in c.qualifier
    assert {"name": "pre-trends", "status": "fail"}.items() <= next(
        d for d in c.diagnostics if d["name"] == "pre-trends"
    ).items()
    assert "pre-trend test fails" in c.sentence
    # relaxing parallel trends by the largest pre-period coefficient is one robustness variant
    assert any("relaxed" in v["label"] for v in c.robustness["variants"])


# --- mirror claims: negate the claim and the data, get the mirrored verdict ---------------------
MIRROR = {"+": "-", "-": "+", None: None}


@pytest.mark.parametrize("seed", range(5))
def test_mirror_property_of_the_rule(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(400):
        a, b = sorted(rng.normal(scale=2.0, size=2))
        est = (a + b) / 2
        p = float(rng.choice([-1, 1]) * rng.uniform(0.1, 3.0))
        m = float(rng.uniform(0.05, 1.5))
        for kind, kw in (
            ("effect", {"published": p, "margin": m}),
            ("effect", {"published": p}),
            ("direction", {"direction": "+", "margin": m}),
            ("direction", {"direction": "-", "margin": m}),
            ("null", {"margin": m}),
            ("null", {"margin": m, "direction": "+"}),
        ):
            mirrored = dict(kw)
            if "published" in kw:
                mirrored["published"] = -kw["published"]
            if "direction" in kw:
                mirrored["direction"] = MIRROR[kw["direction"]]
            v1 = judge(kind, est, a, b, **kw).verdict
            v2 = judge(kind, -est, -b, -a, **mirrored).verdict
            assert v1 == v2, (kind, kw, a, b)
    for _ in range(200):
        est, p = rng.normal(scale=20), float(rng.uniform(1, 30))
        tol = float(rng.uniform(0, 5))
        assert (
            judge("descriptive", est, None, None, published=p, margin=tol).verdict
            == judge("descriptive", -est, None, None, published=-p, margin=tol).verdict
        )
        assert (
            judge("descriptive", est, None, None, published=p, direction="+").verdict
            == judge("descriptive", -est, None, None, published=-p, direction="-").verdict
        )


def test_mirror_claims_through_the_checker_and_author_never_enters(tmp_path: Path) -> None:
    res = _fit("cross_section", CS_OPTS, _cross_section(5, 600, -20.0, 40.0))
    neg = _fit("cross_section", CS_OPTS, _cross_section(5, 600, -20.0, 40.0, sign=-1.0))
    rows = [
        {"claim_id": "lower", "kind": "direction", "direction": "-", "family": "crimes_per_10k",
         "result_term": "y:adjusted@d", "who": "Side A", "quote": "less crime"},
        {"claim_id": "size", "kind": "effect", "published_value": "-20",
         "family": "crimes_per_10k", "result_term": "y:adjusted@d", "who": "Side A"},
        {"claim_id": "none", "kind": "null", "family": "crimes_per_10k",
         "result_term": "y:adjusted@d", "who": "Side A"},
    ]  # fmt: skip
    mirrored = [
        {**rows[0], "claim_id": "higher", "direction": "+", "who": "Side B", "quote": "more"},
        {**rows[1], "claim_id": "size_neg", "published_value": "20", "who": "Side B"},
        {**rows[2], "claim_id": "none_neg", "who": "Side B"},
    ]
    a = check(_registry(tmp_path, rows), {"sim": _run({"y:adjusted": res})})
    b = check(_registry(tmp_path, mirrored), {"sim": _run({"y:adjusted": neg})})
    for x, y in zip(a, b, strict=True):
        assert x.verdict == y.verdict, (x.claim_id, x.verdict, y.verdict)
        assert x.estimate == pytest.approx(-y.estimate)
    assert a[0].verdict == "supported"
    # the same claim attributed to someone else gets the same verdict
    swapped = [{**r, "who": "Side B", "claim_id": r["claim_id"] + "_b"} for r in rows]
    c = check(_registry(tmp_path, swapped), {"sim": _run({"y:adjusted": res})})
    assert [x.verdict for x in c] == [x.verdict for x in a]


def test_margin_dependence_is_shown(tmp_path: Path) -> None:
    # a precise small difference: "no effect" holds at margin 10 and 20 but not at 5
    res = _fit("cross_section", CS_OPTS, _cross_section(6, 20000, -7.0, 20.0))
    reg = _registry(
        tmp_path,
        [{"claim_id": "none", "kind": "null", "family": "crimes_per_10k",
          "result_term": "y:adjusted@d"}],
    )  # fmt: skip
    (c,) = check(reg, {"sim": _run({"y:adjusted": res})})
    assert c.verdict == "supported"
    flips = c.robustness["flips"]
    assert c.robustness["margin_dependent"] and any("half" in f for f in flips)
    assert "depends on the margin" in c.qualifier
