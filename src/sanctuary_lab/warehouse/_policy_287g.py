"""287(g) agreements from all sources, de-duplicated, and county-year exposure (``tables_policy``).

Evidence records
----------------
Every source row becomes an *evidence record*: state, agency, agency key, county FIPS (if the
source has one), ORI, models, signing dates, roster window and the calendar years in which the
source shows the agreement active:

=====================  ===========================================================================
source                 active years
=====================  ===========================================================================
ddp_pre2018            first signing year (or roster start if earlier) .. roster end (active_to);
                       a row with only a signing date is active in that year only
wapo_2019              the years flagged "X" (2005-2019); the 2018 sheet is an earlier copy of the
                       same list and is not used
ice_lists_2007_08      the year of the ICE partner-page list (2007, 2008)
ice_sheet_2024         signed year .. 2024 (agreements still listed on 2024-12-18)
ice_snapshots_2025     2025
ice_moa                MOA file date year .. year of the ICE page snapshot holding the MOA
=====================  ===========================================================================

De-duplication rules (one ``policy_287g`` row per agency)
---------------------------------------------------------
1. Records are grouped by (state, :func:`~._policy_geo.agency_key`), which merges spellings
   such as "AZ Department of Corrections" / "Arizona Department of Corrections" and
   "Sheriff's Office" / "Sheriff's Department" / "sheriff".
2. A name that is only "<X> County" (WaPo's sheriff rows, DDP's "Anne Arundel County") is
   keyed as the county's sheriff.
3. Groups of sheriffs (or of county jails / detention centres) that resolve to the same county
   FIPS are merged ("Hartford County Sheriff's Office" = "Harford County Sheriff's Office");
   police departments are never merged on FIPS (several can share a county). The display name is
   taken from the highest-confidence record.
4. County FIPS: the source's own FIPS (DDP, then WaPo), else the ORI's county in ``agencies``,
   else the county of the agency-list agency with the same normalised name in the state (unique
   names only), else the county named in the agency name looked up in ``counties``
   (``fips_method`` says which). Statewide agencies have no FIPS.
5. Confidence: official ICE lists/sheets/MOAs count as ``high``; DDP rows keep DDP's own
   confidence; WaPo's curation counts as ``medium``; an agency seen in two or more sources is
   ``high``.
6. ``end_date`` is DDP's last roster date only when DDP marks the agreement terminated, the
   date is not the 2017-08-01 last-roster censoring date, and no later source shows it active.

County-year exposure (``county_year_287g``)
-------------------------------------------
For every county in ``counties`` and year 2002-2026: ``any_287g`` = 1 when a local agreement
in the county (every county of a multi-county agency) is active that year. Where the sources
cover the whole roster (2002-2017 from DDP's rosters and secondary lists, 2024 from ICE's sheet,
2025 from ICE's snapshots) a county without evidence gets 0. In the other years (2018-2023:
only WaPo's sheriffs and agreements still active in Dec 2024; 2026: MOAs only) a county without
evidence is NULL and ``known`` is False: absence is not observed. Statewide agreements
(state police, DOCs) are not assigned to counties.
"""

from __future__ import annotations

import re

import pandas as pd

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
_DDP_MODELS = {"jail enforcement": "jail", "task force": "task_force"}


def _ddp_models(text: object) -> set[str]:
    if not isinstance(text, str):
        return set()
    return {
        _DDP_MODELS[p.strip().lower()] for p in text.split("->") if p.strip().lower() in _DDP_MODELS
    }


def _year(ts: object) -> int | None:
    return None if ts is None or pd.isna(ts) else int(pd.Timestamp(ts).year)


def _rec(source: str, state: str, agency: str, **kw: object) -> dict[str, object]:
    base = {
        "source": source, "state": state, "agency": agency, "fips_list": None, "ori": None,
        "models": set(), "signed": [], "active_from": None, "active_to": None, "censored": False,
        "terminated": None, "confidence": "high", "years": set(), "jurisdiction": None,
    }  # fmt: skip
    base.update(kw)
    return base


