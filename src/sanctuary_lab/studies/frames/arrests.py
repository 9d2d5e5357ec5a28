"""County-year ARREST panels (ICPSR county arrests 1994-2008) joined to enforcement programmes.

Outcomes here are **arrests** (police activity as well as crime), never crime. Rates are per
10,000 of the population covered by the agencies reporting arrests (``pop_covered``).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.sources.geo import STATES
from sanctuary_lab.studies.frames.economic import COHORT_287G_COLUMN
from sanctuary_lab.studies.reading import DataUnavailable, Frame, num, table_columns
from sanctuary_lab.warehouse.db import table_names

#: arrest outcome columns of ``county_arrests`` used as per-10k rates
RATES = {
    "all": "all_arrests",
    "part1": "part1",
    "violent": "violent",
    "property": "property",
    "drug": "drug_total",
}


def _int(name: str, value: object) -> int:
    """A whole-number study parameter, or a one-line SpecError naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SpecError(f"parameter {name!r} must be a year (whole number), got {value!r}")
    try:
        f = float(value)
    except ValueError:
        raise SpecError(
            f"parameter {name!r} must be a year (whole number), got {value!r}"
        ) from None
    if not f.is_integer() or not 1900 <= f <= 2100:
        raise SpecError(f"parameter {name!r} must be a year between 1900 and 2100, got {value!r}")
    return int(f)


def _cohort_window(cohorts: object, default: list[int]) -> tuple[int, int]:
    c = default if cohorts is None else cohorts
    if not isinstance(c, (list, tuple)) or len(c) != 2:
        raise SpecError(f"parameter 'cohorts' must be [first, last] years, got {cohorts!r}")
    lo, hi = _int("cohorts", c[0]), _int("cohorts", c[1])
    if hi < lo:
        raise SpecError(f"parameter 'cohorts' ends before it starts: {cohorts!r}")
    return lo, hi


def _arrests(con: duckdb.DuckDBPyConnection, first_year: int, last_year: int) -> pd.DataFrame:
    if "county_arrests" not in table_names(con):
        raise DataUnavailable(
            "warehouse has no table 'county_arrests' (needs the ucr_county_arrests_icpsr raw "
            "folder); rebuild with `sanctuary-lab build`"
        )
    cols = ", ".join(
        ["fips", "year", "series", "pop_covered", "coverage", "reporting", *RATES.values()]
    )
    return con.execute(
        f"SELECT {cols} FROM county_arrests WHERE year BETWEEN ? AND ?", [first_year, last_year]
    ).df()


def _cohorts(con: duckdb.DuckDBPyConnection, column: str = "") -> tuple[pd.DataFrame, str]:
    if "county_year_287g" not in table_names(con):
        raise DataUnavailable("warehouse has no table 'county_year_287g'")
    have = table_columns(con, "county_year_287g")
    col = column or COHORT_287G_COLUMN
    if col not in have:
        if column:
            raise SpecError(
                f"cohort_column {column!r} is not a column of county_year_287g; columns: {sorted(have)}"
            )
        raise DataUnavailable(
            f"county_year_287g has no cohort column {col!r}; columns: {sorted(have)}"
        )
    df = con.execute(
        f'SELECT fips, min("{col}") AS cohort FROM county_year_287g GROUP BY fips'
    ).df()
    return df, col


