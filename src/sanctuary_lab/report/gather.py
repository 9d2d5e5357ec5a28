"""Fill :class:`~sanctuary_lab.report.site.ReportData` from a warehouse: run the studies, check the
claims, read provenance and coverage, and build the county maps.

Map tables are read by column name and skipped (with a note) when the warehouse lacks them, so a
partial warehouse still gives a report that says what is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from sanctuary_lab.report import maps
from sanctuary_lab.report.site import MapLayer, ReportData

#: progress(message, done, total), the studies package's callback shape.
Progress = Callable[[str, int, int], None]


def _connect(path: Path) -> Any:
    from sanctuary_lab.warehouse.build import connect

    return connect(path)


def _tables(con: Any) -> dict[str, list[str]]:
    rows = con.execute(
        "SELECT table_name, column_name FROM information_schema.columns ORDER BY table_name, ordinal_position"
    ).fetchall()
    out: dict[str, list[str]] = {}
    for t, c in rows:
        out.setdefault(t, []).append(c)
    return out


def table_year_counts(con: Any, tables: dict[str, list[str]]) -> pd.DataFrame:
    """Rows per final table and year, for every table with a ``year`` column."""
    parts = []
    for name, cols in sorted(tables.items()):
        if name.startswith("stg_") or "year" not in cols:
            continue
        df = con.execute(
            f'SELECT CAST(year AS INTEGER) AS year, count(*) AS rows FROM "{name}" '
            "WHERE year IS NOT NULL GROUP BY 1 ORDER BY 1"
        ).df()
        df.insert(0, "table", name)
        parts.append(df)
    if not parts:
        return pd.DataFrame(columns=["table", "year", "rows"])
    return pd.concat(parts, ignore_index=True)


def _crime_map(con: Any, cols: list[str]) -> tuple[MapLayer | None, MapLayer | None]:
    """Violent crime rate in the best-covered UCR year, and years of crime data per county."""
    rate = next((c for c in ("violent_rate_10k", "violent_rate_100k") if c in cols), None)
    if rate is None:
        return None, None
    per = "10,000" if rate.endswith("10k") else "100,000"
    where = "WHERE series = 'ucr_part1'" if "series" in cols else ""
    ok = f"{rate} IS NOT NULL" + (" AND reporting <> 'none'" if "reporting" in cols else "")
    years = con.execute(
        f"SELECT year, count(*) FILTER (WHERE {ok}) AS n FROM county_crime {where} "
        "GROUP BY year ORDER BY n DESC, year DESC"
    ).df()
    if years.empty or int(years["n"].iloc[0]) == 0:
        return None, None
    year = int(years["year"].iloc[0])
    rates = con.execute(
        f"SELECT fips, {rate} AS rate FROM county_crime {where} {'AND' if where else 'WHERE'} "
        f"year = {year} AND {ok}"
    ).df()
    rates["rate_class"], labels = maps.quantile_classes(rates["rate"])
    crime = MapLayer(
        "crime",
        f"Violent crime rate, {year}",
        f"Violent Part I offences per {per} residents in {year} (the year with the most counties "
        f"reporting), {len(rates):,} counties, in seven equal-count classes. Grey: no usable "
        "report that year.",
        maps.choropleth(
            rates,
            field="rate_class",
            title=f"Violent crime per {per} residents, {year}",
            legend_title=f"per {per}",
            kind="ordinal",
            domain=labels,
            colors=maps.YLORRD7[: len(labels)] if len(labels) == 7 else None,
        ),
    )
    all_years = sorted(int(y) for y in years["year"])
    counts = con.execute(
        f"SELECT fips, count(DISTINCT year) FILTER (WHERE {ok}) AS n FROM county_crime {where} "
        "GROUP BY fips"
    ).df()
    n_years = len(all_years)
    counts["coverage"] = counts["n"].map(lambda k: f"{int(k)} of {n_years} years")
    domain = [f"{k} of {n_years} years" for k in range(n_years, -1, -1)]
    palette = ["#08519c", "#3182bd", "#6baed6", "#bdd7e7", "#fdae6b", "#e6550d"]
    colors = (palette[:n_years] + ["#e6550d"])[: n_years + 1]
    colors[-1] = "#e6550d"
    coverage = MapLayer(
        "coverage",
        "Crime data coverage",
        f"How many of the UCR county years in the warehouse ({', '.join(map(str, all_years))}) "
        "have a usable violent-crime rate for each county. Orange: counties present in the crime "
        "files with no usable year; grey: counties absent from the crime files.",
        maps.choropleth(
            counts,
            field="coverage",
            title="Years with a usable county crime rate",
            legend_title="Coverage",
            kind="ordinal",
            domain=domain,
            colors=colors,
        ),
    )
    return crime, coverage


#: Display split of the 287(g) map: agreements in force before this year vs from it on.
ERA_SPLIT = 2018
#: Class edges (shares) of the detainer-decline map; zero gets its own class.
DECLINE_EDGES = (0.01, 0.05)


def _decline_classes(share: pd.Series) -> tuple[pd.Series, list[str]]:
    lo, hi = DECLINE_EDGES
    labels = [
        "none declined",
        f"under {lo:.0%}",
        f"{lo:.0%} to under {hi:.0%}",
        f"{hi:.0%} or more",
    ]

    def one(v: float) -> str | None:
        if pd.isna(v):
            return None
        if v == 0:
            return labels[0]
        return labels[1] if v < lo else labels[2] if v < hi else labels[3]

    return share.map(one), labels


def _detainer_map(con: Any, cols: list[str]) -> MapLayer | None:
    if "fips" not in cols or "share_declined" not in cols:
        return None
    df = con.execute(
        "SELECT fips, share_declined AS share FROM county_detainer_declines "
        "WHERE share_declined IS NOT NULL"
    ).df()
    if df.empty:
        return None
    df["decline_class"], labels = _decline_classes(df["share"])
    n_zero = int((df["share"] == 0).sum())
    return MapLayer(
        "detainer-declines",
        "Detainer declines",
        f"Share of ICE detainers at matched public facilities (NPR detainer outcomes) that ended because the "
        f"local agency declined them; {len(df):,} counties have a matched facility, {n_zero:,} of "
        "them with no declines. Grey: no matched facility.",
        maps.choropleth(
            df,
            field="decline_class",
            title="Share of detainers declined by local agencies",
            legend_title="share declined",
            kind="ordinal",
            domain=labels,
            colors=["#fcfbfd", "#cbc9e2", "#9e9ac8", "#54278f"],
        ),
    )


def _exposure_map(con: Any, cols: list[str]) -> MapLayer | None:
    if not {"fips", "year", "any_287g"} <= set(cols):
        return None
    df = con.execute(
        "SELECT fips, max(any_287g) FILTER (WHERE year < ?) AS pre, "
        "max(any_287g) FILTER (WHERE year >= ?) AS post, min(year) AS y0, max(year) AS y1 "
        "FROM county_year_287g GROUP BY fips",
        [ERA_SPLIT, ERA_SPLIT],
    ).df()
    if df.empty:
        return None
    y0, y1 = int(df["y0"].min()), int(df["y1"].max())
    before, after = f"{y0}–{ERA_SPLIT - 1}", f"{ERA_SPLIT}–{y1}"
    labels = [f"in force {before} and {after}", f"{before} only", f"{after} only", "none recorded"]
    pre, post = df["pre"].fillna(0).astype(int) == 1, df["post"].fillna(0).astype(int) == 1
    df["exposure"] = [
        labels[0] if a and b else labels[1] if a else labels[2] if b else labels[3]
        for a, b in zip(pre, post, strict=True)
    ]
    counts = df["exposure"].value_counts()
    return MapLayer(
        "287g",
        "287(g) exposure",
        f"Counties with a 287(g) agreement in force (any model) in {before}, in {after}, or both "
        f"({', '.join(f'{k}: {int(counts.get(k, 0)):,}' for k in labels[:3])}); where the sources "
        "cannot say for a year it counts as none recorded.",
        maps.choropleth(
            df,
            field="exposure",
            title=f"287(g) agreements in force, {y0}–{y1}",
            legend_title="287(g)",
            kind="nominal",
            domain=labels,
            colors=["#3f007d", "#807dba", "#e08214", "#efedf5"],
        ),
    )


def _treatment_maps(con: Any, tables: dict[str, list[str]]) -> list[MapLayer]:
    out = [
        _detainer_map(con, tables.get("county_detainer_declines", [])),
        _exposure_map(con, tables.get("county_year_287g", [])),
    ]
    return [m for m in out if m is not None]


def _provenance(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Provenance rows with the counts first and the (long) hash last."""
    df = pd.DataFrame(records)
    if "sha256" in df.columns:
        df = df[[c for c in df.columns if c != "sha256"] + ["sha256"]]
    return df


