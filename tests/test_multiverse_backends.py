"""Execution backends: local processes and a Dask LocalCluster give the inline table; GPU if present."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.multiverse.api import run_multiverse_frame
from sanctuary_lab.multiverse.backends import DaskBackend, LocalBackend, get_backend, gpu_available
from sanctuary_lab.multiverse.schema import parse_multiverse


def _panel(seed: int = 2, units: int = 30, years: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {"unit": np.repeat(np.arange(units), years), "year": np.tile(np.arange(years), units)}
    )
    n = len(df)
    start = rng.integers(1, years + 2, units)
    df["d"] = (df["year"].to_numpy() >= start[df["unit"]]).astype(float)
    df["x"] = rng.normal(size=n)
    df["w"] = rng.uniform(1, 2, n)
    for i in range(2):
        df[f"y{i}"] = 0.4 * df["d"] + df["x"] + rng.normal(size=n)
    return df


def _mv():
    doc = {
        "multiverse": {
            "table": "t",
            "unit": "unit",
            "time": "year",
            "cluster": "unit",
            "seed": 9,
            "bootstrap_draws": 99,
            "perm_bootstrap_draws": 49,
            "chunk_size": 16,
            "dimensions": {
                "outcome": ["y0", "y1"],
                "treatment": ["d"],
                "covariates": [[], ["x"]],
                "fixed_effects": ["unit+time", "unit"],
                "weights": ["none", "w"],
                "inference": ["crv1", "wild", "hc1"],
            },
        }
    }
    return parse_multiverse(doc, "t.toml")


@pytest.fixture(scope="module")
def inline():
    return run_multiverse_frame(_mv(), _panel(), LocalBackend(workers=1), n_perm=3)


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=False, rtol=0, atol=1e-12)
    pd.testing.assert_frame_equal(a.permutations, b.permutations, check_exact=False, atol=1e-12)


def test_local_processes_give_the_inline_table(inline) -> None:
    be = LocalBackend(workers=2)
    try:
        res = run_multiverse_frame(_mv(), _panel(), be, n_perm=3)
    finally:
        be.close()
    assert len(res.table) == 48 and (res.table["skipped"] == "").all()
    _same(res, inline)


def test_dask_local_cluster_gives_the_inline_table(inline) -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        be = DaskBackend(client=client, window=4)
        res = run_multiverse_frame(_mv(), _panel(), be, n_perm=3)
        be.close()
    assert res.meta["backend"] == "dask"
    _same(res, inline)


def test_unknown_backend_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="unknown backend 'spark'"):
        get_backend("spark")


@pytest.mark.skipif(not gpu_available(), reason="needs cupy and a CUDA device")
def test_gpu_backend_matches_numpy(inline) -> None:
    res = run_multiverse_frame(_mv(), _panel(), "gpu", n_perm=0)
    ok = res.table["skipped"] == ""
    np.testing.assert_allclose(
        res.table.loc[ok, "estimate"], inline.table.loc[ok, "estimate"], atol=1e-10
    )
    np.testing.assert_allclose(
        res.table.loc[ok, "std_error"], inline.table.loc[ok, "std_error"], atol=1e-10
    )
    np.testing.assert_allclose(
        res.table.loc[ok, "p_value"], inline.table.loc[ok, "p_value"], atol=1e-10
    )


def test_gpu_backend_without_cupy_says_what_to_do() -> None:
    if gpu_available():
        pytest.skip("a GPU is present")
    with pytest.raises(SpecError, match="use --backend local"):
        get_backend("gpu")