def county_arrests_287g(
    con: duckdb.DuckDBPyConnection,
    *,
    first_year: int = 1994,
    last_year: int = 2008,
    cohorts: list[int] | None = None,
    min_coverage: float = 0.0,
    min_pop_covered: int = 1000,
    cohort_column: str = "",
) -> Frame:
    """County-year arrest rates per 10,000 covered with the 287(g) adoption cohort.

    Parameters
    ----------
    first_year, last_year
        Panel years (default 1994-2008, the ICPSR '1994+' series; a panel crossing 1993/1994
        would mix two imputation series and is refused).
    cohorts
        ``[first, last]`` signing cohorts treated (default 2002-2008). Counties whose cohort falls
        after ``last_year`` are not yet treated within the panel (cohort 0); counties with a cohort
        before ``first_year`` or in the window but outside ``cohorts`` are dropped.
    min_coverage
        Minimum ICPSR coverage indicator (COVIND, 0-100) in every year; 0 keeps counts ICPSR
        imputed wholly.
    min_pop_covered
        Minimum population covered in every year (rates on tiny populations are noise).
    cohort_column
        ``county_year_287g`` column holding the adoption year (e.g. ``county_jail_first_year``
        where the treatment table declares it); default
        :data:`~sanctuary_lab.studies.frames.economic.COHORT_287G_COLUMN`.

    Returns
    -------
    Frame
        Columns ``fips, state, year, pop_covered, coverage, <kind>_arrest_rate_10k,
        log_<kind>_arrest_rate_10k`` (kinds: all, part1, violent, property, drug),
        ``cohort_287g`` (0 = not treated in the panel), ``treated_287g`` (1 from the cohort year).
        Balanced: counties with a usable rate in every year.
    """
    first_year, last_year = _int("first_year", first_year), _int("last_year", last_year)
    if first_year < 1994 <= last_year and first_year <= 1992:
        raise SpecError(
            "county arrest panels cannot span the 1993/1994 ICPSR series break; "
            "use first_year >= 1994 or last_year <= 1992"
        )
    if last_year < first_year:
        raise SpecError(f"last_year {last_year} is before first_year {first_year}")
    lo, hi = _cohort_window(cohorts, [2002, 2008])
    arr = _arrests(con, first_year, last_year)
    if arr.empty:
        raise DataUnavailable(
            f"county_arrests has no rows for {first_year}-{last_year} (the raw folder "
            "ucr_county_arrests_icpsr holds 1977-1992 and 1994-2008)"
        )
    flow: dict[str, int] = {"county-years in county_arrests": len(arr)}
    arr = arr.loc[arr["reporting"] != "none"].copy()
    pop = num(arr["pop_covered"])
    cov = num(arr["coverage"]).fillna(100.0 if first_year < 1994 else 0.0)
    arr = arr.loc[(pop >= min_pop_covered) & (cov >= min_coverage)].copy()
    flow[f"reporting, pop covered >= {min_pop_covered}, coverage >= {min_coverage}"] = len(arr)
    pop = num(arr["pop_covered"])
    for kind, col in RATES.items():
        rate = num(arr[col]) / pop * 1e4
        arr[f"{kind}_arrest_rate_10k"] = rate
        arr[f"log_{kind}_arrest_rate_10k"] = np.log(rate.where(rate > 0))
    arr = arr.dropna(
        subset=["all_arrest_rate_10k", "violent_arrest_rate_10k", "property_arrest_rate_10k"]
    )
    years = list(range(first_year, last_year + 1))
    have_years = sorted(int(y) for y in arr["year"].unique())
    n_years = len(have_years)
    full = arr.groupby("fips")["year"].transform("nunique") == n_years
    arr = arr.loc[full].copy()
    flow["balanced (every year with arrest rates)"] = int(arr["fips"].nunique())
    coh, coh_col = _cohorts(con, cohort_column)
    df = arr.merge(coh, on="fips", how="left")
    c = num(df["cohort"]).fillna(0)
    early = (c > 0) & (c < first_year)
    outside = (c >= first_year) & (c <= last_year) & ((c < lo) | (c > hi))
    df = df.loc[~(early | outside).to_numpy()].copy()
    c = num(df["cohort"]).fillna(0)
    flow[f"cohort in {lo}-{hi}, after {last_year}, or never"] = int(df["fips"].nunique())
    df["cohort_287g"] = np.where((c >= lo) & (c <= min(hi, last_year)), c, 0).astype(int)
    df["treated_287g"] = ((df["cohort_287g"] > 0) & (df["year"] >= df["cohort_287g"])).astype(int)
    df["state"] = df["fips"].str[:2].map(lambda s: STATES.get(s, ("", ""))[0])
    df["year"] = df["year"].astype(int)
    keep = ["fips", "state", "year", "pop_covered", "coverage", "cohort_287g", "treated_287g"]
    keep += [c for c in df.columns if c.endswith("_arrest_rate_10k")]
    df = df[keep].sort_values(["fips", "year"]).reset_index(drop=True)
    df["pop_covered"] = num(df["pop_covered"])
    treated = df.groupby("fips")["cohort_287g"].first()
    meta = {
        "unit": "county",
        "years": have_years,
        "missing_years": [y for y in years if y not in have_years],
        "n_units": int(df["fips"].nunique()),
        "n_treated": int((treated > 0).sum()),
        "cohort_sizes": {
            int(k): int(v) for k, v in treated[treated > 0].value_counts().sort_index().items()
        },
        "outcome_kind": "arrests",
        "vintage": {
            "arrests": "county_arrests (ICPSR county-level UCR arrests, all ages, series 1994+)",
            "treatment": f"county_year_287g.{coh_col}",
        },
        "rule": (
            f"cohort_287g = county_year_287g.{coh_col} when in {lo}-{hi}; counties adopting after "
            f"{last_year} are not yet treated in the panel (0); rates per 10,000 covered"
        ),
        "sample_flow": flow,
    }
    return Frame(df, meta)


