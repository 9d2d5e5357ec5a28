"""Reference estimates from statsmodels (a second implementation besides R) for the goldens.

Dummy-variable OLS/WLS with statsmodels: HC1 (``cov_type="HC1"``) and state-clustered
(``cov_type="cluster"``, which applies G/(G-1)·(N-1)/(N-K) with K counting every dummy, i.e.
pyfixest ``k_fixef="full"``). Writes ``tests/golden/statsmodels_reference.csv``.
Run from the repository root: ``python scripts/make_goldens_statsmodels.py``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import statsmodels
import statsmodels.formula.api as smf

GOLD = Path(__file__).resolve().parents[1] / "tests" / "golden"
INPUTS = Path(__file__).resolve().parents[1] / "build" / "golden_inputs"
CONTROLS = "unemployment + income_pc_k + log_pop"


def fit(name, formula, data, terms, weights=None):
    kw = {} if weights is None else {"weights": data[weights]}
    model = smf.wls(formula, data, **kw) if weights else smf.ols(formula, data)
    hc1 = model.fit(cov_type="HC1")
    codes = pd.factorize(data["state"])[0]
    crv1 = model.fit(cov_type="cluster", cov_kwds={"groups": codes})
    return [
        {
            "model": name,
            "term": t,
            "estimate": hc1.params[t],
            "se_hc1_full": hc1.bse[t],
            "se_crv1_full": crv1.bse[t],
        }
        for t in terms
    ]


def main() -> None:
    panel = pd.read_csv(INPUTS / "twfe_state_panel.csv")
    cs = pd.read_csv(INPUTS / "cs_county.csv", dtype={"fips": str})
    cs["hisp_high"] = cs["hisp_high"].astype(float)
    terms = ["log_pop", "pop_above_own_median"]
    fe = "log_pop + pop_above_own_median + C(state) + C(year)"
    rows = []
    rows += fit("twfe_violent", f"violent_rate ~ {fe}", panel, terms)
    rows += fit("twfe_property", f"property_rate ~ {fe}", panel, terms)
    rows += fit("twfe_violent_popweighted", f"violent_rate ~ {fe}", panel, terms, "population")
    rows += fit("cs_hispanic", f"poverty ~ hispanic + {CONTROLS}", cs, ["hispanic"])
    rows += fit(
        "cs_hispanic_popweighted",
        f"poverty ~ hispanic + {CONTROLS}",
        cs,
        ["hispanic"],
        "population",
    )
    strata = [f"C(nchs)[{k}]:hisp_high" for k in sorted(cs["nchs"].unique())]
    rows += fit("cs_strata", f"poverty ~ C(nchs) + C(nchs):hisp_high + {CONTROLS}", cs, strata)
    out = pd.DataFrame(rows)
    out["term"] = out["term"].str.replace(r"C\(nchs\)\[(\d+)\]:hisp_high", r"nchs_f\1:hisp_high",
                                          regex=True)  # fmt: skip
    out.to_csv(GOLD / "statsmodels_reference.csv", index=False, float_format="%.17g")
    print(f"wrote {len(out)} rows (statsmodels {statsmodels.__version__})")


if __name__ == "__main__":
    main()