def evidence(staged: dict[str, pd.DataFrame]) -> list[dict[str, object]]:
    """Evidence records from every staged 287(g) table (see module docstring)."""
    recs: list[dict[str, object]] = []
    ddp = staged.get("stg_ddp_287g_best_guess")
    for r in [] if ddp is None else ddp.to_dict("records"):
        if not isinstance(r["state"], str):
            continue
        signed = [
            pd.Timestamp(d)
            for d in str(r["signing_dates"] or "").split(";")
            if d.strip() and d.strip() != "<NA>"
        ]
        if pd.notna(r["first_signed"]):
            signed.append(pd.Timestamp(r["first_signed"]))
        lo = [y for y in (_year(r["first_signed"]), _year(r["active_from"])) if y]
        hi = _year(r["active_to"])
        only_signed = {min(lo)} if lo else set()
        years = set(range(min([*lo, hi]), hi + 1)) if hi is not None else only_signed
        recs.append(
            _rec(
                "ddp_pre2018", r["state"], r["agency"],
                fips_list=r["fips_list"] if isinstance(r["fips_list"], str) else None,
                models=_ddp_models(r["models"]), signed=signed,
                active_from=r["active_from"] if pd.notna(r["active_from"]) else None,
                active_to=r["active_to"] if pd.notna(r["active_to"]) else None,
                censored=bool(r["active_to_censored"]), terminated=r["terminated"],
                confidence=r["confidence"] if isinstance(r["confidence"], str) else "low",
                years=years,
                jurisdiction=r["jurisdiction_level"] if isinstance(r["jurisdiction_level"], str) else None,
            )
        )  # fmt: skip
    wapo = staged.get("stg_wapo_287g_curated_2019")
    for r in [] if wapo is None else wapo.to_dict("records"):
        years = {int(c[1:]) for c in r if re.fullmatch(r"y\d{4}", str(c)) and r[c]}
        recs.append(
            _rec(
                "wapo_2019", r["state"], r["agency"], fips_list=r["fips"] if isinstance(r["fips"], str) else None,
                ori=r["ori"] if isinstance(r["ori"], str) else None, confidence="medium", years=years,
            )
        )  # fmt: skip
    hist = staged.get("stg_ddp_287g_historical")
    for r in [] if hist is None else hist.to_dict("records"):
        recs.append(_rec("ice_lists_2007_08", r["state"], r["agency"], years={_year(r["as_of"])}))
    sheet = staged.get("stg_ice_287g_sheet_2024")
    for r in [] if sheet is None else sheet.to_dict("records"):
        y = _year(r["signed"]) or 2024
        recs.append(
            _rec(
                "ice_sheet_2024", r["state"], r["agency"], models={r["model"]},
                signed=[pd.Timestamp(r["signed"])] if pd.notna(r["signed"]) else [],
                years=set(range(y, 2025)),
            )
        )  # fmt: skip
    snaps = staged.get("stg_ice_287g_snapshots_2025")
    if snaps is not None:
        g = snaps.groupby(["state", "agency"], dropna=False)
        for (st, ag), d in g:
            oris = d["ori"].dropna()
            recs.append(
                _rec(
                    "ice_snapshots_2025", st, ag, ori=str(oris.iloc[0]) if len(oris) else None,
                    models=set(d["model"].dropna()), years={2025},
                    county_name=d["county_name"].dropna().iloc[0] if d["county_name"].notna().any() else None,
                )
            )  # fmt: skip
    moa = staged.get("stg_ice_287g_moa")
    for r in [] if moa is None else moa.to_dict("records"):
        m = re.search(r"(20\d\d)", str(r["snapshot"]))
        snap_year = int(m.group(1)) if m else None
        y = _year(r["moa_date"])
        start = y or snap_year
        end = max(v for v in (y, snap_year) if v) if start else None
        recs.append(
            _rec(
                "ice_moa", r["state"], r["agency"],
                models={r["model"]} if isinstance(r["model"], str) else set(),
                signed=[pd.Timestamp(r["moa_date"])] if pd.notna(r["moa_date"]) else [],
                years=set(range(start, end + 1)) if start else set(),
            )
        )  # fmt: skip
    return recs


def _kind(key: str) -> str:
    if "SHERIFF" in key:
        return "sheriff"
    if "POLICE" in key:
        return "police"
    if re.search(r"\b(JAIL|DETENTION|CORRECTIONS)\b", key):
        return "jail"
    return "other"