#: where to get county offences when the warehouse has none
OFFENCES_TO_GET = (
    "county offences known: put Kaplan's UCR offenses-known yearly CSV in ucr_offenses_known/, "
    "or ICPSR county Part 4 'crimes reported' files in ucr_county_offenses_icpsr/, and rebuild"
)


def county_offenses_sc(
    con: duckdb.DuckDBPyConnection,
    *,
    first_year: int = 2004,
    last_year: int = 2012,
    event_threshold: float = 0.5,
    min_coverage: float = 0.0,
) -> Frame:
    """County-year offence rates (offences known, the full official files) with Secure
    Communities coverage of the county's state (Miles & Cox 2014 unit and years).

    ``sc_share`` is the state's population share covered by SC that year (East et al. 2022 CPUMA
    shares aggregated to states: the warehouse has no county activation dates); ``sc_cohort`` the
    first year it reaches ``event_threshold`` (0 = not within the window). Balanced panel of
    counties with a positive Part I rate every year.
    """
    first_year, last_year = _int("first_year", first_year), _int("last_year", last_year)
    if "county_offenses" not in table_names(con):
        raise DataUnavailable(f"warehouse has no table 'county_offenses' ({OFFENCES_TO_GET})")
    if "policy_sc_coverage" not in table_names(con):
        raise DataUnavailable("warehouse has no table 'policy_sc_coverage'")
    off = con.execute(
        "SELECT fips, year, source, violent, property, part1, population, coverage, reporting "
        "FROM county_offenses WHERE year BETWEEN ? AND ?",
        [int(first_year), int(last_year)],
    ).df()
    flow: dict[str, int] = {"county-years in county_offenses": len(off)}
    off = off.loc[off["reporting"] != "none"]
    cov = num(off["coverage"]).fillna(100.0)
    off = off.loc[cov >= min_coverage].copy()
    pop = num(off["population"])
    for kind in ("violent", "property", "part1"):
        rate = num(off[kind]) / pop.where(pop > 0) * 1e5
        off[f"{kind}_rate"] = rate
        off[f"log_{kind}_rate"] = np.log(rate.where(rate > 0))
    off = off.dropna(subset=["log_part1_rate"])
    n_years = int(last_year) - int(first_year) + 1
    off = off.loc[off.groupby("fips")["year"].transform("nunique") == n_years].copy()
    flow["balanced (positive Part I rate every year)"] = int(off["fips"].nunique())
    sc = con.execute("SELECT state_fips, year, sc_frac FROM policy_sc_coverage").df()
    off["state_fips"] = off["fips"].str[:2]
    df = off.merge(sc, on=["state_fips", "year"], how="left")
    df["sc_share"] = num(df["sc_frac"]).fillna(0.0)
    on = df.loc[df["sc_share"] >= event_threshold].groupby("fips")["year"].min()
    df["sc_cohort"] = df["fips"].map(on).fillna(0).astype(int)
    df["state"] = df["state_fips"].map(lambda s: STATES.get(s, ("", ""))[0])
    df["year"] = df["year"].astype(int)
    keep = ["fips", "state", "year", "source", "population", "coverage", "sc_share", "sc_cohort"]
    keep += [c for c in df.columns if c.endswith("_rate")]
    df = df[keep].sort_values(["fips", "year"]).reset_index(drop=True)
    meta = {
        "unit": "county",
        "years": [int(first_year), int(last_year)],
        "n_units": int(df["fips"].nunique()),
        "n_treated": int((df.groupby("fips")["sc_cohort"].first() > 0).sum()),
        "vintage": {
            "crime": f"county_offenses ({', '.join(sorted(df['source'].unique()))})",
            "sc": "East et al. 2022 CPUMA shares, aggregated to states",
        },
        "rule": f"sc_cohort = first year the state's SC coverage share >= {event_threshold}",
        "sample_flow": flow,
    }
    return Frame(df, meta)


