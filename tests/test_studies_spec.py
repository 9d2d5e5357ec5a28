"""Study files: parsing, validation errors naming file and key, placeholders, and the runner's
machinery on a tiny hand-made warehouse with a fake design registered only in this test."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from cli_helpers import run_cli
from sanctuary_lab.core.errors import InputError, SpecError
from sanctuary_lab.core.result import Result
from sanctuary_lab.designs import registry
from sanctuary_lab.studies import api
from sanctuary_lab.studies.data_files import (
    DEFINITION_CLASSES,
    adoption_cohorts,
    load_facts,
    load_sanctuary_policies,
    parse_sanctuary_policies,
)
from sanctuary_lab.studies.schema import (
    bundled_study_paths,
    parse_study,
    resolve_study_path,
    substitute,
)


@dataclass
class FakeMeanDiff:
    """Difference in means of ``outcome`` by ``treatment`` (normal CI); test-only design."""

    outcome: str
    treatment: str
    fail: bool = False

    def fit(self, data: pd.DataFrame) -> Result:
        if self.fail:
            raise RuntimeError("deliberate failure")
        y, d = data[self.outcome], data[self.treatment]
        a, b = y[d == 1], y[d == 0]
        est = a.mean() - b.mean()
        se = float(np.sqrt(a.var() / len(a) + b.var() / len(b)))
        table = pd.DataFrame(
            [
                {
                    "term": self.treatment,
                    "estimate": est,
                    "std_error": se,
                    "ci_low": est - 1.96 * se,
                    "ci_high": est + 1.96 * se,
                    "p_value": 0.5,
                    "n_obs": len(data),
                    "n_clusters": np.nan,
                }
            ]
        )
        return Result("fake_mean_diff", table, {"outcome": self.outcome})


@pytest.fixture
def fake_design(monkeypatch: pytest.MonkeyPatch) -> None:
    real = registry.designs

    def designs() -> dict[str, type]:
        return {**real(), "fake_mean_diff": FakeMeanDiff}

    monkeypatch.setattr(registry, "designs", designs)


@pytest.fixture
def tiny_warehouse(tmp_path: Path) -> Path:
    """A warehouse with only a small city_crime table (2 adopters, 2 never) 2000-2009."""
    rows = []
    rng = np.random.default_rng(0)
    for ori, pop in (("AA00001", 1e5), ("BB00001", 2e5), ("CC00001", 3e5), ("DD00001", 4e5)):
        for year in range(2000, 2010):
            rows.append(
                {
                    "ori": ori,
                    "year": year,
                    "department_name": ori,
                    "violent_count": int(500 + rng.integers(0, 100)),
                    "population": int(pop),
                    "months_reported": 12 if year != 2003 else 6,
                }
            )
    path = tmp_path / "tiny.duckdb"
    con = duckdb.connect(str(path))
    con.register("df", pd.DataFrame(rows))
    con.execute("CREATE TABLE city_crime AS SELECT * FROM df")
    con.execute("CREATE TABLE build_info AS SELECT '0.0' AS version, 'now' AS built_at")
    con.close()
    return path


POLICY_HEADER = (
    "ori,jurisdiction,state,level,instrument,definition_class,adopted,effective,"
    "citation_title,citation_url,confidence\n"
)


@pytest.fixture
def adoption_file(tmp_path: Path) -> Path:
    p = tmp_path / "adopt.csv"
    p.write_text(
        POLICY_HEADER
        + "AA00001,A,AA,city,Ordinance 1,limits-detainer-holds,2005-03-01,,Some ordinance (2005),"
        "https://example.org/a,high\n"
        "BB00001,B,BB,city,Order 2,no-status-inquiry,2006,,Some order (2006),"
        "https://example.org/b,low\n"
    )
    return p


STUDY = """
covariates = []

[study]
title = "Tiny"
citation = "Nobody (2024)"

[data]
frame = "city_panel"

[parameters]
adoption_file = "{adoption}"
first_year = 2000
last_year = 2009
min_months = 12
min_confidence = "low"

[sample]
published_n = 5
differences = ["toy data"]

[[analysis]]
label = "{{outcome}}:diff"
design = "fake_mean_diff"
outcomes = ["violent_rate", "log_violent_rate"]
options = {{ outcome = "{{outcome}}", treatment = "treated" }}

[[analysis]]
label = "late:diff"
design = "fake_mean_diff"
subset = "year >= 2004"
options = {{ outcome = "violent_rate", treatment = "treated" }}

