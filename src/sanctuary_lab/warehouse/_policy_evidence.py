"""287(g) evidence records: one per source row, before de-duplication (see ``_policy_287g``).

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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

_DDP_MODELS = {"jail enforcement": "jail", "task force": "task_force"}


@dataclass
class Evidence:
    """One source row's evidence about a 287(g) agreement."""

    source: str
    state: str
    agency: str
    fips_list: str | None = None
    ori: str | None = None
    county_name: str | None = None
    models: set[str] = field(default_factory=set)
    signed: list[pd.Timestamp] = field(default_factory=list)
    signed_source: str | None = None
    active_from: pd.Timestamp | None = None
    active_to: pd.Timestamp | None = None
    censored: bool = False
    terminated: bool | None = None
    confidence: str = "high"
    years: set[int] = field(default_factory=set)
    jurisdiction: str | None = None
    # filled in by ``_policy_287g.agreements``
    agency_type: str | None = None
    key: str | None = None
    fips: str | None = None
    fips_method: str | None = None
    group: int = 0


def _str(v: object) -> str | None:
    return v if isinstance(v, str) and v else None


def _ts(v: object) -> pd.Timestamp | None:
    return None if v is None or pd.isna(v) else pd.Timestamp(v)  # type: ignore[arg-type]


def _year(v: object) -> int | None:
    t = _ts(v)
    return None if t is None else int(t.year)


def _ddp_models(text: object) -> set[str]:
    if not isinstance(text, str):
        return set()
    parts = [p.strip().lower() for p in text.split("->")]
    return {_DDP_MODELS[p] for p in parts if p in _DDP_MODELS}


def _rows(staged: dict[str, pd.DataFrame], name: str) -> list[dict[str, object]]:
    df = staged.get(f"stg_{name}")
    return [] if df is None else df.to_dict("records")


def _ddp(staged: dict[str, pd.DataFrame]) -> list[Evidence]:
    out = []
    for r in _rows(staged, "ddp_287g_best_guess"):
        state = _str(r["state"])
        if state is None:
            continue
        dates = [d.strip() for d in str(r["signing_dates"] or "").split(";")]
        signed = [pd.Timestamp(d) for d in dates if d and d != "<NA>"]
        first = _ts(r["first_signed"])
        if first is not None:
            signed.append(first)
        lo = [y for y in (_year(r["first_signed"]), _year(r["active_from"])) if y]
        hi = _year(r["active_to"])
        only_signed = {min(lo)} if lo else set()
        years = set(range(min([*lo, hi]), hi + 1)) if hi is not None else only_signed
        term = r["terminated"]
        out.append(
            Evidence(
                "ddp_pre2018", state, str(r["agency"]), fips_list=_str(r["fips_list"]),
                models=_ddp_models(r["models"]), signed=signed,
                signed_source=_str(r.get("first_signed_source")), active_from=_ts(r["active_from"]),
                active_to=_ts(r["active_to"]), censored=bool(r["active_to_censored"]),
                terminated=None if term is None or pd.isna(term) else bool(term),  # type: ignore[arg-type]
                confidence=_str(r["confidence"]) or "low", years=years,
                jurisdiction=_str(r["jurisdiction_level"]),
            )
        )  # fmt: skip
    return out


def _wapo(staged: dict[str, pd.DataFrame]) -> list[Evidence]:
    out = []
    for r in _rows(staged, "wapo_287g_curated_2019"):
        years = {int(c[1:]) for c in r if re.fullmatch(r"y\d{4}", c) and bool(r[c])}
        out.append(
            Evidence(
                "wapo_2019", str(r["state"]), str(r["agency"]), fips_list=_str(r["fips"]),
                ori=_str(r["ori"]), confidence="medium", years=years,
            )
        )  # fmt: skip
    return out


def _ice(staged: dict[str, pd.DataFrame]) -> list[Evidence]:
    out = []
    for r in _rows(staged, "ddp_287g_historical"):
        y = _year(r["as_of"])
        out.append(
            Evidence(
                "ice_lists_2007_08", str(r["state"]), str(r["agency"]), years={y} if y else set()
            )
        )
    for r in _rows(staged, "ice_287g_sheet_2024"):
        signed = _ts(r["signed"])
        y = signed.year if signed is not None else 2024
        out.append(
            Evidence(
                "ice_sheet_2024", str(r["state"]), str(r["agency"]), models={str(r["model"])},
                signed=[signed] if signed is not None else [], years=set(range(y, 2025)),
            )
        )  # fmt: skip
    snaps = staged.get("stg_ice_287g_snapshots_2025")
    if snaps is not None:
        for (st, ag), d in snaps.groupby(["state", "agency"], dropna=False):
            oris, counties = d["ori"].dropna(), d["county_name"].dropna()
            out.append(
                Evidence(
                    "ice_snapshots_2025", str(st), str(ag), ori=str(oris.iloc[0]) if len(oris) else None,
                    county_name=str(counties.iloc[0]) if len(counties) else None,
                    models={str(m) for m in d["model"].dropna()}, years={2025},
                )
            )  # fmt: skip
    for r in _rows(staged, "ice_287g_moa"):
        m = re.search(r"(20\d\d)", str(r["snapshot"]))
        snap_year = int(m.group(1)) if m else None
        y = _year(r["moa_date"])
        bounds = [v for v in (y, snap_year) if v]
        start = y or snap_year
        signed = _ts(r["moa_date"])
        out.append(
            Evidence(
                "ice_moa", str(r["state"]), str(r["agency"]),
                models={r["model"]} if isinstance(r["model"], str) else set(),
                signed=[signed] if signed is not None else [],
                years=set(range(start, max(bounds) + 1)) if start else set(),
            )
        )  # fmt: skip
    return out


def evidence(staged: dict[str, pd.DataFrame]) -> list[Evidence]:
    """Evidence records from every staged 287(g) table (see module docstring)."""
    return [*_ddp(staged), *_wapo(staged), *_ice(staged)]
