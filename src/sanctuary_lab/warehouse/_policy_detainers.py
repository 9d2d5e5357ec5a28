"""Detainer facilities -> counties, and county detainer-decline shares (see ``tables_policy``).

NPR's facility names carry no state, city or FIPS ("SAN FRANCISCO CO JAIL", "BERKS COUNTY
JAIL, PA", "AZUSA POLICE DEPT.", "USP HAZELTON"). The match is by name patterns only:

1. **State hint**: a state written after the last comma (", PA", ", IOWA", ",MI."), a common
   abbreviation (ALA, CALIF, TENN, ...), a federal-district code (EDTX -> TX), or a trailing
   unambiguous state code without a comma ("GRAHAM CO JAIL SAFFORD AZ"; CO, IN, OR, ME, HI, OK,
   DE, ID are never read this way because they are also words or abbreviations).
2. **County name**: the words before COUNTY / CO / CO. / CNTY / CTY / PARISH.

   - county + state hint found in ``counties`` -> ``high``;
   - county name that exists in exactly one state -> ``medium``;
   - county name in several states and no hint: if one county has at least 10 times the
     population of the next largest (HARRIS: TX vs GA), that county with ``low`` confidence
     (large jails hold most detainees); otherwise not matched ("ambiguous").
   - "DADE" also stands for Miami-Dade (renamed 1997), besides Dade GA and Dade MO.
3. **City name** (no county word): the words before POLICE / PD / CITY JAIL / DETENTION CENTER
   / JAIL, looked up as "<city> Police Department" in the FBI agency list (``agencies``); a
   single hit in the hinted state, or in the whole country without a hint, gives that agency's
   county -> ``medium`` when the name says it is a city agency (POLICE, PD, CITY JAIL,
   MUNICIPAL), ``low`` when the words before JAIL / DETENTION may not be a city at all
   ("SOUTHWESTERN REGIONAL JAIL").
   With a state hint, a comma-separated place name ("HILL CORR., GALESBURG, IL") is looked up the
   same way, with ``low`` confidence (the facility type is unknown: mostly state prisons).
4. State prisons, federal and juvenile facilities matched by a place name get ``low``: they are
   located in the county but hold people from elsewhere and are not the county's jail.

Anything else is kept with ``fips`` NULL, ``match_confidence = 'none'`` and the reason in
``match_method``.

``county_detainer_declines`` sums, per county, the detainers of *public* facilities matched with
``high`` or ``medium`` confidence; private (CCA/GEO/MTC) facilities and ``low`` matches are left
out. ``share_declined`` = detainers whose lift reason is "Detainer Declined by LEA" / all
detainers at those facilities, pooled over FY2008-2015 (the facility file has no years).
"""

from __future__ import annotations

import re

import pandas as pd

from sanctuary_lab.sources.geo import ABBR_TO_FIPS, NAME_TO_FIPS, STATES
from sanctuary_lab.warehouse._policy_geo import CountyIndex, agency_key

DECLINED = "Detainer Declined by LEA"
_ABBREV = {
    "ALA": "AL", "ARIZ": "AZ", "ARK": "AR", "CALIF": "CA", "CAL": "CA", "COLO": "CO", "CONN": "CT",
    "FLA": "FL", "ILL": "IL", "IND": "IN", "KAN": "KS", "KANS": "KS", "MASS": "MA", "MICH": "MI",
    "MINN": "MN", "MISS": "MS", "NEB": "NE", "NEBR": "NE", "NEV": "NV", "OKLA": "OK", "ORE": "OR",
    "PENN": "PA", "PENNA": "PA", "TENN": "TN", "TEX": "TX", "WASH": "WA", "WIS": "WI", "WISC": "WI",
    "WYO": "WY", "NMEX": "NM", "NDAK": "ND", "SDAK": "SD", "WVA": "WV",
}  # fmt: skip
_AMBIGUOUS_TRAILING = {"CO", "IN", "OR", "ME", "HI", "OK", "DE", "ID", "AL", "LA", "PA", "MO", "MT"}
_STATE_WORDS = {k.replace(" ", ""): v for k, v in NAME_TO_FIPS.items()}
_COUNTY = re.compile(r"^(.*?)\s+(?:COUNTY|CO\.|CNTY|CTY|PARISH|PAR\.|CO(?=[\s,/-]|$))")
_CITY = re.compile(
    r"^(.*?)\s+(POLICE|POL\.|PD\b|P\.D\.|CITY JAIL|CITY DET|MUNICIPAL|DETENTION|DET\.|JAIL)"
)
_CITY_WORDS = ("POLICE", "POL.", "PD", "P.D.", "CITY JAIL", "CITY DET", "MUNICIPAL")
_FEDERAL = re.compile(r"\b(FCI|USP|FDC|FCC|FPC|FMC|MCC|MDC|FEDERAL|FED\.|MARSHALL?S?|USMS|BOP)\b")
_STATE_PRISON = re.compile(
    r"\b(C\.F\.|CF|C\.I\.|CI|CCI|STATE PRISON|PENITENTIARY|DOC|DEPT\.? OF CORR|CORRECTIONAL "
    r"(FACILITY|INSTITUTION|CENTER)|CORR\. FAC|STATE CORR|CORRECTIONAL|CORR|CORRECTIONS)\b"
)
_JUVENILE = re.compile(r"\b(JUV|JUVENILE|YOUTH|BOYS|GIRLS)\b")


