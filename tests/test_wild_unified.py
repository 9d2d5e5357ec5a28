"""One wild cluster bootstrap: designs (inference.wild) and multiverse share weights and tie rule."""

from __future__ import annotations

import numpy as np
import pytest

from sanctuary_lab.inference.partial import absorb, cluster_codes
from sanctuary_lab.inference.wild import (
    WEBB,
    bootstrap_p_values,
    draw_weights,
    wild_cluster_bootstrap,
)
from sanctuary_lab.multiverse import wild as mwild
from sanctuary_lab.multiverse.kernel import prepare_block


def test_tie_rule_counts_ties_as_extreme() -> None:
    t_boot = np.array([[1.0, -2.0, 2.0 * (1 + 1e-12), 2.0 * (1 - 1e-12), 3.0, 0.5]])
    # |t*| >= |t| within 1e-9: the two near-ties, -2 and 3 count; 1 and 0.5 do not
    assert bootstrap_p_values(np.array([2.0]), t_boot)[0] == pytest.approx(4 / 6)
    assert bootstrap_p_values(np.array([-2.0]), t_boot)[0] == pytest.approx(4 / 6)
    assert bootstrap_p_values(np.array([2.1]), t_boot)[0] == pytest.approx(1 / 6)


def test_one_webb_table_and_layouts() -> None:
    assert np.allclose(np.sort(WEBB**2), [0.5, 0.5, 1.0, 1.0, 1.5, 1.5])
    v, full = draw_weights(9, 40, "webb", 7, key="block")
    assert not full and set(np.unique(v)) <= set(WEBB)
    assert np.array_equal(mwild.draw_weights(9, 40, "webb", 7, "block"), v.T)
    grid = mwild.draw_weights(4, 999, "rademacher", 7, "block")
    assert grid.shape == (4, 16)


@pytest.mark.parametrize("weights_type", ["rademacher", "webb"])
def test_designs_and_multiverse_give_the_same_p_value(weights_type: str) -> None:
    """Same model, same draws: inference.wild (designs) == multiverse.wild (batched), incl. ties."""
    rng = np.random.default_rng(4)
    n, g = 300, 8
    cl = rng.integers(0, g, n)
    x1 = rng.normal(size=n) + 0.2 * cl
    x2 = rng.normal(size=n)
    y = 0.15 * x1 + 0.5 * x2 + rng.normal(size=n) + 0.4 * rng.normal(size=g)[cl]
    block = prepare_block({"y": y, "x1": x1, "x2": x2}, [], None, cl)
    v = mwild.draw_weights(block.n_clusters, 999, weights_type, 3, "k")  # 2^8 < 999: enumerated
    ours = mwild.wild_pvalues(block, np.array([0]), np.array([[1, 2]]), v)[0]
    yy = absorb(y, None)
    xx = absorb(np.column_stack([x1, x2]), None)
    # the same draw goes to the same cluster: use the block's cluster numbering
    codes, n_cl = block.cluster_codes, block.n_clusters
    assert n_cl == cluster_codes(cl)[1]
    from sanctuary_lab.inference.wild import _WCR

    wcr = _WCR(yy, xx, 0, codes, n_cl, repartial=lambda m: absorb(m, None))
    assert ours == pytest.approx(wcr.p_value(0.0, v.T), abs=1e-12)
    t_mv = wcr.t_boot(0.0, v.T) / wcr.t_original(0.0)
    assert np.isfinite(t_mv).all()
    if weights_type == "rademacher":
        res = wild_cluster_bootstrap(
            yy, xx, 0, codes, n_cl, n_boot=999, ci=False, repartial=lambda m: absorb(m, None)
        )
        assert res.full_enumeration and res.p_value == pytest.approx(ours, abs=1e-12)
        assert ours >= 2 / 256  # the +-1 sign vectors tie with the observed sample and count
