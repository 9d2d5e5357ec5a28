"""Policy final tables: 287(g), Secure Communities, detainers, ICE AORs (built after ``tables_core``).

Tables
------
agencies
    FBI agency list with county FIPS: ori, ori7, agency name/type, state, county name(s), fips
    (primary = most populous listed county), fips_first_listed, fips_list, county_match. For
    ORI -> county joins.
    See :func:`._policy_geo.agencies`.
policy_287g
    One row per 287(g) agency from all sources (DDP pre-2018, WaPo 2005-2019, ICE lists
    2007/08, ICE sheet Dec 2024, ICE snapshots 2025, MOAs 2025-26), de-duplicated, with county
    FIPS, ORI, models, signing/roster dates, confidence, ``sources``/``n_sources``. Every
    de-duplication rule is in :mod:`._policy_287g`.
county_year_287g
    fips x year 2002-2026: any_287g (NULL where the sources cannot say), known, n_agreements,
    models, first_year (cohort), county_jail_287g / county_jail_first_year /
    county_jail_end_year / county_jail_date_basis, sources, coverage. See :mod:`._policy_287g`.
policy_287g_date_conflicts
    every source date that disagrees with an agreement's chosen start or end year (listed in
    ``sanctuary-lab quality``; nothing is resolved by earliest-wins).
policy_sc_coverage
    state x year 2000-2015 population-weighted Secure Communities and 287(g) shares; method in
    :mod:`._policy_sc` and docs/data.md. ``policy_sc_coverage_cpuma`` keeps the CPUMA level with
    state and weight attached.
detainer_outcomes
    facility x lift reason (public and private facilities), from NPR.
detainers_national_by_reason / _by_year / _by_month / _by_type / _lifted
    NPR's national series.
detainer_facility_county, county_detainer_declines
    facility -> county match with method, confidence and custody class, and county decline
    shares from matched public facilities; see :mod:`._policy_detainers`. The quality report
    gives the local-custody match rate and lists every unmatched facility.
ice_aor
    county fips -> ICE AOR code (UWCHR), with the AOR's field office address. The AOR indicators
    and DDP's office list stay as ``stg_aor_demog`` / ``stg_ddp_aor_offices``.

Counties come from the core ``counties`` table (``tables_core``, built before). If it is absent (a
partial build) the UWCHR county list is used instead and a caveat row says so.
"""

from __future__ import annotations

import pandas as pd

from sanctuary_lab.warehouse import _policy_287g, _policy_detainers, _policy_geo, _policy_sc
from sanctuary_lab.warehouse.contract import columns

NATIONAL = [
    "detainers_national_by_reason",
    "detainers_national_by_year",
    "detainers_national_by_month",
    "detainers_national_by_type",
    "detainers_national_lifted",
]

QUALITY_CHECKS = [
    (
        "FBI agencies with a county name matched to a county FIPS / agencies with a county name",
        "SELECT count(*) FILTER (WHERE fips IS NOT NULL), count(*) FILTER (WHERE county_names IS NOT NULL) "
        "FROM agencies",
    ),
    (
        "287(g) local agreements with a county FIPS / local or unclassified agreements",
        "SELECT count(*) FILTER (WHERE fips IS NOT NULL), count(*) FROM policy_287g "
        "WHERE jurisdiction IS DISTINCT FROM 'statewide'",
    ),
    (
        "287(g) county-years with known status / all county-years 2002-2026",
        "SELECT count(*) FILTER (WHERE known), count(*) FROM county_year_287g",
    ),
    (
        "detainer facilities matched to a county (any confidence) / all named facilities",
        "SELECT count(*) FILTER (WHERE fips IS NOT NULL), count(*) FROM detainer_facility_county",
    ),
    (
        "detainer facilities matched with high/medium confidence / all named facilities",
        "SELECT count(*) FILTER (WHERE match_confidence IN ('high', 'medium')), count(*) "
        "FROM detainer_facility_county",
    ),
    (
        "detainers at facilities matched to a county (any confidence) / all detainers (incl. blank facility)",
        "SELECT (SELECT sum(n_detainers) FROM detainer_facility_county WHERE fips IS NOT NULL), "
        "(SELECT sum(count) FROM detainer_outcomes)",
    ),
    (
        "DETAINER MATCH RATE (local custody): detainers at county/city jails and police matched "
        "to a county (any confidence) / detainers at local-custody facilities",
        "SELECT sum(n_detainers) FILTER (WHERE fips IS NOT NULL), sum(n_detainers) "
        "FROM detainer_facility_county WHERE custody = 'local'",
    ),
    (
        "detainers at local-custody facilities matched with high/medium confidence / detainers at "
        "local-custody facilities",
        "SELECT sum(n_detainers) FILTER (WHERE match_confidence IN ('high', 'medium')), "
        "sum(n_detainers) FROM detainer_facility_county WHERE custody = 'local'",
    ),
    (
        "detainers at state prisons, federal, juvenile, private or unnamed ('OTHER-OTHER') "
        "facilities (not a county jurisdiction) / all detainers",
        "SELECT (SELECT sum(n_detainers) FROM detainer_facility_county WHERE custody <> 'local'), "
        "(SELECT sum(count) FROM detainer_outcomes)",
    ),
    (
        "declined detainers at facilities matched to a county / all declined detainers",
        "SELECT (SELECT sum(n_declined) FROM detainer_facility_county WHERE fips IS NOT NULL), "
        "(SELECT sum(count) FROM detainer_outcomes WHERE lift_reason = 'Detainer Declined by LEA')",
    ),
    (
        "SC coverage CPUMA-years with a population weight / CPUMA-years",
        "SELECT count(*) FILTER (WHERE population IS NOT NULL), count(*) FROM policy_sc_coverage_cpuma",
    ),
    (
        "counties with an ICE AOR / counties",
        "SELECT (SELECT count(*) FROM counties k JOIN ice_aor a USING (fips)), (SELECT count(*) FROM counties)",
    ),
]