_ALIASES = {"DADE": "MIAMI-DADE"}  # county renamed in 1997
POP_RATIO = 10.0
FB_RATIO = 3.0
# Rule 0: places whose city and county coincide (consolidated city-counties and New York City's
# boroughs). A facility name that starts with one of them is in that county. NYC-wide agencies
# (NYPD, NYC DOC) span five counties and are assigned to New York County with medium confidence.
_PLACE_RULES: tuple[tuple[re.Pattern[str], str, str, str], ...] = tuple(
    (re.compile(rx), fips, conf, how)
    for rx, fips, conf, how in (
        (r"^RIKERS\b", "36005", "medium", "Rikers Island (NYC jail, Bronx County)"),
        (r"^BRONX\b", "36005", "high", "NYC borough name (Bronx County)"),
        (r"^QUEENS\b", "36081", "high", "NYC borough name (Queens County)"),
        (r"^BROOKLYN\b", "36047", "high", "NYC borough name (Kings County)"),
        (r"^MANHATTAN\b", "36061", "high", "NYC borough name (New York County)"),
        (r"^STATEN ISLAND\b", "36085", "high", "NYC borough name (Richmond County)"),
        (r"^(NYC|NYPD|NEW YORK CITY)\b", "36061", "medium",
         "New York City agency (five counties; assigned to New York County)"),
        (r"^PHILADELPHIA\b", "42101", "high", "consolidated city-county (Philadelphia)"),
        (r"^DENVER\b", "08031", "high", "consolidated city-county (Denver)"),
        (r"^SAN FRANCISCO\b", "06075", "high", "consolidated city-county (San Francisco)"),
        (r"^NEW ORLEANS\b", "22071", "high", "consolidated city-parish (Orleans Parish)"),
        (r"^(DUVAL|JACKSONVILLE)\b", "12031", "high", "consolidated city-county (Duval)"),
        (r"^NASHVILLE\b", "47037", "high", "consolidated city-county (Davidson, TN)"),
        (r"^INDIANAPOLIS\b", "18097", "high", "consolidated city-county (Marion, IN)"),
        (r"^LOUISVILLE\b", "21111", "high", "consolidated city-county (Jefferson, KY)"),
        (r"^HONOLULU\b", "15003", "high", "consolidated city-county (Honolulu)"),
        (r"^ANCHORAGE\b", "02020", "high", "consolidated municipality (Anchorage)"),
        (r"^BALTIMORE CITY\b", "24510", "high", "independent city (Baltimore)"),
        (r"^ST\.? LOUIS CITY\b", "29510", "high", "independent city (St. Louis)"),
        # named county jails without a place word (location: Wikipedia "Santa Rita Jail";
        # shouselaw.com/ca/defense/jails/west-valley-detention-center)
        (r"^SANTA RITA JAIL\b", "06001", "medium", "named county jail (Alameda County)"),
        (r"^WEST VALLEY$|^WEST VALLEY DET", "06071", "medium",
         "named county jail (San Bernardino County)"),
    )
)  # fmt: skip


def _fips_to_abbr(code: str) -> str:
    return STATES[code][0]


