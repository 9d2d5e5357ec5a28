"""Inference package: wild cluster bootstrap against pyfixest/wildboottest, RI mechanics."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.inference.partial import absorb, cluster_codes, fe_codes
from sanctuary_lab.inference.ri import permute_paths, randomization_inference
from sanctuary_lab.inference.wild import _WCR, draw_weights, wild_cluster_bootstrap


def _data(seed: int = 1, g: int = 8, n: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cl = rng.integers(0, g, n)
    x1 = rng.normal(size=n) + 0.3 * cl
    x2 = rng.normal(size=n)
    y = 0.1 * x1 + 0.5 * x2 + rng.normal(size=n) + 0.5 * rng.normal(size=g)[cl]
    return pd.DataFrame(dict(y=y, x1=x1, x2=x2, cl=cl, f=rng.integers(0, 5, n)))


@pytest.mark.parametrize("fe", [None, "f"])
def test_wild_bootstrap_t_stats_equal_pyfixest_refits(fe: str | None) -> None:
    """Each closed-form bootstrap t* equals a pyfixest CRV1 refit on the bootstrap sample.

    The sample is built by hand: restricted fit (beta_x1 = 0), y* = fitted + residual * v_g.
    ``k_fixef="none"`` makes pyfixest's small-sample factor the one used on the partialled data.
    """
    df = _data(1)
    rhs_fe = f" | {fe}" if fe else ""
    restricted = pf.feols(f"y ~ x2{rhs_fe}", df)
    fitted, resid = df["y"] - restricted.resid(), restricted.resid()
    codes = fe_codes(df, [fe] if fe else [])
    y = absorb(df["y"].to_numpy(), codes)
    x = absorb(df[["x1", "x2"]].to_numpy(), codes)
    c, g = cluster_codes(df["cl"])
    wcr = _WCR(y, x, 0, c, g, repartial=lambda m: absorb(m, codes))
    v, _ = draw_weights(g, 5, "webb", 2)
    ours = wcr.t_boot(0.0, v)
    ssc = pf.ssc(k_fixef="none")
    orig = float(pf.feols(f"y ~ x1 + x2{rhs_fe}", df, vcov={"CRV1": "cl"}, ssc=ssc).tstat()["x1"])
    if fe:  # same K in the small-sample factor
        assert wcr.t_original(0.0) == pytest.approx(orig, rel=1e-8)
    for b in range(len(v)):
        boot = df.assign(ys=fitted + resid * v[b][c])
        ref = pf.feols(f"ys ~ x1 + x2{rhs_fe}", boot, vcov={"CRV1": "cl"}, ssc=ssc)
        # t*/t is free of the (N-1)/(N-K) factor (pyfixest counts the intercept in K)
        ratio = float(ref.tstat()["x1"]) / orig
        assert ours[b] / wcr.t_original(0.0) == pytest.approx(ratio, rel=1e-8)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_wild_p_value_close_to_pyfixest_wildboottest(seed: int) -> None:
    """Same test, same 2^8 enumerated weights: p-values agree up to the draws near |t|.

    The wildboottest package's t* differ slightly from exact refits (see the test above), so
    only agreement within a few of the 256 draws is asserted.
    """
    df = _data(seed)
    fit = pf.feols("y ~ x1 + x2", df, vcov={"CRV1": "cl"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = fit.wildboottest(reps=999, param="x1", cluster="cl", seed=3)
    y = absorb(df["y"].to_numpy(), None)
    x = absorb(df[["x1", "x2"]].to_numpy(), None)
    c, g = cluster_codes(df["cl"])
    ours = wild_cluster_bootstrap(
        y, x, 0, c, g, n_boot=999, ci=False, repartial=lambda m: absorb(m, None)
    )
    assert ours.full_enumeration and ours.n_draws == 256
    assert abs(ours.p_value - float(ref["Pr(>|t|)"])) <= 6 / 256


def test_wild_ci_inverts_the_test() -> None:
    df = _data(4, g=20, n=400)
    y = absorb(df["y"].to_numpy(), None)
    x = absorb(df[["x1", "x2"]].to_numpy(), None)
    c, g = cluster_codes(df["cl"])
    res = wild_cluster_bootstrap(y, x, 0, c, g, n_boot=399, seed=5)
    v, _ = draw_weights(g, 399, "rademacher", 5)
    wcr = _WCR(y, x, 0, c, g)
    assert res.ci_low < wcr.beta[0] < res.ci_high
    eps = 1e-3 * (res.ci_high - res.ci_low)
    assert wcr.p_value(res.ci_low - eps, v) <= 0.05 < wcr.p_value(res.ci_low + eps, v)
    assert wcr.p_value(res.ci_high + eps, v) <= 0.05 < wcr.p_value(res.ci_high - eps, v)


def test_webb_weights_and_seed_reproducible() -> None:
    v1, full = draw_weights(12, 50, "webb", 9)
    v2, _ = draw_weights(12, 50, "webb", 9)
    assert not full and np.array_equal(v1, v2)
    assert set(np.round(np.unique(v1) ** 2, 6)) <= {0.5, 1.0, 1.5}
    with pytest.raises(SpecError, match="weights_type"):
        draw_weights(12, 50, "mammen", 9)


def test_permute_paths_reassigns_whole_unit_paths() -> None:
    units, years = 10, 6
    df = pd.DataFrame(
        {"u": np.repeat(np.arange(units), years), "t": np.tile(np.arange(years), units)}
    )
    df["d"] = (df["t"] >= df["u"] % years).astype(float)  # unit u adopts in year u % 6
    rng = np.random.default_rng(0)
    perm = df.assign(d=permute_paths(df, "d", "u", "t", rng))
    orig_paths = sorted(tuple(g) for _, g in df.groupby("u")["d"])
    new_paths = sorted(tuple(g) for _, g in perm.groupby("u")["d"])
    assert orig_paths == new_paths  # same set of adoption paths ...
    assert not perm["d"].equals(df["d"])  # ... handed to different units


def test_ri_p_value_formula_and_distribution() -> None:
    rng = np.random.default_rng(3)
    n = 200
    df = pd.DataFrame({"y": rng.normal(size=n), "d": (rng.random(n) < 0.5).astype(float)})
    df.loc[df.d == 1, "y"] += 10.0  # huge effect: no permutation comes close
    res = randomization_inference(
        df, outcome="y", treatment="d", build_terms=lambda f: f[["d"]].to_numpy(),
        controls=[], fe=[], weights=None, scheme="units", n_perm=99, seed=1,
    )  # fmt: skip
    diff = df.y[df.d == 1].mean() - df.y[df.d == 0].mean()
    assert res.observed[0] == pytest.approx(diff, rel=1e-10)
    assert res.p_values[0] == pytest.approx(1 / 100)
    assert res.draws.shape == (99, 1) and abs(res.draws.mean()) < 1.0
    again = randomization_inference(
        df, outcome="y", treatment="d", build_terms=lambda f: f[["d"]].to_numpy(),
        controls=[], fe=[], weights=None, scheme="units", n_perm=99, seed=1,
    )  # fmt: skip
    assert np.array_equal(res.draws, again.draws)


def test_ri_permutation_estimates_equal_refits() -> None:
    """The FWL-vectorised permutation estimates equal pyfixest refits on permuted data."""
    rng = np.random.default_rng(8)
    units, years = 15, 8
    df = pd.DataFrame(
        {"u": np.repeat(np.arange(units), years), "t": np.tile(np.arange(years), units)}
    )
    df["d"] = (df["t"] >= rng.integers(2, 10, units)[df["u"]]).astype(float)
    df["x"] = rng.normal(size=len(df))
    df["w"] = rng.uniform(1, 3, len(df))
    df["y"] = df.d + df.x + rng.normal(size=len(df))
    res = randomization_inference(
        df, outcome="y", treatment="d", build_terms=lambda f: f[["d"]].to_numpy(),
        controls=["x"], fe=["u", "t"], weights="w", scheme="paths", unit="u", time="t",
        n_perm=3, seed=11,
    )  # fmt: skip
    rng2 = np.random.default_rng(11)
    for k in range(3):
        perm = df.assign(d=permute_paths(df, "d", "u", "t", rng2))
        ref = pf.feols("y ~ d + x | u + t", perm, weights="w").coef()["d"]
        assert res.draws[k, 0] == pytest.approx(ref, abs=1e-8)


def test_ri_block_permutation_stays_within_blocks() -> None:
    rng = np.random.default_rng(2)
    n = 120
    df = pd.DataFrame({"s": np.repeat([1, 2, 3], n // 3), "y": rng.normal(size=n)})
    df["d"] = (rng.random(n) < np.where(df.s == 1, 0.8, 0.2)).astype(float)
    seen: list[np.ndarray] = []

    def terms(frame: pd.DataFrame) -> np.ndarray:
        seen.append(frame["d"].to_numpy().copy())
        return frame[["d"]].to_numpy()

    randomization_inference(
        df, outcome="y", treatment="d", build_terms=terms, controls=[], fe=["s"],
        weights=None, scheme="units", n_perm=20, seed=4, blocks="s",
    )  # fmt: skip
    for d in seen[1:]:  # every permutation keeps the number treated in each block
        assert (pd.Series(d).groupby(df["s"]).sum() == df.groupby("s")["d"].sum()).all()
    assert any(not np.array_equal(d, df["d"].to_numpy()) for d in seen[1:])


def test_one_list_of_inference_options() -> None:
    """The designs, the linear model and the multiverse kernel share one list of options."""
    import dataclasses
    import typing

    from sanctuary_lab.designs.registry import designs
    from sanctuary_lab.inference.linear import LinearModel
    from sanctuary_lab.inference.options import INFERENCE_CHOICES
    from sanctuary_lab.multiverse.schema import KERNEL_INFERENCE

    assert set(KERNEL_INFERENCE) <= set(INFERENCE_CHOICES)
    assert LinearModel.__dataclass_fields__["allowed"].default == INFERENCE_CHOICES
    for name, cls in designs().items():
        field = {f.name: f for f in dataclasses.fields(cls)}.get("inference")
        if field is None or name == "matching":  # matching: its own Abadie-Imbens variance
            continue
        options = typing.get_args(typing.get_type_hints(cls)["inference"])
        assert set(options) <= set(INFERENCE_CHOICES) and field.default in options, name