QUALITY_LISTS = [
    (
        "287g_date_conflicts",
        "287(g) source disagreements on a start or end date (chosen value by rule; none resolved "
        "by earliest-wins)",
        "SELECT state, agency, fips, field, source, source_says, chosen_year, years_apart, "
        "chosen_basis FROM policy_287g_date_conflicts ORDER BY state, agency, field, source",
    ),
    (
        "detainer_unmatched",
        "detainer facilities not matched to a county (most detainers first)",
        "SELECT facility, custody, facility_kind, match_method, n_detainers, n_declined "
        "FROM detainer_facility_county WHERE fips IS NULL ORDER BY n_detainers DESC, facility",
    ),
]


def _counties(
    staged: dict[str, pd.DataFrame], final: dict[str, pd.DataFrame]
) -> tuple[pd.DataFrame, bool]:
    c = final.get("counties")
    if c is not None and len(c):
        return c, False
    return _policy_geo.fallback_counties(staged), True


def _latest_population(final: dict[str, pd.DataFrame]) -> dict[str, float]:
    pop = final.get("county_population")
    if pop is None or pop.empty:
        return {}
    latest = (
        pop.dropna(subset=["population"]).sort_values("year").drop_duplicates("fips", keep="last")
    )
    return dict(zip(latest["fips"], latest["population"].astype(float), strict=True))


def _foreign_born(final: dict[str, pd.DataFrame]) -> dict[str, float]:
    """County foreign-born population (% foreign-born x population, latest vintage with both)."""
    cov = final.get("county_covariates")
    if cov is None or cov.empty or "pct_foreign_born" not in cov:
        return {}
    c = cov.dropna(subset=["pct_foreign_born", "population"])
    if c.empty:
        return {}
    c = c.sort_values("vintage").drop_duplicates("fips", keep="last")
    fb = c["pct_foreign_born"].astype(float) / 100 * c["population"].astype(float)
    return dict(zip(c["fips"], fb, strict=True))


def _ice_aor(staged: dict[str, pd.DataFrame]) -> pd.DataFrame:
    aor = staged.get("stg_uwchr_county_aor")
    if aor is None:
        return pd.DataFrame(columns=columns("ice_aor"))
    out = aor[["fips", "state_fips", "county_name", "aor"]].copy()
    offices = staged.get("stg_aor_field_office")
    if offices is not None:
        out = out.merge(offices[["aor", "field_office_addr"]], on="aor", how="left")
    return out


def derive(
    staged: dict[str, pd.DataFrame], final: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """Build the policy final tables (see module docstring)."""
    out: dict[str, pd.DataFrame] = {}
    counties, fallback = _counties(staged, final)
    index = _policy_geo.CountyIndex.from_counties(counties)
    population = _latest_population(final)
    ucr = staged.get("stg_ucr_agencies")
    agencies = (
        _policy_geo.agencies(ucr, index, population)
        if ucr is not None
        else pd.DataFrame(columns=columns("agencies"))
    )
    out["agencies"] = agencies
    agreements, recs = _policy_287g.agreements(staged, index, agencies)
    out["policy_287g"] = agreements
    out["county_year_287g"] = _policy_287g.county_year(agreements, recs, counties)
    out["policy_287g_date_conflicts"] = _policy_287g.date_conflicts(agreements, recs)
    pol, summ = staged.get("stg_sc_287g_cpuma"), staged.get("stg_cpuma_summary")
    if pol is not None and summ is not None:
        cp = _policy_sc.cpuma_coverage(pol, summ)
        out["policy_sc_coverage_cpuma"] = cp
        out["policy_sc_coverage"] = _policy_sc.state_coverage(cp)
    outcomes = staged.get("stg_detainer_facility_outcomes")
    if outcomes is not None:
        out["detainer_outcomes"] = outcomes.copy()
        fc = _policy_detainers.facility_county(
            outcomes, index, agencies, population, _foreign_born(final)
        )
        out["detainer_facility_county"] = fc
        out["county_detainer_declines"] = _policy_detainers.county_declines(fc)
    for name in NATIONAL:
        if f"stg_{name}" in staged:
            out[name] = staged[f"stg_{name}"].copy()
    out["ice_aor"] = _ice_aor(staged)
    if fallback:
        out["policy_caveats"] = pd.DataFrame(
            {
                "caveat": [
                    "core counties table absent: county names matched against the UWCHR AOR county list"
                ]
            }
        )
    return out