def _dominant(cands: list[str], weights: dict[str, float] | None, ratio: float) -> str | None:
    """The candidate whose weight is at least ``ratio`` times every other's, else None."""
    w = sorted(((weights or {}).get(f, 0.0), f) for f in set(cands))
    if len(w) >= 2 and w[-2][0] > 0 and w[-1][0] >= ratio * w[-2][0]:
        return w[-1][1]
    if len(w) >= 2 and w[-2][0] == 0 and w[-1][0] > 0:
        return w[-1][1]
    return None


def state_hint(name: str) -> str | None:
    """The state a facility name names (2-letter), or None."""
    s = name.upper().strip()
    m = re.search(r"\b[NSEWMC]D([A-Z]{2})\b", s)  # federal district, e.g. EDTX
    if m and m.group(1) in ABBR_TO_FIPS:
        return m.group(1)
    segments = s.split(",")[1:][::-1] + re.findall(r"\(([^)]*)\)", s)
    for seg in segments:  # ", PA" / ", IOWA" / "(NC)"; later segments first
        tail = re.sub(r"[^A-Z ]", "", seg).strip()
        words = tail.split()
        for cand in (tail.replace(" ", ""), words[-1] if words else ""):
            if cand in ABBR_TO_FIPS and len(cand) == 2:
                return cand
            if cand in _ABBREV:
                return _ABBREV[cand]
            if cand in _STATE_WORDS:
                return _fips_to_abbr(_STATE_WORDS[cand])
    words = re.sub(r"[^A-Z ]", " ", s).split()
    if len(words) >= 2:
        last = words[-1]
        if len(last) == 2 and last in ABBR_TO_FIPS and last not in _AMBIGUOUS_TRAILING:
            return last
        if last in _STATE_WORDS or last in _ABBREV:
            return _ABBREV.get(last) or _fips_to_abbr(_STATE_WORDS[last])
    return None


def facility_kind(name: str) -> str:
    """federal / state_prison / juvenile / county / city / other, from name patterns."""
    s = name.upper()
    if _FEDERAL.search(s):
        return "federal"
    if _JUVENILE.search(s):
        return "juvenile"
    if _COUNTY.search(s.split(",")[0]):
        return "county"
    if _STATE_PRISON.search(s):
        return "state_prison"
    if _CITY.search(s):
        return "city"
    return "other"


def city_index(agencies: pd.DataFrame) -> dict[str, list[tuple[str, str]]]:
    """agency key of "<city> Police Department" -> [(state, county fips), ...]."""
    d = agencies[
        agencies["fips"].notna()
        & agencies["agency_name"].str.contains("Police", case=False, na=False)
    ]
    out: dict[str, list[tuple[str, str]]] = {}
    for name, st, f in zip(d["agency_name"], d["state"], d["fips"], strict=True):
        k = agency_key(name, st)
        if k:
            out.setdefault(k, []).append((st, f))
    return out