def agreements(
    staged: dict[str, pd.DataFrame], index: CountyIndex, agencies: pd.DataFrame
) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """The de-duplicated ``policy_287g`` table and the evidence records with their group id."""
    recs = evidence(staged)
    names = agency_name_index(agencies)
    ori_fips = dict(zip(agencies["ori"], agencies["fips"], strict=True))
    ori_fips.update(
        {k: v for k, v in zip(agencies["ori7"], agencies["fips"], strict=True) if k not in ori_fips}
    )
    for r in recs:
        if isinstance(r["agency"], str) and r["agency"] == r["agency"].lower():
            r["agency"] = r["agency"].title()  # 2025 sheets and MOAs are lower case
        key = agency_key(r["agency"], r["state"])
        if key and re.fullmatch(r".*\b(COUNTY|PARISH)", key):
            key = f"{key} SHERIFF"  # rule 2: a bare "<X> County" is the sheriff
        r["key"] = key
        named = names.get((r["state"], key))
        fl = r["fips_list"]
        if fl:
            r["fips_method"] = "source FIPS"
        elif r["ori"] and isinstance(ori_fips.get(r["ori"]), str):
            fl, r["fips_method"] = ori_fips[r["ori"]], "ORI -> agency list"
        elif named is not None:
            fl, r["fips_method"] = named[1], "name -> agency list"
            r["ori"] = r["ori"] or named[0]
        else:
            c = county_from_agency(r["agency"])
            hit = index.lookup(c, r["state"]) if c else None
            if hit is None and r.get("county_name") and _kind(r["key"] or "") == "sheriff":
                hit = index.lookup(r["county_name"], r["state"])
            if hit:
                fl, r["fips_method"] = hit, "county name in agency name"
            else:
                r["fips_method"] = None
        r["fips_list"] = fl
        r["fips"] = fl.split(";")[0].strip() if fl else None
    # rule 1: same (state, key); rule 3: sheriffs / jails sharing a county FIPS (union-find)
    parent = list(range(len(recs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_of: dict[tuple[object, ...], int] = {}
    for i, r in enumerate(recs):
        kind = _kind(str(r["key"] or ""))
        keys = [(r["state"], "key", r["key"])]
        if r["fips"] and kind in ("sheriff", "jail"):
            keys.append((r["state"], "fips", r["fips"], kind))
        for k in keys:
            j = first_of.setdefault(k, i)
            parent[find(i)] = find(j)
    roots = sorted({find(i) for i in range(len(recs))})
    number = {root: n + 1 for n, root in enumerate(roots)}
    for i, r in enumerate(recs):
        r["group"] = number[find(i)]
    rows = []
    by_group: dict[int, list[dict[str, object]]] = {}
    for r in recs:
        by_group.setdefault(int(r["group"]), []).append(r)
    for g, rs in by_group.items():
        rows.append(_merge(g, rs))
    out = pd.DataFrame(rows)
    for c in ("first_signed", "latest_signed", "start_date", "end_date"):
        out[c] = pd.to_datetime(out[c])
    for c in ("first_active_year", "last_active_year"):
        out[c] = out[c].astype("Int64")
    out["end_censored"] = out["end_censored"].astype("boolean")
    for c in out.columns:
        if out[c].dtype == object:
            out[c] = out[c].astype("string")
    return out, recs


def _merge(g: int, rs: list[dict[str, object]]) -> dict[str, object]:
    best = max(rs, key=lambda r: (RANK[str(r["confidence"])], r["source"] == "ddp_pre2018"))
    sources = sorted({str(r["source"]) for r in rs})
    conf = max(RANK[str(r["confidence"])] for r in rs)
    if len(sources) >= 2:
        conf = RANK["high"]
    with_fips = [r for r in rs if r["fips"]]
    order = {
        "source FIPS": 0,
        "ORI -> agency list": 1,
        "name -> agency list": 2,
        "county name in agency name": 3,
    }
    frec = min(with_fips, key=lambda r: order[str(r["fips_method"])]) if with_fips else None
    models = sorted(set().union(*[r["models"] for r in rs]))
    signed = sorted(d for r in rs for d in r["signed"])
    years = sorted(set().union(*[r["years"] for r in rs]))
    ddp = [r for r in rs if r["source"] == "ddp_pre2018"]
    starts = [r["active_from"] for r in ddp if r["active_from"] is not None]
    ends = [r for r in ddp if r["active_to"] is not None]
    last = max(ends, key=lambda r: r["active_to"]) if ends else None
    end_date = None
    ended = last is not None and last["terminated"] is True and not last["censored"]
    if ended and (not years or max(years) <= int(pd.Timestamp(last["active_to"]).year)):
        end_date = last["active_to"]
    juris = next((r["jurisdiction"] for r in ddp if r["jurisdiction"]), None)
    if juris is None:
        juris = (
            "local"
            if frec
            else "statewide"
            if re.search(
                r"\bSTATE\b|HIGHWAY PATROL|DEPARTMENT OF (CORRECTIONS|PUBLIC SAFETY)",
                str(best["key"]),
            )
            else None
        )
    oris = [r["ori"] for r in rs if r["ori"]]
    return {
        "agreement_id": g,
        "state": best["state"],
        "agency": best["agency"],
        "agency_key": best["key"],
        "agency_kind": _kind(str(best["key"] or "")),
        "jurisdiction": juris,
        "fips": frec["fips"] if frec else None,
        "fips_list": frec["fips_list"] if frec else None,
        "fips_method": frec["fips_method"] if frec else None,
        "ori": oris[0] if oris else None,
        "models": "; ".join(models) if models else None,
        "model": models[0] if len(models) == 1 else ("multiple" if models else "unknown"),
        "first_signed": signed[0] if signed else None,
        "latest_signed": signed[-1] if signed else None,
        "start_date": min(starts) if starts else None,
        "end_date": end_date,
        "end_censored": bool(last["censored"]) if last is not None else None,
        "first_active_year": years[0] if years else None,
        "last_active_year": years[-1] if years else None,
        "active_years": ", ".join(str(y) for y in years) if years else None,
        "active_2024": any(r["source"] == "ice_sheet_2024" for r in rs),
        "active_2025": any(r["source"] == "ice_snapshots_2025" for r in rs),
        "confidence": {v: k for k, v in RANK.items()}[conf],
        "sources": "; ".join(sources),
        "n_sources": len(sources),
        "n_records": len(rs),
    }


def county_year(
    agreements_df: pd.DataFrame, recs: list[dict[str, object]], counties: pd.DataFrame
) -> pd.DataFrame:
    """County x year 287(g) exposure (see module docstring)."""
    local = agreements_df[
        agreements_df["fips_list"].notna() & (agreements_df["jurisdiction"] != "statewide")
    ]
    fips_of = {
        int(g): [f.strip() for f in str(fl).split(";")]
        for g, fl in zip(local["agreement_id"], local["fips_list"], strict=True)
    }
    ev = []
    for r in recs:
        for f in fips_of.get(int(r["group"]), []):
            for y in r["years"]:
                if y in YEARS:
                    ev.append(
                        (
                            f,
                            y,
                            int(r["group"]),
                            r["source"],
                            *[m in r["models"] for m in MODELS],
                            not r["models"],
                        )
                    )
    cols = ["fips", "year", "agreement_id", "source", *MODELS, "model_unknown"]
    e = pd.DataFrame(ev, columns=cols)
    agg = e.groupby(["fips", "year"], as_index=False).agg(
        n_agreements=("agreement_id", "nunique"),
        sources=("source", lambda s: "; ".join(sorted(set(s)))),
        **{m: (m, "any") for m in MODELS},
        model_unknown=("model_unknown", "any"),
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
    out["models"] = out.apply(
        lambda r: "; ".join(m for m in MODELS if r[m] is True) or None, axis=1
    ).astype("string")
    first = out[out["any_287g"] == 1].groupby("fips")["year"].min()
    out["first_year"] = out["fips"].map(first).astype("Int64")
    out["coverage"] = out["year"].map(_coverage).astype("string")
    cols = [
        "fips",
        "year",
        "any_287g",
        "known",
        "n_agreements",
        "models",
        *MODELS,
        "model_unknown",
        "first_year",
        "sources",
        "coverage",
    ]
    return out[cols]


def _coverage(y: int) -> str:
    if y <= 2004:
        return "complete: DDP signing dates from secondary lists"
    if y <= 2017:
        return "complete: ICE rosters (DDP) + WaPo sheriff flags"
    if y <= 2019:
        return "partial: WaPo sheriffs only + agreements still listed in Dec 2024"
    if y <= 2023:
        return "partial: only agreements still listed in Dec 2024 / 2025 MOAs"
    if y <= 2025:
        return "complete: ICE participating-agency sheet" + (
            " (Dec 2024)" if y == 2024 else "s (May-Jul 2025)"
        )
    return "partial: MOAs dated this year only"
