"""CLI output a person reads: labels printed as written (no Rich markup eaten), 80-column
layouts, flags shown as flags, progress lines without a terminal, rows vs fields in `quality`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cli_helpers import run_cli
from sanctuary_lab.cli.progress import line_printer
from sanctuary_lab.cli.warehouse import provenance_counts
from sanctuary_lab.core.formatting import fmt_ci, fmt_count, fmt_number, fmt_p, fmt_share, fmt_value


def test_one_formatter_rules() -> None:
    assert fmt_number(-0.006425) == "-0.00643"  # the verdict sentences' ASCII default
    assert fmt_number(-0.006425, ascii=False) == "\u22120.00643"  # the report's minus sign
    assert fmt_number(105.5) == "106"
    assert fmt_number(6654) == "6,654"
    assert fmt_number(10871.2) == "10,871"
    assert fmt_number(12530.0) == "12,530"
    assert fmt_number(35.55) == "35.5" or fmt_number(35.55) == "35.6"
    assert fmt_number(2.30) == "2.3"
    assert fmt_number(None) == "\u2013" and fmt_number(float("nan")) == "\u2013"
    assert fmt_number(-1.5, ascii=True) == "-1.5"
    assert fmt_p(4.034e-12) == "<0.001" and fmt_p(0.03412) == "0.034"
    assert fmt_count(1681) == "1,681"
    assert fmt_share(0.5234) == "52.3%"
    assert fmt_value(4353, "US dollars") == "$4,353"
    assert fmt_value(-2.3, "percentage points") == "\u22122.3 pp"
    assert fmt_value(0.1, "log points") == "10.5%"
    assert fmt_ci(-5.45, -0.75) == "\u22125.45 to \u22120.75"
    for v in (1.253e4, 4.034e-12, 1e-9, 123456789.0):
        assert "e" not in fmt_number(v).lower()


def test_progress_lines_without_a_terminal() -> None:
    buf = io.StringIO()
    now = [0.0]
    cb = line_printer(buf, every=5.0, clock=lambda: now[0], delay=0.0)
    for done in range(0, 101):
        now[0] = done * 0.5
        cb("multiverse: fitting", done, 100)
    lines = buf.getvalue().splitlines()
    assert lines[0] == "multiverse: fitting: 0/100 (0%)"
    assert lines[-1] == "multiverse: fitting: 100/100 (100%)"
    # one line at the start, one per 5 s of a 50 s run, one at the end
    assert 8 <= len(lines) <= 13
    # nothing during the first seconds: a quick command or error prints no progress
    quiet = io.StringIO()
    t = [0.0]
    cb2 = line_printer(quiet, clock=lambda: t[0], delay=3.0)
    cb2("run: fitting", 1, 10)
    assert quiet.getvalue() == ""
    t[0] = 4.0
    cb2("run: fitting", 5, 10)
    assert quiet.getvalue() == "run: fitting: 5/10 (50%)\n"


def test_provenance_counts_rows_and_fields_separately() -> None:
    rec = {"rows_read": 1681, "rows_kept": 1681, "rows_rejected": 16}
    assert provenance_counts(rec) | {} == {**rec, "rows_dropped": 0, "fields_blanked": 16}
    rec = {"rows_read": 202, "rows_kept": 200, "rows_rejected": 5}
    out = provenance_counts(rec)
    assert (out["rows_dropped"], out["fields_blanked"]) == (2, 3)


@pytest.mark.parametrize("command", ["quality", "run", "report", "studies", "multiverse"])
def test_help_shows_flags_as_flags(monkeypatch, capsys, command: str) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = run_cli(monkeypatch, capsys, command, "--help")
    assert code == 0
    assert "--json" in out
    assert "<bool>" not in out and "BOOLEAN" not in out


def test_run_wong_shows_distinct_sensitivity_labels(monkeypatch, capsys, warehouse: Path) -> None:
    from sanctuary_lab.studies.api import load_study

    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run_cli(
        monkeypatch, capsys, "run", "wong2017_cross_section", "-w", str(warehouse)
    )
    assert code == 0, err
    study = load_study("wong2017_cross_section")
    expected = []
    for sens in study.sensitivity:
        for value in sens.values:
            for analysis in sens.analyses:
                expected.append((analysis, sens.parameter, value))
    assert expected, "the Wong study declares sensitivity runs"
    lines = [line.strip() for line in out.splitlines()]
    for analysis, param, value in expected:
        assert any(line.startswith(analysis) and f"[{param}={value}]" in line for line in lines), (
            f"no line for {analysis} [{param}={value}]"
        )
    for line in out.splitlines():
        assert len(line) <= 80, line
    # progress (if any: only after 3 s) goes to stderr as plain lines, never to stdout
    assert "%)" not in out
