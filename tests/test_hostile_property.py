"""Property: whatever is done to a real raw file (truncation, a duplicated header, swapped
columns, injected text, a wrong encoding), reading it either fails with one InputError line
(exit code 2 in the CLI) or keeps exactly the clean rows minus the rows it logged as rejected.

Most examples parse one source (the adapter and the cross-source checks), because a whole build
takes ~10-30 s; one test drives the real CLI build end to end on a few examples.
"""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sanctuary_lab.core.config import resolve_raw_dir
from sanctuary_lab.core.errors import InputError
from sanctuary_lab.sources.base import SourceData
from sanctuary_lab.sources.checks import validate_sources
from sanctuary_lab.sources.registry import all_adapters

pytestmark = pytest.mark.slow

RAW = resolve_raw_dir()
POPEST = "census_popest_county_2010_2019"
ADAPTERS = {a.name: a for a in all_adapters()}
TARGETS = sorted(
    (name, p.name)
    for name in ADAPTERS
    if (RAW / name).is_dir()
    for p in (RAW / name).iterdir()
    if p.suffix in (".csv", ".tsv") and p.stat().st_size < 4_000_000
)
MUTATIONS = ("truncate", "duplicate header", "swap columns", "inject text", "wrong encoding")
INJECTED = ("abc", "-5", "1e400", "N/A", "99999999999", '"', ",", "x\ny", "19999", "")


def _load_checked(raw: Path, name: str) -> SourceData:
    """Load one source and run the cross-source checks with the (clean) Census county list."""
    sd = ADAPTERS[name].load(raw)
    others = [] if name == POPEST else [_clean(POPEST)]
    validate_sources([*others, sd])
    return sd


@cache
def _clean(name: str) -> SourceData:
    return _load_checked(RAW, name)


def _rows(sd: SourceData) -> int:
    return sum(len(df) for df in sd.tables.values())


def _mutate(data: bytes, mutation: str, draw: st.DrawFn) -> bytes:
    text = data.decode("latin-1")
    lines = text.splitlines(keepends=True)
    header = lines[0]
    sep = "|" if header.count("|") > header.count(",") else ","
    sep = "\t" if header.count("\t") > header.count(sep) else sep
    cols = header.rstrip("\r\n").split(sep)
    if mutation == "truncate":
        # cut a data row before its last separator, dropping everything after: the row is then
        # short. (A cut inside a row's last field leaves a complete-looking row that no parser
        # can tell from a real one — real files may lack a final newline — so it is not drawn.)
        row = draw(st.integers(1, len(lines) - 1))
        line = lines[row].rstrip("\r\n")
        last = line.rfind(sep)
        if last < 1:
            return data
        cut = draw(st.integers(1, last))  # 0 would be a cut at the line end
        return ("".join(lines[:row]) + line[:cut]).encode("latin-1")
    if mutation == "duplicate header":
        i, j = draw(st.integers(0, len(cols) - 1)), draw(st.integers(0, len(cols) - 1))
        if i == j:
            j = (i + 1) % len(cols)
        cols[j] = cols[i]
        return (sep.join(cols) + "\n" + "".join(lines[1:])).encode("latin-1")
    if mutation == "swap columns":
        i, j = draw(st.integers(0, len(cols) - 1)), draw(st.integers(0, len(cols) - 1))
        cols[i], cols[j] = cols[j], cols[i]
        return (sep.join(cols) + "\n" + "".join(lines[1:])).encode("latin-1")
    if mutation == "inject text":
        row = draw(st.integers(1, len(lines) - 1))
        cells = lines[row].rstrip("\r\n").split(sep)
        k = draw(st.integers(0, len(cells) - 1))
        cells[k] = draw(st.sampled_from(INJECTED))
        lines[row] = sep.join(cells) + "\n"
        return "".join(lines).encode("latin-1")
    # wrong encoding: UTF-16, or one Latin-1 byte in a UTF-8 file
    if draw(st.booleans()):
        return text.encode("utf-16")
    row = draw(st.integers(1, len(lines) - 1))
    lines[row] = lines[row].replace(",", ",\xe9", 1) if "," in lines[row] else "\xe9" + lines[row]
    return "".join(lines).encode("latin-1")


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(target=st.sampled_from(TARGETS), mutation=st.sampled_from(MUTATIONS), data=st.data())
def test_a_mutated_raw_file_fails_in_one_line_or_loses_only_logged_rows(
    tmp_path_factory: pytest.TempPathFactory, target: tuple[str, str], mutation: str, data
) -> None:
    name, fname = target
    raw = tmp_path_factory.mktemp("raw")
    (raw / name).symlink_to(RAW / name)  # replaced below by a real copy
    (raw / name).unlink()
    shutil.copytree(RAW / name, raw / name)
    f = raw / name / fname
    f.write_bytes(_mutate(f.read_bytes(), mutation, data.draw))
    try:
        sd = _load_checked(raw, name)
    except InputError as exc:
        assert "\n" not in str(exc) and str(exc).strip()
        event(f"{mutation}: one-line error")
        return
    clean = _clean(name)
    new_rejects = len(sd.rejects) - len(clean.rejects)
    event(f"{mutation}: read, {'rows rejected' if new_rejects else 'no row lost'}")
    assert _rows(sd) == _rows(clean) - new_rejects, (mutation, fname)


