"""Name -> county matching for the policy tables (see ``tables_policy``).

- :class:`CountyIndex` looks county names up in the ``counties`` table by (state, normalised
  name) and, without a state, across all states.
- :func:`agency_key` normalises agency names so different spellings of one agency collapse.
- :func:`agencies` builds the ``agencies`` table (FBI agency list, ORI -> county FIPS).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd

from sanctuary_lab.sources.geo import ABBR_TO_FIPS, STATES, county_key


def _key(name: object) -> str | None:
    if name is None or name is pd.NA or (isinstance(name, float) and pd.isna(name)):
        return None
    s = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return county_key(s)


@dataclass
class CountyIndex:
    """County-name lookup built from a counties table (fips, name, state).

    Names are normalised with :func:`~sanctuary_lab.sources.geo.county_key` (accents
    removed, County/Parish/Borough dropped, "St."/"Saint" unified, independent cities keep
    "CITY"). ``by_state`` maps (state, key) -> fips; ``by_key`` maps key -> all fips.
    """

    by_state: dict[tuple[str, str], str] = field(default_factory=dict)
    by_key: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_counties(cls, counties: pd.DataFrame) -> CountyIndex:
        idx = cls()
        for fips, name, state in counties[["fips", "name", "state"]].itertuples(index=False):
            k = _key(name)
            if not k or not isinstance(state, str):
                continue
            idx.by_state.setdefault((state, k), fips)
            idx.by_key.setdefault(k, []).append(fips)
        return idx

    def lookup(self, name: object, state: object) -> str | None:
        """FIPS of county ``name`` in ``state`` (2-letter), or None.

        A name ending in "city" that is not an independent city falls back to the plain name.
        """
        k = _key(name)
        if not k or not isinstance(state, str):
            return None
        hit = self.by_state.get((state, k))
        if hit is None and k.endswith("CITY"):
            hit = self.by_state.get((state, k[:-4]))
        return hit

    def candidates(self, name: object) -> list[str]:
        """All FIPS whose county name normalises to the same key (any state)."""
        k = _key(name)
        return list(self.by_key.get(k, [])) if k else []


def fallback_counties(staged: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Counties (fips, name, state) from the UWCHR AOR crosswalk, used only when the core
    ``counties`` table is absent (e.g. a partial build)."""
    aor = staged.get("stg_uwchr_county_aor")
    if aor is None:
        return pd.DataFrame(columns=["fips", "name", "state"])
    out = aor[["fips", "county_name"]].rename(columns={"county_name": "name"}).copy()
    out["state"] = out["fips"].str[:2].map(lambda s: STATES[s][0] if s in STATES else None)
    return out


# ----------------------------------------------------------------------------------------------
# agency names

_WORDS = {
    "CO": "COUNTY",
    "CNTY": "COUNTY",
    "CTY": "COUNTY",
    "DEPT": "DEPARTMENT",
    "DEP": "DEPARTMENT",
    "DPT": "DEPARTMENT",
    "OFC": "OFFICE",
    "SHERIFFS": "SHERIFF",
    "CORRECTION": "CORRECTIONS",
    "CORR": "CORRECTIONS",
    "PD": "POLICE DEPARTMENT",
    "SO": "SHERIFF",
    "DOC": "DEPARTMENT OF CORRECTIONS",
    "DPS": "DEPARTMENT OF PUBLIC SAFETY",
}
_DROP = {"THE", "ADDENDUM"}


def agency_key(name: object, state: object = None) -> str | None:
    """Normalise an agency name for de-duplication.

    Rules: accents and apostrophes removed, upper case, a trailing "(State)" or state code
    dropped, abbreviations expanded (Co.->COUNTY, Dept->DEPARTMENT, SO->SHERIFF, PD->POLICE
    DEPARTMENT, DOC->DEPARTMENT OF CORRECTIONS), a leading state code expanded to the state name
    ("AZ Department of Corrections" = "Arizona Department of Corrections"), "Sheriff's Office",
    "Sheriff's Department" and "Sheriff" made equal, a trailing "Police" read as "Police
    Department", a leading "City of" and the words
    "the"/"addendum" dropped.
    """
    if name is None or name is pd.NA or (isinstance(name, float) and pd.isna(name)):
        return None
    s = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().upper()
    s = re.sub(r"HTTPS?://.*$", "", s)
    s = re.sub(r"\([^)]*\)\s*$", "", s)
    s = s.replace("'", "").replace("\u2019", "")
    toks = re.sub(r"[^A-Z0-9]+", " ", s).split()
    if not toks:
        return None
    st = str(state).upper() if isinstance(state, str) else None
    if st and len(toks) > 1 and toks[-1] == st:
        toks = toks[:-1]
    ambiguous = toks[0] in ("CO", "SO", "PD") and toks[1:2] not in (["DEPT"], ["DEPARTMENT"])
    if toks[0] in ABBR_TO_FIPS and len(toks) > 1 and not ambiguous:
        toks = STATES[ABBR_TO_FIPS[toks[0]]][1].upper().split() + toks[1:]
    out: list[str] = []
    for t in toks:
        if t in _DROP:
            continue
        out.extend(_WORDS.get(t, t).split())
    s = " ".join(out)
    s = re.sub(r"^CITY OF ", "", s)
    s = re.sub(r"\bSHERIFF (OFFICE|DEPARTMENT)\b", "SHERIFF", s)
    s = re.sub(r"\bPOLICE$", "POLICE DEPARTMENT", s)
    return s.strip() or None


