"""Geography helpers: state FIPS codes, abbreviations and names, county FIPS checks and county
name normalisation."""

from __future__ import annotations

import re

import pandas as pd

# 50 states + DC + Puerto Rico (72). Territories other than PR are not county geographies we use.
STATES: dict[str, tuple[str, str]] = {
    "01": ("AL", "Alabama"), "02": ("AK", "Alaska"), "04": ("AZ", "Arizona"),
    "05": ("AR", "Arkansas"), "06": ("CA", "California"), "08": ("CO", "Colorado"),
    "09": ("CT", "Connecticut"), "10": ("DE", "Delaware"), "11": ("DC", "District of Columbia"),
    "12": ("FL", "Florida"), "13": ("GA", "Georgia"), "15": ("HI", "Hawaii"),
    "16": ("ID", "Idaho"), "17": ("IL", "Illinois"), "18": ("IN", "Indiana"),
    "19": ("IA", "Iowa"), "20": ("KS", "Kansas"), "21": ("KY", "Kentucky"),
    "22": ("LA", "Louisiana"), "23": ("ME", "Maine"), "24": ("MD", "Maryland"),
    "25": ("MA", "Massachusetts"), "26": ("MI", "Michigan"), "27": ("MN", "Minnesota"),
    "28": ("MS", "Mississippi"), "29": ("MO", "Missouri"), "30": ("MT", "Montana"),
    "31": ("NE", "Nebraska"), "32": ("NV", "Nevada"), "33": ("NH", "New Hampshire"),
    "34": ("NJ", "New Jersey"), "35": ("NM", "New Mexico"), "36": ("NY", "New York"),
    "37": ("NC", "North Carolina"), "38": ("ND", "North Dakota"), "39": ("OH", "Ohio"),
    "40": ("OK", "Oklahoma"), "41": ("OR", "Oregon"), "42": ("PA", "Pennsylvania"),
    "44": ("RI", "Rhode Island"), "45": ("SC", "South Carolina"), "46": ("SD", "South Dakota"),
    "47": ("TN", "Tennessee"), "48": ("TX", "Texas"), "49": ("UT", "Utah"),
    "50": ("VT", "Vermont"), "51": ("VA", "Virginia"), "53": ("WA", "Washington"),
    "54": ("WV", "West Virginia"), "55": ("WI", "Wisconsin"), "56": ("WY", "Wyoming"),
    "72": ("PR", "Puerto Rico"),
}  # fmt: skip

ABBR_TO_FIPS: dict[str, str] = {abbr: code for code, (abbr, _) in STATES.items()}
NAME_TO_FIPS: dict[str, str] = {name.upper(): code for code, (_, name) in STATES.items()}


def state_fips_from_any(value: str) -> str | None:
    """Map a state FIPS code, postal abbreviation or full name to a 2-digit FIPS (or None)."""
    v = str(value).strip()
    if not v:
        return None
    if v.isdigit():
        code = v.zfill(2)
        return code if code in STATES else None
    up = v.upper()
    if up in ABBR_TO_FIPS:
        return ABBR_TO_FIPS[up]
    return NAME_TO_FIPS.get(up)


def is_valid_county_fips(fips: str) -> bool:
    """True for a 5-digit string whose state part is a known state and county part is not 000."""
    return (
        isinstance(fips, str)
        and len(fips) == 5
        and fips.isdigit()
        and fips[:2] in STATES
        and fips[2:] != "000"
    )


_SUFFIXES = (
    " CITY AND BOROUGH",
    " CENSUS AREA",
    " MUNICIPALITY",
    " BOROUGH",
    " PARISH",
    " COUNTY",
    " CO.",
    " CO",
    " CNTY",
    " CTY",
)


def county_key(name: object) -> str | None:
    """Normalise a county name for matching: "St. Mary's Parish" and "SAINT MARYS" -> "STMARYS".

    Upper-cases, drops a trailing state suffix (", AL"), the words County/Parish/Borough/Census
    Area/Municipality (and "Co."), then keeps letters only with "SAINT"->"ST", "STE"->"ST".
    Independent cities keep the word "CITY" so "Richmond city" does not collide with Richmond
    County.
    """
    if name is None or name is pd.NA or (isinstance(name, float) and pd.isna(name)):
        return None
    s = str(name).upper().replace("\u2019", "'").strip()
    s = re.sub(r",\s*[A-Z .]+$", "", s)  # "ETOWAH COUNTY, AL" -> "ETOWAH COUNTY"
    for suf in _SUFFIXES:
        if s.endswith(suf):
            s = s[: -len(suf)]
            break
    s = re.sub(r"\bSAINTE?\b", "ST", s)
    s = re.sub(r"\bSTE\b", "ST", s)
    s = re.sub(r"[^A-Z]", "", s)
    return s or None
