"""Full official formats (absent from the raw shelf): fixture files in each published layout, one
bad-input case per format through the CLI (one line naming file, row, field; exit 2), the
``sources`` command, and a county Secure Communities study end to end on an offences-known
fixture."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from cli_helpers import run_cli
from format_fixtures import (
    write_cde_agency,
    write_ddp,
    write_icpsr_part4,
    write_kaplan_offenses_known,
)
from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources.ddp_ice_records import DdpIceRecords
from sanctuary_lab.sources.fbi_cde_agency import parse_cde_agency
from sanctuary_lab.sources.ucr_county_offenses_icpsr import UcrCountyOffensesIcpsr
from sanctuary_lab.sources.ucr_offenses_known import UcrOffensesKnown, parse_offenses_known
from sanctuary_lab.warehouse import tables_offenses


def _check_exit_2(monkeypatch, capsys, raw: Path, fname: str, row: int, field: str) -> None:
    code, _, err = run_cli(monkeypatch, capsys, "sources", "--check", "--raw-dir", str(raw))
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
    assert fname in lines[0] and f"row {row}" in lines[0] and f"field '{field}'" in lines[0]


# --- Kaplan offences known ---------------------------------------------------------------------


def test_kaplan_agency_file_aggregates_to_counties(tmp_path: Path) -> None:
    folder = tmp_path / "ucr_offenses_known"
    folder.mkdir()
    truth = write_kaplan_offenses_known(folder / "offenses_known_yearly_2004_2012.csv")
    sd = UcrOffensesKnown().load(tmp_path)
    staged = {f"stg_{k}": v for k, v in sd.tables.items()}
    co = tables_offenses.county_offenses(staged, {})
    assert co is not None and len(co) == len(truth)
    r = co.set_index(["fips", "year"])
    for key in [("06001", 2004), ("37007", 2010)]:
        assert r.loc[key, "murder"] == truth[key]["murder"]
        assert r.loc[key, "population"] == truth[key]["population"]
        assert r.loc[key, "coverage"] == pytest.approx(
            truth[key]["full_pop"] / truth[key]["population"] * 100
        )
    assert r.loc[("06001", 2004), "reporting"] == "partial"
    assert (r["agencies"] == 2).all()
    assert (r["part1"] == r["violent"] + r["property"]).all()


def test_kaplan_bad_value(tmp_path: Path, monkeypatch, capsys) -> None:
    folder = tmp_path / "ucr_offenses_known"
    folder.mkdir()
    path = folder / "offenses_known_yearly.csv"
    write_kaplan_offenses_known(path, years=range(2004, 2006))
    lines = path.read_text().splitlines()
    cells = lines[3].split(",")
    cells[11] = "12x"  # actual_murder of data row 3
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as exc:
        parse_offenses_known(path)
    assert exc.value.row == 3 and exc.value.field == "actual_murder"
    _check_exit_2(monkeypatch, capsys, tmp_path, "offenses_known_yearly.csv", 3, "actual_murder")


# --- ICPSR Part 4 crimes reported --------------------------------------------------------------


def test_icpsr_part4_fixture(tmp_path: Path) -> None:
    folder = tmp_path / "ucr_county_offenses_icpsr"
    folder.mkdir()
    recs = write_icpsr_part4(folder / "county_crimes_reported_2004.txt")
    sd = UcrCountyOffensesIcpsr().load(tmp_path)
    t = sd.tables["icpsr_county_offenses"]
    assert len(t) == len(recs) - 1  # the FIPS_CTY 999 record is rejected
    assert any("999" in r.reason for r in sd.rejects)
    first = t.iloc[0]
    assert first["fips"] == "37001" and first["year"] == 2004
    assert first["murder"] == recs[0]["MURDER"] and first["pop_covered"] == recs[0]["CPOPCRIM"]
    assert first["coverage"] == pytest.approx(recs[0]["COVIND"])
    co = tables_offenses.county_offenses({"stg_icpsr_county_offenses": t}, {})
    assert co is not None and (co["source"] == "icpsr_county_crimes_reported").all()


def test_icpsr_part4_truncated(tmp_path: Path, monkeypatch, capsys) -> None:
    folder = tmp_path / "ucr_county_offenses_icpsr"
    folder.mkdir()
    path = folder / "county_crimes_reported_2004.txt"
    write_icpsr_part4(path)
    lines = path.read_text().splitlines()
    lines[4] = lines[4][:80]
    path.write_text("\n".join(lines) + "\n")
    _check_exit_2(monkeypatch, capsys, tmp_path, "county_crimes_reported_2004.txt", 5, "burglary")


# --- FBI CDE agency downloads ------------------------------------------------------------------


def test_cde_agency_fixture(tmp_path: Path) -> None:
    path = tmp_path / "cde.csv"
    write_cde_agency(path)
    wide, log = parse_cde_agency(path)
    assert len(wide) == 4 and len(log) == 0
    r = wide.set_index(["ori", "year"]).loc[("NC0010000", 2011)]
    assert r["murder"] == 11 and r["motor_vehicle_theft"] == 71
    agencies = pd.DataFrame({"ori7": ["NC00100"], "fips": ["37001"]})
    co = tables_offenses.county_offenses({"stg_cde_agency_offenses": wide}, {"agencies": agencies})
    assert co is not None and list(co["fips"].unique()) == ["37001"]  # unknown ORI not placed
    assert co.set_index("year").loc[2010, "violent"] == 10 + 20 + 30 + 40


def test_cde_agency_bad_ori(tmp_path: Path, monkeypatch, capsys) -> None:
    folder = tmp_path / "fbi_cde_agency"
    folder.mkdir()
    path = folder / "agency.csv"
    write_cde_agency(path)
    lines = path.read_text().splitlines()
    lines[7] = lines[7].replace("NC0010000", "N!001")
    path.write_text("\n".join(lines) + "\n")
    _check_exit_2(monkeypatch, capsys, tmp_path, "agency.csv", 7, "ori")


# --- Deportation Data Project ICE records ------------------------------------------------------


def test_ddp_records_fixture(tmp_path: Path) -> None:
    folder = tmp_path / "ddp_ice_records"
    folder.mkdir()
    write_ddp(folder)
    sd = DdpIceRecords().load(tmp_path)
    t = tables_offenses.ice_tables({f"stg_{k}": v for k, v in sd.tables.items()})
    arr = t["ice_arrests"].set_index("year")
    # FY2024 = Oct 2023 - Sep 2024: 6 arrests, 1 with no criminality recorded, 2 "other"
    assert arr.loc[2024, "n_arrests"] == 5 and arr.loc[2024, "n_noncriminal"] == 2
    assert arr.loc[2025, "n_arrests"] == 1
    by = t["ice_records_by_year"].set_index(["kind", "fiscal_year"])
    assert by.loc[("detainers", 2024), "n"] == 2 and by.loc[("detainers", 2025), "n"] == 1


def test_ddp_bad_criminality(tmp_path: Path, monkeypatch, capsys) -> None:
    folder = tmp_path / "ddp_ice_records"
    folder.mkdir()
    write_ddp(folder)
    path = folder / "arrests-latest.csv"
    lines = path.read_text().splitlines()
    lines[2] = lines[2].replace("2 Pending Criminal Charges", "4 Unknown")
    path.write_text("\n".join(lines) + "\n")
    _check_exit_2(
        monkeypatch, capsys, tmp_path, "arrests-latest.csv", 2, "apprehension_criminality"
    )


# --- sources command ---------------------------------------------------------------------------


def test_sources_json_present_and_absent(raw_dir: Path, monkeypatch, capsys) -> None:
    code, out, _ = run_cli(monkeypatch, capsys, "sources", "--raw-dir", str(raw_dir), "--json")
    assert code == 0
    rows = {r["source"]: r for r in json.loads(out)}
    assert rows["ucr_county_arrests_icpsr"]["present"] is True
    assert "county_287g_arrests" in rows["ucr_county_arrests_icpsr"]["studies"]
    assert rows["ucr_offenses_known"]["present"] is False and rows["ucr_offenses_known"]["get"]
    assert "secure_communities_county" in rows["ucr_offenses_known"]["studies"]
    assert "ice_ero_noncriminal" in rows["ice_ero_arrests_cited"]["studies"]


def test_sources_check_reads_years(tmp_path: Path, monkeypatch, capsys) -> None:
    folder = tmp_path / "ucr_offenses_known"
    folder.mkdir()
    write_kaplan_offenses_known(folder / "ok.csv", years=range(2004, 2007))
    code, out, _ = run_cli(
        monkeypatch, capsys, "sources", "--check", "--raw-dir", str(tmp_path), "--json"
    )
    assert code == 0
    rows = {r["source"]: r for r in json.loads(out)}
    assert (
        rows["ucr_offenses_known"]["present"] and rows["ucr_offenses_known"]["years"] == "2004-2006"
    )
    assert rows["ucr_county_arrests_icpsr"]["present"] is False


# --- Secure Communities county study -----------------------------------------------------------


def test_sc_county_study_not_testable_without_offences(tmp_path: Path) -> None:
    from sanctuary_lab.studies.frames.arrests import county_offenses_sc
    from sanctuary_lab.studies.reading import DataUnavailable

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE TABLE policy_sc_coverage (state_fips VARCHAR, year BIGINT, sc_frac DOUBLE)")
    with pytest.raises(DataUnavailable, match="ucr_offenses_known/"):
        county_offenses_sc(con)


@pytest.mark.slow
def test_sc_county_study_end_to_end_on_fixture(raw_dir: Path, tmp_path: Path) -> None:
    """Drop an offences-known fixture into a copy of the raw folder: the build makes
    county_offenses and the county Secure Communities study runs with no failed analysis."""
    from sanctuary_lab.studies.runner import run
    from sanctuary_lab.studies.schema import parse_study, resolve_study_path
    from sanctuary_lab.warehouse.build import build

    root = tmp_path / "raw"
    root.mkdir()
    for child in sorted(raw_dir.iterdir()):
        (root / child.name).symlink_to(child.resolve())
    (root / "ucr_offenses_known").mkdir()
    write_kaplan_offenses_known(root / "ucr_offenses_known" / "offenses_known_yearly_2004_2012.csv")
    out = tmp_path / "w.duckdb"
    build(root, out)
    con = duckdb.connect(str(out), read_only=True)
    n = con.execute(
        "SELECT count(DISTINCT fips), min(year), max(year) FROM county_offenses"
    ).fetchone()
    con.close()
    assert n == (32, 2004, 2012)
    study = parse_study(resolve_study_path("secure_communities_county"))
    res = run(study, out)
    assert not res.sample.get("failed"), res.sample.get("failed")
    assert {"log_part1_rate:twfe", "log_part1_rate:callaway_santanna"} <= set(res.results)
    tw = res.results["log_part1_rate:twfe"].table.set_index("term").loc["sc_share"]
    assert tw["n_obs"] == 32 * 9 and pd.notna(tw["estimate"])
    # the 287(g) county offences frame reads the same table (Forrester & Nowrasteh layout)
    from sanctuary_lab.studies.frames.arrests import county_offenses_287g

    con = duckdb.connect(str(out), read_only=True)
    f = county_offenses_287g(con, first_year=2004, last_year=2012)
    con.close()
    assert f.meta["n_units"] == 32 and sorted(f.data["year"].unique()) == list(range(2004, 2013))
    assert f.meta["outcome_kind"] == "offences known (crime)"
