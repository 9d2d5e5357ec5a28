"""Which sources the raw folder holds, what each covers, and which studies and claims it unlocks
(what the ``sanctuary-lab sources`` command prints).

Each adapter is listed with ``present`` (its folder, or for the full official formats its data
files, is in the raw folder), the years it covers (the raw shelf's ``INDEX.md`` row; for full
formats checked with ``--check``, the years parsed; ``--check`` parses every source present), the warehouse tables it feeds
(:data:`SOURCE_TABLES`), and the bundled studies whose ``[data] tables`` use those tables and the
registered claims that point at those studies. For an absent source, ``get`` says what to
download.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

#: raw folder -> warehouse (final) tables it feeds
SOURCE_TABLES: dict[str, tuple[str, ...]] = {
    "county_crime_icpsr_2012": ("county_crime",),
    "urban_mobility_county_crime": ("county_crime", "county_population"),
    "marshall_city_crime": ("city_crime", "national_crime"),
    "state_ucr_classdata": ("state_crime",),
    "acs_county_2015_2017_kaggle": ("county_covariates",),
    "census_county_facts_2014": ("county_covariates",),
    "usdata_county_complete": ("county_covariates", "county_unemployment", "county_population"),
    "census_popest_county_2010_2019": ("county_population",),
    "nchs_urban_rural_2013": ("counties",),
    "us_atlas_counties_topojson": ("counties",),
    "wapo_287g_sheriffs": ("county_year_287g", "agencies"),
    "policy-287g-pre2018-ddp": ("county_year_287g", "policy_287g"),
    "policy-287g-2024-2026": ("county_year_287g", "policy_287g"),
    "policy-sc-287g-cpuma-east2022": ("policy_sc_coverage",),
    "ice-detainer-outcomes-npr": (
        "detainers_national_by_year",
        "detainers_national_by_reason",
        "county_detainer_declines",
    ),  # fmt: skip
    "ice-aor-crosswalks": ("ice_aor", "stg_aor_demog"),
    "ucr_county_arrests_icpsr": ("county_arrests",),
    "ice_ero_arrests_cited": ("ice_ero_arrests",),
    "ucr_offenses_known": ("county_offenses",),
    "ucr_county_offenses_icpsr": ("county_offenses",),
    "fbi_cde_agency": ("county_offenses",),
    "ddp_ice_records": ("ice_arrests", "ice_records_by_year"),
}
#: descriptive builders -> tables they read (descriptive studies declare no frame)
DESCRIPTIVE_TABLES: dict[str, tuple[str, ...]] = {
    "detainer_declines_by_year": ("detainers_national_by_year", "detainers_national_by_reason"),
    "enforcement_breadth": (
        "detainers_national_by_year",
        "county_year_287g",
        "policy_sc_coverage",
        "ice_arrests",
    ),  # fmt: skip
    "ice_ero_noncriminal_share": ("ice_ero_arrests",),
}


def index_years(raw_dir: Path) -> dict[str, str]:
    """Folder -> years, from the raw shelf's ``INDEX.md`` table (empty when there is none)."""
    path = Path(raw_dir) / "INDEX.md"
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and re.fullmatch(r"[\w.-]+", cells[0]) and cells[0] != "folder":
            out[cells[0]] = cells[2]
    return out


def _study_tables() -> dict[str, set[str]]:
    from sanctuary_lab.studies.api import list_studies

    out = {}
    for s in list_studies():
        t = set(s.tables)
        for d in s.descriptive:
            t |= set(DESCRIPTIVE_TABLES.get(d.builder, ()))
        out[s.id] = t
    return out


def _claims_by_study() -> dict[str, list[str]]:
    from sanctuary_lab.studies.claims import load_registry

    reg = load_registry()
    out: dict[str, list[str]] = {}
    for _, r in reg.iterrows():
        out.setdefault(str(r["study_id"]), []).append(str(r["claim_id"]))
    return out


def _present(adapter: Any, raw_dir: Path) -> tuple[bool, int]:
    folder = Path(raw_dir) / adapter.name
    if not folder.is_dir():
        return False, 0
    files = [
        p for p in folder.rglob("*") if p.is_file() and p.name not in ("SOURCE.md", "layout.csv")
    ]
    if getattr(adapter, "get", None):  # full formats: present only with data files
        files = [p for p in files if p.suffix in (".csv", ".gz", ".txt")]
    return bool(files), len(files)


def catalog(raw_dir: Path, check: bool = False) -> list[dict[str, Any]]:
    """One entry per known source (see the module docstring).

    With ``check``, every present source is parsed (bad input raises
    :class:`~sanctuary_lab.core.errors.InputError`); a full-format source's years are read from the
    parsed tables.
    """
    from sanctuary_lab.sources.registry import all_adapters

    years = index_years(raw_dir)
    study_tables = _study_tables()
    claims = _claims_by_study()
    rows = []
    for a in all_adapters():
        present, n_files = _present(a, raw_dir)
        full = bool(getattr(a, "get", None))
        y = years.get(a.name, "")
        if present and check:
            sd = a.load(raw_dir)
            found = sorted(
                {int(v) for t in sd.tables.values() for c in ("year", "fiscal_year") if c in t
                 for v in pd.to_numeric(t[c], errors="coerce").dropna().unique()}
            )  # fmt: skip
            if found and (full or not y):
                y = f"{found[0]}-{found[-1]}"
        tables = SOURCE_TABLES.get(a.name, ())
        studies = sorted(s for s, t in study_tables.items() if t & set(tables))
        rows.append(
            {
                "source": a.name,
                "title": a.title,
                "kind": "full official format" if full else "raw shelf",
                "present": present,
                "files": n_files,
                "years": y,
                "tables": list(tables),
                "studies": studies,
                "claims": sorted(c for s in studies for c in claims.get(s, [])),
                "get": ""
                if present
                else (getattr(a, "get", "") or f"folder {a.name}/ (see INDEX.md)"),
            }
        )
    return rows
