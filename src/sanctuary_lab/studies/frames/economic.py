"""County-year economic panels: unemployment, population growth, net international migration,
income and poverty, each with a 287(g) or a detainer-decline ("sanctuary") treatment timing.

Three frame builders (registered in :data:`sanctuary_lab.studies.registry.FRAMES`):

- :func:`county_unemployment_panel` — BLS LAUS annual unemployment rates 2007-2017 (via usdata).
- :func:`county_population_panel` — Census popest Vintage 2019: population growth and net
  international migration (NIM) per 1,000 residents, 2011-2019.
- :func:`county_acs_panel` — ACS 5-year income and poverty, two *non-overlapping* vintages only,
  each assigned to the middle year of its window (a long difference, never annual data).

Treatment timing (``treatment`` parameter of every builder):

- ``"287g"``: cohort = first year a 287(g) agreement covers the county, read by
  :func:`cohorts_287g` from the ``county_year_287g`` column :data:`COHORT_287G_COLUMN` (the only
  line to change if the treatment data renames it). Treatment is *ever signed* (absorbing, an
  intention-to-treat): many 2005-2009 agreements ended in 2012-2013, which this coding ignores.
- ``"detainer_declines"``: Wong's (2017) classification (share of matched detainers recorded as
  "Detainer Declined by LEA" above ``decline_threshold`` among counties with at least
  ``min_detainers``), dated to a common ``adoption_year`` (default 2014). The warehouse holds no
  county adoption dates: the detainer file pools FY2008-2015, so the date is an assumption (the
  2014 wave of county detainer limits followed *Miranda-Olivares v. Clackamas County*, D. Or.,
  11 April 2014), stated in every frame's ``meta["rule"]``.

Every frame carries ``nchs_class`` (NCHS 2013 urban-rural code, 1 = large central metro ...
6 = noncore) and ``nchs_group`` (:data:`NCHS_GROUPS`) for heterogeneity fits, plus ``nonmetro``
(classes 5-6) and ``treated_x_nonmetro`` for a direct test of a larger effect in small counties.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.studies.reading import Frame, load, num

#: ``county_year_287g`` column read as the county's 287(g) cohort (first year covered).
COHORT_287G_COLUMN = "first_year"

#: NCHS 2013 urban-rural code -> heterogeneity group used by the economic studies
NCHS_GROUPS: dict[int, str] = {
    1: "large_metro",
    2: "large_metro",
    3: "medium_small_metro",
    4: "medium_small_metro",
    5: "nonmetro",
    6: "nonmetro",
}

#: years of the BLS LAUS series in ``county_unemployment`` (usdata's ``unemployment_rate_2019``
#: is the ACS 2015-2019 rate for ages 20-64, a different measure, so 2018+ is refused)
LAUS_YEARS = (2007, 2017)

#: ACS 5-year vintages the income/poverty panel accepts: label -> (first year, last year)
ACS_VINTAGES: dict[str, tuple[int, int]] = {
    "quickfacts2014/acs2009_2013": (2009, 2013),
    "acs2011_2015": (2011, 2015),
    "acs2013_2017": (2013, 2017),
    "acs2015_2019": (2015, 2019),
}

Treatment = Literal["287g", "detainer_declines"]
YearRule = Literal["mid", "end"]


def _check_params(**params: Any) -> None:
    """Study-file parameters must have the right types (a one-line error naming the key)."""
    for key, value in params.items():
        numeric = key == "decline_threshold"
        ok = isinstance(value, (int, float) if numeric else int) and not isinstance(value, bool)
        if not ok or (numeric and not 0 <= value < 1) or (key == "min_detainers" and value < 0):
            want = "a number in [0, 1)" if numeric else "an integer"
            raise SpecError(f"parameter {key!r} must be {want}, got {value!r}")


def cohorts_287g(con: duckdb.DuckDBPyConnection) -> pd.Series:
    """First 287(g) year per county (index: 5-digit FIPS), from ``county_year_287g``.

    Reads :data:`COHORT_287G_COLUMN`; counties never covered are absent from the result.
    """
    df = load(con, "county_year_287g", ["fips", "any_287g", COHORT_287G_COLUMN])
    first = num(df[COHORT_287G_COLUMN])
    covered = num(df["any_287g"]) > 0
    out = first.where(covered).groupby(df["fips"]).min().dropna()
    return out.astype(int)


def nchs_classes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``fips, state, nchs_class, nchs_group`` for every county in ``counties``."""
    c = load(con, "counties", ["fips", "state"], ["nchs_code"])
    c["nchs_class"] = num(c.pop("nchs_code")) if "nchs_code" in c else np.nan
    c["nchs_group"] = c["nchs_class"].map(lambda v: NCHS_GROUPS.get(int(v)) if v == v else None)
    return c


