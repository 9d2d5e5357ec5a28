"""Secure Communities / 287(g) coverage aggregated from CPUMA to state (see ``tables_policy``).

Method
------
The East et al. (2022) file gives, for each consistent PUMA (CPUMA0010) and year 2000-2015, the
population share covered by Secure Communities (``sc``) and by 287(g) agreements of three kinds
(``state287g`` statewide, ``jail287g`` jail model, ``task287g`` task-force model), each measured
in January, in March and as a year average (``_frac``).

State-year shares are population-weighted means over the CPUMAs of the state::

    share[state, year] = sum_c w[c, year] * share[c, year] / sum_c w[c, year]

CPUMAs are assigned to states by the ``State_FIPS`` column of ``CPUMA0010_summary.xls`` (CPUMAs
nest within states). Weights ``w`` are CPUMA populations from the same file: the 2000 Census
count (``PUMA00_Pop00``) for 2000, the 2010 Census count (``PUMA10_Pop10``) for 2010 and later,
and straight-line interpolation between them for 2001-2009. A CPUMA without a population (none
in the shipped file) would get no weight.

The result is the share of the state's population living in CPUMAs covered, i.e. the
population-weighted coverage; it is not a count of covered counties. 2015 is coded 0 for SC in
the source because SC was ended (replaced by PEP), not because coverage dropped.
"""

from __future__ import annotations

import pandas as pd

SHARES = [
    f"{p}_{t}"
    for p in ("sc", "jail287g", "task287g", "state287g")
    for t in ("frac", "jan", "march")
]


def cpuma_weights(summary: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """CPUMA x year population weights (see module docstring)."""
    rows = []
    for y in years:
        if y <= 2000:
            w = summary["pop00"]
        elif y >= 2010:
            w = summary["pop10"]
        else:
            t = (y - 2000) / 10
            w = (1 - t) * summary["pop00"] + t * summary["pop10"]
        rows.append(pd.DataFrame({"cpuma0010": summary["cpuma0010"], "year": y, "population": w}))
    return pd.concat(rows, ignore_index=True)


def cpuma_coverage(policy: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """The CPUMA x year shares with state and population weight attached."""
    years = sorted(int(y) for y in policy["year"].unique())
    w = cpuma_weights(summary, years)
    w["year"] = w["year"].astype(policy["year"].dtype)
    meta = summary[["cpuma0010", "state_fips", "state"]]
    out = policy.merge(meta, on="cpuma0010", how="left").merge(
        w, on=["cpuma0010", "year"], how="left"
    )
    cols = ["cpuma0010", "year", "state_fips", "state", "population", *SHARES]
    return out[cols]


def state_coverage(cpuma: pd.DataFrame) -> pd.DataFrame:
    """Population-weighted state x year shares (``policy_sc_coverage``)."""
    d = cpuma.dropna(subset=["state_fips", "population"]).copy()
    for c in SHARES:
        d[f"_w_{c}"] = d[c] * d["population"]
    g = d.groupby(["state_fips", "state", "year"], as_index=False).agg(
        population=("population", "sum"),
        n_cpuma=("cpuma0010", "nunique"),
        **{f"_w_{c}": (f"_w_{c}", "sum") for c in SHARES},
    )
    for c in SHARES:
        g[c] = g[f"_w_{c}"] / g["population"]
    g["sc_note"] = pd.Series(pd.NA, index=g.index, dtype="string")
    g.loc[g["year"] == 2015, "sc_note"] = (
        "SC ended in 2015 (replaced by PEP); coded 0 in the source"
    )
    cols = ["state_fips", "state", "year", "population", "n_cpuma", *SHARES, "sc_note"]
    return g[cols].sort_values(["state_fips", "year"]).reset_index(drop=True)