[[analysis]]
label = "broken"
design = "fake_mean_diff"
options = {{ outcome = "violent_rate", treatment = "treated", fail = true }}

[[sensitivity]]
parameter = "min_confidence"
values = ["high"]
analyses = ["violent_rate:diff"]

[[published]]
quantity = "toy"
value = 1.0
result = "violent_rate:diff"
term = "treated"

[multiverse]
anything = "is ignored by the study parser"
"""


def _write(tmp_path: Path, text: str, name: str = "tiny.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_bundled_studies_parse_and_cover_the_issue() -> None:
    studies = {s.id: s for s in api.list_studies()}
    for needed in (
        "wong2017_cross_section",
        "secure_communities_crime",
        "forrester2020_287g_city",
        "forrester2020_287g_county",
        "martinez2019_city_sanctuary",
        "detainer_declines",
        "enforcement_breadth",
        "light_miller2018_immigrants",
        "light_miller2018_aor",
    ):
        assert needed in studies
    wong = studies["wong2017_cross_section"]
    assert "decline_threshold" in wong.parameters
    assert any(s.parameter == "decline_threshold" for s in wong.sensitivity)
    labels = [lab for lab, _, _ in wong.expanded_analyses()]
    assert "crime_per10k:adjusted" in labels and "crime_per10k:large_central_metro" in labels
    assert {p["value"] for p in wong.published} >= {-35.5, -65.4, 4353, -2.3, -1.1}
    for s in studies.values():
        assert s.title and s.citation and s.identifies and s.cannot_identify


def test_study_parses_placeholders_and_ignores_multiverse(
    tmp_path: Path, adoption_file: Path, fake_design: None
) -> None:
    study = parse_study(_write(tmp_path, STUDY.format(adoption=adoption_file)))
    assert study.id == "tiny"
    assert study.raw["multiverse"]["anything"].startswith("is ignored")
    assert study.has_multiverse
    expanded = {lab: opts for lab, _, opts in study.expanded_analyses()}
    assert set(expanded) == {"violent_rate:diff", "log_violent_rate:diff", "late:diff", "broken"}
    assert expanded["log_violent_rate:diff"]["outcome"] == "log_violent_rate"


def test_substitute_keeps_types() -> None:
    ctx = {"covariates": ["a", "b"], "k": 3}
    assert substitute({"x": "{covariates}", "y": "k={k}", "z": 1}, ctx, "w") == {
        "x": ["a", "b"],
        "y": "k=3",
        "z": 1,
    }
    with pytest.raises(SpecError, match="unknown placeholder"):
        substitute("{nope}", ctx, "here")


BAD = [
    ("[study]\ntitle = 'x'\n", "study.citation"),
    (
        "[study]\ntitle = 'x'\ncitation = 'y'\ncolour = 'red'\n[[descriptive]]\nname='a'\nbuilder='cited_facts'\n",
        "study.colour",
    ),
    ("[studdy]\ntitle = 'x'\n", "studdy"),
    ("[study]\ntitle = 'x'\ncitation = 'y'\n", "analysis"),
    ("[study]\ntitle='x'\ncitation='y'\n[data]\nframe='nope'\n", "data.frame"),
    (
        "[study]\ntitle='x'\ncitation='y'\n[data]\nframe='city_panel'\n[parameters]\nthreshold=1\n",
        "parameters.threshold",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[data]\nframe='city_panel'\n[[analysis]]\nlabel='a'\ndesign='no_such_design'\n",
        "analysis[0].design",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[data]\nframe='city_panel'\n[[analysis]]\ndesign='twfe'\n",
        "analysis[0].label",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[data]\nframe='city_panel'\n[[analysis]]\nlabel='a'\ndesign='twfe'\noptions=3\n",
        "analysis[0].options",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[data]\nframe='city_panel'\n[[analysis]]\nlabel='a'\ndesign='twfe'\noutcomes=['u','v']\n",
        "analysis[0].label",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[data]\nframe='city_panel'\n[[analysis]]\nlabel='a'\ndesign='twfe'\n[[analysis]]\nlabel='a'\ndesign='twfe'\n",
        "analysis",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[data]\nframe='city_panel'\n[parameters]\nmin_months=1\n[[analysis]]\nlabel='a'\ndesign='twfe'\n[[sensitivity]]\nparameter='first_year'\nvalues=[1]\n",
        "sensitivity[0].parameter",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[data]\nframe='city_panel'\n[parameters]\nmin_months=1\n[[analysis]]\nlabel='a'\ndesign='twfe'\n[[sensitivity]]\nparameter='min_months'\nvalues=[1]\nanalyses=['zzz']\n",
        "sensitivity[0].analyses",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[data]\nframe='city_panel'\n[[analysis]]\nlabel='a'\n"
        "design='twfe'\noptions={outcome='y', treatment='d', unit='u', time='t', colour='red'}\n",
        "analysis[0].options",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[[descriptive]]\nname='a'\nbuilder='nope'\n",
        "descriptive[0].builder",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[[descriptive]]\nname='a'\nbuilder='cited_facts'\n[[published]]\nquantity='q'\nvalue='big'\n",
        "published[0].value",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[[descriptive]]\nname='a'\nbuilder='cited_facts'\n[comparison.theirs]\nunit='county'\n",
        "comparison.theirs",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[[descriptive]]\nname='a'\nbuilder='cited_facts'\n[comparison.published]\nyears=[2015, 2010]\n",
        "comparison.published.years",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[[descriptive]]\nname='a'\nbuilder='cited_facts'\n[comparison.published]\nn_units=-3\n",
        "comparison.published.n_units",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[[descriptive]]\nname='a'\nbuilder='cited_facts'\n[comparison.ours]\ncolour='red'\n",
        "comparison.ours.colour",
    ),
]


def test_comparison_section_is_parsed(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "[study]\ntitle='x'\ncitation='y'\n[[descriptive]]\nname='a'\nbuilder='cited_facts'\n"
        "[comparison.published]\nunit='county'\nyears=[2004, 2012]\nn_units=2985\n"
        "[comparison.ours]\nunit='state'\n",
    )
    study = parse_study(path)
    assert study.comparison["published"] == {
        "unit": "county",
        "years": [2004, 2012],
        "n_units": 2985,
    }
    assert study.comparison["ours"] == {"unit": "state"}


@pytest.mark.parametrize(("text", "key"), BAD)
def test_bad_study_files_name_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        parse_study(path)
    msg = str(info.value)
    assert str(path) in msg
    assert f"key '{key}'" in msg


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "[study\n")
    with pytest.raises(SpecError, match="not valid TOML"):
        parse_study(path)
    with pytest.raises(SpecError, match="not found"):
        parse_study(tmp_path / "none.toml")
    with pytest.raises(SpecError, match="unknown study 'nope'"):
        resolve_study_path("nope")


def test_resolve_bundled_study_by_id() -> None:
    assert resolve_study_path("wong2017_cross_section") in bundled_study_paths()


def test_runner_on_tiny_warehouse(
    tmp_path: Path, tiny_warehouse: Path, adoption_file: Path, fake_design: None
) -> None:
    path = _write(tmp_path, STUDY.format(adoption=adoption_file))
    steps: list[tuple[str, int, int]] = []
    run = api.run_study(path, tiny_warehouse, progress=lambda m, d, t: steps.append((m, d, t)))
    # 4 analyses + 1 sensitivity fit, then the final (total, total) call
    assert steps[-1][1:] == (5, 5)
    assert [s[1] for s in steps[:-1]] == [0, 1, 2, 3, 4]
    assert set(run.results) == {
        "violent_rate:diff",
        "log_violent_rate:diff",
        "late:diff",
        "violent_rate:diff[min_confidence=high]",
    }
    # 4 ORIs x 10 years minus the 4 half-year rows (2003) = 36 agency-years
    assert int(run.results["violent_rate:diff"].tidy()["n_obs"].iloc[0]) == 36
    assert int(run.results["late:diff"].tidy()["n_obs"].iloc[0]) == 24
    assert run.sample["n_units"] == 4
    assert run.sample["n_obs"] == 36
    assert (
        "broken" in run.sample["failed"] and "deliberate failure" in run.sample["failed"]["broken"]
    )
    assert any("broken" in c for c in run.caveats)
    assert any("published one has 5" in d for d in run.sample["differences"])
    assert run.sample["warehouse"]["version"] == "0.0"
    # sensitivity: only the high-confidence adopter stays treated, so the estimate changes
    base = run.results["violent_rate:diff"].coef("treated")
    sens = run.results["violent_rate:diff[min_confidence=high]"].coef("treated")
    assert base != sens
    json.loads(json.dumps(run.to_dict()))


def test_relative_adoption_file_is_found_beside_the_study(
    tmp_path: Path, tiny_warehouse: Path, adoption_file: Path, fake_design: None
) -> None:
    path = _write(tmp_path, STUDY.format(adoption=adoption_file.name))
    run = api.run_study(path, tiny_warehouse)
    assert run.sample["frames"]["base"]["n_treated_units"] == 2


def test_missing_table_is_recorded_not_raised(
    tmp_path: Path, tiny_warehouse: Path, fake_design: None
) -> None:
    text = (
        "[study]\ntitle='x'\ncitation='y'\n[data]\nframe='state_panel'\n"
        "[[analysis]]\nlabel='a'\ndesign='fake_mean_diff'\noptions={outcome='y', treatment='d'}\n"
    )
    run = api.run_study(_write(tmp_path, text), tiny_warehouse)
    assert run.results == {}
    assert "no table 'state_crime'" in run.sample["failed"]["*"]


def test_sanctuary_policy_file_validation(tmp_path: Path) -> None:
    table, name = load_sanctuary_policies()
    assert name == "sanctuary_policies.csv"
    # every row is cited: a title and an http(s) URL
    assert (table["citation_title"].str.len() > 0).all()
    assert table["citation_url"].str.match(r"^https?://").all()
    assert set(table["confidence"]) <= {"low", "medium", "high"}
    assert set(table["definition_class"]) <= set(DEFINITION_CLASSES)
    la = table[(table["ori"] == "CA01942") & (table["definition_class"] == "no-status-inquiry")]
    assert la["start_year"].tolist() == [1979]
    # one jurisdiction, several instruments and definitions: NYC 1985 / 1989 / 2011 / 2014
    nyc = table[table["ori"] == "NY03030"].sort_values("adopted_date")
    assert nyc["start_year"].tolist() == [1985, 1989, 2011, 2014]
    assert adoption_cohorts(table, "any")["NY03030"] == 1985
    assert adoption_cohorts(table, "limits-detainer-holds")["NY03030"] == 2011
    # the in-panel adopters the issue names, with their dates
    first = {
        (o, c): d
        for o, c, d in zip(
            table["ori"], table["definition_class"], table["adopted"].str.strip(), strict=True
        )
    }
    assert first[("MDBPD00", "no-status-inquiry")] == "2012-03-02"
    assert first[("MDBPD00", "limits-detainer-holds")] == "2014-08-27"
    assert first[("NJNPD00", "limits-detainer-holds")] == "2013-07-24"
    assert first[("LANPD00", "limits-detainer-holds")].startswith("2013-08")
    assert first[("CODPD00", "limits-detainer-holds")] == "2014-04-30"
    assert first[("CO00101", "limits-detainer-holds")] == "2014"
    assert first[("MD01604", "limits-detainer-holds")] == "2014-10-07"
    assert first[("MD01721", "limits-detainer-holds")] == "2014-10-01"
    md = table[table["ori"] == "FL01300"].iloc[0]
    assert (str(md["adopted_date"].date()), str(md["effective_date"].date())) == (
        "2013-12-03",
        "2014-01-01",
    )
    assert "R-1008-13" in md["citation_title"] and md["start_year"] == 2014
    header = POLICY_HEADER
    good = "AA00001,A,AA,city,Ord,no-status-inquiry,2005,,Ord (2005),https://x.org/a,high\n"
    cases = [
        ("AA00001,A,AA,city,Ord,no-status-inquiry,2005,,Ord (2005),,high\n", "citation_url"),
        ("AA00001,A,AA,city,Ord,no-status-inquiry,2005,,,https://x.org,high\n", "citation_title"),
        ("AA00001,A,AA,city,Ord,no-status-inquiry,2005,,Ord,www.x.org,high\n", "citation_url"),
        ("AA00001,A,AA,city,Ord,no-status-inquiry,soon,,Ord,https://x.org,high\n", "adopted"),
        ("AA00001,A,AA,city,Ord,no-status-inquiry,2005-13-01,,Ord,https://x.org,high\n", "adopted"),
        ("AA00001,A,AA,city,Ord,sanctuary,2005,,Ord,https://x.org,high\n", "definition_class"),
        ("AA00001,A,AA,town,Ord,no-status-inquiry,2005,,Ord,https://x.org,high\n", "level"),
        ("AA00001,A,AA,city,Ord,no-status-inquiry,2005,,Ord,https://x.org,sure\n", "confidence"),
        (good, "instrument"),  # the same (ori, instrument) twice
    ]
    bad = tmp_path / "bad.csv"
    for row, field in cases:
        bad.write_text(header + good + row)
        with pytest.raises(InputError) as info:
            parse_sanctuary_policies(bad)
        assert (info.value.row, info.value.field) == (2, field), (row, info.value)
    # the old, uncited format is rejected with the missing column named
    bad.write_text("ori,department_name,state,adoption_year,policy,source,confidence\n")
    with pytest.raises(InputError) as info:
        parse_sanctuary_policies(bad)
    assert info.value.field == "jurisdiction"
    facts = load_facts()
    assert (facts["source"].str.len() > 0).all()


_cli = run_cli


def test_cli_studies_json_and_bad_arguments_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _cli(monkeypatch, capsys, "studies", "--json")
    assert code == 0, err
    ids = {row["id"] for row in json.loads(out)}
    assert "wong2017_cross_section" in ids
    broken = _write(tmp_path, "[study]\ntitle='x'\n", "broken.toml")
    code, _, err = _cli(monkeypatch, capsys, "run", str(broken), "-w", str(tmp_path / "x.duckdb"))
    assert code == 2 and "key 'study.citation'" in err
    code, _, err = _cli(monkeypatch, capsys, "run", "-w", str(tmp_path / "x.duckdb"))
    assert code == 2 and "--design and --table" in err
    code, _, err = _cli(monkeypatch, capsys, "run", "wong2017_cross_section", "--param", "nope=1")
    assert code == 2 and "--param 'nope'" in err


def test_cli_unknown_study_exit_2_via_console_script(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("sanctuary-lab")
    bad = subprocess.run(
        [str(exe), "run", "no_such_study", "-w", str(tmp_path / "x.duckdb")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: unknown study 'no_such_study'")
    assert len(bad.stderr.strip().splitlines()) == 1


def test_inference_defaults_apply_only_where_the_design_has_the_option() -> None:
    study = api.load_study("secure_communities_crime")
    opts = {label: o for label, _, o in study.expanded_analyses()}
    assert opts["log_index_crime_rate:twfe"]["inference"] == "crv1"
    assert opts["log_index_crime_rate:twfe"]["cluster"] == "state"
    cs = opts["log_index_crime_rate:callaway_santanna"]
    assert cs["cluster"] == "state" and "inference" not in cs


def test_load_reads_warehouse_columns_by_their_one_name() -> None:
    """Columns are read by the name the warehouse contract declares; a declared column missing
    from the warehouse at hand is a one-line DataUnavailable naming the table, the column and
    the columns that are there; an undeclared name is a KeyError (a builder's bug)."""
    from sanctuary_lab.studies.reading import DataUnavailable, load

    con = duckdb.connect()
    con.execute("CREATE TABLE counties (fips VARCHAR, state VARCHAR, nchs_code INT)")
    con.execute("INSERT INTO counties VALUES ('01001', 'AL', 3)")
    got = load(con, "counties", ["fips"], ["nchs_code", "nchs_label"])
    assert list(got.columns) == ["fips", "nchs_code"] and got["nchs_code"].tolist() == [3]
    with pytest.raises(DataUnavailable) as exc:
        load(con, "counties", ["fips", "nchs_label"])
    msg = str(exc.value)
    assert msg.startswith("table 'counties' has no column(s) ['nchs_label']; columns: ")
    assert "nchs_code" in msg and "\n" not in msg
    with pytest.raises(KeyError, match="declares no column 'nchs_class'"):
        load(con, "counties", ["fips", "nchs_class"])
    with pytest.raises(DataUnavailable, match="warehouse has no table 'county_crime'"):
        load(con, "county_crime", ["fips"])


def test_builder_registry_names_every_bundled_builder() -> None:
    """FRAMES and DESCRIPTIVES are plain dicts keyed by each builder's own name, and every
    bundled study names registered builders only."""
    from sanctuary_lab.studies.registry import DESCRIPTIVES, FRAMES

    for registered in (FRAMES, DESCRIPTIVES):
        assert type(registered) is dict
        assert all(name == fn.__name__ for name, fn in registered.items())
    for path in bundled_study_paths():
        study = parse_study(path)
        assert not study.frame or study.frame in FRAMES
        assert all(d.builder in DESCRIPTIVES for d in study.descriptive)
