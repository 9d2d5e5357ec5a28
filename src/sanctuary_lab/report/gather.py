"""Fill :class:`~sanctuary_lab.report.site.ReportData` from a warehouse: run the studies, check the
claims, read provenance and coverage, and build the county maps.

Map tables are read by column name and skipped (with a note) when the warehouse lacks them, so a
partial warehouse still gives a report that says what is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sanctuary_lab.report import maps
from sanctuary_lab.report.site import MapLayer, ReportData
from sanctuary_lab.report.sources import read_sources

#: progress(message, done, total), the studies package's callback shape.


def _connect(path: Path) -> Any:
    from sanctuary_lab.warehouse.db import open_warehouse

    return open_warehouse(path)


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


#: Urban Institute crime-rate quality code of the least reliable reports (under 50% of the
#: population covered); such counties are drawn flagged and left out of the class breaks.
FLAGGED_QUALITY = 3


def county_names(con: Any, tables: dict[str, list[str]]) -> pd.DataFrame | None:
    """``fips, county, state`` for every county in the warehouse (map tooltips, explorer)."""
    cols = tables.get("counties", [])
    if not {"fips", "name", "state"} <= set(cols):
        return None
    return con.execute("SELECT fips, name AS county, state FROM counties").df()


def _crime_map(
    con: Any, cols: list[str], names: pd.DataFrame | None = None
) -> tuple[MapLayer | None, MapLayer | None]:
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
    qual = "quality" if "quality" in cols else "NULL"
    rates = con.execute(
        f"SELECT fips, {rate} AS rate, {qual} AS quality FROM county_crime {where} "
        f"{'AND' if where else 'WHERE'} year = {year} AND {ok}"
    ).df()
    rates["flagged"] = pd.to_numeric(rates["quality"], errors="coerce").eq(FLAGGED_QUALITY)
    clean = rates.loc[~rates["flagged"]]
    classes, labels = maps.quantile_classes(clean["rate"])
    rates["rate_class"] = classes.reindex(rates.index)
    rates["value"] = rates["rate"]
    n_flag = int(rates["flagged"].sum())
    flag_label = f"flagged by the source (under 50% coverage): {n_flag:,}, not classed"
    crime = MapLayer(
        "crime",
        f"Violent crime rate, {year}",
        f"Violent Part I offences per {per} residents in {year} (the year with the most counties "
        f"reporting). Class breaks: seven quantile (equal-count) classes of the {len(clean):,} "
        f"counties with an unflagged report; the top class is open-ended so that a few very "
        f"small counties do not set its range. {n_flag:,} counties whose report covers under half "
        "of their population (source quality flag 3) are drawn pale with an outline and left out "
        "of the breaks. Grey: no usable report that year.",
        maps.choropleth(
            rates,
            field="rate_class",
            title=f"Violent crimes per {per} residents, {year} (quantile classes)",
            legend_title=f"Violent crimes per {per} residents",
            kind="ordinal",
            domain=labels,
            colors=maps.YLORRD7[: len(labels)] if len(labels) == 7 else None,
            names=names,
            value_title=f"Rate per {per}",
            flagged_label=flag_label if n_flag else "",
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
            legend_title="Years with a usable rate",
            kind="ordinal",
            domain=domain,
            colors=colors,
            names=names,
        ),
    )
    return crime, coverage


def _wong_map(con: Any, names: pd.DataFrame | None) -> MapLayer | None:
    """The sanctuary classification the Wong comparison uses, from the study's own frame."""
    from sanctuary_lab.core.errors import SanctuaryLabError
    from sanctuary_lab.studies.reading import DataUnavailable

    try:
        from sanctuary_lab.studies.api import load_study
        from sanctuary_lab.studies.registry import FRAMES

        study = load_study("wong2017_cross_section")
        if not study.frame or study.frame not in FRAMES:
            return None
        frame = FRAMES[study.frame](con, **dict(study.parameters))
    except (SanctuaryLabError, DataUnavailable, KeyError, ImportError):
        return None
    df = frame.data
    if "fips" not in df.columns or "sanctuary" not in df.columns:
        return None
    df = df.loc[:, [c for c in ("fips", "sanctuary", "share_declined") if c in df.columns]].copy()
    labels = ["sanctuary (declined detainers)", "comparison county"]
    df["status"] = df["sanctuary"].map({1: labels[0], 0: labels[1]})
    if "share_declined" in df.columns:
        df["value"] = (100 * pd.to_numeric(df["share_declined"], errors="coerce")).round(2)
    n_t, n_c = int((df["sanctuary"] == 1).sum()), int((df["sanctuary"] == 0).sum())
    from sanctuary_lab.report.labels import words

    rule = words(str((study.treatment or {}).get("rule", "") or ""))
    return MapLayer(
        "wong-treatment",
        "Sanctuary classification used for the Wong comparison",
        f"Counties in the sample of the Wong (2017) comparison: {n_t:,} classed sanctuary and "
        f"{n_c:,} comparison counties. Rule: {rule}. Parameters: "
        + ", ".join(f"{words(k)} = {words(str(v))}" for k, v in study.parameters.items())
        + ". Grey: outside the sample (no matched jail, too few detainers, or incomplete data).",
        maps.choropleth(
            df,
            field="status",
            title="Sanctuary classification of the Wong comparison",
            legend_title="Classification",
            kind="nominal",
            domain=labels,
            colors=["#6a3d9a", "#fdbf6f"],
            names=names,
            value_title="Share of detainers declined (%)",
        ),
    )


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


def _detainer_map(con: Any, cols: list[str], names: pd.DataFrame | None = None) -> MapLayer | None:
    if "fips" not in cols or "share_declined" not in cols:
        return None
    df = con.execute(
        "SELECT fips, share_declined AS share FROM county_detainer_declines "
        "WHERE share_declined IS NOT NULL"
    ).df()
    if df.empty:
        return None
    df["decline_class"], labels = _decline_classes(df["share"])
    df["value"] = (100 * df["share"]).round(2)
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
            legend_title="Share of detainers declined",
            kind="ordinal",
            domain=labels,
            colors=["#fcfbfd", "#cbc9e2", "#9e9ac8", "#54278f"],
            names=names,
            value_title="Declined (%)",
        ),
    )


def _exposure_map(con: Any, cols: list[str], names: pd.DataFrame | None = None) -> MapLayer | None:
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
            legend_title="287(g) agreement in force",
            kind="nominal",
            domain=labels,
            colors=["#3f007d", "#807dba", "#e08214", "#efedf5"],
            names=names,
        ),
    )


def _treatment_maps(
    con: Any, tables: dict[str, list[str]], names: pd.DataFrame | None = None
) -> list[MapLayer]:
    out = [
        _wong_map(con, names),
        _detainer_map(con, tables.get("county_detainer_declines", []), names),
        _exposure_map(con, tables.get("county_year_287g", []), names),
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
    from sanctuary_lab.core.config import resolve_raw_dir
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
        names = county_names(con, tables)
        layers: list[MapLayer] = []
        if "county_crime" in tables:
            crime, coverage = _crime_map(con, tables["county_crime"], names)
            layers += [m for m in (crime,) if m]
            layers += _treatment_maps(con, tables, names)
            layers += [m for m in (coverage,) if m]
        else:
            layers += _treatment_maps(con, tables, names)
        years = table_year_counts(con, tables)
        from sanctuary_lab.report.explorer import explorer_data

        explorer = explorer_data(con, tables, names)
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
        sources=read_sources(raw_dir),
        explorer=explorer,
    )