def county_offenses_287g(
    con: duckdb.DuckDBPyConnection,
    *,
    first_year: int = 2003,
    last_year: int = 2015,
    cohorts: list[int] | None = None,
    min_coverage: float = 0.0,
    cohort_column: str = "",
) -> Frame:
    """County-year offence (crime) rates per 100,000 from the full official files, with the
    287(g) cohort (Forrester & Nowrasteh 2020 unit and years; needs ``county_offenses``).

    Cohorts as in :func:`county_arrests_287g` (default 2002 to ``last_year``); balanced panel of
    counties with positive violent and property rates every year.
    """
    if "county_offenses" not in table_names(con):
        raise DataUnavailable(f"warehouse has no table 'county_offenses' ({OFFENCES_TO_GET})")
    first_year, last_year = _int("first_year", first_year), _int("last_year", last_year)
    lo, hi = _cohort_window(cohorts, [2002, last_year])
    off = con.execute(
        "SELECT fips, year, source, violent, property, part1, population, coverage, reporting "
        "FROM county_offenses WHERE year BETWEEN ? AND ?",
        [first_year, last_year],
    ).df()
    flow: dict[str, int] = {"county-years in county_offenses": len(off)}
    off = off.loc[
        (off["reporting"] != "none") & (num(off["coverage"]).fillna(100.0) >= min_coverage)
    ]
    off = off.copy()
    pop = num(off["population"])
    for kind in ("violent", "property", "part1"):
        rate = num(off[kind]) / pop.where(pop > 0) * 1e5
        off[f"{kind}_rate"] = rate
        off[f"log_{kind}_rate"] = np.log(rate.where(rate > 0))
    off = off.dropna(subset=["log_violent_rate", "log_property_rate"])
    n_years = last_year - first_year + 1
    off = off.loc[off.groupby("fips")["year"].transform("nunique") == n_years].copy()
    flow["balanced (positive violent and property rates every year)"] = int(off["fips"].nunique())
    coh, coh_col = _cohorts(con, cohort_column)
    df = off.merge(coh, on="fips", how="left")
    c = num(df["cohort"]).fillna(0)
    drop = ((c > 0) & (c < first_year)) | (
        (c >= first_year) & (c <= last_year) & ((c < lo) | (c > hi))
    )
    df = df.loc[~drop.to_numpy()].copy()
    c = num(df["cohort"]).fillna(0)
    df["cohort_287g"] = np.where((c >= lo) & (c <= min(hi, last_year)), c, 0).astype(int)
    df["treated_287g"] = ((df["cohort_287g"] > 0) & (df["year"] >= df["cohort_287g"])).astype(int)
    df["state"] = df["fips"].str[:2].map(lambda s: STATES.get(s, ("", ""))[0])
    df["year"] = df["year"].astype(int)
    keep = [
        "fips",
        "state",
        "year",
        "source",
        "population",
        "coverage",
        "cohort_287g",
        "treated_287g",
    ]
    keep += [c for c in df.columns if c.endswith("_rate")]
    df = df[keep].sort_values(["fips", "year"]).reset_index(drop=True)
    treated = df.groupby("fips")["cohort_287g"].first()
    meta = {
        "unit": "county",
        "years": [first_year, last_year],
        "n_units": int(df["fips"].nunique()),
        "n_treated": int((treated > 0).sum()),
        "outcome_kind": "offences known (crime)",
        "vintage": {
            "crime": f"county_offenses ({', '.join(sorted(df['source'].unique()))})",
            "treatment": f"county_year_287g.{coh_col}",
        },
        "rule": f"cohort_287g = county_year_287g.{coh_col} when in {lo}-{hi}; 0 = not treated in the panel",
        "sample_flow": flow,
    }
    return Frame(df, meta)
