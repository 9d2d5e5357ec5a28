"""Multiverse engine: batch kernel == pyfixest, wild bootstrap == wildboottest, skips, joint inference."""

from __future__ import annotations

import json
import types

import numpy as np
import pandas as pd
import pytest

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.inference.fixest import feols
from sanctuary_lab.inference.wild import bootstrap_p_values
from sanctuary_lab.multiverse.api import run_multiverse_frame
from sanctuary_lab.multiverse.backends import LocalBackend
from sanctuary_lab.multiverse.choices import chunks
from sanctuary_lab.multiverse.engine import run_curve
from sanctuary_lab.multiverse.frame import prepare_frame
from sanctuary_lab.multiverse.kernel import prepare_block
from sanctuary_lab.multiverse.schema import parse_multiverse
from sanctuary_lab.multiverse.wild import draw_weights, wild_pvalues


def _panel(seed: int = 0, units: int = 40, years: int = 10, effect: float = 0.5) -> pd.DataFrame:
    """Unbalanced panel with staggered treatment, weights, a clustered grouping and some NAs."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(units), years),
            "year": np.tile(np.arange(2000, 2000 + years), units),
        }
    )
    df = df.sample(frac=0.9, random_state=seed).sort_values(["unit", "year"]).reset_index(drop=True)
    df = pd.concat(
        [df, pd.DataFrame({"unit": [units], "year": [2003]})], ignore_index=True
    )  # singleton
    n = len(df)
    start = rng.integers(2002, 2000 + years + 2, units + 1)
    df["share"] = np.clip((df["year"].to_numpy() - start[df["unit"]] + 1) / 2, 0, 1)
    df["pop"] = rng.uniform(0.5, 3.0, n)
    df["x1"] = rng.normal(size=n)
    df["x2"] = rng.normal(size=n) + 0.05 * df["year"]
    df.loc[rng.random(n) < 0.05, "x2"] = np.nan
    ue = rng.normal(size=units + 1)[df["unit"]]
    for i in range(3):
        df[f"y{i}"] = effect * df["share"] + 0.3 * df["x1"] + ue + rng.normal(size=n)
    df.loc[rng.random(n) < 0.1, "y2"] = -1.0  # log(y2) missing on these rows
    df["y2"] = df["y2"] + 3
    df["region"] = df["unit"] % 7
    return df


def _doc(**over) -> dict:
    mv = {
        "table": "t",
        "unit": "unit",
        "time": "year",
        "cluster": "unit",
        "seed": 3,
        "bootstrap_draws": 199,
        "dimensions": {
            "outcome": ["y0", "y1", "log(y2)"],
            "treatment": ["share", {"label": "share>=.5", "column": "share", "threshold": 0.5}],
            "covariates": [[], ["x1"], ["x1", "x2"]],
            "fixed_effects": ["unit+time", "unit", "none"],
            "weights": ["none", "pop"],
            "inference": ["crv1", "hc1", "iid"],
        },
    }
    mv.update(over)
    return {"multiverse": mv}


def _run(doc: dict, df: pd.DataFrame, **kw):
    mv = parse_multiverse(doc, "test.toml")
    return mv, run_multiverse_frame(
        mv, df, LocalBackend(workers=1), n_perm=kw.pop("n_perm", 0), **kw
    )


@pytest.mark.parametrize("cluster", ["unit", "region"])
def test_kernel_matches_pyfixest_on_every_spec(cluster: str) -> None:
    pytest.importorskip("pyfixest")
    df = _panel()
    mv, res = _run(_doc(cluster=cluster), df)
    table = res.table
    assert len(table) == 324 and (table["skipped"] == "").all()
    frame = prepare_frame(mv, df).rename(columns={"log(y2)": "log_y2", "share>=0.5": "share_d"})
    names = {"log(y2)": "log_y2", "share>=.5": "share_d"}
    fe_part = {"unit+time": "|unit+year", "unit": "|unit", "none": ""}
    vcov = {"crv1": {"CRV1": cluster}, "hc1": "hetero", "iid": "iid"}
    worst_b = worst_se = worst_p = 0.0
    for r in table.itertuples():
        y = names.get(r.outcome, r.outcome)
        d = names.get(r.treatment, r.treatment)
        rhs = "+".join([d, *([] if r.covariates == "none" else r.covariates.split("+"))])
        w = None if r.weights == "none" else "pop"
        # pyfixest via our wrapper: it fixes pyfixest 0.60's hash-seed-dependent nested-FE
        # count (tests/test_pyfixest_compat.py), which would otherwise make this test flaky
        fit = feols(
            f"{y}~{rhs}{fe_part[r.fixed_effects]}", frame, vcov=vcov[r.inference], weights=w
        )
        assert r.n_obs == fit._N
        worst_b = max(worst_b, abs(fit.coef()[d] - r.estimate))
        worst_se = max(worst_se, abs(fit.se()[d] - r.std_error))
        worst_p = max(worst_p, abs(fit.pvalue()[d] - r.p_value))
    assert worst_b < 1e-8
    # SEs and p-values carry the ~1e-10 relative differences left by the alternating-projection
    # demeaner, whose iterations depend on the order pyfixest sweeps the fixed effects (an order
    # that follows the process's hash seed); p-values amplify them further by |dp/dt|. A wrong
    # small-sample factor or degrees of freedom moves them by more than 1e-4.
    assert worst_se < 5e-8 and worst_p < 1e-7


def test_wild_bootstrap_matches_wildboottest_given_the_same_draws() -> None:
    from wildboottest.wildboottest import WildboottestCL

    df = _panel(seed=1).dropna(subset=["x2"])
    cols = {c: df[c].to_numpy() for c in ("y0", "y1", "share", "x1", "x2")}
    for fe, w in (
        ([df["unit"].to_numpy(), df["year"].to_numpy()], None),
        ([], df["pop"].to_numpy()),
    ):
        block = prepare_block(cols, fe, w, df["region"].to_numpy())
        v = draw_weights(block.n_clusters, 999, "webb", 11, "k")
        ys, xs = np.array([0, 1, 0]), np.array([[2, 3, 4], [2, 3, 4], [2, 4, 3]])
        mine = wild_pvalues(block, ys, xs, v)
        for j in range(3):
            cols_j = list(xs[j]) + ([block.index["(Intercept)"]] if block.intercept else [])
            r = np.zeros(len(cols_j))
            r[0] = 1.0
            boot = WildboottestCL(
                X=block.z[:, cols_j],
                Y=block.z[:, ys[j]],
                cluster=block.cluster_codes,
                R=r,
                B=999,
                seed=1,
            )
            boot.get_scores(bootstrap_type="11", impose_null=True)
            boot.get_weights("webb")
            boot.v, boot.B = v, v.shape[1]
            boot.get_numer()
            boot.get_denom()
            boot.get_tboot()
            boot.get_vcov()
            boot.get_tstat()
            boot.get_pvalue()
            # same statistics: our tie rule applied to wildboottest's own t* and t
            t_wb, tb_wb = float(np.ravel(boot.t_stat)[0]), np.ravel(boot.t_boot)
            assert mine[j] == pytest.approx(bootstrap_p_values(t_wb, tb_wb), abs=1e-12)
            # and its own p-value up to the exact ties (here: draws with every v_g equal), which
            # it decides by floating-point noise and we count as extreme
            ties = np.isclose(np.abs(tb_wb), abs(t_wb), rtol=1e-9, atol=0).sum()
            assert boot.pvalue <= mine[j] + 1e-12 <= boot.pvalue + ties / len(tb_wb) + 2e-12


def test_rademacher_full_enumeration_with_few_clusters() -> None:
    v = draw_weights(5, 999, "rademacher", 1)
    assert v.shape == (5, 32) and len({tuple(c) for c in v.T}) == 32


def test_invalid_combinations_are_skipped_with_reasons() -> None:
    df = _panel()
    df["tinv"] = df["unit"] * 0.1  # time-invariant: absorbed by unit fixed effects
    doc = _doc(
        cluster="unit",
        dimensions={
            "outcome": ["y0"],
            "treatment": ["share", {"label": "share>=.5", "column": "share", "threshold": 0.5}],
            "covariates": [[], ["tinv"]],
            "fixed_effects": ["unit+time", "none"],
            "inference": ["crv1", "wild"],
            "estimator": ["ols", "twfe"],
        },
        exclude=[
            {"when": {"fixed_effects": "none", "inference": "wild"}, "reason": "no pooled wild"}
        ],
        designs={
            "twfe": {
                "options": {
                    "outcome": "{outcome}",
                    "treatment": "{treatment}",
                    "unit": "{unit}",
                    "time": "{time}",
                    "controls": "{covariates}",
                    "cluster": "{cluster}",
                    "inference": "{inference}",
                    "n_boot": 99,
                    "seed": 1,
                },
                "binary_treatment": True,
                "fixed_effects": ["unit+time"],
                "term": "share>=0.5",
            }
        },
    )
    _, res = _run(doc, df)
    t = res.table
    why = dict(zip(t["spec_id"], t["skipped"], strict=True))
    rows = t.set_index("spec_id")
    pooled_wild = rows[(rows.fixed_effects == "none") & (rows.inference == "wild")]
    assert (pooled_wild["skipped"] == "no pooled wild").all()
    absorbed = rows[
        (rows.covariates == "tinv")
        & (rows.fixed_effects == "unit+time")
        & (rows.estimator == "ols")
    ]
    assert absorbed["skipped"].str.contains("'tinv' is absorbed by the fixed effects").all()
    assert absorbed["estimate"].isna().all()
    cont = rows[
        (rows.estimator == "twfe") & (rows.treatment == "share") & (rows.fixed_effects != "none")
    ]
    assert cont["skipped"].str.contains("needs a 0/1 treatment").all()
    wrong_fe = rows[
        (rows.estimator == "twfe")
        & (rows.fixed_effects == "none")
        & (rows.inference == "crv1")
        & (rows.treatment != "share")
    ]
    assert wrong_fe["skipped"].str.contains("does not use fixed effects").all()
    ok = rows[
        (rows.estimator == "ols") & (rows.covariates == "none") & (rows.skipped != "no pooled wild")
    ]
    assert len(ok) == 6 and (ok["skipped"] == "").all() and ok["estimate"].notna().all()
    assert len(why) == 2 * 2 * 2 * 2 * 2
    design = rows[
        (rows.estimator == "twfe")
        & (rows.treatment == "share>=.5")
        & (rows.fixed_effects == "unit+time")
    ]
    assert len(design) == 4 and (design["skipped"] == "").all() and design["estimate"].notna().all()
    pair = rows[
        (rows.treatment == "share>=.5")
        & (rows.fixed_effects == "unit+time")
        & (rows.inference == "crv1")
        & (rows.covariates == "none")
    ].set_index("estimator")
    assert pair.loc["twfe", "estimate"] == pytest.approx(pair.loc["ols", "estimate"], abs=1e-8)
    assert pair.loc["twfe", "std_error"] == pytest.approx(pair.loc["ols", "std_error"], abs=1e-8)


def test_bad_sections_raise_spec_errors() -> None:
    with pytest.raises(SpecError, match="unknown choice 'twoway'"):
        parse_multiverse(
            _doc(
                dimensions={"outcome": ["y0"], "treatment": ["share"], "fixed_effects": ["twoway"]}
            ),
            "s.toml",
        )
    with pytest.raises(SpecError, match="dimensions.treatment"):
        parse_multiverse(_doc(dimensions={"outcome": ["y0"]}), "s.toml")
    with pytest.raises(SpecError, match="designs.cs"):
        parse_multiverse(
            _doc(dimensions={"outcome": ["y0"], "treatment": ["share"], "estimator": ["cs"]}),
            "s.toml",
        )
    mv = parse_multiverse(_doc(dimensions={"outcome": ["nope"], "treatment": ["share"]}), "s.toml")
    with pytest.raises(SpecError, match=r"column\(s\) \['nope'\] not in the data"):
        prepare_frame(mv, _panel())


def test_joint_inference_large_effect_and_null() -> None:
    doc = _doc(
        n_perm=19,
        dimensions={
            "outcome": ["y0", "y1"],
            "treatment": ["share", {"label": "share>=.5", "column": "share", "threshold": 0.5}],
            "covariates": [[], ["x1"]],
            "inference": ["crv1", "wild"],
        },
    )
    _, strong = _run(doc, _panel(seed=5, effect=2.0), n_perm=19)
    s = strong.summary()
    assert s["share_same_sign"] == 1.0 and s["share_positive"] == 1.0
    assert s["share_significant_same_sign"] == 1.0
    assert s["perm_p_median"] == pytest.approx(1 / 20)
    assert s["perm_p_share_significant_same_sign"] == pytest.approx(1 / 20)
    _, null = _run(doc, _panel(seed=6, effect=0.0), n_perm=19)
    n = null.summary()
    assert n["perm_p_median"] > 0.2
    assert n["share_significant"] < 0.5


def test_enumeration_is_lazy_and_streamed_in_bounded_chunks() -> None:
    dims = {
        "outcome": [f"y{i}" for i in range(50)],
        "treatment": [f"d{i}" for i in range(20)],
        "covariates": [[f"c{i}"] for i in range(25)],
        "inference": ["crv1", "hc1", "iid", "wild"],
    }
    mv = parse_multiverse(_doc(dimensions=dims, chunk_size=4096), "s.toml")
    assert mv.n_specs == 100_000
    gen = mv.specs()
    assert isinstance(gen, types.GeneratorType)
    sizes = [len(c) for c in chunks(gen, mv.chunk_size)]
    assert sum(sizes) == 100_000 and max(sizes) == 4096 and sizes[-1] == 100_000 % 4096

    small = parse_multiverse(_doc(chunk_size=50), "s.toml")
    seen: list[int] = []
    table = run_curve(
        small, prepare_frame(small, _panel()), LocalBackend(workers=1), on_chunk=seen.append
    )
    assert seen == [50] * 6 + [24] and len(table) == 324
    assert list(table["spec_id"]) == list(range(324))


def test_result_json_has_every_spec_and_the_summary() -> None:
    _, res = _run(_doc(dimensions={"outcome": ["y0", "log(y2)"], "treatment": ["share"]}), _panel())
    data = json.loads(res.to_json())
    assert len(data["specs"]) == 2 and data["summary"]["n_specs"] == 2
    assert {
        "outcome",
        "treatment",
        "estimate",
        "ci_low",
        "ci_high",
        "p_value",
        "n_obs",
        "skipped",
    } <= set(data["specs"][0])
    assert data["specs"][1]["n_obs"] < data["specs"][0]["n_obs"]  # log() drops non-positive rows
