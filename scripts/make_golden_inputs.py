"""Extract the exact input rows of the reference (golden) comparisons from the raw files.

Writes, under ``build/golden_inputs/`` (git-ignored: the repository holds no copy of the data), the
two CSV inputs read by the R and statsmodels reference scripts, and records their SHA-256 in the
committed ``tests/golden/inputs.sha256``; the reference tests rebuild the same rows from the raw
folder with these functions and check the hashes before comparing estimates:

* ``twfe_state_panel.csv`` — FBI estimated state totals (``state_ucr_classdata``), 50 states + DC,
  1970-2015: violent and property crime per 100k, log population and a binary
  ``pop_above_own_median`` (the state's population exceeds its own 1970-2015 median; varies within
  states over time). Rows with a missing component count are left out (unbalanced panel).
* ``cs_county.csv`` — ACS 2011-15 county file joined to the NCHS 2013 urban-rural class:
  poverty rate, Hispanic share, a binary ``hisp_high`` (Hispanic share above 10%), unemployment,
  income per capita (thousands), log population, state.

Only pandas is used here (no project code), so the inputs do not depend on the code under test.
Run: ``python scripts/make_golden_inputs.py [RAW_DIR]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "golden_inputs"
HASHES = ROOT / "tests" / "golden" / "inputs.sha256"
INPUTS = {"twfe_state_panel.csv": "state_panel", "cs_county.csv": "county_cross_section"}


def state_panel(raw: Path) -> pd.DataFrame:
    src = raw / "state_ucr_classdata" / "state_crime_wide_1961_2019_ucrdatatool.csv"
    df = pd.read_csv(src)
    df = df[(df["State"] != "Puerto Rico") & df["Year"].between(1970, 2015)].copy()
    violent = ["Murder", "Legacy.rape", "Robbery", "Aggravated.assault"]
    prop = ["Burglary", "Larceny.theft", "Motor.vehicle.theft"]
    df = df.dropna(subset=[*violent, *prop, "Population"])
    out = pd.DataFrame(
        {
            "state": df["Abb"],
            "year": df["Year"].astype(int),
            "population": df["Population"].astype(float),
            "violent": df[violent].sum(axis=1).astype(float),
            "property": df[prop].sum(axis=1).astype(float),
        }
    )
    out["violent_rate"] = out["violent"] / out["population"] * 1e5
    out["property_rate"] = out["property"] / out["population"] * 1e5
    out["log_pop"] = np.log(out["population"])
    med = out.groupby("state")["population"].transform("median")
    out["pop_above_own_median"] = (out["population"] > med).astype(int)
    return out.sort_values(["state", "year"]).reset_index(drop=True)


def county_cross_section(raw: Path) -> pd.DataFrame:
    acs = pd.read_csv(raw / "acs_county_2015_2017_kaggle" / "acs2015_county_data.csv")
    nchs = pd.read_csv(raw / "nchs_urban_rural_2013" / "NCHSURCodes2013_converted.csv")
    nchs = nchs.rename(columns={"FIPS code": "CensusId", "2013 code": "nchs"})
    df = acs.merge(nchs[["CensusId", "nchs"]], on="CensusId", how="inner")
    df = df.dropna(subset=["Poverty", "Hispanic", "Unemployment", "IncomePerCap", "TotalPop"])
    df = df[df["TotalPop"] > 0]
    out = pd.DataFrame(
        {
            "fips": df["CensusId"].astype(int).map("{:05d}".format),
            "state": df["State"],
            "nchs": df["nchs"].astype(int),
            "population": df["TotalPop"].astype(float),
            "poverty": df["Poverty"].astype(float),
            "hispanic": df["Hispanic"].astype(float),
            "hisp_high": (df["Hispanic"] > 10).astype(int),
            "unemployment": df["Unemployment"].astype(float),
            "income_pc_k": df["IncomePerCap"].astype(float) / 1000,
            "log_pop": np.log(df["TotalPop"].astype(float)),
        }
    )
    return out.sort_values("fips").reset_index(drop=True)


def to_csv_text(df: pd.DataFrame) -> str:
    """The exact CSV text the reference scripts read (floats round-trip with %.17g)."""
    return df.to_csv(index=False, float_format="%.17g", lineterminator="\n")


def main() -> None:
    import hashlib

    raw = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "raw"
    OUT.mkdir(parents=True, exist_ok=True)
    lines = []
    for name, func in INPUTS.items():
        text = to_csv_text(globals()[func](raw))
        (OUT / name).write_text(text, encoding="utf-8")
        lines.append(f"{hashlib.sha256(text.encode()).hexdigest()}  {name}")
    HASHES.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
