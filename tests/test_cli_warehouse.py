"""`sanctuary-lab build | info | quality` on the real raw data: determinism and JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from sanctuary_lab.cli import app

CORE_TABLES = [
    "counties", "county_population", "county_covariates", "county_unemployment",
    "county_crime", "state_crime", "city_crime", "national_crime",
]  # fmt: skip


@pytest.fixture(scope="module")
def second_build(raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("cli") / "wh.duckdb"
    res = CliRunner().invoke(app, ["build", "--raw-dir", str(raw_dir), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    return out, json.loads(res.stdout)


def _tables(path: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        ]
        out = {}
        for n in sorted(names):
            df = con.execute(f'SELECT * FROM "{n}"').df()
            out[n] = df.drop(columns=[c for c in df.columns if c == "built_at"])
        return out
    finally:
        con.close()


def test_build_json_lists_core_tables(second_build) -> None:
    _, summary = second_build
    for t in CORE_TABLES:
        assert summary["tables"][t] > 0, t
    assert summary["tables"]["county_crime"] == 18851
    assert summary["rows_rejected"] >= 52 + 41  # QuickFacts aggregate rows + Marshall national rows
    assert {
        "county_crime_icpsr_2012",
        "nchs_urban_rural_2013",
        "us_atlas_counties_topojson",
    } <= set(summary["sources"])


def test_build_twice_identical_contents(warehouse: Path, second_build) -> None:
    first, second = _tables(warehouse), _tables(second_build[0])
    assert sorted(first) == sorted(second)
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name], obj=name)


def test_info_json(second_build) -> None:
    path, _ = second_build
    res = CliRunner().invoke(app, ["info", "--warehouse", str(path), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    by = {t["table"]: t for t in data["tables"]}
    assert by["state_crime"]["rows"] == 3128
    assert (by["state_crime"]["year_min"], by["state_crime"]["year_max"]) == (1961, 2021)
    assert by["county_crime"]["n_years"] == 6
    assert by["counties"]["rows"] >= 3149


def test_quality_json(second_build) -> None:
    path, _ = second_build
    res = CliRunner().invoke(app, ["quality", "--warehouse", str(path), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    rows = {t["table"]: t["rows"] for t in data["tables"]}
    assert all(rows[t] > 0 for t in CORE_TABLES)
    prov = {(p["source"], p["file"]): p for p in data["provenance"]}
    facts = prov[("census_county_facts_2014", "county_facts.csv")]
    assert (facts["rows_read"], facts["rows_kept"], facts["rows_rejected"]) == (3195, 3143, 52)
    marshall = prov[("marshall_city_crime", "ucr_crime_1975_2015.csv")]
    assert marshall["rows_rejected"] == 41
    rej = {(r["source"], r["reason"]): r["rows"] for r in data["rejected_by_reason"]}
    assert rej[("census_county_facts_2014", "national or state aggregate row, not a county")] == 52
    checks = {c["check"] for c in data["coverage"]}
    assert any("map geometry" in c for c in checks)
    assert any(
        c["source"] == "county_crime_icpsr_2012" and "COVIND" in c["caveat"]
        for c in data["caveats"]
    )


def test_quality_and_info_plain_text(second_build) -> None:
    path, _ = second_build
    res = CliRunner().invoke(app, ["quality", "--warehouse", str(path)])
    assert res.exit_code == 0 and "Coverage" in res.stdout and "county_crime" in res.stdout
    res = CliRunner().invoke(app, ["info", "--warehouse", str(path)])
    assert res.exit_code == 0 and "state_crime" in res.stdout
