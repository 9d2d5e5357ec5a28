"""The verdict rule (every branch, every claim kind) and the claims registry's validation."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from sanctuary_lab.designs.result import Result
from sanctuary_lab.errors import InputError, SpecError
from sanctuary_lab.studies.claims import CLAIM_COLUMNS, check, load_registry
from sanctuary_lab.studies.model import StudyRun
from sanctuary_lab.studies.verdict import judge


# --- effect claims: signed effect with a published value -------------------------------------
@pytest.mark.parametrize(
    ("est", "lo", "hi", "pub", "verdict"),
    [
        (-30.0, -50.0, -10.0, -35.5, "reproduced"),  # same sign, published inside CI
        (-5.0, -8.0, -2.0, -35.5, "direction-only"),  # same sign, CI excludes 0 and published
        (20.0, 5.0, 35.0, -35.5, "contradicted"),  # opposite sign, CI excludes 0
        (3.0, -4.0, 10.0, -35.5, "not-supported"),  # CI includes 0, excludes published
        (-3.0, -60.0, 10.0, -35.5, "reproduced"),  # wide CI covering published, same sign
        (3.0, -60.0, 10.0, -35.5, "not-supported"),  # opposite sign point, CI covers published
    ],
)
def test_effect_rule(est: float, lo: float, hi: float, pub: float, verdict: str) -> None:
    assert judge("effect", est, lo, hi, published=pub).verdict == verdict


def test_effect_claim_without_published_value_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="published_value"):
        judge("effect", 1.0, 0.5, 1.5)


# --- null claims: equivalence margin --------------------------------------------------------
@pytest.mark.parametrize(
    ("lo", "hi", "direction", "verdict"),
    [
        (-0.05, 0.06, None, "reproduced"),  # CI inside +/-0.10
        (-0.20, 0.05, None, "not-supported"),  # includes 0 but too wide
        (0.15, 0.30, None, "contradicted"),  # wholly beyond the margin
        (-0.30, -0.12, None, "contradicted"),
        (0.02, 0.08, None, "reproduced"),  # detectable but negligible: inside the margin
        (0.05, 0.15, None, "not-supported"),  # straddles the margin
        (-0.50, 0.08, "+", "reproduced"),  # one-sided "not more": upper bound below margin
        (-0.05, 0.30, "+", "not-supported"),
        (0.12, 0.30, "+", "contradicted"),
        (-0.08, 0.50, "-", "reproduced"),  # "not less": lower bound above -margin
        (-0.30, -0.12, "-", "contradicted"),
    ],
)
def test_null_rule(lo: float, hi: float, direction: str | None, verdict: str) -> None:
    est = (lo + hi) / 2
    j = judge("null", est, lo, hi, published=0.0, margin=0.10, direction=direction)
    assert j.verdict == verdict, j.reason


def test_null_claim_needs_positive_margin() -> None:
    with pytest.raises(SpecError, match="margin"):
        judge("null", 0.0, -0.1, 0.1, margin=None)
    with pytest.raises(SpecError, match="margin"):
        judge("null", 0.0, -0.1, 0.1, margin=0.0)


# --- direction claims ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lo", "hi", "direction", "verdict"),
    [
        (1.0, 5.0, "+", "reproduced"),
        (-5.0, -1.0, "+", "contradicted"),
        (-1.0, 5.0, "+", "not-supported"),
        (-5.0, -1.0, "-", "reproduced"),
    ],
)
def test_direction_rule(lo: float, hi: float, direction: str, verdict: str) -> None:
    assert judge("direction", (lo + hi) / 2, lo, hi, direction=direction).verdict == verdict


def test_direction_claim_needs_a_sign() -> None:
    with pytest.raises(SpecError, match="direction"):
        judge("direction", 1.0, 0.5, 1.5)


# --- descriptive claims ----------------------------------------------------------------------
def test_descriptive_rules() -> None:
    assert judge("descriptive", 2.4, None, None, direction="+").verdict == "reproduced"
    assert judge("descriptive", -2.4, None, None, direction="+").verdict == "contradicted"
    assert judge("descriptive", 0.0, None, None, direction="+").verdict == "not-supported"
    # threshold: "above half"
    assert (
        judge("descriptive", 57.0, None, None, published=50, direction="+").verdict == "reproduced"
    )
    assert (
        judge("descriptive", 41.0, None, None, published=50, direction="+").verdict
        == "contradicted"
    )
    # "about 13%" with a tolerance of 2
    assert judge("descriptive", 14.5, None, None, published=13, margin=2).verdict == "reproduced"
    assert (
        judge("descriptive", 20.0, None, None, published=13, margin=2).verdict == "direction-only"
    )
    assert judge("descriptive", -1.0, None, None, published=13, margin=2).verdict == "contradicted"


def test_missing_estimate_or_ci_is_untestable() -> None:
    assert judge("effect", None, None, None, published=1.0).verdict == "untestable"
    assert judge("effect", math.nan, 0, 1, published=1.0).verdict == "untestable"
    assert judge("null", 0.01, math.nan, math.inf, margin=0.1).verdict == "untestable"


def test_unknown_kind_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="unknown claim kind"):
        judge("vibes", 1.0, 0.0, 2.0)


# --- registry --------------------------------------------------------------------------------
def test_bundled_registry_covers_the_required_claims() -> None:
    reg = load_registry()
    ids = set(reg["claim_id"])
    for needed in (
        "wong_crime_per10k",
        "wong_crime_large_central_metro",
        "wong_median_income",
        "wong_poverty",
        "wong_unemployment",
        "sanctuary_no_effect_crime",
        "eo13768_immeasurable_harm",
        "sc_no_crime_reduction",
        "287g_no_violent_reduction",
        "287g_no_property_reduction",
        "immigrants_not_more_crime",
        "undocumented_not_more_violent_crime",
        "noncriminal_share_2009_2014",
        "noncriminal_share_recent",
        "detainer_declines_rose_after_2013",
    ):
        assert needed in ids
    pub = dict(zip(reg["claim_id"], reg["published_value"], strict=True))
    assert float(pub["wong_crime_per10k"]) == -35.5
    assert float(pub["wong_crime_large_central_metro"]) == -65.4
    assert float(pub["wong_median_income"]) == 4353
    assert float(pub["wong_poverty"]) == -2.3
    assert float(pub["wong_unemployment"]) == -1.1
    # verdicts are never written down in the registry
    assert not any("verdict" in c for c in reg.columns)
    # every null claim records its margin
    assert (reg.loc[reg["kind"] == "null", "margin"].str.strip() != "").all()


def _write_registry(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    df = pd.DataFrame([{c: r.get(c, "") for c in CLAIM_COLUMNS} for r in rows])
    p = tmp_path / "claims.csv"
    df.to_csv(p, index=False)
    return p


BASE = {
    "claim_id": "c1",
    "quote": "x",
    "quote_type": "paraphrase",
    "who": "someone",
    "quantity": "q",
    "kind": "effect",
    "published_value": "-2",
    "study_id": "s",
    "result_term": "lab@term",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "maybe"}, "kind"),
        ({"published_value": "lots"}, "published_value"),
        ({"published_value": ""}, "published_value"),
        ({"kind": "null", "margin": ""}, "margin"),
        ({"result_term": "no_at_sign"}, "result_term"),
        ({"study_id": "", "untestable_reason": ""}, "untestable_reason"),
        ({"quote_type": "verbatim"}, "quote_type"),
        ({"who": ""}, "who"),
    ],
)
def test_bad_registry_rows_name_file_row_field(
    tmp_path: Path, change: dict[str, str], field: str
) -> None:
    p = _write_registry(tmp_path, [{**BASE, "claim_id": "ok"}, {**BASE, **change}])
    with pytest.raises(InputError) as info:
        load_registry(p)
    assert info.value.row == 2
    assert info.value.field == field
    assert str(p) in str(info.value)


def test_registry_missing_column(tmp_path: Path) -> None:
    p = tmp_path / "claims.csv"
    p.write_text("claim_id,quote\nx,y\n")
    with pytest.raises(InputError, match="missing column"):
        load_registry(p)


def _run_with(term: str, est: float, lo: float, hi: float) -> StudyRun:
    table = pd.DataFrame(
        [
            {
                "term": term,
                "estimate": est,
                "std_error": 1.0,
                "ci_low": lo,
                "ci_high": hi,
                "p_value": 0.5,
                "n_obs": 99,
                "n_clusters": 9,
            }
        ]
    )
    run = StudyRun("s", "t", "c", "d")
    run.results["lab"] = Result("fake", table)
    run.sample["failed"] = {"gone": "data unavailable: warehouse has no table 'x'"}
    return run


def test_check_uses_the_rule_and_reports_untestable_reasons(tmp_path: Path) -> None:
    p = _write_registry(
        tmp_path,
        [
            {**BASE, "claim_id": "hit"},
            {**BASE, "claim_id": "scaled", "published_value": "-0.02", "scale": "100"},
            {**BASE, "claim_id": "missing_term", "result_term": "lab@other"},
            {**BASE, "claim_id": "failed_fit", "result_term": "gone@term"},
            {
                **BASE,
                "claim_id": "nodata",
                "study_id": "",
                "result_term": "",
                "untestable_reason": "needs ICE arrests",
            },
            {**BASE, "claim_id": "unrun", "study_id": "other"},
        ],
    )
    checks = {
        c.claim_id: c for c in check(load_registry(p), {"s": _run_with("term", -1.5, -3.0, -0.5)})
    }
    assert checks["hit"].verdict == "reproduced"
    assert checks["hit"].estimate == -1.5 and checks["hit"].n_obs == 99
    assert checks["scaled"].verdict == "reproduced"  # -0.02 * 100 = -2 inside [-3, -0.5]
    assert (
        checks["missing_term"].verdict == "untestable"
        and "no term 'other'" in checks["missing_term"].reason
    )
    assert (
        checks["failed_fit"].verdict == "untestable"
        and "no table 'x'" in checks["failed_fit"].reason
    )
    assert (
        checks["nodata"].verdict == "untestable" and checks["nodata"].reason == "needs ICE arrests"
    )
    assert checks["unrun"].verdict == "untestable"
    d = checks["hit"].to_dict()
    assert d["verdict"] == "reproduced" and d["kind"] == "effect"
