"""Batched Callaway–Sant'Anna kernel == the single-fit design on every spec (and so R did)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sanctuary_lab.designs.staggered.callaway_santanna import CallawaySantAnnaDesign
from sanctuary_lab.multiverse.api import run_multiverse_frame
from sanctuary_lab.multiverse.backends import LocalBackend
from sanctuary_lab.multiverse.engine import DesignTask
from sanctuary_lab.multiverse.schema import parse_multiverse
from sanctuary_lab.multiverse.staggered import fit_staggered, prepared_block, unsupported

GOLDEN = Path(__file__).parent / "golden" / "staggered_mpdta.json"
EST_TOL, SE_TOL = 1e-10, 1e-8


def _synth(seed: int = 0, n: int = 240, periods: int = 9, never: bool = True) -> pd.DataFrame:
    """Balanced panel, five cohorts (or four and no never-treated), weights, 15 clusters."""
    rng = np.random.default_rng(seed)
    cohorts = [0, 4, 6, 8, 12] if never else [3, 5, 7, 9]
    g = rng.choice(cohorts, n)
    unit = np.repeat(np.arange(n), periods)
    t = np.tile(np.arange(1, periods + 1), n)
    gg = np.repeat(g, periods)
    treated = (gg > 0) & (t >= gg)
    base = np.repeat(rng.normal(size=n), periods)
    y = base + 0.1 * t + 0.4 * treated + 0.2 * (gg == 6) * t + rng.normal(size=n * periods)
    return pd.DataFrame(
        {
            "u": unit,
            "t": t,
            "g": gg,
            "d": treated.astype(float),
            "y": y,
            "y2": np.exp(y / 4) * 100,
            "cl": np.repeat(rng.integers(0, 15, n), periods),
            "w": np.repeat(rng.uniform(0.5, 2.0, n), periods),
        }
    )


def _compare(df: pd.DataFrame, outcomes: list[str], **opts) -> int:
    """Assert kernel == design for every outcome and term; return the number of values checked."""
    common = {k: opts.get(k) for k in ("unit", "time", "cohort", "treatment", "weights", "cluster")}
    block = prepared_block(df, outcomes, **common)
    assert not isinstance(block, str), block
    panel, cube = block
    control, ant = opts.get("control", "never_treated"), opts.get("anticipation", 0)
    assert unsupported(panel, control, ant) is None
    fit = fit_staggered(panel, cube, control, ant)
    checked = 0
    for k, y in enumerate(outcomes):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = CallawaySantAnnaDesign(
                outcome=y, **{k_: v for k_, v in opts.items() if v is not None}
            ).fit(df)
        tidy = res.tidy().set_index("term")
        for term, r in tidy.iterrows():
            got = fit.row(k, str(term))
            if term == "pretrend_wald":
                assert got["estimate"] == pytest.approx(r["estimate"], rel=1e-8, nan_ok=True)
                assert got["p_value"] == pytest.approx(r["p_value"], abs=1e-8, nan_ok=True)
            else:
                assert got["estimate"] == pytest.approx(r["estimate"], abs=EST_TOL), term
                assert got["std_error"] == pytest.approx(r["std_error"], abs=SE_TOL), term
                assert got["p_value"] == pytest.approx(r["p_value"], abs=1e-8), term
            checked += 1
        for _, c in res.extras["att_gt"].iterrows():
            got = fit.row(k, f"att_gt[{int(c['group'])},{int(c['time'])}]")
            assert got["estimate"] == pytest.approx(c["att"], abs=EST_TOL)
            assert got["std_error"] == pytest.approx(c["std_error"], abs=SE_TOL, nan_ok=True)
            checked += 1
        assert fit.n_obs == tidy["n_obs"].iloc[0]
        assert fit.n_clusters == tidy["n_clusters"].iloc[0]
    return checked


@pytest.mark.parametrize("control", ["never_treated", "not_yet_treated"])
@pytest.mark.parametrize("anticipation", [0, 1])
@pytest.mark.parametrize("cluster", [None, "cl"])
@pytest.mark.parametrize("weights", [None, "w"])
def test_kernel_equals_single_fit_design(control, anticipation, cluster, weights) -> None:
    df = _synth()
    n = _compare(
        df, ["y", "y2"], unit="u", time="t", treatment="d", control=control,
        anticipation=anticipation, cluster=cluster, weights=weights,
    )  # fmt: skip
    assert n > 50


@pytest.mark.parametrize("anticipation", [0, 1])
def test_no_never_treated_truncates_like_did(anticipation) -> None:
    df = _synth(seed=2, never=False)
    assert _compare(
        df, ["y"], unit="u", time="t", cohort="g", control="not_yet_treated",
        anticipation=anticipation, cluster="cl",
    ) > 20  # fmt: skip


def _reference_cases() -> list[dict]:
    """The golden's Callaway–Sant'Anna cases without covariates (those the kernel batches)."""
    return [
        c
        for c in json.loads(GOLDEN.read_text())
        if c["design"] == "callaway_santanna"
        and not c["options"].get("covariates")
        and c["options"].get("base_period", "varying") == "varying"
    ]


@pytest.mark.reference
@pytest.mark.parametrize("case", _reference_cases(), ids=lambda c: c["source"])
def test_kernel_matches_r_did_reference(case: dict, reference_dir: Path) -> None:
    """Through the design, the kernel reproduces the R did / differences mpdta reference."""
    df = pd.read_csv(reference_dir / "mpdta.csv")
    o = case["options"]
    block = prepared_block(df, [o["outcome"]], unit=o["unit"], time=o["time"], cohort=o["cohort"])
    assert not isinstance(block, str)
    fit = fit_staggered(*block, o["control"], o["anticipation"])
    for row in case["rows"]:
        if row["table"] == "att_gt":
            g, t = (int(v) for v in row["term"].split(","))
            got = fit.row(0, f"att_gt[{g},{t}]")
        else:
            got = fit.row(0, row["term"])
        assert got["estimate"] == pytest.approx(row["estimate"], abs=1e-6), row
        if row["std_error"] is not None:
            assert got["std_error"] == pytest.approx(row["std_error"], abs=1e-6), row


def test_unsupported_blocks_say_why() -> None:
    df = _synth(never=False)
    block = prepared_block(df, ["y"], unit="u", time="t", cohort="g")
    assert not isinstance(block, str)
    assert unsupported(block[0], "never_treated") == "no never-treated units"
    holes = df.drop(index=[3, 50])
    assert prepared_block(holes, ["y"], unit="u", time="t", cohort="g") == "unbalanced panel"
    miss = df.assign(y=df["y"].where(df.index != 7))
    assert "missing values" in str(prepared_block(miss, ["y"], unit="u", time="t", cohort="g"))


def _doc() -> dict:
    opts = {"outcome": "{outcome}", "unit": "{unit}", "time": "{time}",
            "treatment": "{treatment}", "cluster": "{cluster}"}  # fmt: skip
    return {
        "multiverse": {
            "table": "t",
            "unit": "u",
            "time": "t",
            "cluster": "cl",
            "dimensions": {
                "outcome": ["y", "log(y2)", "y3"],
                "treatment": ["d", {"label": "x>=.5", "column": "x", "threshold": 0.5}],
                "years": [[1, 9], [2, 9]],
                "sample": ["all", {"label": "no_u4", "query": "u != 4"}],
                "estimator": ["ols", "cs_never", "cs_notyet"],
            },
            "designs": {
                "cs_never": {"design": "callaway_santanna", "binary_treatment": True,
                             "options": {**opts, "control": "never_treated"},
                             "fixed_effects": ["unit+time"]},
                "cs_notyet": {"design": "callaway_santanna", "binary_treatment": True,
                              "options": {**opts, "control": "not_yet_treated"},
                              "term": "att_dynamic", "fixed_effects": ["unit+time"]},
            },
        }
    }  # fmt: skip


def test_engine_dispatches_staggered_specs_to_the_kernel(monkeypatch) -> None:
    """Every CS spec of a multiverse equals a single fit; only the unsupported ones are refitted."""
    df = _synth(seed=5)
    df["x"] = df["d"]
    df["y3"] = df["y"].where(~((df["u"] == 3) & (df["t"] == 2)))  # missing cell: single fit
    mv = parse_multiverse(_doc(), "s.toml")
    calls: list[int] = []
    import sanctuary_lab.multiverse.engine as eng

    real = eng.run_design_task

    def spy(task: DesignTask):
        calls.append(task.spec_id)
        return real(task)

    monkeypatch.setattr(eng, "run_design_task", spy)
    res = run_multiverse_frame(mv, df, LocalBackend(workers=1), n_perm=0)
    t = res.table.set_index("spec_id")
    cs = t[t["estimator"] != "ols"]
    assert len(cs) == 3 * 2 * 2 * 2 * 2
    assert (cs["skipped"] == "").all(), cs["skipped"].unique()
    fallback = set(calls)
    assert fallback == set(cs.index[cs["outcome"] == "y3"])  # the rest ran in the kernel
    from sanctuary_lab.multiverse.frame import prepare_frame

    prepared = prepare_frame(mv, df)
    specs = {s.spec_id: s for s in mv.specs()}
    for sid, r in cs.iterrows():
        s = specs[sid]
        sub = prepared
        if s.value("sample"):
            sub = sub.query(s.value("sample"))
        lo, hi = s.value("years")
        sub = sub[sub["t"].between(lo, hi)]
        tmpl = mv.designs[s.value("estimator")]
        opts = {"outcome": s.value("outcome")[2], "unit": "u", "time": "t",
                "treatment": s.value("treatment")[2], "cluster": "cl",
                "control": tmpl.options["control"]}  # fmt: skip
        one = real(DesignTask(sid, "callaway_santanna", opts, sub, tmpl.term))[0]
        assert r["estimate"] == pytest.approx(one["estimate"], abs=EST_TOL)
        assert r["std_error"] == pytest.approx(one["std_error"], abs=SE_TOL)
        assert r["n_obs"] == one["n_obs"] and r["n_clusters"] == one["n_clusters"]


@pytest.mark.parametrize("method", ["ipw", "reg"])
def test_without_covariates_every_method_is_the_kernel(method) -> None:
    """Without covariates csdid's DR, IPW and regression estimators coincide with the kernel."""
    df = _synth(seed=3)
    assert _compare(
        df, ["y"], unit="u", time="t", cohort="g", control="not_yet_treated", method=method,
        cluster="cl", weights="w",
    ) > 20  # fmt: skip


def test_kernel_scope_leaves_other_options_to_single_fits() -> None:
    from sanctuary_lab.multiverse.engine import _kernel_ok

    base = {"outcome": "y", "unit": "u", "time": "t", "treatment": "d", "cluster": "cl"}
    assert _kernel_ok(base) and _kernel_ok({**base, "anticipation": 1, "method": "reg"})
    assert not _kernel_ok({**base, "covariates": ["x"]})
    assert not _kernel_ok({**base, "base_period": "universal"})
    assert not _kernel_ok({**base, "anticipation": True})
    assert not _kernel_ok({**base, "unknown_option": 1})
