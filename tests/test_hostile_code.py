"""Hostile study files: nothing read from a study file is executed, and no file is read or
written outside the warehouse (issue #11, part 1)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cli_helpers import run_cli
from hostile_helpers import one_line_error, snapshot, tiny_warehouse
from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.filters import apply_filter, parse_filter

FRAME = pd.DataFrame(
    {
        "year": [2000, 2005, 2012, None],
        "state": ["CA", "TX", None, "NY"],
        "nchs_class": [1, 2, 1, 1],
    }
)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("year == 2012", [2]),
        ("nchs_class == 1", [0, 2, 3]),
        ("year >= 2000 and year <= 2014", [0, 1, 2]),
        ("2000 < year <= 2012", [1, 2]),
        ("state in ['CA', 'TX']", [0, 1]),
        ("state not in ('CA',)", [1, 2, 3]),
        ("not (year == 2000) and year == year", [1, 2]),
        ("(year == 2000) | (year == 2012)", [0, 2]),
        ("state == None", [2]),
        ("year > -1 or state == 'NY'", [0, 1, 2, 3]),
    ],
)
def test_filter_language_selects_rows_like_a_query(text: str, kept: list[int]) -> None:
    mask = parse_filter(text).mask(FRAME)
    assert mask.to_numpy().nonzero()[0].tolist() == kept


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("@pd.io.common.os.system('id') == 0", "'@'"),
        ("__import__('os').system('id') == 0", "function call"),
        ("year.__class__ == 1", "attribute access"),
        ("FRAME[0] == 1", "subscript"),
        ("year + 1 > 2", "arithmetic"),
        ("(lambda: 1)() == 1", "function call"),
        ("year == (1).real", "attribute access"),
        ("state in names", "in"),
        ("year == 2012; import os", "not a valid expression"),
        ("x" * 3000, "longer than"),
    ],
)
def test_filter_language_rejects_everything_else(text: str, needle: str) -> None:
    with pytest.raises(SpecError) as e:
        parse_filter(text, "study.toml")
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_filter_errors_name_unknown_columns_and_type_clashes() -> None:
    with pytest.raises(SpecError, match=r"unknown column\(s\) \['foo'\]"):
        apply_filter(FRAME, "foo == 1")
    with pytest.raises(SpecError, match="cannot be applied"):
        apply_filter(FRAME, "year < 'a'")


PAYLOAD = "@pd.io.common.os.system('touch {marker}') == 0"


def _study(path: Path, subset: str) -> Path:
    path.write_text(
        f"""
[study]
title = "hostile"
citation = "test"
[data]
frame = "city_panel"
[parameters]
min_months = 12
[[analysis]]
label = "twfe"
design = "twfe"
subset = '''{subset}'''
options = {{ outcome = "y", treatment = "treated", unit = "state_id", time = "year" }}
"""
    )
    return path


def test_subset_payload_in_a_study_file_does_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "pwned"
    study = _study(tmp_path / "evil.toml", PAYLOAD.format(marker=marker))
    wh = tiny_warehouse(tmp_path / "wh.duckdb")
    before = snapshot(tmp_path)
    code, _, err = run_cli(monkeypatch, capsys, "run", str(study), "-w", str(wh))
    one_line_error(code, err, "evil.toml", "subset", "'@'")
    assert not marker.exists()
    assert snapshot(tmp_path) == before


def test_adhoc_where_payload_does_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "pwned"
    wh = tiny_warehouse(tmp_path / "wh.duckdb")
    code, _, err = run_cli(
        monkeypatch, capsys, "run", "--design", "twfe", "--table", "panel", "-w", str(wh),
        "--option", "outcome=y", "--option", "treatment=treated", "--option", "unit=state_id",
        "--option", "time=year", "--where", PAYLOAD.format(marker=marker),
    )  # fmt: skip
    one_line_error(code, err, "--where", "'@'")
    assert not marker.exists()


def _multiverse(path: Path, *, sql: str | None = None, sample: str = "", extra: str = "") -> Path:
    source = f"sql = '''{sql}'''" if sql is not None else 'table = "panel"'
    path.write_text(
        f"""
[study]
title = "hostile multiverse"
citation = "test"
[multiverse]
{source}
unit = "state_id"
time = "year"
cluster = "state_id"
{extra}
[multiverse.dimensions]
outcome = ["y"]
treatment = [{{ label = "treated", column = "treated" }}]
{sample}
"""
    )
    return path


def test_multiverse_sample_query_payload_does_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "pwned"
    q = PAYLOAD.format(marker=marker)
    study = _multiverse(
        tmp_path / "mv.toml", sample=f'sample = [{{ label = "evil", query = "{q}" }}]'
    )
    wh = tiny_warehouse(tmp_path / "wh.duckdb")
    code, _, err = run_cli(monkeypatch, capsys, "multiverse", str(study), "-w", str(wh))
    one_line_error(code, err, "mv.toml", "sample", "'@'")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("sql", "needle"),
    [
        ("COPY (SELECT * FROM panel) TO '{tmp}/x.csv'; SELECT * FROM panel", "exactly one"),
        ("COPY (SELECT * FROM panel) TO '{tmp}/x.csv'", "must be a SELECT"),
        ("SELECT *, (SELECT content FROM read_text('/etc/hostname')) AS h FROM panel", "disabled"),
        ("SELECT * FROM read_csv('/etc/passwd')", "disabled"),
        ("ATTACH '{tmp}/x.db' AS x", "must be a SELECT"),
        ("SELECT * FROM panel; DROP TABLE panel", "exactly one"),
        ("INSTALL httpfs", "must be a SELECT"),
    ],
)
def test_multiverse_sql_cannot_touch_files(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sql: str,
    needle: str,
) -> None:
    wh = tiny_warehouse(tmp_path / "wh.duckdb")
    study = _multiverse(tmp_path / "mv.toml", sql=sql.format(tmp=tmp_path))
    before = snapshot(tmp_path)
    code, _, err = run_cli(monkeypatch, capsys, "multiverse", str(study), "-w", str(wh))
    one_line_error(code, err, needle)
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.db").exists()


def test_multiverse_plain_select_still_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wh = tiny_warehouse(tmp_path / "wh.duckdb")
    study = _multiverse(
        tmp_path / "mv.toml",
        sql="WITH p AS (SELECT * FROM panel) SELECT * FROM p",
        sample='sample = ["all", { label = "no S00", query = "state != \'S00\'" }]',
    )
    code, out, err = run_cli(monkeypatch, capsys, "multiverse", str(study), "-w", str(wh), "--json")
    assert code == 0, err[-2000:]
    assert '"n_specs": 2' in out
