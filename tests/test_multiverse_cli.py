"""`sanctuary-lab multiverse STUDY --json` on the bundled Secure Communities study and real warehouse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from sanctuary_lab.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=900
    )


def test_multiverse_json_on_the_real_study(warehouse: Path, tmp_path: Path) -> None:
    csv = tmp_path / "curve.csv"
    proc = _cli(
        "multiverse", "multiverse_secure_communities", "-w", str(warehouse), "--json", "--n-perm", "2",
        "--out", str(csv),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(proc.stdout)
    s = data["summary"]
    assert s["n_specs"] == len(data["specs"]) >= 1000
    ran = [r for r in data["specs"] if not r["skipped"]]
    assert len(ran) >= 1000 and all(r["estimate"] is not None for r in ran)
    assert all(r["ci_low"] <= r["estimate"] <= r["ci_high"] for r in ran)
    assert all(0 <= r["p_value"] <= 1 for r in ran)
    skipped = [r for r in data["specs"] if r["skipped"]]
    assert any("needs a 0/1 treatment" in r["skipped"] for r in skipped)
    cs = [r for r in ran if r["estimator"] == "callaway_santanna"]
    assert cs and all(r["fixed_effects"] == "unit+time" for r in cs)
    assert s["n_perm"] == 2 and len(data["permutations"]) == 2
    assert 0 < s["perm_p_median"] <= 1
    base = [r for r in ran if all(r[k] == v for k, v in data["meta"]["base"].items())]
    assert len(base) == 1 and base[0]["n_obs"] == 51 * 15  # 50 states + DC, 2000-2014
    assert csv.read_text().count("\n") == s["n_specs"] + 1


def test_multiverse_cli_bad_arguments_exit_2(warehouse: Path) -> None:
    proc = _cli("multiverse", "no_such_study", "-w", str(warehouse))
    assert proc.returncode == 2 and "unknown study 'no_such_study'" in proc.stderr
    proc = _cli(
        "multiverse", "multiverse_secure_communities", "-w", str(warehouse), "--n-perm", "-1"
    )
    assert proc.returncode == 2 and "--n-perm must be >= 0" in proc.stderr


@pytest.mark.parametrize("missing", ["missing.duckdb"])
def test_multiverse_cli_missing_warehouse(tmp_path: Path, missing: str) -> None:
    proc = _cli("multiverse", "multiverse_secure_communities", "-w", str(tmp_path / missing))
    assert proc.returncode == 2 and "warehouse not found" in proc.stderr
