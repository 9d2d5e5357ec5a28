"""The static report: pages, valid chart specs, no network references, figures, readings."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import vl_convert

from report_fixtures import claim_checks, event_study_frame, multiverse_frame, report_data
from sanctuary_lab.core.errors import InputError
from sanctuary_lab.core.formatting import fmt_value
from sanctuary_lab.report import charts, maps
from sanctuary_lab.report.reading import claim_reading
from sanctuary_lab.report.site import write_site
from site_checks import site_problems, visible_text

_SPEC_RE = re.compile(r'<script type="application/json" id="([^"]+)-spec">(.*?)</script>', re.S)
_SRC_RE = re.compile(r'<(?:script|img)\b[^>]*\bsrc="([^"]*)"', re.I)
_LINK_RE = re.compile(r'<link\b[^>]*\bhref="([^"]*)"', re.I)
_NAV_RE = re.compile(r'<a\b[^>]*\bhref="([^"#]*)(#[^"]*)?"', re.I)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, raw_dir: Path):
    data = report_data(raw_dir)
    out = tmp_path_factory.mktemp("report") / "site"
    summary = write_site(data, out, figures=True)
    return out, summary, data


def _html_pages(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def _specs(out: Path) -> list[tuple[str, dict]]:
    found = []
    for page in _html_pages(out):
        for chart_id, text in _SPEC_RE.findall(page.read_text(encoding="utf-8")):
            found.append((chart_id, json.loads(text.replace("<\\/", "</"))))
    return found


def test_site_has_every_page(site) -> None:
    out, summary, data = site
    expected = {
        "index.html",
        "studies.html",
        "maps.html",
        "data.html",
        "methods.html",
        "sources.html",
        "explorer.html",
    }
    expected |= {f"studies/{r.study_id}.html" for r in data.runs}
    expected |= {f"claims/{c.claim_id}.html" for c in data.checks}
    assert set(summary.pages) == expected
    for rel in expected:
        assert (out / rel).stat().st_size > 500
    manifest = json.loads((out / "report.json").read_text())
    assert manifest["claims"] == len(data.checks)
    assert manifest["charts"] == summary.charts


def test_claim_cards_one_per_claim(site) -> None:
    out, _, data = site
    html = (out / "index.html").read_text(encoding="utf-8")
    cards = re.findall(r'<article class="claim-card" id="claim-([^"]+)"', html)
    assert cards == [c.claim_id for c in data.checks]
    # every verdict gets its badge (new vocabulary and the old one)
    for label, slug in (
        ("Supported", "supported"),
        ("Different size", "different-size"),
        ("Inconclusive", "inconclusive"),
        ("Contradicted", "contradicted"),
        ("Not testable here", "not-testable-here"),
        ("Direction only", "direction-only"),
    ):
        assert f'<span class="badge verdict-{slug}">{label}</span>' in html
    # the finding sentence of the verdict rule is printed as given; the qualifier shows
    assert "close to the claimed 3.3." in html and "designs disagree" in html
    # the comparability strip is on the card, theirs vs ours, with the grade
    assert "same question on other data" in html and "Theirs:" in html and "Ours:" in html
    assert "2014–2015" in html and ">2012<" not in html.replace("Ours:</span> 2012", "")
    # a verbatim quote is in quotation marks; a paraphrase is not, and is labelled as one
    assert "<q>Crime is lower.</q>" in html
    assert "<q>Crime falls a lot.</q>" not in html
    assert '<span class="paraphrase">Crime falls a lot.</span> <span class="tag"' in html
    # filters carry every who / topic / verdict
    assert "<option>B. Official</option>" in html and "<option>Supported</option>" in html
    assert 'id="claim-search"' in html


def test_site_has_no_internal_ids_local_paths_or_glitches(site, raw_dir: Path) -> None:
    out, _, data = site
    ids = [c.claim_id for c in data.checks] + [r.study_id for r in data.runs]
    problems = site_problems(out, ids, [str(raw_dir), str(Path(raw_dir).resolve())])
    assert not problems, "\n".join(problems[:40])


def test_site_checker_catches_each_glitch(tmp_path: Path) -> None:
    """The checker is not vacuous: each kind of problem in a page is reported."""
    (tmp_path / "assets").mkdir()
    bad = (
        "<p>Our estimate of tested as: x (log points) (log points). FY2008-2015., Wong's "
        "1.253e+04 p 4.034e-12 std_error c_supported crime_per10k raw dir /work/shared/x</p>"
    )
    (tmp_path / "index.html").write_text(bad, encoding="utf-8")
    text = "\n".join(site_problems(tmp_path, ["c_supported"], ["/work/shared/x"]))
    for needle in (
        "Our estimate of tested as",
        "(log points) (log points)",
        "2015., Wong",
        "1.253e+04",
        "4.034e-12",
        "'std_error'",
        "internal id 'c_supported'",
        "'crime_per10k'",
        "'raw dir'",
        "local path /work/shared/x",
    ):
        assert needle in text, needle


def test_claim_page_diagnostics_robustness_cite_and_csv(site) -> None:
    out, summary, data = site
    page = (out / "claims" / "c_supported.html").read_text(encoding="utf-8")
    assert "pre trends" in page and "joint p = 0.41" in page
    assert "The verdict holds in 3 of 4 variants we ran." in page
    assert "What would change this verdict:" in page and "threshold 0.05" in page
    assert "Tool version 0.1.0" in page and "data build " in page
    assert '"c_supported"' in page and 'href="c_supported.csv"' in page
    assert "claim-c-supported" in summary.charts
    csv_rows = pd.read_csv(out / "claims" / "c_supported.csv")
    assert list(csv_rows["row"]) == [
        "main",
        "threshold 0.01",
        "threshold 0.05",
        "at least 50 detainers",
    ]
    assert csv_rows["estimate"].iloc[0] == -3.1
    # the claim chart marks the published value
    spec = dict(_specs(out))["chart-claim-c-supported"]
    assert "published value" in json.dumps(spec)
    # a check without the new fields still renders, saying what is missing
    legacy = (out / "claims" / "c_legacy.html").read_text(encoding="utf-8")
    assert "Robustness variants were not computed" in legacy
    assert "No diagnostics were recorded" in legacy
    assert "Our estimate of tested as" not in legacy and "(log points) (log points)" not in legacy


def test_every_chart_spec_compiles(site) -> None:
    out, summary, _ = site
    specs = _specs(out)
    assert sorted(f"chart-{c}" for c in summary.charts) == sorted(cid for cid, _ in specs)
    kinds = set()
    for chart_id, spec in specs:
        vega = vl_convert.vegalite_to_vega(spec)
        assert vega.get("marks") or vega.get("signals"), chart_id
        kinds.add(chart_id.split("-")[1])
    # maps, event study, coefficient plot, specification curve and coverage chart are all there
    names = " ".join(cid for cid, _ in specs)
    for part in (
        "map-crime",
        "map-coverage",
        "event-study",
        "coefficients",
        "specification-curve",
        "data-coverage",
        "claims-verdicts",
    ):
        assert part in names


def test_no_network_references(site) -> None:
    out, _, _ = site
    for page in _html_pages(out):
        html = page.read_text(encoding="utf-8")
        refs = _SRC_RE.findall(html) + _LINK_RE.findall(html)
        assert refs, page
        for ref in refs:
            assert not re.match(r"^[a-z]+:|^//", ref), f"{page}: non-relative reference {ref}"
            assert (page.parent / ref).is_file(), f"{page}: {ref} does not exist"
        for href, _ in _NAV_RE.findall(html):
            if href and not href.startswith(("http://", "https://")):
                assert (page.parent / href).is_file(), f"{page}: broken link {href}"
        assert "fetch(" not in html
    js = (out / "assets" / "report.js").read_text() + (out / "assets" / "style.css").read_text()
    assert "http" not in js and "@import" not in js
    for chart_id, spec in _specs(out):
        text = json.dumps({k: v for k, v in spec.items() if k != "$schema"})
        assert '"url"' not in text, f"{chart_id} loads data from a URL"
    assert (out / "assets" / "vega.js").stat().st_size > 500_000
    assert "vegaEmbed" in (out / "assets" / "vega.js").read_text(encoding="utf-8")
    counties = (out / "assets" / "counties.js").read_text(encoding="utf-8")
    assert counties.startswith(f"window.{maps.GLOBAL_NAME} = ")
    assert '"type":"Topology"' in counties


def test_figures_exported_as_svg_and_png(site) -> None:
    out, summary, _ = site
    assert len(summary.figures) == 2 * len(summary.charts)
    for chart_id in summary.charts:
        svg = (out / "figures" / f"{chart_id}.svg").read_text(encoding="utf-8")
        png = (out / "figures" / f"{chart_id}.png").read_bytes()
        assert svg.lstrip().startswith("<svg") and "<path" in svg
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # the map figures carry the county shapes, not an empty frame
    assert (out / "figures" / "map-crime.svg").read_text().count("<path") > 3000


def test_study_page_shows_design_tables_and_caveats(site) -> None:
    out, _, _ = site
    html = (out / "studies" / "synthetic_cross_section.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;with&lt;/b&gt;" in html  # titles are escaped
    assert "Covariate balance" in html and "Std. difference after" in html
    assert "foreign-born share" in html
    assert "Synthetic caveat: the sample differs from the published one." in html
    assert "UCR 2015" in html and "3 units dropped" in html
    # summary first, caveats before the results, a table of contents
    assert html.index('id="summary"') < html.index('id="caveats"') < html.index('id="results"')
    assert 'class="toc"' in html and 'href="#results"' in html
    # human column names and formatted numbers, no raw field names
    text = visible_text(html)
    assert "95% interval" in text and "std_error" not in text and "ci_low" not in text
    assert "2,492" in html and "−5.45 to −0.748" in html
    # the curve: excluded by design vs failed, per outcome family, permutation test stated
    assert "1 excluded by design" in html and "1 failed" in html
    assert "The permutation test was not run" in html
    assert "specification-curve-level-per-10-000-residents" in " ".join(site[1].charts)
    assert "specification-curve-log-per-100-000-residents" in " ".join(site[1].charts)
    # a descriptive table gets one line chart per numeric column (counts and shares apart)
    assert {
        "synthetic-series-detainers-by-year-detainers",
        "synthetic-series-detainers-by-year-share-pct",
    } <= set(site[1].charts)
    did = (out / "studies" / "synthetic_did.html").read_text(encoding="utf-8")
    es = [spec for cid, spec in _specs(out) if "event-study" in cid][0]
    text = json.dumps(es, ensure_ascii=False)
    assert "\u2264\u22124" in text and "\u22654" in text and "end points are bins" in text
    assert "Difference in violent crime (per 10,000 residents, 95% CI)" in text
    assert "rel_time[" not in visible_text(did)


def test_reading_is_generated_from_the_numbers() -> None:
    checks = {c.claim_id: c for c in claim_checks()}
    text = claim_reading(checks["c_supported"])
    for number in ("−3.1", "−5.45", "−0.75", "−3.3", "2,492"):
        assert number in text
    assert "lies inside our interval" in text and "excludes zero" in text
    assert "supported" in text
    contra = claim_reading(checks["c_contradicted"])
    assert "lies outside our interval" in contra and "opposite sign" in contra
    assert "contradicted" in contra
    none = claim_reading(checks["c_not_testable"])
    assert "could not estimate" in none and "not testable" in none
    legacy = claim_reading(checks["c_legacy"])
    assert legacy.startswith("Tested as: change in the share") and "Our estimate is 2.02%" in legacy
    # change the numbers and the reading changes with them
    moved = checks["c_supported"]
    moved.estimate, moved.ci_low, moved.ci_high = 4.0, 3.0, 5.0
    text2 = claim_reading(moved)
    assert "is 4 (95% CI 3 to 5)" in text2 and "outside" in text2 and "opposite sign" in text2


def test_fmt_number_units() -> None:
    assert fmt_value(12.345, "%") == "12.3%"
    assert fmt_value(None) == "–"
    assert fmt_value(float("nan")) == "–"
    assert fmt_value(123456.0) == "123,456"


def test_event_study_chart_marks_reference_period() -> None:
    spec = charts.event_study_chart(event_study_frame(), "ES")
    text = json.dumps(spec)
    assert "reference period" in text
    rules = [layer for layer in spec["layer"] if layer["mark"].get("strokeDash")]
    assert len(rules) == 1
    ref_rows = spec["datasets"][rules[0]["data"]["name"]]
    assert ref_rows == [{"rel_time": -1}]
    with pytest.raises(ValueError, match="ci_low"):
        charts.event_study_chart(pd.DataFrame({"rel_time": [0], "estimate": [1.0]}))


def test_spec_curve_sorts_estimates_and_marks_each_choice() -> None:
    table = multiverse_frame(12)
    spec = charts.spec_curve_chart(table)
    top, panel = spec["vconcat"]
    top_rows = spec["datasets"][top["layer"][0]["data"]["name"]]
    est = [r["estimate"] for r in top_rows]
    assert est == sorted(est) and len(est) == 10  # the two skipped specs are left out
    panel_rows = spec["datasets"][panel["data"]["name"]]
    assert len(panel_rows) == 10 * 3  # outcome, controls, weights
    assert {r["choice"].split(":")[0] for r in panel_rows} == {"Outcome", "Controls", "Weights"}
    vl_convert.vegalite_to_vega(spec)


def test_long_spec_curve_is_thinned_evenly_by_rank_keeping_both_ends() -> None:
    table = multiverse_frame(3002)  # 3,000 estimated + 2 skipped
    spec = charts.spec_curve_chart(table, max_points=200)
    top, panel = spec["vconcat"]
    top_rows = spec["datasets"][top["layer"][0]["data"]["name"]]
    ranks = [r["rank"] for r in top_rows]
    assert len(top_rows) == 200
    assert ranks[0] == 1 and ranks[-1] == 3000  # smallest and largest estimate kept
    assert all(b > a for a, b in zip(ranks, ranks[1:], strict=False))
    full = sorted(table["estimate"].dropna())
    assert top_rows[0]["estimate"] == full[0] and top_rows[-1]["estimate"] == full[-1]
    title = top["title"]["text"] if isinstance(top["title"], dict) else top["title"]
    assert "200 of 3,000 shown" in " ".join(title if isinstance(title, list) else [title])
    assert len(spec["datasets"][panel["data"]["name"]]) == 200 * 3
    vl_convert.vegalite_to_vega(spec)


def test_bad_topology_is_one_line_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="TopoJSON not found"):
        maps.load_topology(tmp_path)
    folder = tmp_path / maps.TOPO_FOLDER
    folder.mkdir()
    (folder / maps.TOPO_FILE).write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        maps.load_topology(tmp_path)


def test_cli_missing_warehouse_exits_2(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sanctuary_lab.cli",
            "report",
            "-w",
            str(tmp_path / "none.duckdb"),
            "--out",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "none.duckdb" in proc.stderr and "warehouse not found" in proc.stderr


def test_cli_out_is_a_file_exits_2(warehouse: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("x")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sanctuary_lab.cli",
            "report",
            "-w",
            str(warehouse),
            "--out",
            str(target),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "is a file" in proc.stderr


@pytest.mark.slow
def test_report_on_real_warehouse(warehouse: Path, tmp_path: Path) -> None:
    """The CLI writes the report for the real warehouse: maps, data page, one row per claim."""
    from sanctuary_lab.studies.claims import load_registry

    out = tmp_path / "report"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sanctuary_lab.cli",
            "report",
            "-w",
            str(warehouse),
            "--out",
            str(out),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["claims"] == len(load_registry())
    html = (out / "index.html").read_text(encoding="utf-8")
    assert html.count('<article class="claim-card"') == summary["claims"]
    assert {"map-crime", "map-coverage", "data-coverage"} <= set(summary["charts"])
    assert len(summary["figures"]) == 2 * len(summary["charts"])
    data_page = (out / "data.html").read_text(encoding="utf-8")
    assert "SHA-256" in data_page and "How to rebuild" in data_page
    # every bundled study that declares a [multiverse] gets a page with its specification curve
    from sanctuary_lab.studies.schema import bundled_study_paths, parse_study

    with_curve = [s.id for s in map(parse_study, bundled_study_paths()) if s.has_multiverse]
    assert with_curve
    for sid in with_curve:
        assert any(
            c.startswith(f"{sid}-specification-curve".replace("_", "-")) for c in summary["charts"]
        )
        curve = pd.read_csv(out / "multiverse" / f"{sid}.csv")
        assert len(curve) > 1000 and curve["estimate"].notna().any()
    prov = pd.read_csv(out / "provenance.csv")
    assert prov["sha256"].str.len().eq(64).all() and len(prov) > 10
    # the real site: no internal ids in visible text, no local paths, no listed glitches
    from sanctuary_lab.core.config import resolve_raw_dir

    registry = load_registry()
    ids = list(registry["claim_id"]) + [p.stem for p in bundled_study_paths()]
    raw = resolve_raw_dir()
    problems = site_problems(out, ids, [str(raw), str(raw.resolve()), str(warehouse.parent)])
    assert not problems, "\n".join(problems[:60])


def test_quantile_classes_are_equal_count() -> None:
    values = pd.Series(list(range(1, 71)) + [None])
    labels_of, labels = maps.quantile_classes(values, k=7)
    assert len(labels) == 7
    counts = labels_of.value_counts()
    assert counts.min() >= 9 and counts.max() <= 11
    assert labels_of.isna().sum() == 1
    assert labels[0].startswith("1 to under") and labels[-1].endswith("or more")


def test_warehouse_maps_and_coverage(warehouse: Path) -> None:
    """Maps read from the real warehouse: each county is in exactly one class, gaps stay grey."""
    import duckdb

    from sanctuary_lab.pipeline import warehouse_report_data

    data = warehouse_report_data(warehouse)
    by_key = {m.key: m for m in data.maps}
    assert {"crime", "coverage", "detainer-declines", "287g"} <= set(by_key)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        n_decl = con.execute(
            "SELECT count(*) FROM county_detainer_declines WHERE share_declined IS NOT NULL"
        ).fetchone()[0]
        n_crime_fips = con.execute(
            "SELECT count(DISTINCT fips) FROM county_crime WHERE series = 'ucr_part1'"
        ).fetchone()[0]
        n_287g_fips = con.execute("SELECT count(DISTINCT fips) FROM county_year_287g").fetchone()[0]
    finally:
        con.close()

    def lookup_rows(spec: dict) -> list[dict]:
        return spec["layer"][0]["transform"][0]["from"]["data"]["values"]

    def classed(key: str, field: str) -> list[dict]:
        return [r for r in lookup_rows(by_key[key].spec) if r.get(field) is not None]

    assert len(classed("detainer-declines", "decline_class")) == n_decl
    assert len(classed("coverage", "coverage")) == n_crime_fips
    assert len(classed("287g", "exposure")) == n_287g_fips
    crime_rows = classed("crime", "rate_class")
    flagged = [r for r in crime_rows if r.get("flagged")]
    classes = {r["rate_class"] for r in crime_rows if not r.get("flagged")}
    assert len(classes) == 7 and flagged
    # flagged counties have their own legend entry and are not in the class breaks
    assert {r["rate_class"] for r in flagged} == {next(iter({r["rate_class"] for r in flagged}))}
    assert all(r["rate_class"].startswith("flagged by the source") for r in flagged)
    assert any(c.endswith("or more") for c in classes)
    # tooltips: county, state and the value
    tips = [t["title"] for t in by_key["crime"].spec["layer"][0]["encoding"]["tooltip"]]
    assert tips[:3] == ["County", "State", "Rate per 10,000"]
    harding = next(r for r in lookup_rows(by_key["crime"].spec) if r["fips"] == "35021")
    assert harding["state"] == "NM" and harding["county"] == "Harding County"
    # the Wong treatment map is there, classed from the study's own frame
    wong = classed("wong-treatment", "status")
    assert {r["status"] for r in wong} == {"sanctuary (declined detainers)", "comparison county"}
    # explorer: Maricopa County, AZ with its crime series and 287(g) years
    assert data.explorer is not None
    maricopa = next(p for p in data.explorer["places"] if p["label"] == "Maricopa County, AZ")
    assert {"violent_rate", "any_287g"} <= set(maricopa["series"])
    assert all(s["source"] for s in maricopa["series"].values())
    assert data.sources and any(s["licence"] for s in data.sources)
    # provenance shows every raw file with its hash; coverage per table and year is there
    assert data.provenance is not None and data.provenance["sha256"].str.len().eq(64).all()
    assert data.provenance.columns[-1] == "sha256"
    assert data.table_years is not None
    assert {"county_crime", "county_year_287g"} <= set(data.table_years["table"])


def test_spec_curve_from_a_multiverse_result() -> None:
    """The chart takes the multiverse engine's own table (choice columns + estimates + skipped)."""
    import numpy as np

    from sanctuary_lab.multiverse.api import run_multiverse_frame
    from sanctuary_lab.multiverse.backends import LocalBackend
    from sanctuary_lab.multiverse.schema import parse_multiverse

    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {"unit": np.repeat(np.arange(30), 6), "year": np.tile(np.arange(2000, 2006), 30)}
    )
    df["d"] = ((df["unit"] % 2 == 0) & (df["year"] >= 2003)).astype(float)
    df["x1"] = rng.normal(size=len(df))
    df["y0"] = 0.4 * df["d"] + rng.normal(size=len(df))
    df["y1"] = df["y0"] + rng.normal(size=len(df))
    doc = {
        "multiverse": {
            "table": "t",
            "unit": "unit",
            "time": "year",
            "cluster": "unit",
            "seed": 1,
            "dimensions": {
                "outcome": ["y0", "y1"],
                "treatment": ["d"],
                "covariates": [[], ["x1"]],
                "fixed_effects": ["unit+time", "unit"],
                "weights": ["none"],
                "inference": ["crv1"],
            },
        }
    }
    mv = parse_multiverse(doc, "test.toml")
    res = run_multiverse_frame(mv, df, LocalBackend(workers=1), n_perm=0)
    spec = charts.spec_curve_chart(res.table)
    top, panel = spec["vconcat"]
    n_ok = int((res.table["skipped"] == "").sum())
    assert len(spec["datasets"][top["layer"][0]["data"]["name"]]) == n_ok == 8
    choices = {r["choice"].split(":")[0] for r in spec["datasets"][panel["data"]["name"]]}
    # one-value dimensions left out
    assert choices == {"Outcome", "Covariates", "Fixed effects"}
    vl_convert.vegalite_to_vega(spec)