_COUNTY_IN_NAME = re.compile(r"^(.*?)\s+(?:COUNTY|PARISH|BOROUGH)\b")
_SHERIFF_OF = re.compile(r"^(.*?)\s+SHERIFF\b")


def county_from_agency(name: object) -> str | None:
    """The county named in an agency name.

    "Etowah County Sheriff's Office" -> "ETOWAH"; a sheriff without the word County
    ("Prince William Sheriff's Office") -> "PRINCE WILLIAM".
    """
    k = agency_key(name)
    if not k:
        return None
    m = _COUNTY_IN_NAME.match(k) or _SHERIFF_OF.match(k)
    return m.group(1) if m else None


def agency_name_index(agencies_df: pd.DataFrame) -> dict[tuple[str, str], tuple[str, str]]:
    """(state, agency_key) -> (ori, fips) for agency-list names that are unique in their state
    and have a county."""
    d = agencies_df[agencies_df["fips"].notna()]
    keys = [agency_key(n, s) for n, s in zip(d["agency_name"], d["state"], strict=True)]
    t = pd.DataFrame(
        {
            "state": d["state"].to_numpy(),
            "key": keys,
            "ori": d["ori"].to_numpy(),
            "fips": d["fips"].to_numpy(),
        }
    )
    t = t.dropna(subset=["key"]).drop_duplicates(["state", "key"], keep=False)
    return {(s, k): (o, f) for s, k, o, f in t.itertuples(index=False)}


# ----------------------------------------------------------------------------------------------
# agencies table


def _primary(parts: list[str], hits: list[str | None], population: dict[str, float]) -> int:
    """Index of the primary county: the most populous matched county, else the first listed."""
    pops = [(population.get(h, -1.0) if h else -2.0, -k) for k, h in enumerate(hits)]
    best = max(pops)
    return -best[1] if best[0] >= 0 else 0


def agencies(
    ucr: pd.DataFrame, index: CountyIndex, population: dict[str, float] | None = None
) -> pd.DataFrame:
    """Build ``agencies`` from the staged FBI agency list.

    Columns: ori (9 chars), ori7 (first 7, the old UCR ORI), ori7_unique (no other agency shares
    those 7 characters), agency_name, agency_type, state, state_fips, county_names (as given),
    county_name (primary county), fips (primary county FIPS), fips_first_listed (FIPS of the
    first listed county), fips_list (FIPS of every listed county that matched, "; "-joined),
    n_counties, county_match ('matched', 'partial' = some listed counties unmatched,
    'unmatched', 'no county').

    Matching: each "; "-separated county name is looked up by (state, normalised name) in the
    ``counties`` table; nothing is guessed across states.

    Primary county of a multi-county agency: the most populous of its matched counties (latest
    population in ``county_population``), falling back to the first listed. The FBI list's order
    is not "principal county first" (Dallas PD lists "ROCKWALL; DENTON; COLLIN; DALLAS"), so the
    first listed county is kept separately in ``fips_first_listed``.
    """
    population = population or {}
    out = ucr.copy()
    names = out["county_names"].astype("string")
    lists = names.str.split(";")
    prim, fips1, first, fipsl, ncount, status = [], [], [], [], [], []
    for parts, st in zip(lists, out["state"], strict=True):
        if not isinstance(parts, list):
            prim.append(pd.NA)
            fips1.append(pd.NA)
            first.append(pd.NA)
            fipsl.append(pd.NA)
            ncount.append(0)
            status.append("no county")
            continue
        parts = [p.strip() for p in parts if p and p.strip()]
        hits = [index.lookup(p, st) for p in parts]
        good = [h for h in hits if h]
        k = _primary(parts, hits, population) if parts else 0
        prim.append(parts[k] if parts else pd.NA)
        fips1.append(hits[k] if hits and hits[k] else pd.NA)
        first.append(hits[0] if hits and hits[0] else pd.NA)
        fipsl.append("; ".join(dict.fromkeys(good)) if good else pd.NA)
        ncount.append(len(parts))
        status.append(
            "matched" if good and len(good) == len(parts) else "partial" if good else "unmatched"
        )
    out["county_name"] = pd.Series(prim, index=out.index, dtype="string")
    out["fips"] = pd.Series(fips1, index=out.index, dtype="string")
    out["fips_first_listed"] = pd.Series(first, index=out.index, dtype="string")
    out["fips_list"] = pd.Series(fipsl, index=out.index, dtype="string")
    out["n_counties"] = pd.Series(ncount, index=out.index, dtype="int64")
    out["county_match"] = pd.Series(status, index=out.index, dtype="string")
    out["ori7_unique"] = ~out["ori7"].duplicated(keep=False)
    cols = [
        "ori", "ori7", "ori7_unique", "agency_name", "agency_type", "state", "state_fips",
        "county_names", "county_name", "fips", "fips_first_listed", "fips_list", "n_counties",
        "county_match",
    ]  # fmt: skip
    return out[cols].reset_index(drop=True)
