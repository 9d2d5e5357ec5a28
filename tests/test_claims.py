"""The verdict rule (every branch, every claim kind) and the claims registry's validation."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from sanctuary_lab.core.errors import InputError, SpecError
from sanctuary_lab.core.result import Result
from sanctuary_lab.studies.claims import CLAIM_COLUMNS, check, load_registry
from sanctuary_lab.studies.records import StudyRun
from sanctuary_lab.studies.verdict import judge


# --- effect claims: signed effect with a published value -------------------------------------
@pytest.mark.parametrize(
    ("est", "lo", "hi", "pub", "verdict"),
    [
        (-30.0, -50.0, -10.0, -35.5, "supported"),  # published inside CI, CI excludes 0
        (-5.0, -8.0, -2.0, -35.5, "different size"),  # same sign, CI excludes 0 and published
        (20.0, 5.0, 35.0, -35.5, "contradicted"),  # opposite sign, CI excludes 0
        (3.0, -4.0, 10.0, -35.5, "inconclusive"),  # CI includes 0, excludes published, no margin
        (-3.0, -60.0, 10.0, -35.5, "inconclusive"),  # wide CI covering published and 0
        (3.0, -60.0, 10.0, -35.5, "inconclusive"),  # opposite sign point, CI covers published
    ],
)
def test_effect_rule(est: float, lo: float, hi: float, pub: float, verdict: str) -> None:
    assert judge("effect", est, lo, hi, published=pub).verdict == verdict


def test_effect_rule_with_margin_rules_out_the_claimed_direction() -> None:
    # CI includes 0, excludes -35.5 and any decrease beyond the margin of 10: contradicted
    assert judge("effect", 3.0, -4.0, 10.0, published=-35.5, margin=10).verdict == "contradicted"
    # ... but a CI reaching 20 below zero cannot rule out a meaningful decrease
    assert judge("effect", 3.0, -20.0, 10.0, published=-35.5, margin=10).verdict == "inconclusive"


def test_wide_interval_is_never_supported() -> None:
    # the less precise an estimate, the easier a numeric claim used to be "reproduced"
    for width in (10.0, 100.0, 1000.0):
        j = judge("effect", -50.0, -50.0 - width, -50.0 + width + 60.0, published=-65.4)
        assert j.verdict == "inconclusive", (width, j)


def test_effect_claim_without_published_value_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="published_value"):
        judge("effect", 1.0, 0.5, 1.5)


# --- null claims: equivalence margin --------------------------------------------------------
@pytest.mark.parametrize(
    ("lo", "hi", "direction", "verdict"),
    [
        (-0.05, 0.06, None, "supported"),  # CI inside +/-0.10
        (-0.20, 0.05, None, "inconclusive"),  # includes 0 but too wide
        (0.15, 0.30, None, "contradicted"),  # wholly beyond the margin
        (-0.30, -0.12, None, "contradicted"),
        (0.02, 0.08, None, "supported"),  # detectable but negligible: inside the margin
        (0.05, 0.15, None, "inconclusive"),  # straddles the margin
        (-0.50, 0.08, "+", "supported"),  # one-sided "not more": upper bound below margin
        (-0.05, 0.30, "+", "inconclusive"),
        (0.12, 0.30, "+", "contradicted"),
        (-0.08, 0.50, "-", "supported"),  # "not less": lower bound above -margin
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
        (1.0, 5.0, "+", "supported"),
        (-5.0, -1.0, "+", "contradicted"),
        (-1.0, 5.0, "+", "inconclusive"),
        (-5.0, -1.0, "-", "supported"),
    ],
)
def test_direction_rule(lo: float, hi: float, direction: str, verdict: str) -> None:
    assert judge("direction", (lo + hi) / 2, lo, hi, direction=direction).verdict == verdict


def test_direction_rule_with_margin() -> None:
    # a precise zero rules out a meaningful increase: "more crime" is contradicted
    assert judge("direction", 0.0, -0.5, 0.5, margin=1.0, direction="+").verdict == "contradicted"
    assert judge("direction", 0.0, -0.5, 2.0, margin=1.0, direction="+").verdict == "inconclusive"


def test_direction_claim_needs_a_sign() -> None:
    with pytest.raises(SpecError, match="direction"):
        judge("direction", 1.0, 0.5, 1.5)


# --- descriptive claims ----------------------------------------------------------------------
def test_descriptive_rules() -> None:
    assert judge("descriptive", 2.4, None, None, direction="+").verdict == "supported"
    assert judge("descriptive", -2.4, None, None, direction="+").verdict == "contradicted"
    assert judge("descriptive", 0.0, None, None, direction="+").verdict == "inconclusive"
    # threshold: "above half"
    assert (
        judge("descriptive", 57.0, None, None, published=50, direction="+").verdict == "supported"
    )
    assert (
        judge("descriptive", 41.0, None, None, published=50, direction="+").verdict
        == "contradicted"
    )
    # "about 13%" with a tolerance of 2
    assert judge("descriptive", 14.5, None, None, published=13, margin=2).verdict == "supported"
    assert (
        judge("descriptive", 20.0, None, None, published=13, margin=2).verdict == "different size"
    )
    assert judge("descriptive", -1.0, None, None, published=13, margin=2).verdict == "contradicted"


def test_consistency_rule() -> None:
    # 899 vs 1,797 per 100,000 is 50% fewer: a stated 56% (rounding 0.5) disagrees
    implied = 100 * (1 - 899 / 1797)
    j = judge("consistency", implied, None, None, published=56, margin=0.5, unit="percent")
    assert j.verdict == "contradicted" and "50%" in j.reason
    assert judge("consistency", implied, None, None, published=50, margin=0.5).verdict == (
        "supported"
    )


def test_missing_estimate_or_ci_is_not_testable() -> None:
    assert judge("effect", None, None, None, published=1.0).verdict == "not testable here"
    assert judge("effect", math.nan, 0, 1, published=1.0).verdict == "not testable here"
    assert judge("null", 0.01, math.nan, math.inf, margin=0.1).verdict == "not testable here"


def test_unknown_kind_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="unknown claim kind"):
        judge("vibes", 1.0, 0.0, 2.0)


# --- registry --------------------------------------------------------------------------------
def test_bundled_registry_covers_every_source_statement() -> None:
    reg = load_registry()
    import re

    from sanctuary_lab.core.config import resolve_raw_dir

    # the shared folder holds data/raw and claims side by side
    src = resolve_raw_dir().parent.parent / "claims" / "source_statements.md"

    numbers = set(re.findall(r"^\| (\d+) \|", src.read_text(encoding="utf-8"), flags=re.M))
    assert len(numbers) == 45
    assert numbers <= set(reg["statement_no"])
    pub = dict(zip(reg["claim_id"], reg["published_value"], strict=True))
    assert float(pub["wong_crime_per10k"]) == -35.5
    assert float(pub["wong_crime_large_central_metro"]) == -65.4
    assert float(pub["wong_median_income"]) == 4353
    assert float(pub["wong_poverty"]) == -2.3
    assert float(pub["wong_unemployment"]) == -1.1
    # verdicts and margins are never written down in the registry
    assert not any("verdict" in c for c in reg.columns)
    assert "margin" not in reg.columns
    # every null claim with a study names its margin family
    nulls = reg.loc[(reg["kind"] == "null") & (reg["study_id"] != "")]
    assert (nulls["family"] != "").all()
    # every claim names who made it, the article and a verbatim quote or a flagged paraphrase
    assert (reg["article"] != "").all() and (reg["who"] != "").all()
    assert "author not recorded" not in " ".join(reg["who"])
    # the detainer-declines claim appears in no source article
    assert "detainer_declines_rose_after_2013" not in set(reg["claim_id"])
    # Light & Miller are directional claims ("lower", "decreases"), not "not more" nulls
    lm = reg.loc[reg["who"].str.startswith("Light & Miller")]
    assert set(lm["kind"]) == {"direction"} and set(lm["direction"]) == {"-"}
    # ICE's noncriminal is "no conviction and no pending charge"
    ero = reg.loc[reg["statement_no"].isin(["29", "30", "31"])]
    definition = ero["untestable_reason"] + " " + ero["quantity"]
    assert definition.str.contains(r"no pending (?:criminal )?charge").all()
    # FY2016-2020 figures make "about 13 percent now" testable; the 2009-2015 claims stay untestable
    wired = ero.loc[ero["study_id"] != ""]
    assert list(wired["claim_id"]) == ["ice_noncriminal_13_percent_now"]
    assert (ero.loc[ero["study_id"] == "", "untestable_reason"] != "").all()


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
    "article": "A",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "maybe"}, "kind"),
        ({"published_value": "lots"}, "published_value"),
        ({"published_value": ""}, "published_value"),
        ({"kind": "null", "family": ""}, "family"),
        ({"family": "made_up"}, "family"),
        ({"kind": "consistency", "result_term": "eval"}, "result_term"),
        ({"kind": "consistency", "result_term": "percent_below", "inputs": "1;x"}, "inputs"),
        ({"comparison_published": "color=blue"}, "comparison_published"),
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
    # the fake run declares no comparison: the grade is proxy, so nothing is supported
    assert checks["hit"].rule_verdict == "supported"
    assert checks["hit"].verdict == "not testable here" and checks["hit"].exploratory
    assert checks["hit"].estimate == -1.5 and checks["hit"].n_obs == 99
    assert checks["scaled"].rule_verdict == "supported"  # -0.02 * 100 = -2 inside [-3, -0.5]
    assert (
        checks["missing_term"].verdict == "not testable here"
        and "no term 'other'" in checks["missing_term"].reason
    )
    assert (
        checks["failed_fit"].verdict == "not testable here"
        and "no table 'x'" in checks["failed_fit"].reason
    )
    assert (
        checks["nodata"].verdict == "not testable here"
        and checks["nodata"].reason == "needs ICE arrests"
    )
    assert checks["unrun"].verdict == "not testable here"
    d = checks["hit"].to_dict()
    assert d["verdict"] == "not testable here" and d["kind"] == "effect"
    # the same run with a declared comparison of the same constructs is judged
    run = _run_with("term", -1.5, -3.0, -0.5)
    same = {"unit": "county", "treatment": "t (x)", "outcome": "y (z)"}
    run.comparison = {"published": same, "ours": same}
    graded = {c.claim_id: c for c in check(load_registry(p), {"s": run})}
    assert graded["hit"].verdict == "supported"
    assert graded["hit"].comparability["grade"] == "same question on other data"
    assert "2 lower" in graded["hit"].sentence and "supported" in graded["hit"].sentence


def test_rule_is_documented_once_with_the_same_text() -> None:
    from sanctuary_lab.studies.verdict import RULE_TEXT

    docs = (Path(__file__).resolve().parents[1] / "docs" / "studies.md").read_text("utf-8")
    squash = " ".join
    assert squash(RULE_TEXT.split()) in squash(docs.split())
    for label in ("supported", "contradicted", "inconclusive", "different size"):
        assert label.capitalize() in RULE_TEXT


def test_margins_table_is_complete_and_justified() -> None:
    from sanctuary_lab.studies.verdict import load_margins

    margins = load_margins()
    reg = load_registry()
    assert set(reg.loc[reg["family"] != "", "family"]) <= set(margins)
    for m in margins.values():
        assert m.margin > 0 and len(m.justification) > 40


def test_formatter_natural_units() -> None:
    from sanctuary_lab.core.formatting import fmt_change, fmt_interval, fmt_level

    assert fmt_change(math.log(0.9), "log points") == "10% lower"
    assert fmt_change(-35.5, "crimes per 10,000") == "35.5 fewer crimes per 10,000"
    assert fmt_change(4353.0, "US dollars") == "$4,353 higher"
    assert fmt_level(57.0, "percent") == "57%"
    assert fmt_interval(-2.0, 1.0, "percentage points") == (
        "95% CI: 2 percentage points lower to 1 percentage points higher"
    )


def test_check_cli_unknown_claim_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli_helpers import run_cli

    wh = tmp_path / "w.duckdb"
    wh.write_bytes(b"")
    code, out, err = run_cli(monkeypatch, capsys, "check", "-w", str(wh), "--claim", "wong_crime")
    assert code == 2 and out == ""
    assert "not a registered claim" in err and "wong_crime_per10k" in err
    code, _, err = run_cli(monkeypatch, capsys, "check", "-w", str(tmp_path / "missing.duckdb"))
    assert code == 2 and "warehouse not found" in err


def test_check_text_output_fits_80_columns_and_escapes_markup(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rich.console import Console

    from sanctuary_lab.cli import studies as commands
    from sanctuary_lab.studies.records import ClaimCheck

    c = ClaimCheck(
        "x_claim", "a [bold]quote[/bold] with [red]markup[/red] " * 4, "who [i]", "q", None, "",
        None, None, None, None, "not testable here", "no data", statement_no="1",
        sentence="q: the claim is not testable here; no data [link=x].",
    )  # fmt: skip
    console = Console(width=80, highlight=False, force_terminal=False)
    with console.capture() as cap:
        commands._print_claim(console, c)
        commands._print_checks(console, [c], {})
    text = cap.get()
    assert "[bold]quote[/bold]" in text and "[link=x]" in text  # shown, not interpreted
    assert max(len(line) for line in text.splitlines()) <= 80
