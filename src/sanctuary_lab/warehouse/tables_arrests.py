"""County arrest panel and ICE ERO figures (built after ``tables_policy``).

Tables
------
county_arrests
    One row per county-year (ICPSR county-level UCR arrests, all ages): ``fips, year, series``
    (``'pre-1994'`` = 1977-1992, ``'1994+'`` = 1994-2008; ICPSR changed its imputation in 1994 and
    1993 is missing), ``series_break`` (the year the later series starts, 1994), ``source``,
    ``icpsr_study``, ``layout``, arrest counts (``all_arrests, part1, violent, property, murder,
    rape, robbery, agg_assault, burglary, larceny, motor_vehicle_theft, arson`` and, 1994+, Part II
    offences ``other_assault ... runaway``), ``pop_covered`` (population of the agencies reporting
    arrests), ``county_population`` (1986-1992 layouts only), ``agencies``, ``jurflag``,
    ``coverage`` (COVIND 0-100; NULL before 1994, when the files carry none), ``reporting``
    (``'full'`` COVIND 100, ``'partial'`` 0 < COVIND < 100, ``'imputed'`` COVIND 0: counts wholly
    imputed by ICPSR, ``'none'`` = ICPSR missing-data code, ``'unknown'`` = pre-1994 files, which
    carry no COVIND), arrest rates per 10,000 population covered
    (``all_arrests_rate_10k, part1_rate_10k, violent_rate_10k, property_rate_10k``).
    Counts are NULL where ``reporting = 'none'`` (a missing report is not a zero); imputed counts
    are kept (filter on ``coverage`` to drop them).
icpsr_arrest_files
    One row per ICPSR file: year(s), layout, ``status`` (``parsed`` / ``unmapped``), rows kept,
    the violent-sum layout check and national sums over all records.
ice_ero_arrests
    ICE ERO figures FY2016-FY2020 as cited: ``fiscal_year, measure, value, unit, value_type,
    bound`` (``'lower'`` when the source says "more than"), ``source_url, source_kind, quote``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sanctuary_lab.sources.ucr_county_arrests_icpsr import ARREST_COUNTS, SERIES_BREAK_YEAR
from sanctuary_lab.warehouse.contract import columns

RATE_COUNTS = ["all_arrests", "part1", "violent", "property"]

COLUMNS = columns("county_arrests")


def county_arrests(staged: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """County-year arrests from the staged ICPSR files (see module docstring)."""
    stg = staged.get("stg_icpsr_county_arrests")
    if stg is None or stg.empty:
        return pd.DataFrame(columns=COLUMNS)
    out = stg.reindex(columns=[c for c in COLUMNS if c in stg.columns or c in ARREST_COUNTS])
    out = out.copy()
    out["year"] = out["year"].astype("int64")
    out["series"] = np.where(out["year"] >= SERIES_BREAK_YEAR, "1994+", "pre-1994")
    out["series_break"] = SERIES_BREAK_YEAR
    out["source"] = "icpsr_county_arrests"
    cov = out["coverage"] if "coverage" in out else pd.Series(np.nan, index=out.index)
    none = (out["all_arrests"].isna() | out["pop_covered"].isna()).to_numpy()
    out["reporting"] = np.select(
        [none, cov.isna().to_numpy(), (cov >= 100).to_numpy(), (cov <= 0).to_numpy()],
        ["none", "unknown", "full", "imputed"],
        default="partial",
    )
    for c in ARREST_COUNTS:
        if c not in out:
            out[c] = np.nan
        out[c] = out[c].mask(none).round().astype("Int64")
    for c in ("pop_covered", "county_population", "agencies", "jurflag"):
        if c not in out:
            out[c] = np.nan
        out[c] = out[c].round().astype("Int64")
    out["coverage"] = cov.astype("float64")
    pop = out["pop_covered"].astype("float64").where(lambda s: s > 0)
    for c in RATE_COUNTS:
        out[f"{c}_rate_10k"] = (out[c].astype("float64") / pop * 1e4).astype("float64")
    out["layout"] = out["layout"].astype("Int64")
    return out.reindex(columns=COLUMNS).reset_index(drop=True)


def ice_ero_arrests(staged: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The cited ICE ERO figures, one row per fiscal year and measure."""
    stg = staged.get("stg_ice_ero_figures")
    cols = columns("ice_ero_arrests")
    if stg is None:
        return pd.DataFrame(columns=cols)
    return stg.reindex(columns=cols).reset_index(drop=True)


def derive(
    staged: dict[str, pd.DataFrame], final: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """Build ``county_arrests``, ``icpsr_arrest_files`` and ``ice_ero_arrests``."""
    out = {
        "county_arrests": county_arrests(staged),
        "ice_ero_arrests": ice_ero_arrests(staged),
    }
    files = staged.get("stg_icpsr_arrest_files")
    if files is not None:
        out["icpsr_arrest_files"] = files.copy()
    return out


QUALITY_CHECKS = [
    (
        "county_arrests 1994+ county-years with full coverage (COVIND 100) / all 1994+ county-years",
        "SELECT count(*) FILTER (WHERE reporting = 'full'), count(*) FROM county_arrests "
        "WHERE series = '1994+'",
    ),
    (
        "county_arrests pre-1994 county-years with an ICPSR missing-data code / all pre-1994",
        "SELECT count(*) FILTER (WHERE reporting = 'none'), count(*) FROM county_arrests "
        "WHERE series = 'pre-1994'",
    ),
    (
        "ICPSR arrest files parsed / all files (unmapped files are not guessed)",
        "SELECT count(*) FILTER (WHERE status = 'parsed'), count(*) FROM icpsr_arrest_files",
    ),
]

QUALITY_LISTS: list[tuple[str, str, str]] = []
