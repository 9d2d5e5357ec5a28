"""287(g) agreements from all sources, de-duplicated, and county-year exposure (``tables_policy``).

Every source row first becomes an evidence record (:mod:`._policy_evidence`, which also says in
which years each source shows an agreement active).

De-duplication rules (one ``policy_287g`` row per agency)
---------------------------------------------------------
1. Records are grouped by (state, :func:`~._policy_geo.agency_key`), which merges spellings
   such as "AZ Department of Corrections" / "Arizona Department of Corrections" and
   "Sheriff's Office" / "Sheriff's Department" / "sheriff". Lower-case names (2025 sheets,
   MOAs) are title-cased for display.
2. A name that is only "<X> County" (WaPo's sheriff rows, DDP's "Anne Arundel County") is
   keyed as the county's sheriff.
3. Groups of sheriffs (or of county jails / detention centres) that resolve to the same county
   FIPS are merged ("Hartford County Sheriff's Office" = "Harford County Sheriff's Office");
   police departments are never merged on FIPS (several can share a county). The display name is
   taken from the highest-confidence record (DDP first among equals).
4. County FIPS: the source's own FIPS (DDP, then WaPo), else the ORI's county in ``agencies``,
   else the county of the agency-list agency with the same normalised name in the state (unique
   names only), else the county named in the agency name looked up in ``counties``
   (``fips_method`` says which). Statewide agencies have no FIPS.
5. Confidence: official ICE lists/sheets/MOAs count as ``high``; DDP rows keep DDP's own
   confidence; WaPo's curation counts as ``medium``; an agency seen in two or more sources is
   ``high``.
6. Jurisdiction: DDP's ``jurisdiction_level`` where given, else ``statewide`` for state agencies
   (:func:`is_statewide`; their county FIPS, if any, is the headquarters' county and they are
   not assigned to counties in ``county_year_287g``), else ``local`` when a county was found.
7. ``end_date`` is DDP's last roster date only when DDP marks the agreement terminated, the
   date is not the 2017-08-01 last-roster censoring date, and no later source shows it active.
   ``first_signed`` is the earliest signing date any source gives; for agencies known only from
   the Dec-2024 sheet it is the 2019-20 re-signing date, not first entry.
8. Adoption date (:func:`cohort_of`): ``cohort_date`` / ``cohort_year`` is the memorandum's
   signing date when DDP has one, else the earliest ICE MOA file date, else the Dec-2024 sheet's
   signing date; only then the labelled fallbacks (DDP's roster / fiscal-year window start, the
   first year a source lists the agreement). ``date_basis`` says which. ``end_year`` is the year
   of ``end_date``. Evidence years before ``cohort_year`` or after ``end_year`` do not count
   (``active_years`` and the county-year exposure use the clipped years). Disagreeing source
   dates are listed in ``policy_287g_date_conflicts`` (:func:`date_conflicts`), not resolved by
   taking the earliest.

County-year exposure (``county_year_287g``)
-------------------------------------------
For every county in ``counties`` and year 2002-2026: ``any_287g`` = 1 when a local agreement
in the county (every county of a multi-county agency) is active that year. Where the sources
cover the whole roster (2002-2017 from DDP's rosters and secondary lists, 2024 from ICE's sheet,
2025 from ICE's snapshots) a county without evidence gets 0. In the other years (2018-2023:
only WaPo's sheriffs and agreements still active in Dec 2024; 2026: MOAs only) a county without
evidence is NULL and ``known`` is False: absence is not observed. Statewide agreements
(state police, DOCs) are not assigned to counties. ``first_year`` is the first year with
``any_287g = 1`` (the adoption cohort); model flags are NULL where ``known`` is False.
``county_jail_287g`` counts only the county's own sheriff / jail agreement (single-county
agreements of ``agency_kind`` sheriff or jail), with ``county_jail_first_year``,
``county_jail_end_year`` and ``county_jail_date_basis`` of the earliest such agreement: the
exposure of every agency whose arrestees the county jail books (a declared alternative for
studies; the default for city panels is the agency's own agreement).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd

from sanctuary_lab.sources.geo import ABBR_TO_FIPS, STATES
from sanctuary_lab.warehouse._policy_evidence import Evidence, evidence
from sanctuary_lab.warehouse._policy_geo import (
    CountyIndex,
    agency_key,
    agency_name_index,
    county_from_agency,
)

YEARS = list(range(2002, 2027))
COMPLETE_YEARS = frozenset([*range(2002, 2018), 2024, 2025])
MODELS = ("jail", "task_force", "warrant_service")
RANK = {"low": 0, "medium": 1, "high": 2}
FIPS_ORDER = {
    "source FIPS": 0,
    "ORI -> agency list": 1,
    "name -> agency list": 2,
    "county name in agency name": 3,
}
_STATE_FORCE = re.compile(r"\bSTATE (POLICE|PATROL)\b|HIGHWAY PATROL")
_STATE_DEPT = re.compile(
    r"DEPARTMENT OF (CORRECTIONS|PUBLIC SAFETY|SAFETY)|BUREAU OF INVESTIGATION"
)
STATE_AGENCY_TYPES = frozenset({"State Police", "Other State Agency"})


def is_statewide(key: str | None, state: str, agency_types: set[str]) -> bool:
    """Rule 6: a state agency (not a county or city one).

    Never for names with "County" or for sheriffs. Otherwise true when the FBI agency list types
    the agency "State Police" / "Other State Agency"; when the name says state police / state
    patrol / highway patrol; or when it starts with the state's name or with "Department of"
    and is not a police department ("Florida Department of Law Enforcement", "Georgia Of Public
    Safety", ICE's bare "Department of Corrections").
    """
    key = key or ""
    if "COUNTY" in key or _kind(key) == "sheriff":
        return False
    if agency_types & STATE_AGENCY_TYPES or _STATE_FORCE.search(key):
        return True
    name = STATES[ABBR_TO_FIPS[state]][1].upper() if state in ABBR_TO_FIPS else "?"
    starts = key.startswith(f"{name} ") or key.startswith("DEPARTMENT OF ")
    return starts and _kind(key) != "police"


def _kind(key: str | None) -> str:
    key = key or ""
    if "SHERIFF" in key:
        return "sheriff"
    if "POLICE" in key:
        return "police"
    if re.search(r"\b(JAIL|DETENTION|CORRECTIONS)\b", key):
        return "jail"
    return "other"


def _locate(
    r: Evidence,
    index: CountyIndex,
    ori_fips: dict[str, str],
    names: dict[tuple[str, str], tuple[str, str]],
    ori_type: dict[str, str],
) -> None:
    """Set key, fips_list, fips and fips_method on an evidence record (rules 1, 2, 4)."""
    if r.agency == r.agency.lower():
        r.agency = r.agency.title()  # 2025 sheets and MOAs are lower case
    key = agency_key(r.agency, r.state)
    if key and re.fullmatch(r".*\b(COUNTY|PARISH)", key):
        key = f"{key} SHERIFF"
    r.key = key
    named = names.get((r.state, key)) if key else None
    if r.fips_list:
        r.fips_method = "source FIPS"
    elif r.ori and r.ori in ori_fips:
        r.fips_list, r.fips_method = ori_fips[r.ori], "ORI -> agency list"
    elif named is not None:
        r.fips_list, r.fips_method = named[1], "name -> agency list"
        r.ori = r.ori or named[0]
    else:
        county = county_from_agency(r.agency)
        hit = index.lookup(county, r.state) if county else None
        if hit is None and r.county_name and _kind(key) == "sheriff":
            hit = index.lookup(r.county_name, r.state)
        if hit:
            r.fips_list, r.fips_method = hit, "county name in agency name"
    r.fips = r.fips_list.split(";")[0].strip() if r.fips_list else None
    if r.ori is None and named is not None:
        r.ori = named[0]
    r.agency_type = ori_type.get(r.ori) if r.ori else None


def _group(recs: list[Evidence]) -> None:
    """Rules 1 and 3 with union-find; numbers groups 1..n in first-seen order."""
    parent = list(range(len(recs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_of: dict[tuple[object, ...], int] = {}
    for i, r in enumerate(recs):
        kind = _kind(r.key)
        keys: list[tuple[object, ...]] = [(r.state, "key", r.key)]
        if r.fips and kind in ("sheriff", "jail"):
            keys.append((r.state, "fips", r.fips, kind))
        for k in keys:
            parent[find(i)] = find(first_of.setdefault(k, i))
    number = {root: n + 1 for n, root in enumerate(sorted({find(i) for i in range(len(recs))}))}
    for i, r in enumerate(recs):
        r.group = number[find(i)]


def agreements(
    staged: dict[str, pd.DataFrame], index: CountyIndex, agencies: pd.DataFrame
) -> tuple[pd.DataFrame, list[Evidence]]:
    """The de-duplicated ``policy_287g`` table and the evidence records with their group id."""
    recs = evidence(staged)
    names = agency_name_index(agencies)
    has = agencies[agencies["fips"].notna()]
    ori_fips = dict(zip(has["ori7"], has["fips"], strict=True))
    ori_fips.update(dict(zip(has["ori"], has["fips"], strict=True)))
    ori_type = dict(zip(agencies["ori7"], agencies["agency_type"], strict=True))
    ori_type.update(dict(zip(agencies["ori"], agencies["agency_type"], strict=True)))
    for r in recs:
        _locate(r, index, ori_fips, names, ori_type)
    _group(recs)
    by_group: dict[int, list[Evidence]] = {}
    for r in recs:
        by_group.setdefault(r.group, []).append(r)
    out = pd.DataFrame([_merge(g, rs) for g, rs in by_group.items()])
    for c in ("first_signed", "latest_signed", "start_date", "end_date", "cohort_date"):
        out[c] = pd.to_datetime(out[c])
    for c in ("first_active_year", "last_active_year", "cohort_year", "end_year"):
        out[c] = out[c].astype("Int64")
    out["end_censored"] = out["end_censored"].astype("boolean")
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].astype("string")
    return out, recs


def cohort_of(rs: list[Evidence]) -> tuple[pd.Timestamp | None, int | None, str | None]:
    """Rule 8: the adoption date of one agreement and what it rests on (``date_basis``).

    In order: the memorandum's signing date (DDP's signing dates, taken from CRS RL32270, GAO,
    MPI and the other lists it cites); the date of the earliest ICE MOA file; the signing date on
    ICE's Dec-2024 sheet (a 2019-20 re-signing, not first entry); as labelled fallbacks, the start
    of DDP's roster / fiscal-year window (``active_from``, 1 October of the year before the FY)
    and, with no date at all, the first year a source lists the agreement.
    """
    ddp = sorted(d for r in rs if r.source == "ddp_pre2018" for d in r.signed)
    if ddp:
        src = next(
            (r.signed_source for r in rs if r.source == "ddp_pre2018" and r.signed_source), None
        )
        how = f"memorandum signing date (DDP; {src})" if src else "memorandum signing date (DDP)"
        return ddp[0], int(ddp[0].year), how
    moa = sorted(d for r in rs if r.source == "ice_moa" for d in r.signed)
    if moa:
        return moa[0], int(moa[0].year), "MOA date (ICE MOA file name; approximate signing date)"
    sheet = sorted(d for r in rs if r.source == "ice_sheet_2024" for d in r.signed)
    if sheet:
        return (
            sheet[0],
            int(sheet[0].year),
            "MOA signing date on ICE's Dec-2024 sheet (2019-20 re-signing, not first entry)",
        )
    win = sorted(r.active_from for r in rs if r.source == "ddp_pre2018" and r.active_from)
    if win:
        return (
            win[0],
            int(win[0].year),
            "fallback: start of DDP roster / fiscal-year window (no signing date)",
        )
    firsts = sorted((min(r.years), r.source) for r in rs if r.years)
    if firsts:
        y, src = firsts[0]
        return None, int(y), f"fallback: first year listed ({src}; no date)"
    return None, None, None


def _source_starts(r: Evidence) -> list[tuple[str, str, int]]:
    """(what, value, year) start claims one evidence record makes."""
    out: list[tuple[str, str, int]] = []
    if r.signed:
        d = min(r.signed)
        out.append(("signing date", str(d.date()), int(d.year)))
    if r.source == "ddp_pre2018" and r.active_from is not None:
        out.append(("roster / FY window start", str(r.active_from.date()), r.active_from.year))
    if r.source == "wapo_2019" and r.years:
        out.append(("first year flagged active", str(min(r.years)), min(r.years)))
    if r.source in ("ice_lists_2007_08", "ice_snapshots_2025") and r.years:
        out.append(("listed active", str(min(r.years)), min(r.years)))
    return out


def date_conflicts(agreements_df: pd.DataFrame, recs: list[Evidence]) -> pd.DataFrame:
    """``policy_287g_date_conflicts``: every source date that disagrees with the chosen dates.

    Start: a source's signing date, roster / fiscal-year window start or first flagged year in a
    different year than ``cohort_year`` (listing-only sources count only when they show the
    agreement active *before* ``cohort_year``). End: a source showing the agreement active after
    ``end_year``. Nothing is resolved by "earliest wins": the chosen value follows rule 8 and
    every disagreement stays listed here with its source.
    """
    a = agreements_df.set_index("agreement_id")
    ddp_ends: dict[int, int] = {}
    for r in recs:
        if r.source == "ddp_pre2018" and r.terminated and not r.censored and r.active_to:
            ddp_ends[r.group] = max(ddp_ends.get(r.group, 0), r.active_to.year)
    rows = []
    for r in recs:
        if r.group not in a.index:
            continue
        row = a.loc[r.group]
        cy, ey = row["cohort_year"], row["end_year"]
        base = {
            "agreement_id": r.group,
            "state": row["state"],
            "agency": row["agency"],
            "fips": row["fips"],
            "source": r.source,
        }
        if not pd.isna(cy):
            for what, value, y in _source_starts(r):
                only_before = what == "listed active" or (
                    what == "signing date" and r.source in ("ice_sheet_2024", "ice_moa")
                )  # a later ICE sheet / MOA date is a re-signing, not a disagreement
                if (only_before and y < cy) or (not only_before and y != cy):
                    rows.append({**base, "field": "start", "source_says": f"{what} {value}",
                                 "source_year": y, "chosen_year": int(cy),
                                 "chosen_basis": row["date_basis"], "years_apart": y - int(cy)})  # fmt: skip
        ddp_end = ddp_ends.get(r.group)
        if pd.isna(ey) and ddp_end is not None and r.years and max(r.years) > ddp_end:
            rows.append({**base, "field": "end", "source_says": f"active in {max(r.years)}",
                         "source_year": max(r.years), "chosen_year": pd.NA,
                         "chosen_basis": f"no end date: DDP's roster ends (terminated) in "
                         f"{ddp_end}, a later source shows the agreement active (rule 7)",
                         "years_apart": max(r.years) - ddp_end})  # fmt: skip
        if not pd.isna(ey) and r.years and max(r.years) > ey:
            rows.append({**base, "field": "end", "source_says": f"active in {max(r.years)}",
                         "source_year": max(r.years), "chosen_year": int(ey),
                         "chosen_basis": "DDP roster end (agreement terminated)",
                         "years_apart": max(r.years) - int(ey)})  # fmt: skip
    cols = [
        "agreement_id", "state", "agency", "fips", "field", "source", "source_says",
        "source_year", "chosen_year", "chosen_basis", "years_apart",
    ]  # fmt: skip
    out = pd.DataFrame(rows, columns=cols).drop_duplicates()
    for c in ("state", "agency", "fips", "field", "source", "source_says", "chosen_basis"):
        out[c] = out[c].astype("string")
    for c in ("agreement_id", "source_year", "chosen_year", "years_apart"):
        out[c] = out[c].astype("Int64")
    return out.sort_values(["state", "agency", "field", "source"]).reset_index(drop=True)


def _merge(g: int, rs: list[Evidence]) -> dict[str, object]:
    """One ``policy_287g`` row from the evidence records of one group (rules 3, 5, 6)."""
    best = max(rs, key=lambda r: (RANK[r.confidence], r.source == "ddp_pre2018"))
    sources = sorted({r.source for r in rs})
    conf = RANK["high"] if len(sources) >= 2 else max(RANK[r.confidence] for r in rs)
    with_fips = [r for r in rs if r.fips]
    frec = min(with_fips, key=lambda r: FIPS_ORDER[str(r.fips_method)]) if with_fips else None
    models = sorted(set().union(*[r.models for r in rs]))
    signed = sorted(d for r in rs for d in r.signed)
    cohort_date, cohort_year, basis = cohort_of(rs)
    years = sorted(
        y for y in set().union(*[r.years for r in rs]) if cohort_year is None or y >= cohort_year
    )
    ddp = [r for r in rs if r.source == "ddp_pre2018"]
    starts = [r.active_from for r in ddp if r.active_from is not None]
    ends = [r for r in ddp if r.active_to is not None]
    last = max(ends, key=lambda r: r.active_to) if ends else None  # type: ignore[arg-type,return-value]
    end_date = None
    ended = last is not None and last.active_to is not None and bool(last.terminated)
    if ended and last is not None and last.active_to is not None and not last.censored:
        end_date = last.active_to if not years or max(years) <= last.active_to.year else None
    juris = next((r.jurisdiction for r in ddp if r.jurisdiction), None)
    if juris is None and is_statewide(
        best.key, best.state, {r.agency_type for r in rs if r.agency_type}
    ):
        juris = "statewide"
    elif juris is None and frec is not None:
        juris = "local"
    oris = [r.ori for r in rs if r.ori]
    return {
        "agreement_id": g,
        "state": best.state,
        "agency": best.agency,
        "agency_key": best.key,
        "agency_kind": _kind(best.key),
        "jurisdiction": juris,
        "fips": frec.fips if frec else None,
        "fips_list": frec.fips_list if frec else None,
        "fips_method": frec.fips_method if frec else None,
        "ori": oris[0] if oris else None,
        "models": "; ".join(models) if models else None,
        "model": models[0] if len(models) == 1 else ("multiple" if models else "unknown"),
        "first_signed": signed[0] if signed else None,
        "latest_signed": signed[-1] if signed else None,
        "start_date": min(starts) if starts else None,
        "end_date": end_date,
        "cohort_date": cohort_date,
        "cohort_year": cohort_year,
        "date_basis": basis,
        "end_year": end_date.year if end_date is not None else None,
        "end_censored": last.censored if last is not None else None,
        "first_active_year": years[0] if years else None,
        "last_active_year": years[-1] if years else None,
        "active_years": ", ".join(str(y) for y in years) if years else None,
        "active_2024": any(r.source == "ice_sheet_2024" for r in rs),
        "active_2025": any(r.source == "ice_snapshots_2025" for r in rs),
        "confidence": {v: k for k, v in RANK.items()}[conf],
        "sources": "; ".join(sources),
        "n_sources": len(sources),
        "n_records": len(rs),
    }


def county_year(
    agreements_df: pd.DataFrame, recs: list[Evidence], counties: pd.DataFrame
) -> pd.DataFrame:
    """County x year 287(g) exposure (see module docstring)."""
    a = agreements_df
    local = a[a["fips_list"].notna() & (a["jurisdiction"].fillna("") != "statewide")]
    fips_of = {
        int(g): [f.strip() for f in str(fl).split(";")]
        for g, fl in zip(local["agreement_id"], local["fips_list"], strict=True)
    }
    window = {int(g): (lo, hi) for g, lo, hi in zip(
        local["agreement_id"], local["cohort_year"], local["end_year"], strict=True
    )}  # fmt: skip
    county_jail = {
        int(g)
        for g, kind, fl in zip(
            local["agreement_id"], local["agency_kind"], local["fips_list"], strict=True
        )
        if kind in ("sheriff", "jail") and ";" not in str(fl)
    }
    ev = [
        (f, y, r.group, r.source, *[m in r.models for m in MODELS], not r.models,
         r.group in county_jail)
        for r in recs
        for f in fips_of.get(r.group, [])
        for y in r.years
        if y in YEARS and _in_window(y, window.get(r.group))
    ]  # fmt: skip
    e = pd.DataFrame(
        ev,
        columns=["fips", "year", "agreement_id", "source", *MODELS, "model_unknown", "cj"],
    )
    join: Callable[[pd.Series], str] = lambda s: "; ".join(sorted(set(s)))  # noqa: E731
    agg = e.groupby(["fips", "year"], as_index=False).agg(
        n_agreements=("agreement_id", "nunique"),
        sources=("source", join),
        **{m: (m, "any") for m in [*MODELS, "model_unknown", "cj"]},
    )
    grid = pd.MultiIndex.from_product(
        [sorted(counties["fips"].dropna().unique()), YEARS], names=["fips", "year"]
    ).to_frame(index=False)
    out = grid.merge(agg, on=["fips", "year"], how="left")
    has = out["n_agreements"].notna()
    complete = out["year"].isin(COMPLETE_YEARS)
    out["any_287g"] = pd.Series(pd.NA, index=out.index, dtype="Int8")
    out.loc[has, "any_287g"] = 1
    out.loc[~has & complete, "any_287g"] = 0
    out["known"] = out["any_287g"].notna()
    out["n_agreements"] = (
        out["n_agreements"].where(has, other=0).astype("Int64").mask(~out["known"])
    )
    for m in [*MODELS, "model_unknown"]:
        out[m] = out[m].astype("boolean").where(has, False).mask(~out["known"])
    flags = out[list(MODELS)].fillna(False).astype(bool)
    out["models"] = flags.apply(
        lambda r: "; ".join(m for m in MODELS if r[m]) or None, axis=1
    ).astype("string")
    out["county_jail_287g"] = (
        out["cj"].astype("boolean").where(has, False).mask(~out["known"]).astype("Int8")
    )
    first = out[out["any_287g"] == 1].groupby("fips")["year"].min()
    out["first_year"] = out["fips"].map(first).astype("Int64")
    jail_first = out[out["county_jail_287g"] == 1].groupby("fips")["year"].min()
    out["county_jail_first_year"] = out["fips"].map(jail_first).astype("Int64")
    out = out.merge(_county_jail_dates(local), on="fips", how="left")
    out["coverage"] = out["year"].map(_coverage).astype("string")
    cols = ["fips", "year", "any_287g", "known", "n_agreements", "models", *MODELS, "model_unknown"]
    jail = ["county_jail_287g", "county_jail_first_year", "county_jail_end_year"]
    return out[[*cols, "first_year", *jail, "county_jail_date_basis", "sources", "coverage"]]


def _in_window(y: int, window: tuple[object, object] | None) -> bool:
    """Rule 8: evidence years before the cohort year or after the end year do not count."""
    if window is None:
        return True
    lo, hi = window
    return (pd.isna(lo) or y >= int(lo)) and (pd.isna(hi) or y <= int(hi))  # type: ignore[call-overload]


def _county_jail_dates(local: pd.DataFrame) -> pd.DataFrame:
    """Per county: the end year and date basis of its earliest county sheriff/jail agreement."""
    j = local[
        local["agency_kind"].isin(["sheriff", "jail"])
        & ~local["fips_list"].astype(str).str.contains(";")
        & local["cohort_year"].notna()
    ].sort_values("cohort_year")
    j = j.drop_duplicates("fips")
    return pd.DataFrame(
        {
            "fips": j["fips"].astype(str),
            "county_jail_end_year": j["end_year"].astype("Int64"),
            "county_jail_date_basis": j["date_basis"].astype("string"),
        }
    )


def _coverage(y: int) -> str:
    """What the sources can say about year ``y``."""
    if y <= 2004:
        return "complete: DDP signing dates from secondary lists"
    if y <= 2017:
        return "complete: ICE rosters (DDP) + WaPo sheriff flags"
    if y <= 2019:
        return "partial: WaPo sheriffs only + agreements still listed in Dec 2024"
    if y <= 2023:
        return "partial: only agreements still listed in Dec 2024 / 2025 MOAs"
    if y == 2024:
        return "complete: ICE participating-agency sheet (Dec 2024)"
    if y == 2025:
        return "complete: ICE participating-agency sheets (May-Jul 2025)"
    return "partial: MOAs dated this year only"
