"""The explorer's data: every county and city with its series over time, as one local script.

``assets/explorer-data.js`` defines ``window.SANCTUARY_EXPLORER = {meta, places}``; the explorer
page reads it (a ``file://`` page cannot fetch JSON). Each place has a label to search
(``"Maricopa County, AZ"``), and series keyed by name: crime rates by year, arrests when the
warehouse holds them, covariates by vintage, 287(g) by year, Secure Communities coverage of its
state by year, and the sanctuary status we derive, each with the source it comes from.

Tables and columns are read by name and skipped when absent, so a partial warehouse gives an
explorer with fewer series, never a failure.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from sanctuary_lab.core.formatting import fmt_count, fmt_share, is_number

GLOBAL_NAME = "SANCTUARY_EXPLORER"

#: series key -> (title, unit) as the explorer prints them
SERIES = {
    "violent_rate": ("Violent crime rate", "per 100,000 residents"),
    "property_rate": ("Property crime rate", "per 100,000 residents"),
    "arrests_rate": ("Arrests", "per 100,000 residents"),
    "arrests": ("Arrests", "count"),
    "population": ("Population", "residents"),
    "pct_foreign_born": ("Foreign-born share", "%"),
    "median_household_income": ("Median household income", "US dollars"),
    "poverty_rate": ("Poverty rate", "%"),
    "unemployment_rate": ("Unemployment rate", "%"),
    "any_287g": ("287(g) agreement in force", "1 = yes, 0 = none recorded"),
    "sc_share": ("Secure Communities coverage of the state", "share of population"),
}


def _r(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(f):
        return None
    if f == 0:
        return 0.0
    digits = max(0, 3 - int(math.floor(math.log10(abs(f)))))
    return round(f, digits)


def _add(places: dict[str, dict[str, Any]], key: str, name: str, df: pd.DataFrame,
         x: str, y: str, source: str) -> None:  # fmt: skip
    for pid, part in df.groupby(key, sort=False):
        place = places.get(str(pid))
        if place is None:
            continue
        pts = [[int(a), _r(b)] for a, b in zip(part[x], part[y], strict=True) if _r(b) is not None]
        if pts:
            entry = place["series"].setdefault(name, {"source": source, "points": []})
            # one value per year (a later vintage or source of the same year wins)
            by_year = {p[0]: p for p in entry["points"] + pts}
            entry["points"] = [by_year[k] for k in sorted(by_year)]


def _cols(tables: dict[str, list[str]], name: str) -> set[str]:
    return set(tables.get(name, []))


def explorer_data(
    con: Any, tables: dict[str, list[str]], names: pd.DataFrame | None
) -> dict[str, Any] | None:
    """Places and their series from the warehouse (``None`` when it has no places table)."""
    places: dict[str, dict[str, Any]] = {}
    if names is not None and not names.empty:
        for r in names.itertuples(index=False):
            fips = str(r.fips).zfill(5)
            county = str(r.county or "")
            places[fips] = {
                "id": fips,
                "kind": "county",
                "label": f"{county}, {r.state}" if r.state else county,
                "state": str(r.state or ""),
                "series": {},
                "facts": {},
            }
    cc = _cols(tables, "county_crime")
    if {"fips", "year"} <= cc:
        where = "WHERE series = 'ucr_part1'" if "series" in cc else ""
        for col, key in (
            ("violent_rate_100k", "violent_rate"),
            ("property_rate_100k", "property_rate"),
        ):
            if col in cc:
                df = con.execute(
                    f"SELECT fips, year, {col} AS v FROM county_crime {where} ORDER BY year"
                ).df()
                _add(
                    places,
                    "fips",
                    key,
                    df,
                    "year",
                    "v",
                    "FBI UCR via NACJD and the Urban Institute",
                )
    for table, cols in tables.items():
        if "arrest" not in table or not {"fips", "year"} <= set(cols):
            continue
        col = next((c for c in cols if c.endswith("rate_100k") and "arrest" in c), None)
        col = col or next(
            (c for c in cols if c in ("arrests", "arrests_total", "total_arrests")), None
        )
        if col is None:
            continue
        df = con.execute(f'SELECT fips, year, "{col}" AS v FROM "{table}" ORDER BY year').df()
        key = "arrests_rate" if col.endswith("100k") else "arrests"
        _add(places, "fips", key, df, "year", "v", "FBI UCR county arrest files")
    cov = _cols(tables, "county_covariates")
    if {"fips", "vintage"} <= cov:
        wanted = [c for c in ("population", "pct_foreign_born", "median_household_income",
                              "poverty_rate", "unemployment_rate") if c in cov]  # fmt: skip
        if wanted:
            df = con.execute(
                f"SELECT fips, vintage, source, {', '.join(wanted)} FROM county_covariates"
            ).df()
            # a vintage like "acs2011_2015" is plotted at its last year
            df["year"] = pd.to_numeric(
                df["vintage"].astype(str).str.extract(r"(\d{4})(?!.*\d{4})")[0], errors="coerce"
            )
            df = df.dropna(subset=["year"]).sort_values("year")
            for col in wanted:
                _add(places, "fips", col, df, "year", col, "Census Bureau, ACS and QuickFacts")
    pop = _cols(tables, "county_population")
    if {"fips", "year", "population"} <= pop:
        df = con.execute("SELECT fips, year, population FROM county_population ORDER BY year").df()
        df = df.drop_duplicates(["fips", "year"])
        for p in places.values():
            p["series"].pop("population", None)
        _add(places, "fips", "population", df, "year", "population", "Census population estimates")
    g = _cols(tables, "county_year_287g")
    if {"fips", "year", "any_287g"} <= g:
        df = con.execute("SELECT fips, year, any_287g FROM county_year_287g ORDER BY year").df()
        df["any_287g"] = pd.to_numeric(df["any_287g"], errors="coerce")
        _add(places, "fips", "any_287g", df, "year", "any_287g",
             "ICE, Deportation Data Project and Washington Post 287(g) lists")  # fmt: skip
    sc = _cols(tables, "policy_sc_coverage")
    if {"state", "year", "sc_frac"} <= sc:
        df = con.execute("SELECT state, year, sc_frac FROM policy_sc_coverage ORDER BY year").df()
        by_state = {s: part for s, part in df.groupby("state")}
        for p in places.values():
            part = by_state.get(p["state"])
            if part is None:
                continue
            pts = [[int(a), _r(b)] for a, b in zip(part["year"], part["sc_frac"], strict=True)
                   if _r(b) is not None]  # fmt: skip
            if pts:
                p["series"]["sc_share"] = {
                    "source": "East et al. (2022) replication files",
                    "points": pts,
                }
    dd = _cols(tables, "county_detainer_declines")
    if {"fips", "share_declined", "n_detainers"} <= dd:
        df = con.execute(
            "SELECT fips, n_detainers, n_declined, share_declined FROM county_detainer_declines"
        ).df()
        for r in df.itertuples(index=False):
            p = places.get(str(r.fips).zfill(5))
            if p is None:
                continue
            share = fmt_share(r.share_declined) if is_number(r.share_declined) else ""
            p["facts"]["Detainers declined by local agencies, FY2008–2015 (NPR FOIA data)"] = (
                f"{fmt_count(int(r.n_declined or 0))} of {fmt_count(int(r.n_detainers or 0))} "
                "detainers" + (f" ({share})" if share else "")
            )
    _cities(con, tables, places)
    kept = [p for p in places.values() if p["series"] or p["facts"]]
    if not kept:
        return None
    kept.sort(key=lambda p: (p["kind"], p["label"]))
    return {
        "meta": {
            "series": {k: {"title": t, "unit": u} for k, (t, u) in SERIES.items()},
            "n_counties": sum(p["kind"] == "county" for p in kept),
            "n_cities": sum(p["kind"] == "city" for p in kept),
        },
        "places": kept,
    }


def _cities(con: Any, tables: dict[str, list[str]], places: dict[str, dict[str, Any]]) -> None:
    cc = _cols(tables, "city_crime")
    if not {"ori", "year", "violent_rate_100k"} <= cc:
        return
    name_col = "department_name" if "department_name" in cc else "ori"
    df = con.execute(
        f"SELECT ori, {name_col} AS name, state, year, violent_rate_100k AS v FROM city_crime "
        "ORDER BY year"
    ).df()
    for ori, part in df.groupby("ori"):
        name = str(part["name"].dropna().iloc[-1]) if part["name"].notna().any() else str(ori)
        state = str(part["state"].dropna().iloc[-1]) if part["state"].notna().any() else ""
        pid = f"city:{ori}"
        places[pid] = {
            "id": pid,
            "kind": "city",
            "label": f"{name} (city police), {state}" if state else f"{name} (city police)",
            "state": state,
            "series": {},
            "facts": {},
        }
    df["pid"] = "city:" + df["ori"].astype(str)
    _add(places, "pid", "violent_rate", df, "year", "v",
         "FBI UCR via The Marshall Project")  # fmt: skip
    try:
        from sanctuary_lab.studies.data_files import data_dir

        adoption = data_dir() / "sanctuary_adoption_large_cities.csv"
        if adoption.is_file():
            ad = pd.read_csv(adoption, dtype=str, keep_default_na=False)
            for r in ad.to_dict(orient="records"):
                p = places.get(f"city:{r.get('ori', '')}")
                if p is not None and r.get("adoption_year"):
                    p["facts"]["Sanctuary policy adopted"] = (
                        f"{r['adoption_year']}: {r.get('policy', '')} (source: {r.get('source', '')})"
                    )
    except (OSError, ImportError, pd.errors.ParserError):
        return


def write_explorer_data(data: dict[str, Any] | None, path: Path) -> bool:
    """Write ``assets/explorer-data.js``; returns whether there was anything to write."""
    if not data:
        if path.exists():
            path.unlink()
        return False
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    path.write_text(f"window.{GLOBAL_NAME} = {text};\n", encoding="utf-8")
    return True
