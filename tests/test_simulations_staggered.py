"""Seeded simulations with known effects: TWFE's staggered-adoption bias, recovery by the
heterogeneity-robust designs, and the pre-trend test's behaviour.

DGP (balanced panel, 10 periods 2001-2010): ``y_it = a_i + l_t + tau_it + e_it`` with
``e ~ N(0, 1)``, cohorts 2003 / 2005 / 2007 and never treated, and a dynamic effect that grows
with exposure and is larger for early cohorts: ``tau_it = slope_g * (t - g + 1)`` for ``t >= g``.
The true ATT is the mean of ``tau_it`` over treated unit-periods (the estimand of CS "simple",
Sun–Abraham's post-period average and the did2s/imputation overall effect on a balanced panel).

Static TWFE is a weighted sum of ``tau_it`` whose weights are proportional to the residual of
``D_it`` after unit and period fixed effects (de Chaisemartin & D'Haultfœuille 2020); the
already-treated early cohort gets negative weight in its late periods, where its effects are
largest, so TWFE falls below the true ATT (Goodman-Bacon 2021's "forbidden comparisons").

Tolerances: each robust estimate must be within 4 of its own standard errors of the truth (a
false failure has probability < 1e-4 per check under correct SEs), and within an absolute 0.25
(a tenth of the true ATT), which a wrong estimand would miss: the TWFE bias here is several
times larger than that.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from sanctuary_lab.designs.event_study import EventStudyDesign
from sanctuary_lab.designs.staggered.callaway_santanna import CallawaySantAnnaDesign
from sanctuary_lab.designs.staggered.did2s import Did2sDesign
from sanctuary_lab.designs.staggered.sun_abraham import SunAbrahamDesign
from sanctuary_lab.designs.twfe import TWFEDesign

YEARS = np.arange(2001, 2011)
COHORTS = {2003: 0.6, 2005: 0.4, 2007: 0.2, 0: 0.0}  # cohort -> effect slope per period


def simulate(
    seed: int, n_units: int = 200, pretrend: float = 0.0, noise: float = 1.0, constant: bool = False
):
    """Simulated panel and the true effects ``tau`` (``pretrend`` adds a linear pre-adoption
    trend ``pretrend * (t - g)`` for treated units before adoption; ``constant=True`` makes the
    effect 1.0 in every treated cell, the case where TWFE is unbiased)."""
    rng = np.random.default_rng(seed)
    cohort = rng.choice(list(COHORTS), size=n_units, p=[0.25, 0.25, 0.25, 0.25])
    unit_fe = rng.normal(0, 1, n_units)
    time_fe = np.cumsum(rng.normal(0.1, 0.3, len(YEARS)))
    df = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n_units), len(YEARS)),
            "year": np.tile(YEARS, n_units),
            "g": np.repeat(cohort, len(YEARS)),
        }
    )
    slope = df["g"].map(COHORTS)
    treated = (df["g"] > 0) & (df["year"] >= df["g"])
    dynamic = 1.0 if constant else slope * (df["year"] - df["g"] + 1)
    df["tau"] = np.where(treated, dynamic, 0.0)
    pre = (df["g"] > 0) & (df["year"] < df["g"])
    drift = np.where(pre, pretrend * (df["year"] - df["g"]), 0.0)
    df["d"] = treated.astype(int)
    df["y"] = (
        unit_fe[df["unit"]]
        + time_fe[df["year"] - YEARS[0]]
        + df["tau"]
        + drift
        + rng.normal(0, noise, len(df))
    )
    return df


def true_att(df: pd.DataFrame) -> float:
    return float(df.loc[df["d"] == 1, "tau"].mean())


def true_dynamic(df: pd.DataFrame) -> pd.Series:
    t = df.loc[df["d"] == 1]
    return t.groupby(t["year"] - t["g"])["tau"].mean()


ARGS = {"outcome": "y", "unit": "unit", "time": "year", "cohort": "g"}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return simulate(seed=20240601)


def test_static_twfe_is_biased_down_by_negative_weights(panel: pd.DataFrame) -> None:
    att = true_att(panel)
    twfe = TWFEDesign(outcome="y", treatment="d", unit="unit", time="year").fit(panel)
    est = float(twfe.tidy()["estimate"].iloc[0])
    # the dCDH weights: residualised D over treated cells, normalised to sum to one
    resid = pf.feols("d ~ 1 | unit + year", data=panel).resid()
    on = panel["d"].to_numpy() == 1
    w = resid[on] / resid[on].sum()
    assert (w < 0).any()  # negative weights exist
    neg = panel.loc[on].loc[w < 0]
    assert set(neg["g"]) == {2003}  # ... and fall on the earliest cohort's late periods
    # TWFE equals the weighted sum of the effects up to noise (noise-free check on tau alone)
    tau_fit = pf.feols("tau ~ d | unit + year", data=panel).coef()["d"]
    assert tau_fit == pytest.approx(float(w @ panel.loc[on, "tau"].to_numpy()), abs=1e-8)
    # bias: the TWFE estimand is far below the true ATT and the estimate follows it
    assert att - tau_fit > 0.8
    assert est < att - 0.5
    assert est == pytest.approx(tau_fit, abs=0.25)


def test_robust_designs_recover_true_att(panel: pd.DataFrame) -> None:
    att = true_att(panel)
    fits = {
        "cs_never": CallawaySantAnnaDesign(**ARGS).fit(panel),
        "cs_notyet": CallawaySantAnnaDesign(**ARGS, control="not_yet_treated").fit(panel),
        "sun_abraham": SunAbrahamDesign(**ARGS, window=(-8, 7)).fit(panel),
        "did2s": Did2sDesign(**ARGS, window=(-8, 7)).fit(panel),
    }
    for name, res in fits.items():
        row = res.tidy().set_index("term").loc["att"]
        assert abs(row["estimate"] - att) < 4 * row["std_error"], name
        assert abs(row["estimate"] - att) < 0.25, name


def test_robust_designs_recover_dynamic_effects(panel: pd.DataFrame) -> None:
    truth = true_dynamic(panel)
    fits = {
        "cs": CallawaySantAnnaDesign(**ARGS).fit(panel),
        "sun_abraham": SunAbrahamDesign(**ARGS, window=(-8, 7)).fit(panel),
        "did2s": Did2sDesign(**ARGS, window=(-8, 7)).fit(panel),
    }
    for name, res in fits.items():
        es = res.plot_data().set_index("rel_time")
        for e, tau in truth.items():
            est, se = es.loc[e, "estimate"], es.loc[e, "std_error"]
            assert abs(est - tau) < 4 * se, (name, e)
        # pre-periods are centred on zero
        pre = es.loc[(es.index < -1) & ~es["reference"]]
        assert (pre["estimate"].abs() < 4 * pre["std_error"]).all(), name


def test_twfe_event_study_lags_are_contaminated_where_robust_ones_are_not(
    panel: pd.DataFrame,
) -> None:
    """With effects growing in exposure and early cohorts observed longest, the binned TWFE
    event study's last lag understates the truth; Sun–Abraham's does not."""
    truth = true_dynamic(panel)
    twfe = EventStudyDesign(**ARGS, window=(-3, 3)).fit(panel).tidy().set_index("term")
    sa = SunAbrahamDesign(**ARGS, window=(-3, 3)).fit(panel).tidy().set_index("term")
    t = panel.loc[panel["d"] == 1]
    e = t["year"] - t["g"]
    bin_truth = float(t.loc[e >= 3, "tau"].mean())
    assert truth.loc[0] > 0
    sa_row = sa.loc["rel_time[>=3]"]
    assert abs(sa_row["estimate"] - bin_truth) < 4 * sa_row["std_error"]
    assert twfe.loc["rel_time[>=3]", "estimate"] < bin_truth - 4 * sa_row["std_error"]


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_no_pretrend_gives_non_tiny_p_values(seed: int) -> None:
    """Constant effects: all four pre-tests are valid. Dynamic heterogeneous effects: the
    robust designs' pre-tests stay valid."""
    flat = simulate(seed=seed, n_units=120, constant=True)
    dyn = simulate(seed=seed, n_units=120)
    cases = [
        (flat, EventStudyDesign(**ARGS, window=(-4, 4))),
        (flat, SunAbrahamDesign(**ARGS, window=(-4, 4))),
        (flat, Did2sDesign(**ARGS, window=(-4, 4))),
        (flat, CallawaySantAnnaDesign(**ARGS)),
        (dyn, SunAbrahamDesign(**ARGS, window=(-4, 4))),
        (dyn, Did2sDesign(**ARGS, window=(-4, 4))),
        (dyn, CallawaySantAnnaDesign(**ARGS)),
    ]
    for df, spec in cases:
        p = spec.fit(df).tidy().set_index("term").loc["pretrend_wald", "p_value"]
        assert p > 0.01, (type(spec).__name__, seed, p)


