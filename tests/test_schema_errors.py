"""Exact one-line errors of the study and multiverse file models (core/schema.py).

Each message is the one the hand-written validation gave before the files were declared as
pydantic models: ``file: key 'dotted.path': message``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.designs.registry import designs
from sanctuary_lab.multiverse.schema import parse_multiverse
from sanctuary_lab.studies.schema import parse_study

STUDY_ERRORS = [
    ("[study]\ntitle = 'x'\n", "{path}: key 'study.citation': is required (a string)"),
    (
        "[study]\ntitle = ' '\ncitation='y'\n[[descriptive]]\nname='a'\nbuilder='cited_facts'\n",
        "{path}: key 'study.title': must be a non-empty string, got ' '",
    ),
    ("study = 3\n", "{path}: key 'study': must be a table ([study]), got int"),
    (
        "[studdy]\n",
        "{path}: key 'studdy': unknown section; allowed: ['analysis', 'comparison', 'controls', 'covariates', 'data', 'descriptive', 'inference', 'multiverse', 'outcomes', 'parameters', 'published', 'sample', 'sensitivity', 'study', 'treatment']",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[[descriptive]]\nname='a'\nbuilder='cited_facts'\n[data]\ntables = 'x'\n",
        "{path}: key 'data.tables': must be a list of warehouse table names",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[[descriptive]]\nname='a'\nbuilder='cited_facts'\n[study2]\n",
        "{path}: key 'study2': unknown section; allowed: ['analysis', 'comparison', 'controls', 'covariates', 'data', 'descriptive', 'inference', 'multiverse', 'outcomes', 'parameters', 'published', 'sample', 'sensitivity', 'study', 'treatment']",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\nanalysis = 3\n",
        "{path}: key 'study.analysis': unknown key; allowed keys: ['cannot_identify', 'caveats', 'citation', 'design', 'id', 'identifies', 'summary', 'title']",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[[analysis]]\nlabel='a'\ndesign='twfe'\n",
        "{path}: key 'data.frame': is required when the study declares [[analysis]] entries",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[data]\nframe='city_panel'\n[[analysis]]\nlabel='a'\ndesign='twfe'\noptions = 3\n",
        "{path}: key 'analysis[0].options': must be an inline table of design options",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[data]\nframe='city_panel'\n[[analysis]]\nlabel='a'\ndesign='twfe'\noutcomes = [1]\n",
        "{path}: key 'analysis[0].outcomes': must be a list of column names",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[data]\nframe='city_panel'\n[[analysis]]\nlabel='a'\ndesign='twfe'\nsubset = 5\n",
        "{path}: key 'analysis[0].subset': must be a filter expression string",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[data]\nframe='city_panel'\n[[analysis]]\nlabel='a'\ndesign='twfe'\ncolour = 'red'\n",
        "{path}: key 'analysis[0].colour': unknown key; allowed keys: ['design', 'label', 'notes', 'options', 'outcomes', 'subset']",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[data]\nframe='city_panel'\n[parameters]\nmin_months=1\n[[analysis]]\nlabel='a'\ndesign='twfe'\n[[sensitivity]]\nparameter='min_months'\nvalues=[]\n",
        "{path}: key 'sensitivity[0].values': must be a non-empty list of parameter values",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[[descriptive]]\nname='a'\nbuilder='cited_facts'\n[[published]]\nvalue = 1\n",
        "{path}: key 'published[0].quantity': is required (a string)",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[[descriptive]]\nname='a'\nbuilder='cited_facts'\n[comparison]\npublished = 3\n",
        "{path}: key 'comparison.published': must be a table",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[[descriptive]]\nname='a'\nbuilder='cited_facts'\n[comparison.ours]\nyears = [2000]\n",
        "{path}: key 'comparison.ours.years': must be [first, last] years, got [2000]",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[[descriptive]]\nname='a'\nbuilder='cited_facts'\n[comparison.ours]\nunit = 5\n",
        "{path}: key 'comparison.ours.unit': must be a string",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[[descriptive]]\nname='a'\nbuilder='cited_facts'\n[inference]\nn_bot = 9\n",
        "{path}: key 'inference.n_bot': unknown key: no design has this option",
    ),
    (
        "[study]\ntitle='x'\ncitation='y'\n[data]\nframe='city_panel'\n[parameters]\nmin_months = 99\n[[descriptive]]\nname='a'\nbuilder='cited_facts'\n",
        "{path}: key 'parameters.min_months': parameter 'min_months' must be between 0 and 12, got 99",
    ),
]


@pytest.mark.parametrize(("text", "message"), STUDY_ERRORS)
def test_study_file_errors_are_unchanged(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(SpecError) as info:
        parse_study(path)
    assert str(info.value) == message.format(path=path)


BASE = {
    "table": "p",
    "unit": "u",
    "time": "t",
    "dimensions": {"outcome": ["y"], "treatment": ["d"]},
}
MULTIVERSE_ERRORS = [
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y"], "treatment": ["d"]},
            "frob": 1,
        },
        "s.toml: key 'multiverse.frob': unknown key; allowed keys: ['alpha', 'base', 'bootstrap_draws', 'bootstrap_weights', 'chunk_size', 'cluster', 'designs', 'dimensions', 'exclude', 'n_perm', 'notes', 'perm_bootstrap_draws', 'seed', 'sql', 'table', 'time', 'unit']",
    ),
    (
        {"unit": "u", "time": "t", "dimensions": {"outcome": ["y"], "treatment": ["d"]}},
        "s.toml: key 'multiverse.sql': give exactly one of 'sql' (a query) or 'table' (a warehouse table)",
    ),
    (
        {"table": "p", "time": "t", "dimensions": {"outcome": ["y"], "treatment": ["d"]}},
        "s.toml: key 'multiverse.unit': is required: the panel's column name",
    ),
    (
        {"table": "p", "unit": "u", "time": "t"},
        "s.toml: key 'multiverse.dimensions': is required: a table of choice lists",
    ),
    (
        {"table": "p", "unit": "u", "time": "t", "dimensions": {"outcome": ["y"]}},
        "s.toml: key 'multiverse.dimensions.treatment': is required (a non-empty list)",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y"], "treatment": ["d"], "colour": ["x"]},
        },
        "s.toml: key 'multiverse.dimensions.colour': unknown dimension; known: ['sample', 'years', 'fixed_effects', 'weights', 'estimator', 'covariates', 'treatment', 'outcome', 'inference']",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {
                "outcome": ["y"],
                "treatment": ["d"],
                "sample": [{"label": "a", "qery": "x"}],
            },
        },
        "s.toml: key 'multiverse.dimensions.sample': unknown key 'qery'; allowed: ['label', 'query']",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": [{"column": "y", "transform": "sqrt"}], "treatment": ["d"]},
        },
        "s.toml: key 'multiverse.dimensions.outcome': bad choice {'column': 'y', 'transform': 'sqrt'}: need a column and transform none|log",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y"], "treatment": [{"column": "d", "threshold": "x"}]},
        },
        "s.toml: key 'multiverse.dimensions.treatment': threshold must be a number, got 'x'",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y"], "treatment": ["d"], "years": [[2010, 2000]]},
        },
        "s.toml: key 'multiverse.dimensions.years': choices are [start, end] year pairs, got [2010, 2000]",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y"], "treatment": ["d"], "inference": ["wild", "bogus"]},
        },
        "s.toml: key 'multiverse.dimensions.inference': unknown choice 'bogus'; choose from ['crv1', 'wild', 'hc1', 'iid']",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y", "y"], "treatment": ["d"]},
        },
        "s.toml: key 'multiverse.dimensions.outcome': choice labels must be unique, got ['y', 'y']",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y"], "treatment": ["d"], "weights": []},
        },
        "s.toml: key 'multiverse.dimensions.weights': must be a non-empty list of choices",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y"], "treatment": ["d"]},
            "designs": {"twfe": {"options": 3}},
        },
        "s.toml: key 'multiverse.designs.twfe': must be a table with an 'options' inline table",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y"], "treatment": ["d"]},
            "designs": {"twfe": {"options": {}, "colour": 1}},
        },
        "s.toml: key 'multiverse.designs.twfe': unknown key 'colour'; allowed: ['binary_treatment', 'design', 'fixed_effects', 'only', 'options', 'term']",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y"], "treatment": ["d"]},
            "designs": {"twfe": {"options": {}, "only": {"outcome": ["z"]}}},
        },
        "s.toml: key 'multiverse.designs.twfe.only': must map dimension names to lists of choice labels",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y"], "treatment": ["d"]},
            "exclude": [3],
        },
        "s.toml: key 'multiverse.exclude[0]': must be a table with 'when' and 'reason'",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y"], "treatment": ["d"]},
            "exclude": [{"when": {"outcome": "y"}}],
        },
        "s.toml: key 'multiverse.exclude[0]': needs 'when' (dimension = choice label) and a 'reason'",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y"], "treatment": ["d"]},
            "exclude": [{"when": {"outcome": "z"}, "reason": "r"}],
        },
        "s.toml: key 'multiverse.exclude[0].when.outcome': no choice labelled 'z' in dimension 'outcome'",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y"], "treatment": ["d"]},
            "exclude": [{"when": {"outcome": "y"}, "reason": "r", "why": 1}],
        },
        "s.toml: key 'multiverse.exclude[0]': unknown key 'why'; allowed: ['reason', 'when']",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y"], "treatment": ["d"]},
            "n_perm": -1,
        },
        "s.toml: key 'multiverse.n_perm': must be a int >= 0, got -1",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y"], "treatment": ["d"]},
            "n_perm": 1000000000,
        },
        "s.toml: key 'multiverse.n_perm': must be at most 20,000 (documented maximum), got 1000000000",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y"], "treatment": ["d"]},
            "seed": 1.5,
        },
        "s.toml: key 'multiverse.seed': must be a int >= 0, got 1.5",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y"], "treatment": ["d"]},
            "alpha": 2.0,
        },
        "s.toml: key 'multiverse.alpha': must be a number between 0 and 1, got 2.0",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y"], "treatment": ["d"]},
            "bootstrap_weights": "normal",
        },
        "s.toml: key 'multiverse.bootstrap_weights': must be 'rademacher' or 'webb', got 'normal'",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y"], "treatment": ["d"]},
            "chunk_size": 0,
        },
        "s.toml: key 'multiverse.chunk_size': must be a int >= 1, got 0",
    ),
    (
        {
            "table": "p",
            "unit": "u",
            "time": "t",
            "dimensions": {"outcome": ["y"], "treatment": ["d"]},
            "base": 3,
        },
        "s.toml: key 'multiverse.base': must be a table: dimension = choice label",
    ),
]


@pytest.mark.parametrize(("section", "message"), MULTIVERSE_ERRORS)
def test_multiverse_section_errors_are_unchanged(section: dict, message: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_multiverse({"multiverse": section}, "s.toml", set(designs()))
    assert str(info.value) == message


def test_a_valid_section_parses() -> None:
    mv = parse_multiverse({"multiverse": BASE}, "s.toml", set(designs()))
    assert mv.n_specs == 1 and mv.bootstrap_weights == "rademacher" and mv.chunk_size == 512


def test_a_study_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_bytes(b"[study]\ntitle = '\xe9'\n")
    with pytest.raises(SpecError, match="not UTF-8 text"):
        parse_study(path)