def warehouse_report_data(path: Path, raw_dir: Path | None = None) -> ReportData:
    """Provenance, coverage and maps from the warehouse (studies and claims left empty)."""
    from sanctuary_lab.config import resolve_raw_dir
    from sanctuary_lab.warehouse.quality import info, quality

    q = quality(path)
    inf = info(path)
    build = inf.get("build", {})
    if raw_dir is None:
        built_raw = build.get("raw_dir")
        raw_dir = Path(built_raw) if built_raw and Path(built_raw).is_dir() else resolve_raw_dir()
    topology = maps.load_topology(raw_dir)
    con = _connect(path)
    try:
        tables = _tables(con)
        layers: list[MapLayer] = []
        if "county_crime" in tables:
            crime, coverage = _crime_map(con, tables["county_crime"])
            layers += [m for m in (crime,) if m]
            layers += _treatment_maps(con, tables)
            layers += [m for m in (coverage,) if m]
        else:
            layers += _treatment_maps(con, tables)
        years = table_year_counts(con, tables)
    finally:
        con.close()
    table_rows = pd.DataFrame([t for t in inf["tables"] if not t["table"].startswith("stg_")])
    return ReportData(
        runs=[],
        checks=[],
        topology=topology,
        maps=layers,
        provenance=_provenance(q.get("provenance", [])),
        rejected=pd.DataFrame(q.get("rejected_by_reason", [])),
        tables=table_rows,
        table_years=years,
        coverage_checks=pd.DataFrame(q.get("coverage", [])),
        caveats=pd.DataFrame(q.get("caveats", [])),
        build=build,
        warehouse_name=Path(path).name,
    )