def test_twfe_event_study_leads_contaminated_by_heterogeneous_effects() -> None:
    """Sun & Abraham (2021): with dynamic effects that differ by cohort, binned TWFE leads pick
    up post-period effects, so its pre-test rejects although there is no pre-trend; the
    interaction-weighted estimator's does not."""
    df = simulate(seed=12, n_units=120)
    es = EventStudyDesign(**ARGS, window=(-4, 4)).fit(df).tidy().set_index("term")
    sa = SunAbrahamDesign(**ARGS, window=(-4, 4)).fit(df).tidy().set_index("term")
    assert es.loc["pretrend_wald", "p_value"] < 1e-3
    assert sa.loc["pretrend_wald", "p_value"] > 0.01


def test_simulated_pretrend_is_detected() -> None:
    df = simulate(seed=5, n_units=120, pretrend=0.4)
    for spec in (
        EventStudyDesign(**ARGS, window=(-4, 4)),
        SunAbrahamDesign(**ARGS, window=(-4, 4)),
        Did2sDesign(**ARGS, window=(-4, 4)),
        CallawaySantAnnaDesign(**ARGS),
    ):
        p = spec.fit(df).tidy().set_index("term").loc["pretrend_wald", "p_value"]
        assert p < 1e-4, (type(spec).__name__, p)


@pytest.mark.slow
def test_pretest_size_over_replications() -> None:
    """Under no pre-trend the event-study Wald test rejects at 5% in about 5% of 40 samples
    (at most 6 rejections: P(Binomial(40, 0.05) > 6) < 0.01)."""
    rejections = 0
    for seed in range(100, 140):
        df = simulate(seed=seed, n_units=80, constant=True)
        p = EventStudyDesign(**ARGS, window=(-4, 4)).fit(df).tidy()
        rejections += int(p.set_index("term").loc["pretrend_wald", "p_value"] < 0.05)
    assert rejections <= 6