def match_facility(
    name: str,
    counties: CountyIndex,
    cities: dict[str, list[tuple[str, str]]],
    population: dict[str, float] | None = None,
    foreign_born: dict[str, float] | None = None,
) -> dict[str, object]:
    """Match one facility name; returns state, fips, match_method, match_confidence, n_candidates."""
    kind = facility_kind(name)
    hint = state_hint(name)
    head = re.sub(r"\s*\([^)]*\)", "", name.upper().split(",")[0]).strip()
    head = re.sub(r"^FT\.?\s+", "FORT ", head)
    res: dict[str, object] = {"facility_kind": kind, "state": hint, "fips": None, "n_candidates": 0}
    weak = kind in ("federal", "state_prison", "juvenile")
    if kind != "federal":
        for rx, place, conf, how in _PLACE_RULES:
            if rx.search(head):
                return {
                    **res, "fips": place, "state": _fips_to_abbr(place[:2]), "n_candidates": 1,
                    "match_method": how, "match_confidence": "low" if weak else conf,
                }  # fmt: skip
    m = _COUNTY.match(head)
    if m:
        county = m.group(1)
        alias = _ALIASES.get(county)
        if hint:
            f = counties.lookup(county, hint) or (counties.lookup(alias, hint) if alias else None)
            if f:
                return {
                    **res,
                    "fips": f,
                    "n_candidates": 1,
                    "match_method": "county name + state in name",
                    "match_confidence": "low" if weak else "high",
                }
            return {
                **res,
                "match_method": f"county name not found in {hint}",
                "match_confidence": "none",
            }
        cands = counties.candidates(county) + (counties.candidates(alias) if alias else [])
        res["n_candidates"] = len(cands)
        if len(cands) == 1:
            f = cands[0]
            return {
                **res,
                "fips": f,
                "state": _fips_to_abbr(f[:2]),
                "match_method": "county name unique in US",
                "match_confidence": "low" if weak else "medium",
            }
        f = _dominant(cands, population, POP_RATIO)
        if f is not None:
            how = f"largest of {len(cands)} same-name counties (population >= {POP_RATIO:g}x the next)"
            return {
                **res,
                "fips": f,
                "state": _fips_to_abbr(f[:2]),
                "match_method": how,
                "match_confidence": "low" if weak else "medium",
            }
        f = _dominant(cands, foreign_born, FB_RATIO)
        if f is not None:
            how = (
                f"of {len(cands)} same-name counties, the one with >= {FB_RATIO:g}x the "
                "foreign-born population of the next (detainers follow the noncitizen population)"
            )
            return {
                **res,
                "fips": f,
                "state": _fips_to_abbr(f[:2]),
                "match_method": how,
                "match_confidence": "low",
            }
        if cands:
            return {
                **res,
                "match_method": f"ambiguous county name ({len(cands)} counties)",
                "match_confidence": "none",
            }
        return {
            **res,
            "match_method": "county name not in counties table",
            "match_confidence": "none",
        }
    m = _CITY.match(head)
    if m:
        key = agency_key(f"{m.group(1)} Police Department")
        hits = cities.get(key or "", [])
        if hint:
            hits = [h for h in hits if h[0] == hint]
        res["n_candidates"] = len(hits)
        if len(hits) == 1:
            st, f = hits[0]
            how = (
                "city police agency + state in name" if hint else "city police agency unique in US"
            )
            return {
                **res,
                "fips": f,
                "state": st,
                "match_method": how,
                "match_confidence": "medium" if m.group(2) in _CITY_WORDS and not weak else "low",
            }
        f = _dominant([h[1] for h in hits], foreign_born, POP_RATIO) if hits else None
        if f is not None:
            return {
                **res,
                "fips": f,
                "state": _fips_to_abbr(f[:2]),
                "match_method": (
                    f"of {len(hits)} same-name city agencies, the one whose county has >= "
                    f"{POP_RATIO:g}x the foreign-born population of the others"
                ),
                "match_confidence": "low",
            }
        if hits:
            return {
                **res,
                "match_method": f"ambiguous city name ({len(hits)} agencies)",
                "match_confidence": "none",
            }
        return {**res, "match_method": "city not in agency list", "match_confidence": "none"}
    if hint:  # "HILL CORR., GALESBURG, IL": a comma-separated place name in the hinted state
        for seg in name.upper().split(",")[1:]:
            key = agency_key(f"{re.sub(r'[^A-Z .]', '', seg).strip()} Police Department")
            hits = [h for h in cities.get(key or "", []) if h[0] == hint]
            if len(hits) == 1:
                st, f = hits[0]
                return {
                    **res,
                    "fips": f,
                    "state": st,
                    "n_candidates": 1,
                    "match_method": "place name + state in name (via city police agency)",
                    "match_confidence": "low",
                }
    bare = re.sub(r"\s+(SHERIFF.*|JAIL.*|DETENTION.*|DET\..*|HOLD.*)$", "", head).strip()
    cands = counties.candidates(bare) if bare and not weak else []
    if hint:
        cands = [f for f in cands if _fips_to_abbr(f[:2]) == hint]
    if len(cands) == 1:
        f = cands[0]
        return {
            **res, "fips": f, "state": _fips_to_abbr(f[:2]), "n_candidates": 1,
            "match_method": "name is a county name (unique" + (" in state)" if hint else " in US)"),
            "match_confidence": "medium",
        }  # fmt: skip
    return {**res, "match_method": "no county or city name recognised", "match_confidence": "none"}


