"""Report writing is safe: built beside the target and swapped in, refuses dangerous folders,
never deletes files it did not write (issue #11, part 5)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from cli_helpers import run_cli
from hostile_helpers import one_line_error, snapshot, tiny_warehouse
from report_fixtures import report_data
from sanctuary_lab.core.errors import InputError
from sanctuary_lab.report import site as site_mod
from sanctuary_lab.report.site import MANIFEST, check_report_target, write_site


@pytest.fixture(scope="module")
def data(raw_dir: Path):
    return report_data(raw_dir)


def _tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("where", ["/", "home", "/proc/self/report", "/sys/report"])
def test_dangerous_targets_are_refused(where: str) -> None:
    target = Path.home() if where == "home" else Path(where)
    with pytest.raises(InputError) as e:
        check_report_target(target, force=True)
    assert "refusing" in str(e.value)


@pytest.mark.parametrize("where", ["/", "home"])
def test_cli_refuses_root_and_home_before_running_studies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    wh = tiny_warehouse(tmp_path / "wh.duckdb")
    out = "/" if where == "/" else str(Path.home())
    code, _, err = run_cli(
        monkeypatch, capsys, "report", "-w", str(wh), "--out", out, "--no-figures", "--force"
    )
    one_line_error(code, err, "refusing")


def test_foreign_folder_is_refused_without_force(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.docx").write_text("years of work")
    wh = tiny_warehouse(tmp_path / "wh.duckdb")
    before = snapshot(tmp_path)
    code, _, err = run_cli(monkeypatch, capsys, "report", "-w", str(wh), "--out", str(out))
    one_line_error(code, err, "not written by `sanctuary-lab report`", "--force")
    assert snapshot(tmp_path) == before


def test_force_adds_report_files_and_deletes_nothing(tmp_path: Path, data) -> None:
    out = tmp_path / "mine"
    (out / "figures" / "keep").mkdir(parents=True)
    (out / "thesis.docx").write_text("years of work")
    (out / "figures" / "keep" / "plot.svg").write_text("<svg/>")
    write_site(data, out, figures=False, force=True)
    assert (out / "thesis.docx").read_text() == "years of work"
    assert (out / "figures" / "keep" / "plot.svg").read_text() == "<svg/>"
    assert (out / "index.html").is_file() and (out / MANIFEST).is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".mine.")]


def test_rewriting_a_report_keeps_user_files_and_subfolders(tmp_path: Path, data) -> None:
    out = tmp_path / "site"
    write_site(data, out, figures=False)
    written = _tree(out)
    # the user adds notes beside the report, a subfolder in figures/ and a page in studies/
    (out / "figures" / "mine").mkdir(parents=True, exist_ok=True)
    (out / "figures" / "mine" / "a.png").write_bytes(b"png")
    (out / "figures" / "note.txt").write_text("n")
    (out / "studies" / "my_notes.html").write_text("<p>mine</p>")
    (out / "NOTES.md").write_text("notes")
    (out / "index.html").write_text("edited by hand")  # a report file: replaced
    write_site(data, out, figures=False)
    after = _tree(out)
    assert (out / "figures" / "mine" / "a.png").read_bytes() == b"png"
    assert (out / "figures" / "note.txt").read_text() == "n"
    assert (out / "studies" / "my_notes.html").read_text() == "<p>mine</p>"
    assert (out / "NOTES.md").read_text() == "notes"
    assert (out / "index.html").read_text() != "edited by hand"
    assert set(written) <= set(after)
    assert not [p for p in tmp_path.iterdir() if p.name != "site"]  # no temp folder left


def test_a_failed_write_leaves_the_previous_report_intact(
    tmp_path: Path, data, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    write_site(data, out, figures=False)
    before = _tree(out)

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(site_mod, "_write_into", boom)
    with pytest.raises(OSError):
        write_site(data, out, figures=False)
    assert _tree(out) == before
    assert sorted(os.listdir(tmp_path)) == ["site"]
