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


def _numeric_column(cols: list[str], preferred: tuple[str, ...]) -> str | None:
    return next((c for c in preferred if c in cols), None)


def _treatment_maps(con: Any, tables: dict[str, list[str]]) -> list[MapLayer]:
    out = []
    cols = tables.get("county_detainer_declines", [])
    field = _numeric_column(cols, ("share_declined",))
    if "fips" in cols and field:
        df = con.execute(f"SELECT fips, {field} AS share FROM county_detainer_declines").df()
        df = df.groupby("fips", as_index=False)["share"].mean()
        out.append(
            MapLayer(
                "detainer-declines",
                "Detainer declines",
                f"Share of ICE detainers declined by local agencies ({len(df):,} counties).",
                maps.choropleth(
                    df,
                    field="share",
                    title="Share of detainers declined",
                    legend_title="share declined",
                    scheme="purples",
                ),
            )
        )
    cols = tables.get("county_year_287g", [])
    field = _numeric_column(cols, ("any_287g",))
    if "fips" in cols and field and "year" in cols:
        df = con.execute(
            f"SELECT fips, max(CAST({field} AS INTEGER)) AS ever, min(year) AS y0, max(year) AS y1 "
            "FROM county_year_287g GROUP BY fips"
        ).df()
        y0, y1 = int(df["y0"].min()), int(df["y1"].max())
        df["exposure"] = df["ever"].map({1: "287(g) in force some year", 0: "no 287(g) recorded"})
        out.append(
            MapLayer(
                "287g",
                "287(g) exposure",
                f"Counties with a 287(g) agreement in force in at least one year {y0}–{y1} "
                f"({int(df['ever'].sum()):,} of {len(df):,} counties in the panel).",
                maps.choropleth(
                    df,
                    field="exposure",
                    title=f"287(g) agreements in force, {y0}–{y1}",
                    legend_title="287(g)",
                    kind="nominal",
                    domain=["287(g) in force some year", "no 287(g) recorded"],
                    colors=["#6a3d9a", "#cab2d6"],
                ),
            )
        )
    return out


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
        provenance=pd.DataFrame(q.get("provenance", [])),
        rejected=pd.DataFrame(q.get("rejected_by_reason", [])),
        tables=table_rows,
        table_years=years,
        coverage_checks=pd.DataFrame(q.get("coverage", [])),
        caveats=pd.DataFrame(q.get("caveats", [])),
        build=build,
        warehouse_name=Path(path).name,
    )
