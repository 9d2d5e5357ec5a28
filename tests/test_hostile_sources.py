"""Broken and implausible raw files: one-line errors naming file/row/field, or rejected rows
that are logged and counted — never silent loss or silent keeping (issue #11, part 2)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hostile_helpers import raw_copy
from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources.base import SourceData
from sanctuary_lab.sources.checks import validate_sources
from sanctuary_lab.sources.registry import all_adapters

NACJD = "county_crime_icpsr_2012"
NACJD_FILE = "crime_data_w_population_and_crime_rate.csv"
POPEST = "census_popest_county_2010_2019"


def _adapter(name: str):
    return next(a for a in all_adapters() if a.name == name)


def _load(raw: Path, name: str) -> SourceData:
    return _adapter(name).load(raw)


def _error(raw: Path, name: str) -> InputError:
    with pytest.raises(InputError) as e:
        _load(raw, name)
    assert "\n" not in str(e.value)
    return e.value


@pytest.fixture
def nacjd(raw_dir: Path, tmp_path: Path) -> Path:
    return raw_copy(raw_dir, tmp_path / "raw", NACJD)


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_truncated_row_is_an_error_naming_the_row(nacjd: Path) -> None:
    f = nacjd / NACJD / NACJD_FILE
    lines = _lines(f)
    f.write_text("".join(lines[:51]) + lines[51][:40], encoding="utf-8")
    e = _error(nacjd, NACJD)
    assert e.row == 51 and "short row" in str(e) and NACJD_FILE in str(e)


def test_long_row_is_an_error_naming_the_row(nacjd: Path) -> None:
    f = nacjd / NACJD / NACJD_FILE
    lines = _lines(f)
    lines[10] = lines[10].rstrip("\n") + ",999\n"
    f.write_text("".join(lines), encoding="utf-8")
    e = _error(nacjd, NACJD)
    assert e.row == 10 and ("long row" in str(e) or "malformed" in str(e))


def test_duplicated_header_is_an_error(nacjd: Path) -> None:
    f = nacjd / NACJD / NACJD_FILE
    lines = _lines(f)
    out = [lines[0].rstrip("\n") + ",MURDER\n"] + [
        ln.rstrip("\n") + ",7777777\n" for ln in lines[1:]
    ]
    f.write_text("".join(out), encoding="utf-8")
    e = _error(nacjd, NACJD)
    assert e.field == "MURDER" and "duplicated column header" in str(e)


def test_wrong_encoding_is_an_error(nacjd: Path) -> None:
    f = nacjd / NACJD / NACJD_FILE
    data = f.read_bytes().replace(b"Abbeville County", "Abbéville County".encode("latin-1"), 1)
    f.write_bytes(data)
    assert "cannot decode" in str(_error(nacjd, NACJD))


def test_year_in_file_name_outside_the_source_range(nacjd: Path) -> None:
    f = nacjd / NACJD / NACJD_FILE
    f.rename(f.with_name("nacjd_county_2099.csv"))
    e = _error(nacjd, NACJD)
    assert "2099" in str(e) and "outside the source's range" in str(e)


@pytest.mark.parametrize("kind", ["directory", "symlink loop", "broken link", "unreadable"])
def test_directories_links_and_unreadable_files_are_named(
    raw_dir: Path, tmp_path: Path, kind: str
) -> None:
    src = "ice-detainer-outcomes-npr"
    raw = raw_copy(raw_dir, tmp_path / "raw", src)
    f = raw / src / "all_detainers_by_year.csv"
    f.unlink()
    if kind == "directory":
        f.mkdir()
        needle = "is a directory"
    elif kind == "symlink loop":
        f.symlink_to(f.name)
        needle = "symbolic link loop"
    elif kind == "broken link":
        f.symlink_to("nowhere.csv")
        needle = "broken symbolic link"
    else:
        if os.geteuid() == 0:
            pytest.skip("root reads every file")
        f.write_text("year,count\n2008,1\n")
        f.chmod(0)
        needle = "not readable"
    e = _error(raw, src)
    assert "all_detainers_by_year.csv" in str(e) and needle in str(e)


def test_directory_among_globbed_files_is_named(raw_dir: Path, tmp_path: Path) -> None:
    src = "acs_county_2015_2017_kaggle"
    raw = raw_copy(raw_dir, tmp_path / "raw", src)
    (raw / src / "acs2019_county_data.csv").mkdir()
    e = _error(raw, src)
    assert "acs2019_county_data.csv" in str(e) and "is a directory" in str(e)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b'{"AL|agency": [{"model": "\xff\xfe"}]}', "cannot decode"),
        (b'{"AL|agency": [', "malformed JSON"),
        (b"[1, 2, 3]", "top level is list"),
        (b'{"AL|agency": ["not an object"]}', "not a JSON object"),
        (b"", "empty"),
    ],
)
def test_moa_json_errors_are_one_line(
    raw_dir: Path, tmp_path: Path, content: bytes, needle: str
) -> None:
    src = "policy-287g-2024-2026"
    raw = raw_copy(raw_dir, tmp_path / "raw", src)
    (raw / src / "moa_agreements.json").write_bytes(content)
    e = _error(raw, src)
    assert "moa_agreements.json" in str(e) and needle in str(e)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b'{"type": "Topology", "objects": {"c": {"geometries": []}}, "x": "\xff"}', "cannot decode"),
        (b'{"type": "Topology", "objects": {"c": {"geometries": 5}}}', "is not a list"),
        (b'{"type": "Topology", "objects": {"c": {"geometries": [7]}}}', "not a geometry"),
        (b'{"type": "Topology", "objects": {"c": 3}}', "is not a list"),
        (b'{"type": "Feature"}', "not a TopoJSON Topology"),
    ],
)  # fmt: skip
def test_topojson_errors_are_one_line(
    raw_dir: Path, tmp_path: Path, content: bytes, needle: str
) -> None:
    src = "us_atlas_counties_topojson"
    raw = raw_copy(raw_dir, tmp_path / "raw", src)
    (raw / src / "counties-10m.json").write_bytes(content)
    e = _error(raw, src)
    assert ".json" in str(e) and needle in str(e)


def test_duplicated_year_row_in_national_detainers_is_an_error(
    raw_dir: Path, tmp_path: Path
) -> None:
    src = "ice-detainer-outcomes-npr"
    raw = raw_copy(raw_dir, tmp_path / "raw", src)
    f = raw / src / "all_detainers_by_year.csv"
    lines = _lines(f)
    f.write_text("".join(lines + [lines[2]]), encoding="utf-8")
    sd = _load(raw, src)
    with pytest.raises(InputError) as e:
        validate_sources([sd])
    msg = str(e.value)
    assert "duplicated key year=" in msg and "detainers_national_by_year" in msg
    assert f"staged rows 2, {len(lines)}" in msg


def test_unknown_county_fips_and_counts_above_population_are_rejected_and_logged(
    nacjd: Path,
) -> None:
    clean = _load(nacjd, NACJD)
    f = nacjd / NACJD / NACJD_FILE
    lines = _lines(f)
    header = lines[0].rstrip("\n").split(",")
    ist, ict, imurder = header.index("FIPS_ST"), header.index("FIPS_CTY"), header.index("MURDER")

    def edit(i: int, col: int, value: str) -> None:
        cells = lines[i].rstrip("\n").split(",")
        # county_name is quoted and holds one comma: shift the index past it
        cells[col + 1] = value
        lines[i] = ",".join(cells) + "\n"

    edit(5, ist, "19")
    edit(5, ict, "999")  # 19999: Iowa has no county 999
    edit(9, imurder, "77777777")  # far above any county's population
    f.write_text("".join(lines), encoding="utf-8")
    sd = _load(nacjd, NACJD)
    pop = _load(nacjd, POPEST)
    validate_sources([pop, sd])
    n_clean = len(clean.tables["nacjd_county_crime"])
    assert len(sd.tables["nacjd_county_crime"]) == n_clean - 2
    reasons = [r.reason for r in sd.rejects]
    assert any("unknown county FIPS" in r for r in reasons)
    assert any("murder exceeds population" in r for r in reasons)
    rec = next(r for r in sd.files if r.file == NACJD_FILE)
    assert rec.rows_rejected == len(clean.rejects) + 2 and rec.rows_kept == n_clean - 2
    assert "19999" not in set(sd.tables["nacjd_county_crime"]["fips"])


def test_real_files_pass_every_check(raw_dir: Path) -> None:
    sources = [a.load(raw_dir) for a in all_adapters()]
    before = {sd.source: {k: len(v) for k, v in sd.tables.items()} for sd in sources}
    validate_sources(sources)
    after = {sd.source: {k: len(v) for k, v in sd.tables.items()} for sd in sources}
    assert after == before  # no real row is rejected by the cross-source checks
    assert json.dumps(after)


def test_blank_fips_in_the_icpsr_file_is_a_rejected_row(nacjd: Path) -> None:
    f = nacjd / NACJD / NACJD_FILE
    lines = _lines(f)
    cells = lines[5].rstrip("\n").split(",")
    cells[-2] = ""  # FIPS_ST
    lines[5] = ",".join(cells) + "\n"
    f.write_text("".join(lines), encoding="utf-8")
    sd = _load(nacjd, NACJD)
    assert [(r.row, r.reason) for r in sd.rejects] == [(5, "blank state or county FIPS")]
    assert len(sd.tables["nacjd_county_crime"]) == len(lines) - 2


@pytest.mark.parametrize(
    ("src", "fname", "column", "rows_per_reject"),
    [
        (POPEST, "co-est2019-alldata.csv", 0, 10),  # SUMLEV: one row = 10 county-years
        ("ice-detainer-outcomes-npr", "public_facility_detainer_outcomes.csv", 2, None),
        (NACJD, NACJD_FILE, -1, 1),  # FIPS_CTY
    ],
)
def test_a_blank_key_cell_is_an_error_or_a_logged_reject(
    raw_dir: Path, tmp_path: Path, src: str, fname: str, column: int, rows_per_reject: int | None
) -> None:
    """rows_per_reject None: the blank makes a duplicated key (an error)."""
    raw = raw_copy(raw_dir, tmp_path / "raw", src)
    f = raw / src / fname
    lines = f.read_bytes().decode("utf-8").splitlines(keepends=True)
    cells = lines[3].rstrip("\r\n").split(",")
    cells[column] = ""
    lines[3] = ",".join(cells) + "\n"
    f.write_bytes("".join(lines).encode("utf-8"))
    clean = _load(raw_dir, src)
    others = [] if src == POPEST else [_load(raw_dir, POPEST)]
    if rows_per_reject is None:
        with pytest.raises(InputError, match="duplicated key"):
            validate_sources([*others, _load(raw, src)])
        return
    sd = _load(raw, src)
    validate_sources([*others, sd])
    new = len(sd.rejects) - len(clean.rejects)
    assert new == 1
    rows = sum(len(t) for t in sd.tables.values())
    assert rows == sum(len(t) for t in clean.tables.values()) - rows_per_reject * new