def facility_county(
    outcomes: pd.DataFrame,
    counties: CountyIndex,
    agencies: pd.DataFrame,
    population: dict[str, float] | None = None,
    foreign_born: dict[str, float] | None = None,
) -> pd.DataFrame:
    """``detainer_facility_county``: one row per named facility (public and private).

    ``custody`` says whose custody the facility is (``local``: county/city jails and police;
    ``state_prison``, ``federal``, ``juvenile``, ``private`` (CCA/GEO/MTC), ``unknown`` for
    NPR's "OTHER-OTHER FACILITY" bucket), so the match rate can be read for local custody.
    """
    cities = city_index(agencies)
    named = outcomes[outcomes["facility"].notna()]
    fac = named.groupby(["facility", "public"], as_index=False).agg(
        n_detainers=("count_all", "first")
    )
    dec = named[named["lift_reason"] == DECLINED].groupby(["facility", "public"])["count"].sum()
    fac["n_declined"] = [
        int(dec.get((f, p), 0)) for f, p in zip(fac["facility"], fac["public"], strict=True)
    ]
    rows = [match_facility(f, counties, cities, population, foreign_born) for f in fac["facility"]]
    m = pd.DataFrame(rows, index=fac.index)
    out = pd.concat([fac, m], axis=1)
    out["custody"] = [
        _custody(f, k, p)
        for f, k, p in zip(out["facility"], out["facility_kind"], out["public"], strict=True)
    ]
    cols = [
        "facility", "public", "facility_kind", "custody", "state", "fips", "match_method",
        "match_confidence", "n_candidates", "n_detainers", "n_declined",
    ]  # fmt: skip
    out = out[cols]
    for c in ("state", "fips", "match_method", "match_confidence", "facility_kind", "custody"):
        out[c] = out[c].astype("string")
    return out


# state custody by name: DOCs, state prisons, California's CSP/CCF/CTF/CMC/CDC/CCI, Arizona's
# ASPC, Pennsylvania's SCI, Texas transfer units, "STATE P." abbreviations
_STATE_SYSTEM = re.compile(
    r"\b(DEPT\.? OF CORR|DOC\b|STATE PEN|STATE P\b|STATE PRISON|TDC\b|TDCJ|ASPC|SCI\b|"
    r"CSP\b|CCF\b|CTF\b|CMC\b|CDC\b|CCI\b|CIM\b|TRANSFER (UNIT|FACILITY)|"
    r"CORRECTIONAL INSTITUTION|CORR\.? INST|MEN COLONY|WOMEN'S FACIL|VOCATIONAL INSTITUT|"
    r"RECEPTION|RECEPT|DIAGNOSTIC|STATE JAIL)"
)
_FEDERAL_NAME = re.compile(r"F\.C\.I\.|\bFCI\b|\bSPC\b|U\.?S\.? PEN|FED\.?\s*DET|\bUSP\b")


def _custody(name: str, kind: str, public: bool) -> str:
    """Whose custody a facility is (see :func:`facility_county`)."""
    if not public:
        return "private"
    if name.upper().startswith("OTHER-OTHER"):
        return "unknown"
    if kind in ("federal", "juvenile", "state_prison"):
        return kind
    if _FEDERAL_NAME.search(name.upper()):
        return "federal"
    if _STATE_SYSTEM.search(name.upper()):
        return "state_prison"
    return "local"


def county_declines(fc: pd.DataFrame) -> pd.DataFrame:
    """``county_detainer_declines`` from public facilities matched with high/medium confidence."""
    d = fc[fc["public"] & fc["fips"].notna() & fc["match_confidence"].isin(["high", "medium"])]
    g = d.groupby("fips", as_index=False).agg(
        n_detainers=("n_detainers", "sum"),
        n_declined=("n_declined", "sum"),
        n_facilities=("facility", "nunique"),
        n_facilities_high=("match_confidence", lambda s: int((s == "high").sum())),
        facilities=("facility", lambda s: "; ".join(sorted(s))),
    )
    g["share_declined"] = g["n_declined"] / g["n_detainers"].where(g["n_detainers"] > 0)
    g["match_quality"] = g.apply(
        lambda r: "high" if r["n_facilities_high"] == r["n_facilities"] else "medium", axis=1
    ).astype("string")
    cols = [
        "fips",
        "n_detainers",
        "n_declined",
        "share_declined",
        "n_facilities",
        "n_facilities_high",
        "match_quality",
        "facilities",
    ]
    return g[cols]