def _treatment(
    con: duckdb.DuckDBPyConnection,
    treatment: str,
    *,
    first_year: int,
    last_year: int,
    adoption_year: int,
    min_detainers: int,
    decline_threshold: float,
    min_cohort_size: int = 1,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Counties in the design (``fips, cohort``; 0 = not treated by ``last_year``) and metadata."""
    _check_params(
        first_year=first_year,
        last_year=last_year,
        adoption_year=adoption_year,
        min_detainers=min_detainers,
        decline_threshold=decline_threshold,
    )
    counties = nchs_classes(con)[["fips"]]
    if treatment == "287g":
        first = cohorts_287g(con)
        df = counties.assign(cohort=counties["fips"].map(first).fillna(0).astype(int))
        early = df.loc[(df["cohort"] > 0) & (df["cohort"] <= first_year)]
        df = df.loc[~df["fips"].isin(early["fips"])].copy()
        df.loc[df["cohort"] > last_year, "cohort"] = 0
        if (
            isinstance(min_cohort_size, bool)
            or not isinstance(min_cohort_size, int)
            or min_cohort_size < 1
        ):
            raise SpecError(
                f"parameter 'min_cohort_size' must be an integer >= 1, got {min_cohort_size!r}"
            )
        sizes = df.loc[df["cohort"] > 0, "cohort"].value_counts()
        small = sorted(int(g) for g in sizes.index[sizes < min_cohort_size])
        n_small = int(df["cohort"].isin(small).sum())
        df = df.loc[~df["cohort"].isin(small)].copy()
        meta = {
            "treatment": "287(g) agreement signed (signing year)",
            "rule": (
                f"cohort = county_year_287g.{COHORT_287G_COLUMN} (the signing year of the first "
                f"287(g) agreement covering the county), absorbing ('ever signed'); cohorts after "
                f"{last_year} count as untreated; counties first covered in or before {first_year} "
                f"(no pre-period) are dropped; cohorts of fewer than {min_cohort_size} counties are "
                "dropped (their cohort-specific pre-tests are not estimable)"
            ),
            "dropped": {
                "counties_treated_at_or_before_first_year": int(len(early)),
                f"counties_in_cohorts_under_{min_cohort_size}": n_small,
            },
            "small_cohorts_dropped": small,
        }
        return df, meta
    if treatment == "detainer_declines":
        decl = load(con, "county_detainer_declines", ["fips", "n_detainers", "n_declined"])
        decl["n_detainers"] = num(decl["n_detainers"])
        decl["n_declined"] = num(decl["n_declined"])
        n_all = len(decl)
        decl = decl.loc[decl["n_detainers"] >= min_detainers].copy()
        share = decl["n_declined"] / decl["n_detainers"]
        decl["cohort"] = np.where(share > decline_threshold, adoption_year, 0).astype(int)
        if not first_year < adoption_year <= last_year:
            raise SpecError(
                f"adoption_year {adoption_year} must lie after first_year {first_year} and no "
                f"later than last_year {last_year}"
            )
        meta = {
            "treatment": f"detainer declines recorded (Wong 2017 rule), dated {adoption_year}",
            "rule": (
                f"sanctuary = share of matched ICE detainers recorded 'Detainer Declined by LEA' > "
                f"{decline_threshold} among counties with >= {min_detainers} matched detainers "
                f"(NPR FOIA, pooled FY2008-2015); cohort = {adoption_year} for every sanctuary "
                "county (ASSUMED common timing: the warehouse has no county adoption dates; the "
                "2014 wave followed Miranda-Olivares v. Clackamas County, D. Or. 11 April 2014)"
            ),
            "dropped": {
                "counties_with_detainer_records": n_all,
                f"kept_with_>=_{min_detainers}_detainers": int(len(decl)),
            },
        }
        return decl[["fips", "cohort"]].merge(counties, on="fips"), meta
    raise SpecError(f"treatment must be '287g' or 'detainer_declines', got {treatment!r}")


def _finish(
    df: pd.DataFrame,
    con: duckdb.DuckDBPyConnection,
    meta: dict[str, Any],
    outcomes: list[str],
) -> Frame:
    """Add NCHS classes and the post indicator, count units, return the :class:`Frame`."""
    df = df.merge(nchs_classes(con), on="fips", how="left")
    df["treated"] = ((df["cohort"] > 0) & (df["year"] >= df["cohort"])).astype(int)
    _interact(df)
    df["year"] = df["year"].astype(int)
    df = df.sort_values(["fips", "year"]).reset_index(drop=True)
    units = df.drop_duplicates("fips")
    cohorts = units.loc[units["cohort"] > 0, "cohort"].value_counts().sort_index()
    meta.update(
        {
            "unit": "county",
            "n_units": int(len(units)),
            "n_treated": int((units["cohort"] > 0).sum()),
            "cohort_sizes": {str(k): int(v) for k, v in cohorts.items()},
            "treated_by_nchs_group": {
                str(k): int(v)
                for k, v in units.loc[units["cohort"] > 0, "nchs_group"]
                .value_counts()
                .sort_index()
                .items()
            },
            "outcomes": outcomes,
        }
    )
    flow = {"counties in the panel": int(len(units)), "treated counties": meta["n_treated"]}
    flow.update({f"treated, cohort {k}": v for k, v in meta["cohort_sizes"].items()})
    flow.update({f"treated, {k}": v for k, v in meta["treated_by_nchs_group"].items()})
    meta["sample_flow"] = flow
    return Frame(df, meta)


def _interact(df: pd.DataFrame) -> None:
    """Add ``nonmetro`` (NCHS 5-6; missing when the class is) and ``treated_x_nonmetro``."""
    df["nonmetro"] = (df["nchs_class"] >= 5).astype(float).where(df["nchs_class"].notna())
    df["treated_x_nonmetro"] = df["treated"] * df["nonmetro"]


def _panel_frame(
    con: duckdb.DuckDBPyConnection,
    outcomes_df: pd.DataFrame,
    n_unbalanced: int,
    outcomes: list[str],
    *,
    treatment: str,
    first_year: int,
    last_year: int,
    adoption_year: int,
    min_detainers: int,
    decline_threshold: float,
    min_cohort_size: int,
    extra: dict[str, Any],
) -> Frame:
    """A county-year outcome panel joined to its treatment counties (:func:`_treatment`), with the
    years, the unbalanced-county count and ``extra`` recorded in the metadata."""
    units, meta = _treatment(
        con,
        treatment,
        first_year=first_year,
        last_year=last_year,
        adoption_year=adoption_year,
        min_detainers=min_detainers,
        decline_threshold=decline_threshold,
        min_cohort_size=min_cohort_size,
    )
    df = outcomes_df.merge(units, on="fips", how="inner")
    meta["dropped"]["counties_missing_a_year"] = n_unbalanced
    meta.update({"years": [first_year, last_year], **extra})
    return _finish(df, con, meta, outcomes)


def _balanced(df: pd.DataFrame, columns: list[str], n_years: int) -> tuple[pd.DataFrame, int]:
    """Keep counties observed with finite ``columns`` in all ``n_years`` years."""
    ok = df.dropna(subset=columns)
    full = ok.groupby("fips")["year"].transform("nunique") == n_years
    kept = ok.loc[full]
    return kept.copy(), int(df["fips"].nunique() - kept["fips"].nunique())


def county_unemployment_panel(
    con: duckdb.DuckDBPyConnection,
    *,
    first_year: int = 2007,
    last_year: int = 2017,
    treatment: Treatment = "287g",
    adoption_year: int = 2014,
    min_detainers: int = 10,
    decline_threshold: float = 0.0,
    min_cohort_size: int = 1,
) -> Frame:
    """County-year BLS LAUS unemployment rate (annual average, %), balanced, with treatment timing.

    Source: ``county_unemployment`` (usdata ``unemployment_rate_2007``..``_2017``, BLS LAUS).
    Years after 2017 are refused: the usdata 2019 value is the ACS 2015-2019 rate for ages
    20-64 (a different measure; the table labels it LAUS). Counties missing any year are dropped.
    """
    _check_params(first_year=first_year, last_year=last_year)
    lo, hi = LAUS_YEARS
    if not lo <= first_year < last_year <= hi:
        raise SpecError(
            f"county_unemployment_panel: years must satisfy {lo} <= first_year < last_year <= "
            f"{hi} (the BLS LAUS years held), got {first_year}-{last_year}"
        )
    une = load(con, "county_unemployment", ["fips", "year", "unemployment_rate"])
    une["year"] = num(une["year"])
    une["unemployment_rate"] = num(une["unemployment_rate"])
    une = une.loc[une["year"].between(first_year, last_year)]
    une = une.drop_duplicates(["fips", "year"])
    une, n_unbalanced = _balanced(une, ["unemployment_rate"], last_year - first_year + 1)
    return _panel_frame(
        con,
        une,
        n_unbalanced,
        ["unemployment_rate"],
        treatment=treatment,
        first_year=first_year,
        last_year=last_year,
        adoption_year=adoption_year,
        min_detainers=min_detainers,
        decline_threshold=decline_threshold,
        min_cohort_size=min_cohort_size,
        extra={
            "vintage": {"unemployment": "BLS LAUS annual averages via usdata county_complete"},
        },
    )


def county_population_panel(
    con: duckdb.DuckDBPyConnection,
    *,
    first_year: int = 2011,
    last_year: int = 2019,
    treatment: Treatment = "287g",
    adoption_year: int = 2014,
    min_detainers: int = 10,
    decline_threshold: float = 0.0,
    min_cohort_size: int = 1,
) -> Frame:
    """County-year population growth and net international migration (Census popest V2019).

    ``pop_growth`` = 100 x (log P_t - log P_{t-1}) with P the 1 July estimate;
    ``nim_rate`` = NIM_t / mean(P_{t-1}, P_t) x 1,000 (Census's own rate definition: NIM_t covers
    1 July t-1 to 30 June t). 2010 holds only April-June 2010 components, so the first outcome
    year is 2011. ``log_population`` is kept as a level.
    """
    _check_params(first_year=first_year, last_year=last_year)
    if not 2011 <= first_year < last_year <= 2019:
        raise SpecError(
            "county_population_panel: years must satisfy 2011 <= first_year < last_year <= 2019 "
            f"(popest V2019 components; 2010 is a partial year), got {first_year}-{last_year}"
        )
    pop = load(
        con, "stg_popest_county", ["fips", "year", "population", "net_international_migration"]
    )
    for c in ("year", "population", "net_international_migration"):
        pop[c] = num(pop[c])
    pop = pop.drop_duplicates(["fips", "year"]).sort_values(["fips", "year"])
    prev = pop.groupby("fips")["population"].shift(1)
    prev_year = pop.groupby("fips")["year"].shift(1)
    prev = prev.where(prev_year == pop["year"] - 1)
    pop["log_population"] = np.log(pop["population"].where(pop["population"] > 0))
    pop["pop_growth"] = 100 * (pop["log_population"] - np.log(prev.where(prev > 0)))
    pop["nim"] = pop.pop("net_international_migration")
    pop["nim_rate"] = pop["nim"] / ((prev + pop["population"]) / 2) * 1000
    pop = pop.loc[pop["year"].between(first_year, last_year)]
    pop, n_unbalanced = _balanced(pop, ["pop_growth", "nim_rate"], last_year - first_year + 1)
    return _panel_frame(
        con,
        pop,
        n_unbalanced,
        ["pop_growth", "nim_rate", "log_population"],
        treatment=treatment,
        first_year=first_year,
        last_year=last_year,
        adoption_year=adoption_year,
        min_detainers=min_detainers,
        decline_threshold=decline_threshold,
        min_cohort_size=min_cohort_size,
        extra={
            "vintage": {"population": "Census popest Vintage 2019 (co-est2019-alldata)"},
            "outcome_rules": {
                "pop_growth": "100 x (log P_t - log P_t-1), 1 July estimates",
                "nim_rate": "net international migration per 1,000 mean(P_t-1, P_t)",
            },
        },
    )


def vintage_year(vintage: str, rule: str = "mid") -> int:
    """The year an ACS 5-year vintage is assigned to: ``"mid"`` (window centre) or ``"end"``."""
    if vintage not in ACS_VINTAGES:
        raise SpecError(f"unknown ACS vintage {vintage!r}; choose one of {sorted(ACS_VINTAGES)}")
    lo, hi = ACS_VINTAGES[vintage]
    if rule == "mid":
        return (lo + hi) // 2
    if rule == "end":
        return hi
    raise SpecError(f"year_rule must be 'mid' or 'end', got {rule!r}")


def _vintage_label_years(label: str) -> tuple[int, int] | None:
    """(first, last) years of a covariate vintage label like ``acs2011_2015`` (None if not ACS)."""
    if label in ACS_VINTAGES:
        return ACS_VINTAGES[label]
    m = re.search(r"acs(\d{4})_(\d{4})", label)
    return (int(m.group(1)), int(m.group(2))) if m else None


def county_acs_long_difference(
    con: duckdb.DuckDBPyConnection,
    *,
    pre_vintage: str = "quickfacts2014/acs2009_2013",
    post_vintage: str = "acs2015_2019",
    year_rule: YearRule = "mid",
    treatment: Treatment = "287g",
    adoption_year: int = 2014,
    min_detainers: int = 10,
    decline_threshold: float = 0.0,
) -> Frame:
    """Change in median household income and poverty between two non-overlapping ACS vintages.

    One row per county (a long difference): ``d_<outcome>`` = post-vintage value minus
    pre-vintage value, so a regression of ``d_<outcome>`` on ``treated`` is the two-period DiD.
    Each vintage is dated by ``year_rule`` (``"mid"``: the middle year of the 5-year window,
    e.g. 2009-2013 -> 2011; ``"end"``: its last year). Overlapping vintages are refused: 5-year
    estimates that share survey years are not independent periods.

    Treatment: with ``"287g"``, treated = first covered after the pre window ends and no later
    than the post window's middle year; counties covered during the pre window, or later within
    the post window, are dropped (their exposure straddles the periods); untreated = not covered
    by the end of the post window. With ``"detainer_declines"``, ``adoption_year`` must fall
    after the pre window and no later than the post window's middle year. The dating rule
    changes the stated years only, never the sample.
    """
    _check_params(adoption_year=adoption_year, min_detainers=min_detainers)
    _check_params(decline_threshold=decline_threshold)
    if not isinstance(pre_vintage, str) or not isinstance(post_vintage, str):
        raise SpecError("parameters 'pre_vintage' and 'post_vintage' must be vintage labels")
    pre = ACS_VINTAGES.get(pre_vintage)
    post = ACS_VINTAGES.get(post_vintage)
    if pre is None or post is None:
        raise SpecError(
            f"county_acs_long_difference: vintages must be among {sorted(ACS_VINTAGES)}, got "
            f"{pre_vintage!r}, {post_vintage!r}"
        )
    if pre[1] >= post[0]:
        raise SpecError(
            f"county_acs_long_difference: ACS vintages {pre_vintage} ({pre[0]}-{pre[1]}) and "
            f"{post_vintage} ({post[0]}-{post[1]}) overlap or are out of order; 5-year "
            "estimates sharing survey years are not independent periods — choose "
            "non-overlapping vintages"
        )
    t_pre, t_post = vintage_year(pre_vintage, year_rule), vintage_year(post_vintage, year_rule)
    # treatment windows use the post window's middle year whatever the dating rule, so the rule
    # changes only the stated dates, never the sample
    mid_post = vintage_year(post_vintage, "mid")
    cov = load(
        con,
        "county_covariates",
        ["fips", "vintage", "median_household_income", "poverty_rate", "population"],
        where="WHERE vintage IN (?, ?)",
        params=[pre_vintage, post_vintage],
    )
    outcomes = ["median_household_income", "poverty_rate", "population"]
    for c in outcomes:
        cov[c] = num(cov[c])
    cov = cov.drop_duplicates(["fips", "vintage"])
    wide = cov.pivot(index="fips", columns="vintage", values=outcomes)
    df = pd.DataFrame(index=wide.index)
    for c in outcomes:
        a = wide.get((c, pre_vintage), np.nan)
        b = wide.get((c, post_vintage), np.nan)
        df[f"{c}_pre"], df[f"{c}_post"] = a, b
    df["d_median_household_income"] = (
        df["median_household_income_post"] - df["median_household_income_pre"]
    )
    df["d_income_thousands"] = df["d_median_household_income"] / 1000
    pos = df[["median_household_income_pre", "median_household_income_post"]].where(lambda x: x > 0)
    df["d_log_income"] = np.log(pos.iloc[:, 1]) - np.log(pos.iloc[:, 0])
    df["d_poverty_rate"] = df["poverty_rate_post"] - df["poverty_rate_pre"]
    df["log_population_pre"] = np.log(df["population_pre"].where(df["population_pre"] > 0))
    df = df.reset_index()
    if treatment == "287g":
        first = cohorts_287g(con)
        counties = nchs_classes(con)[["fips"]]
        c = counties["fips"].map(first).fillna(0).astype(int)
        straddle = ((c > 0) & (c <= pre[1])) | ((c > mid_post) & (c <= post[1]))
        units = counties.assign(cohort=np.where((c > pre[1]) & (c <= mid_post), t_post, 0))
        units = units.loc[~straddle.to_numpy()]
        meta: dict[str, Any] = {
            "treatment": "287(g) agreement signed between the two ACS windows",
            "rule": (
                f"treated = first 287(g) year (county_year_287g.{COHORT_287G_COLUMN}) in "
                f"{pre[1] + 1}-{mid_post}; untreated = not covered by {post[1]}; counties covered "
                f"by {pre[1]} or in {mid_post + 1}-{post[1]} are dropped"
            ),
            "dropped": {"counties_exposure_straddles_periods": int(straddle.sum())},
        }
    else:
        if not pre[1] < adoption_year <= mid_post:
            raise SpecError(
                f"county_acs_long_difference: adoption_year {adoption_year} must fall after the "
                f"pre window ({pre[1]}) and no later than the post window's middle year "
                f"({mid_post})"
            )
        units, meta = _treatment(
            con,
            treatment,
            first_year=pre[1],
            last_year=mid_post,
            adoption_year=adoption_year,
            min_detainers=min_detainers,
            decline_threshold=decline_threshold,
        )
        units["cohort"] = np.where(units["cohort"] > 0, t_post, 0)
    df = df.merge(units, on="fips", how="inner")
    df = df.dropna(subset=["d_median_household_income"]).copy()
    df["year"] = t_post
    meta.setdefault("dropped", {})
    meta["n_with_poverty_change"] = int(df["d_poverty_rate"].notna().sum())
    meta.update(
        {
            "years": [t_pre, t_post],
            "vintage": {"pre": pre_vintage, "post": post_vintage},
            "year_rule": (
                f"each ACS 5-year vintage is one period dated to its {year_rule} year "
                f"({pre_vintage} -> {t_pre}, {post_vintage} -> {t_post}); the vintages do not "
                "overlap; outcomes are post-minus-pre changes (a long difference)"
            ),
        }
    )
    out = _finish(
        df,
        con,
        meta,
        ["d_median_household_income", "d_income_thousands", "d_log_income", "d_poverty_rate"],
    )
    out.data = out.data.drop(columns="year")
    out.data["treated"] = (out.data["cohort"] > 0).astype(int)
    _interact(out.data)
    return out