def _edit_csv(path: Path, edit) -> None:
    lines = path.read_bytes().decode("latin-1").splitlines(keepends=True)
    path.write_bytes("".join(edit(lines)).encode("latin-1"))


CLI_CASES = {
    # duplicated header: a second "Men" column
    "duplicate header": (
        "acs_county_2015_2017_kaggle",
        "acs2017_county_data.csv",
        lambda ls: [ls[0].replace(",Women,", ",Men,", 1), *ls[1:]],
    ),
    # truncated in the middle of row 100
    "truncate": (
        "marshall_city_crime",
        "ucr_crime_1975_2015.csv",
        lambda ls: [*ls[:100], ls[100][: len(ls[100]) // 2]],
    ),
    # text in a count column
    "inject text": (
        "ice-detainer-outcomes-npr",
        "all_detainers_by_year.csv",
        lambda ls: [*ls[:3], ls[3].split(",")[0] + ",many\n", *ls[4:]],
    ),
    # wrong encoding
    "wrong encoding": (
        "ice-detainer-outcomes-npr",
        "lifted_detainers_by_year.csv",
        lambda ls: [ls[0].replace("year", "y\xe9ar"), *ls[1:]],  # a Latin-1 byte in UTF-8
    ),
}


@pytest.mark.parametrize("mutation", sorted(CLI_CASES))
def test_cli_build_on_a_mutated_raw_folder_fails_in_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    mutation: str,
) -> None:
    from cli_helpers import run_cli
    from hostile_helpers import raw_copy

    name, fname, edit = CLI_CASES[mutation]
    raw = raw_copy(RAW, tmp_path / "raw", name)
    _edit_csv(raw / name / fname, edit)
    out = tmp_path / "w.duckdb"
    code, _, err = run_cli(monkeypatch, capsys, "build", "--raw-dir", str(raw), "--out", str(out))
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), err[-2000:]
    assert fname in lines[0]
    assert not out.exists() and not list(tmp_path.glob(".w.duckdb.*"))


def test_cli_build_with_implausible_rows_loses_exactly_the_logged_rows(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    warehouse: Path,
) -> None:
    """Unknown county FIPS and a count above population: the build succeeds, and every table
    has the clean build's rows minus at most the rows it logged as rejected (exactly, for the
    staged table of the mutated source)."""
    import json

    import duckdb

    from cli_helpers import run_cli
    from hostile_helpers import raw_copy

    name, fname = "county_crime_icpsr_2012", "crime_data_w_population_and_crime_rate.csv"
    raw = raw_copy(RAW, tmp_path / "raw", name)

    def edit(ls: list[str]) -> list[str]:
        header = ls[0].rstrip("\n").split(",")
        ist, imurder = header.index("FIPS_ST") + 1, header.index("MURDER") + 1  # +1: "name, ST"
        a, b = ls[7].rstrip("\n").split(","), ls[8].rstrip("\n").split(",")
        a[ist], a[ist + 1] = "19", "999"
        b[imurder] = "88888888"
        return [*ls[:7], ",".join(a) + "\n", ",".join(b) + "\n", *ls[9:]]

    _edit_csv(raw / name / fname, edit)
    out = tmp_path / "w.duckdb"
    code, stdout, err = run_cli(
        monkeypatch, capsys, "build", "--raw-dir", str(raw), "--out", str(out), "--json"
    )
    assert code == 0, err[-2000:]
    got = json.loads(stdout)["tables"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        clean = {
            t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
            for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
    new_rejects = got["rejected_rows"] - clean["rejected_rows"]
    assert new_rejects == 2
    assert got["stg_nacjd_county_crime"] == clean["stg_nacjd_county_crime"] - new_rejects
    assert set(got) == set(clean)
    for t, n in clean.items():
        if t in ("rejected_rows", "caveats"):
            continue
        assert n - new_rejects <= got[t] <= n, t
        if t.startswith("stg_") and t != "stg_nacjd_county_crime":
            assert got[t] == n, t
