"""Broken copies of real raw files: one clear InputError naming file, row and field; via the CLI,
exit code 2, a one-line message, and the previous warehouse left byte-identical."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources.acs_kaggle import AcsKaggle
from sanctuary_lab.sources.county_facts import CountyFacts2014
from sanctuary_lab.sources.marshall_city import MarshallCityCrime
from sanctuary_lab.sources.nchs import NchsUrbanRural
from sanctuary_lab.sources.popest import CensusPopest
from sanctuary_lab.sources.state_ucr import StateUcrClassdata
from sanctuary_lab.sources.ucr_county_2012 import NacjdCounty2012
from sanctuary_lab.sources.urban_county_crime import UrbanCountyCrime
from sanctuary_lab.sources.us_atlas import UsAtlasCounties
from sanctuary_lab.sources.usdata import UsdataCounty

ACS = "acs_county_2015_2017_kaggle"


def broken_raw(
    raw_dir: Path, tmp: Path, folder: str, mutate: Callable[[Path], None] | None
) -> Path:
    """A raw dir of symlinks to the real folders, with ``folder`` a real copy changed by ``mutate``
    (``mutate=None`` leaves the folder out)."""
    root = tmp / "raw"
    root.mkdir()
    for child in sorted(raw_dir.iterdir()):
        if child.name == folder:
            continue
        (root / child.name).symlink_to(child.resolve())
    if mutate is not None:
        shutil.copytree(raw_dir / folder, root / folder)
        (root / folder).chmod(0o755)  # raw folders are read-only; the copy must be editable
        for f in (root / folder).iterdir():
            f.chmod(0o644)
        mutate(root / folder)
    return root


def edit_lines(path: Path, fn: Callable[[list[str]], list[str]], encoding: str = "utf-8") -> None:
    lines = path.read_text(encoding=encoding).splitlines(keepends=True)
    path.write_text("".join(fn(lines)), encoding=encoding)


def set_cell(path: Path, row: int, column: str, value: str, encoding: str = "utf-8") -> None:
    """Set data row ``row`` (1-based) of ``column`` in a CSV without multi-line cells."""

    def fn(lines: list[str]) -> list[str]:
        header = next(csv.reader([lines[0].lstrip("\ufeff")]))
        cells = next(csv.reader([lines[row]]))
        cells[header.index(column)] = value
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(cells)
        lines[row] = buf.getvalue()
        return lines

    edit_lines(path, fn, encoding)


def drop_column(path: Path, column: str) -> None:
    def fn(lines: list[str]) -> list[str]:
        header = lines[0].rstrip("\n").split(",")
        i = header.index(column)
        return [
            ",".join(c for j, c in enumerate(line.rstrip("\n").split(",")) if j != i) + "\n"
            for line in lines
        ]

    edit_lines(path, fn)


# ------------------------------------------------------------------------------------------ cases
# (folder, adapter, mutate, expected file name, row, field, words in the message)

CASES = {
    "malformed_csv": (
        ACS, AcsKaggle,
        lambda d: edit_lines(d / "acs2015_county_data.csv", lambda ls: ls[:4] + [ls[4].rstrip("\n") + ",1,2\n"] + ls[5:]),
        "acs2015_county_data.csv", 4, None, "malformed CSV",
    ),
    "missing_column": (
        ACS, AcsKaggle, lambda d: drop_column(d / "acs2017_county_data.csv", "Poverty"),
        "acs2017_county_data.csv", None, "Poverty", "missing required column",
    ),
    "wrong_type": (
        ACS, AcsKaggle, lambda d: set_cell(d / "acs2015_county_data.csv", 3, "TotalPop", "abc"),
        "acs2015_county_data.csv", 3, "TotalPop", "expected a number",
    ),
    "unknown_fips": (
        ACS, AcsKaggle, lambda d: set_cell(d / "acs2017_county_data.csv", 2, "CountyId", "99003"),
        "acs2017_county_data.csv", 2, "CountyId", "unknown FIPS",
    ),
    "empty_file": (
        ACS, AcsKaggle, lambda d: (d / "acs2015_county_data.csv").write_bytes(b""),
        "acs2015_county_data.csv", None, None, "empty",
    ),
    "missing_folder": (ACS, AcsKaggle, None, ACS, None, None, "folder is missing"),
}  # fmt: skip

MORE_CASES = {
    "nacjd_negative_count": (
        "county_crime_icpsr_2012", NacjdCounty2012,
        lambda d: set_cell(d / "crime_data_w_population_and_crime_rate.csv", 2, "MURDER", "-4"),
        "crime_data_w_population_and_crime_rate.csv", 2, "MURDER", "below the minimum",
    ),
    "urban_duplicate_county_year": (
        "urban_mobility_county_crime", UrbanCountyCrime,
        lambda d: edit_lines(d / "crimerate_county_2015_2017.csv", lambda ls: ls[:2] + [ls[1]] + ls[2:]),
        "crimerate_county_2015_2017.csv", 2, "county", "duplicate county-year",
    ),
    "marshall_bad_ori": (
        "marshall_city_crime", MarshallCityCrime,
        lambda d: edit_lines(d / "ucr_crime_1975_2015.csv", lambda ls: ls[:1] + [ls[1].replace('"NM00101"', '"NM1"')] + ls[2:]),
        "ucr_crime_1975_2015.csv", 1, "ORI", "malformed ORI",
    ),
    "state_unknown_state": (
        "state_ucr_classdata", StateUcrClassdata,
        lambda d: set_cell(d / "state_crime_wide_1961_2019_ucrdatatool.csv", 5, "Abb", "XX"),
        "state_crime_wide_1961_2019_ucrdatatool.csv", 5, "Abb", "unknown state",
    ),
    "county_facts_unknown_fips": (
        "census_county_facts_2014", CountyFacts2014,
        lambda d: set_cell(d / "county_facts.csv", 3, "Fips", "99001", encoding="latin-1"),
        "county_facts.csv", 3, "Fips", "unknown FIPS",
    ),
    "popest_wrong_type": (
        "census_popest_county_2010_2019", CensusPopest,
        lambda d: set_cell(d / "co-est2019-alldata.csv", 4, "POPESTIMATE2012", "n/a", encoding="utf-8-sig"),
        "co-est2019-alldata.csv", 4, "POPESTIMATE2012", "expected a number",
    ),
    "usdata_percent_out_of_range": (
        "usdata_county_complete", UsdataCounty,
        lambda d: set_cell(d / "county_2019.csv", 7, "poverty", "140.0"),
        "county_2019.csv", 7, "poverty", "above the maximum",
    ),
    "topojson_truncated": (
        "us_atlas_counties_topojson", UsAtlasCounties,
        lambda d: (d / "counties-10m.json").write_bytes((d / "counties-10m.json").read_bytes()[:5000]),
        "counties-10m.json", 1, None, "malformed JSON",
    ),
}  # fmt: skip


MORE_CASES["usdata_missing_file"] = (
    "usdata_county_complete", UsdataCounty, lambda d: (d / "county_2019.csv").unlink(),
    "county_2019.csv", None, None, "expected file is missing",
)  # fmt: skip
MORE_CASES["popest_header_only"] = (
    "census_popest_county_2010_2019", CensusPopest,
    lambda d: edit_lines(d / "co-est2019-alldata.csv", lambda ls: ls[:1], encoding="utf-8-sig"),
    "co-est2019-alldata.csv", None, None, "no data rows",
)  # fmt: skip


def _set_nchs_code(folder: Path) -> None:
    import openpyxl

    path = folder / "NCHSURCodes2013.xlsx"
    wb = openpyxl.load_workbook(path)
    ws = wb[wb.sheetnames[0]]
    col = [c.value for c in ws[1]].index("2013 code") + 1
    ws.cell(row=11, column=col, value=9)  # data row 10
    wb.save(path)


MORE_CASES["nchs_code_out_of_range"] = (
    "nchs_urban_rural_2013",
    NchsUrbanRural,
    _set_nchs_code,
    "NCHSURCodes2013.xlsx",
    10,
    "2013 code",
    "above the maximum",
)


def _check(
    err: InputError | str, fname: str, row: int | None, field: str | None, words: str
) -> None:
    text = str(err)
    assert "\n" not in text
    assert fname in text and words in text
    if row is not None:
        assert f"row {row}" in text
    if field is not None:
        assert f"field '{field}'" in text
    if isinstance(err, InputError):
        assert Path(err.file).name == fname
        assert err.row == row and err.field == field


@pytest.mark.parametrize("case", sorted({**CASES, **MORE_CASES}))
def test_adapter_raises_one_input_error(case: str, raw_dir: Path, tmp_path: Path) -> None:
    folder, adapter, mutate, fname, row, field, words = {**CASES, **MORE_CASES}[case]
    root = broken_raw(raw_dir, tmp_path, folder, mutate)
    with pytest.raises(InputError) as info:
        adapter().load(root)
    _check(info.value, fname, row, field, words)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def previous_warehouse(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("prev") / "wh.duckdb"
    shutil.copyfile(warehouse, out)
    return out


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    code = "from sanctuary_lab.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=300
    )


@pytest.mark.parametrize("case", [*sorted(CASES), "nchs_code_out_of_range"])
def test_cli_build_bad_input_exit_2_keeps_previous_warehouse(
    case: str, raw_dir: Path, tmp_path: Path, previous_warehouse: Path
) -> None:
    folder, _, mutate, fname, row, field, words = {**CASES, **MORE_CASES}[case]
    root = broken_raw(raw_dir, tmp_path, folder, mutate)
    before = _sha(previous_warehouse)
    res = _cli("build", "--raw-dir", str(root), "--out", str(previous_warehouse))
    assert res.returncode == 2, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    _check(lines[0], fname, row, field, words)
    assert _sha(previous_warehouse) == before
    assert not [p for p in previous_warehouse.parent.iterdir() if p.name.endswith(".tmp")]


def test_cli_missing_raw_dir_and_missing_warehouse(tmp_path: Path) -> None:
    res = _cli("build", "--raw-dir", str(tmp_path / "nope"), "--out", str(tmp_path / "w.duckdb"))
    assert res.returncode == 2 and "raw-data directory not found" in res.stderr
    assert not (tmp_path / "w.duckdb").exists()
    res = _cli("info", "--warehouse", str(tmp_path / "missing.duckdb"), "--json")
    assert res.returncode == 2 and "warehouse not found" in res.stderr
    assert json.dumps  # keep json imported for symmetry with the CLI tests
