"""The orchestrator runs each study once, checks claims on those runs, and never re-runs them."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from sanctuary_lab import pipeline
from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.result import Result
from sanctuary_lab.studies import api
from sanctuary_lab.studies.claims import CLAIM_COLUMNS
from sanctuary_lab.studies.records import StudyRun


def _registry(tmp_path: Path) -> Path:
    rows = [
        {"claim_id": cid, "quote": "q", "quote_type": "quote", "who": "w", "article": "A",
         "quantity": "difference", "kind": "direction", "direction": "-",
         "family": "crimes_per_10k", "study_id": "s", "result_term": "y:adjusted@d",
         "unit": "crimes per 10,000"}
        for cid in ("one", "two")
    ]  # fmt: skip
    p = tmp_path / "claims.csv"
    pd.DataFrame([{c: r.get(c, "") for c in CLAIM_COLUMNS} for r in rows]).to_csv(p, index=False)
    return p


def _fake_run(study, warehouse, progress=None) -> StudyRun:
    table = pd.DataFrame(
        [{"term": "d", "estimate": -5.0, "std_error": 1.0, "ci_low": -7.0, "ci_high": -3.0,
          "p_value": 0.01, "n_obs": 500, "n_clusters": float("nan")}]
    )  # fmt: skip
    run = StudyRun(study.id, "t", "c", "d", results={"y:adjusted": Result("cross_section", table)})
    side = {"unit": "county", "treatment": "policy (x)", "outcome": "crime rate (y)"}
    run.comparison = {"published": side, "ours": side}
    return run


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def run(study, warehouse, progress=None):
        calls.append(study.id)
        return _fake_run(study, warehouse, progress)

    monkeypatch.setattr("sanctuary_lab.studies.runner.run", run)
    monkeypatch.setattr(api, "run_study", lambda s, w, p=None: run(SimpleNamespace(id=s), w, p))
    monkeypatch.setattr(api, "load_study", lambda s: SimpleNamespace(id=str(s)))
    return calls


def test_each_study_runs_once_for_all_its_claims(tmp_path: Path, counted: list[str]) -> None:
    steps: list[str] = []
    out = pipeline.run_pipeline(
        tmp_path / "w.duckdb",
        registry=_registry(tmp_path),
        progress=lambda m, d, t: steps.append(m),
    )
    assert counted == ["s"]
    assert [c.claim_id for c in out.checks] == ["one", "two"]
    assert {c.verdict for c in out.checks} == {"supported"}
    assert "checking claims" in steps
    # one claim only: its study only
    out = pipeline.run_pipeline(
        tmp_path / "w.duckdb", registry=_registry(tmp_path), claim_ids=["two"]
    )
    assert [c.claim_id for c in out.checks] == ["two"] and counted == ["s", "s"]


def test_check_claims_never_reruns_given_runs(tmp_path: Path, counted: list[str]) -> None:
    given = _fake_run(SimpleNamespace(id="s"), None)
    checks = api.check_claims([given], registry=_registry(tmp_path))
    assert counted == [] and len(checks) == 2
    # a study missing from the given runs is reported, not silently run
    checks = api.check_claims([], registry=_registry(tmp_path))
    assert counted == []
    assert {c.verdict for c in checks} == {"not testable here"}
    assert all("not run" in c.reason for c in checks)


def test_unknown_claim_id_names_close_matches(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="did you mean one"):
        pipeline.studies_for_claims(["onee"], registry=_registry(tmp_path))


def test_raise_mode_propagates_record_mode_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted: list[str]
) -> None:
    def broken(study, warehouse, progress=None):
        raise SpecError(f"{study.id}: broken")

    monkeypatch.setattr("sanctuary_lab.studies.runner.run", broken)
    out = pipeline.run_pipeline(tmp_path / "w.duckdb", studies=["s"], claims=False)
    assert out.errors == {"s": "s: broken"} and out.runs == []
    with pytest.raises(SpecError, match="s: broken"):
        pipeline.run_pipeline(tmp_path / "w.duckdb", studies=["s"], claims=False, errors="raise")


def test_listed_studies_run_once_and_are_handed_over(tmp_path: Path, counted: list[str]) -> None:
    out = pipeline.run_pipeline(tmp_path / "w.duckdb", studies=["s", "s2"], claims=False)
    assert counted == ["s", "s2"] and [r.study_id for r in out.runs] == ["s", "s2"]
    assert set(out.studies) == {"s", "s2"} and out.checks == []
    out = pipeline.run_pipeline(tmp_path / "w.duckdb", studies=[], claims=False)
    assert out.runs == [] and counted == ["s", "s2"]


def test_listed_multiverses_run_through_the_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, object, object]] = []

    def fake(target, warehouse, backend="local", progress=None, *, n_perm=None):
        calls.append((str(target), backend, n_perm))
        if str(target) == "bad":
            raise SpecError("bad: no [multiverse]")
        progress("specs", 1, 1)
        return SimpleNamespace(study_id=Path(str(target)).stem)

    monkeypatch.setattr("sanctuary_lab.multiverse.api.run_multiverse", fake)
    steps: list[str] = []
    out = pipeline.run_pipeline(
        tmp_path / "w.duckdb",
        studies=[],
        claims=False,
        multiverse=["mv", "bad"],
        n_perm=None,
        backend="dask",
        progress=lambda m, d, t: steps.append(m),
    )
    assert calls == [("mv", "dask", None), ("bad", "dask", None)]
    assert list(out.multiverse) == ["mv"] and out.errors == {
        "bad (multiverse)": "bad: no [multiverse]"
    }
    assert steps == ["multiverse mv: specs"]
    with pytest.raises(SpecError, match="no \\[multiverse\\]"):
        pipeline.run_pipeline(
            tmp_path / "w.duckdb", studies=[], claims=False, multiverse=["bad"], errors="raise"
        )


def test_the_report_package_only_renders() -> None:
    """No module of ``sanctuary_lab.report`` runs studies or multiverses: the pipeline does."""
    import ast

    import sanctuary_lab.report as report_pkg

    forbidden = {
        "sanctuary_lab.studies.runner",
        "sanctuary_lab.studies.api",
        "sanctuary_lab.multiverse.api",
        "sanctuary_lab.pipeline",
    }
    bad = []
    for path in sorted(Path(report_pkg.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
            elif isinstance(node, ast.Import):
                names = {a.name for a in node.names}
            else:
                continue
            bad += [f"{path.name}:{node.lineno} {n}" for n in sorted(names & forbidden)]
    assert not bad, bad
