"""Every CLI failure a user can cause is one line on stderr with exit code 2, found before the
work starts, and leaves the previous warehouse and every other file alone (issue #11, parts 3,
4 and 6)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from cli_helpers import run_cli
from hostile_helpers import digest, one_line_error, snapshot, tiny_warehouse

Cli = tuple[pytest.MonkeyPatch, pytest.CaptureFixture[str]]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    monkeypatch.delenv("SANCTUARY_LAB_DEBUG", raising=False)
    return monkeypatch, capsys


def _run(cli: Cli, *args: str) -> tuple[int, str, str]:
    return run_cli(cli[0], cli[1], *args)


# ---------------------------------------------------------------------------------------------
# usage errors (typer 0.29 bundles its own click)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["frobnicate"], "No such command 'frobnicate'"),
        (["build", "--frob"], "No such option: --frob"),
        (["info", "-w"], "requires an argument"),
        (["report", "--perms", "many"], "Invalid value for '--perms'"),
        (["multiverse", "x", "--backend", "quantum"], "quantum"),
    ],
)
def test_usage_errors_are_one_line(cli: Cli, args: list[str], needle: str) -> None:
    code, _, err = _run(cli, *args)
    one_line_error(code, err, needle)


def test_debug_shows_the_traceback(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "x.duckdb"
    bad.write_text("not a database")
    code, _, err = _run(cli, "info", "-w", str(bad))
    one_line_error(code, err, "not a DuckDB warehouse file")
    from sanctuary_lab.core.errors import InputError

    with pytest.raises(InputError):
        _run(cli, "--debug", "info", "-w", str(bad))


# ---------------------------------------------------------------------------------------------
# bad warehouse files


def _bad_warehouses(tmp_path: Path, real: Path) -> dict[str, tuple[Path, str]]:
    text = tmp_path / "text.duckdb"
    text.write_text("fips,year\n01001,2012\n")
    empty = tmp_path / "empty.duckdb"
    empty.touch()
    truncated = tmp_path / "truncated.duckdb"
    truncated.write_bytes(real.read_bytes()[:20_000])
    cut = tmp_path / "cut.duckdb"
    cut.write_bytes(real.read_bytes()[:5000])
    folder = tmp_path / "folder.duckdb"
    folder.mkdir()
    foreign = tmp_path / "foreign.duckdb"
    con = duckdb.connect(str(foreign))
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.close()
    return {
        "non-duckdb": (text, "not a DuckDB warehouse file"),
        "empty": (empty, "empty"),
        "truncated": (truncated, "cannot open as a DuckDB warehouse"),
        "cut": (cut, "truncated"),
        "directory": (folder, "is a directory"),
        "foreign": (foreign, "not a sanctuary-lab warehouse"),
        "missing": (tmp_path / "nope.duckdb", "not found"),
    }


@pytest.mark.parametrize("kind", ["non-duckdb", "empty", "truncated", "cut", "directory",
                                  "foreign", "missing"])  # fmt: skip
@pytest.mark.parametrize("command", ["info", "quality", "report", "run"])
def test_bad_warehouse_files_are_one_line(
    cli: Cli, tmp_path: Path, kind: str, command: str
) -> None:
    real = tiny_warehouse(tmp_path / "real.duckdb")
    path, needle = _bad_warehouses(tmp_path, real)[kind]
    args = [command, "-w", str(path)]
    if command == "report":
        args += ["--out", str(tmp_path / "site"), "--no-figures"]
    if command == "run":
        args.insert(1, "martinez2019_city_sanctuary")
    before = snapshot(tmp_path)
    code, _, err = _run(cli, *args)
    one_line_error(code, err, path.name, needle)
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "site").exists()


def test_missing_table_is_one_line(cli: Cli, tmp_path: Path) -> None:
    wh = tiny_warehouse(tmp_path / "wh.duckdb", with_panel=False)
    code, _, err = _run(cli, "run", "martinez2019_city_sanctuary", "-w", str(wh))
    # a missing table makes the study's frame unavailable: every analysis fails -> exit 2
    one_line_error(code, err, "martinez2019_city_sanctuary", "no analysis could be estimated")


# ---------------------------------------------------------------------------------------------
# output paths, checked before the work starts


@pytest.mark.parametrize("kind", ["directory", "parent-is-file", "proc"])
def test_bad_build_out_paths_fail_before_reading(cli: Cli, tmp_path: Path, kind: str) -> None:
    (tmp_path / "afile").write_text("x")
    (tmp_path / "adir").mkdir()
    out = {
        "directory": tmp_path / "adir",
        "parent-is-file": tmp_path / "afile" / "w.duckdb",
        "proc": Path("/proc/self/w.duckdb"),
    }[kind]
    before = snapshot(tmp_path)
    # a raw folder that does not exist: a check made after reading would report that instead
    code, _, err = _run(cli, "build", "--raw-dir", str(tmp_path / "no_raw"), "--out", str(out))
    line = one_line_error(code, err)
    assert "raw-data" not in line
    assert {"directory": "is a directory", "parent-is-file": "is a file, not a folder",
            "proc": "refusing to write under /proc"}[kind] in line  # fmt: skip
    assert snapshot(tmp_path) == before


def test_unwritable_out_folder(cli: Cli, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can write everywhere")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    code, _, err = _run(cli, "build", "--out", str(ro / "w.duckdb"))
    one_line_error(code, err, "not writable")


def test_multiverse_out_directory_fails_before_the_run(cli: Cli, tmp_path: Path) -> None:
    wh = tiny_warehouse(tmp_path / "wh.duckdb")
    (tmp_path / "adir").mkdir()
    code, _, err = _run(
        cli, "multiverse", "multiverse_secure_communities", "-w", str(wh), "--out",
        str(tmp_path / "adir"),
    )  # fmt: skip
    one_line_error(code, err, "adir", "is a directory")


# ---------------------------------------------------------------------------------------------
# parameters, bounds, unknown keys, all-failing studies


@pytest.mark.parametrize(
    ("study", "param", "needle"),
    [
        ("wong2017_cross_section", "decline_threshold=abc", "must be a number"),
        ("wong2017_cross_section", "decline_threshold=7", "between 0.0 and 1.0"),
        ("martinez2019_city_sanctuary", "min_months=-99", "between 0 and 12"),
        ("martinez2019_city_sanctuary", "min_months=1.5", "an integer"),
        ("martinez2019_city_sanctuary", "first_year=99999", "between 1900 and 2100"),
        ("martinez2019_city_sanctuary", "policy=1", "a string"),
        ("martinez2019_city_sanctuary", "nope=1", "has parameters"),
    ],
)
def test_bad_param_values(cli: Cli, tmp_path: Path, study: str, param: str, needle: str) -> None:
    wh = tiny_warehouse(tmp_path / "wh.duckdb")
    code, _, err = _run(cli, "run", study, "-w", str(wh), "-p", param)
    one_line_error(code, err, needle)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


STUDY_HEAD = """
[study]
title = "t"
citation = "c"
"""


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ('[data]\nframe = "city_panel"\nfram = "x"\n', "data.fram"),
        ('[data]\nframe = "city_panel"\n[parameters]\nmin_months = -99\n', "between 0 and 12"),
        ('[data]\nframe = "city_panel"\n[parameters]\nfirst_year = 2010\nlast_year = 2000\n',
         "after last_year"),
        ('[data]\nframe = "city_panel"\n[[analysis]]\nlabel = "a"\ndesign = "twfe"\n'
         'subset = "year.real > 1"\n', "attribute access"),
        ("[study2]\n", "unknown section"),
        ('[data]\nframe = "city_panel"\n[inference]\nn_bot = 99\n', "inference.n_bot"),
    ],
)  # fmt: skip
def test_bad_study_files(cli: Cli, tmp_path: Path, body: str, needle: str) -> None:
    wh = tiny_warehouse(tmp_path / "wh.duckdb")
    study = _write(tmp_path / "s.toml", STUDY_HEAD + body)
    code, _, err = _run(cli, "run", str(study), "-w", str(wh))
    one_line_error(code, err, "s.toml", needle)


MV = """
[study]
title = "t"
citation = "c"
[multiverse]
table = "panel"
unit = "state_id"
time = "year"
cluster = "state_id"
{extra}
[multiverse.dimensions]
outcome = ["y"]
treatment = [{{ label = "treated", column = "treated" }}]
{dims}
"""


# 1,000 samples x 10 year windows x 101 weights = 1,010,000 specifications
_MANY_SPECS = (
    "sample = ["
    + ", ".join(f'{{label = "s{i}", query = "year > {i}"}}' for i in range(1000))
    + "]\n"
    "years = [" + ", ".join(f"[2000, {2001 + i}]" for i in range(10)) + "]\n"
    "weights = [" + ", ".join(f'"w{i}"' for i in range(101)) + "]"
)


@pytest.mark.parametrize(
    ("extra", "dims", "needle"),
    [
        ("n_perm = 1000000000", "", "documented maximum"),
        ("bootstrap_draws = 1000000000", "", "documented maximum"),
        ("perm_bootstrap_draws = 1000000000", "", "documented maximum"),
        ("chunk_size = 1000000000", "", "documented maximum"),
        ("", "years = [[-5, -1]]", "selects no rows"),
        ("", _MANY_SPECS, "documented maximum"),
        ("frob = 1", "", "unknown key"),
        ("", 'sample = [{ label = "a", qery = "year > 1" }]', "unknown key 'qery'"),
        ("", 'years = [{ start = 2000, end = 2005, lable = "x" }]', "unknown key 'lable'"),
    ],
)  # fmt: skip
def test_unbounded_multiverse_work_is_refused(
    cli: Cli, tmp_path: Path, extra: str, dims: str, needle: str
) -> None:
    wh = tiny_warehouse(tmp_path / "wh.duckdb")
    study = _write(tmp_path / "mv.toml", MV.format(extra=extra, dims=dims))
    code, _, err = _run(cli, "multiverse", str(study), "-w", str(wh))
    one_line_error(code, err, needle)


def test_multiverse_cli_n_perm_bound(cli: Cli, tmp_path: Path) -> None:
    wh = tiny_warehouse(tmp_path / "wh.duckdb")
    study = _write(tmp_path / "mv.toml", MV.format(extra="", dims=""))
    code, _, err = _run(cli, "multiverse", str(study), "-w", str(wh), "--n-perm", "1000000000")
    one_line_error(code, err, "n_perm", "documented maximum")


def test_adhoc_bootstrap_draws_bound(cli: Cli, tmp_path: Path) -> None:
    wh = tiny_warehouse(tmp_path / "wh.duckdb")
    code, _, err = _run(
        cli, "run", "--design", "twfe", "--table", "panel", "-w", str(wh), "--option", "outcome=y",
        "--option", "treatment=treated", "--option", "unit=state_id", "--option", "time=year",
        "--option", "inference=wild", "--option", "cluster=state_id", "--option",
        "n_boot=1000000000",
    )  # fmt: skip
    one_line_error(code, err, "n_boot", "documented maximum")


def test_study_whose_analyses_all_fail_exits_2(cli: Cli, tmp_path: Path) -> None:
    wh = tiny_warehouse(tmp_path / "wh.duckdb")
    study = _write(
        tmp_path / "s.toml",
        STUDY_HEAD + '[data]\nframe = "city_panel"\n[[analysis]]\nlabel = "a"\ndesign = "twfe"\n'
        'options = { outcome = "nope", treatment = "nope", unit = "ori", time = "year" }\n',
    )
    code, out, err = _run(cli, "run", str(study), "-w", str(wh), "--json")
    one_line_error(code, err, "no analysis could be estimated")
    assert '"failed"' in out  # the JSON result is still printed


# ---------------------------------------------------------------------------------------------
# clean-up of a killed build


def test_stale_temp_files_of_a_dead_build_are_removed(tmp_path: Path) -> None:
    from sanctuary_lab.warehouse.build import remove_stale_temp_files

    out = tmp_path / "sanctuary_lab.duckdb"
    dead = 2**22 + 12345  # above the default pid_max: no such process
    stale = [
        tmp_path / f".sanctuary_lab.duckdb.{dead}.ab12cd34.tmp",
        tmp_path / f".sanctuary_lab.duckdb.{dead}.ab12cd34.tmp.wal",
    ]
    live = tmp_path / f".sanctuary_lab.duckdb.{os.getppid()}.zz99yy88.tmp"
    mine = [
        tmp_path / "notes.tmp",
        tmp_path / ".sanctuary_lab.duckdb.backup",
        tmp_path / f".other.duckdb.{dead}.ab12cd34.tmp",
    ]
    for p in [*stale, live, *mine]:
        p.write_bytes(b"x" * 100)
    removed = remove_stale_temp_files(out)
    assert sorted(removed) == sorted(stale)
    assert not any(p.exists() for p in stale)
    assert live.exists() and all(p.exists() for p in mine)


def test_failed_build_leaves_previous_warehouse_byte_identical(
    cli: Cli, tmp_path: Path, raw_dir: Path
) -> None:
    from hostile_helpers import raw_copy

    raw = raw_copy(raw_dir, tmp_path / "raw", "acs_county_2015_2017_kaggle")
    target = raw / "acs_county_2015_2017_kaggle" / "acs2015_county_data.csv"
    lines = target.read_text().splitlines(keepends=True)
    target.write_text("".join(lines[:100]) + lines[100][: len(lines[100]) // 2])
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    wh = shutil.copy(tiny_warehouse(tmp_path / "prev.duckdb"), out_dir / "w.duckdb")
    sha = digest(Path(wh))
    before = snapshot(out_dir)
    code, _, err = _run(cli, "build", "--raw-dir", str(raw), "--out", str(wh))
    one_line_error(code, err, "acs2015_county_data.csv", "row 100", "short row")
    assert digest(Path(wh)) == sha
    assert snapshot(out_dir) == before


@pytest.mark.parametrize("command", ["quality", "report"])
def test_warehouse_missing_a_table_is_one_line(cli: Cli, tmp_path: Path, command: str) -> None:
    wh = tiny_warehouse(tmp_path / "wh.duckdb")  # build_info but no county_crime etc.
    args = [command, "-w", str(wh)]
    if command == "report":
        args += ["--out", str(tmp_path / "site"), "--no-figures"]
    code, _, err = _run(cli, *args)
    one_line_error(code, err, "wh.duckdb", "county_crime", "rebuild")
    assert not (tmp_path / "site").exists()
