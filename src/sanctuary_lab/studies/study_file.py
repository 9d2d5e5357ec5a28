"""The declared schema of a study file: one pydantic model per table, unknown keys forbidden.

:func:`sanctuary_lab.studies.schema.parse_study` validates a decoded document against
:class:`StudyFile`; the validation context holds ``path`` (the file, for messages) and
``designs`` (the design registry, or ``None`` to skip the design checks). ``docs/studies.md``
describes every key.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, ValidationInfo, field_validator, model_validator

from sanctuary_lab.core.filters import parse_filter
from sanctuary_lab.core.schema import FileModel, fail, key
from sanctuary_lab.studies.parameters import check_parameters

TEXT = "must be a non-empty string, got {value!r}"
REQUIRED = "is required (a string)"
STRING = "must be a string"


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("blank")
    return value


#: a required string that is not blank
Name = Annotated[str, AfterValidator(_not_blank)]


def _table(name: str) -> str:
    return f"must be a table ([{name}]), got {{type}}"


def _tables(name: str) -> str:
    return f"must be an array of tables ([[{name}]])"


def _path(info: ValidationInfo) -> Path:
    return (info.context or {})["path"]


class StudyMeta(FileModel):
    """``[study]``: what the study is, whom it reproduces, what it can identify."""

    id: str = key("", expect=TEXT)
    title: Name = key(expect=TEXT, missing=REQUIRED)
    citation: Name = key(expect=TEXT, missing=REQUIRED)
    caveats: list[str] = key([], expect="must be a list of strings")
    design: str = key("", expect=TEXT)
    summary: str = key("", expect=TEXT)
    identifies: str = key("", expect=TEXT)
    cannot_identify: str = key("", expect=TEXT)


class DataSection(FileModel):
    """``[data]``: the analysis frame to build and the warehouse tables it reads."""

    frame: str | None = None  # a name in the frames registry (checked below)
    tables: list[str] = key([], expect="must be a list of warehouse table names")

    @field_validator("frame", mode="wrap")
    @classmethod
    def _registered_frame(cls, frame: Any, handler: Any) -> str | None:
        from sanctuary_lab.studies.registry import FRAMES

        if frame is not None and (not isinstance(frame, str) or frame not in FRAMES):
            raise fail(f"unknown frame {frame!r}; choose one of {sorted(FRAMES)}")
        return handler(frame)


class Analysis(FileModel):
    """``[[analysis]]``: one design fit (or one per outcome, ``{outcome}`` substituted)."""

    label: Name = key(expect=TEXT, missing=REQUIRED)
    design: Name = key(expect=TEXT, missing=REQUIRED)
    options: dict[str, Any] = key({}, expect="must be an inline table of design options")
    outcomes: tuple[str, ...] = key((), expect="must be a list of column names", strict=False)
    subset: str | None = key(None, expect="must be a filter expression string")
    notes: str = key("", expect=STRING)

    @field_validator("design")
    @classmethod
    def _registered_design(cls, design: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("designs")
        if known is not None and design not in known:
            raise fail(f"unknown design {design!r}; choose one of {sorted(known)}")
        return design


class Sensitivity(FileModel):
    """``[[sensitivity]]``: re-run some analyses with other values of one parameter."""

    parameter: Name = key(expect=TEXT, missing=REQUIRED)
    values: tuple[Any, ...] = key(
        expect="must be a non-empty list of parameter values", min_length=1, strict=False
    )
    analyses: tuple[str, ...] = key((), expect="must be a list of analysis labels", strict=False)
    notes: str = key("", expect=STRING)


class Descriptive(FileModel):
    """``[[descriptive]]``: a descriptive series computed by a named builder."""

    name: Name = key(expect=TEXT, missing=REQUIRED)
    builder: Name = key(expect=TEXT, missing=REQUIRED)
    options: dict[str, Any] = key({}, expect="must be an inline table")
    notes: str = key("", expect=STRING)

    @field_validator("builder")
    @classmethod
    def _registered_builder(cls, builder: str) -> str:
        from sanctuary_lab.studies.registry import DESCRIPTIVES

        if builder not in DESCRIPTIVES:
            raise fail(f"unknown builder {builder!r}; choose one of {sorted(DESCRIPTIVES)}")
        return builder


def _first_last(years: list[int] | None) -> list[int] | None:
    if years is not None and not (len(years) == 2 and years[0] <= years[1]):
        raise ValueError("not [first, last]")
    return years


class ComparisonSide(FileModel):
    """``[comparison.published]`` / ``[comparison.ours]``: what was (or is) studied, in words;
    the verdict's comparability grade is derived from the differences."""

    years: Annotated[list[int] | None, AfterValidator(_first_last)] = key(
        None, expect="must be [first, last] years, got {value!r}"
    )  # [first, last] outcome years
    n_units: int | None = key(None, expect="must be a non-negative integer, got {value!r}", ge=0)
    n_treated: int | None = key(None, expect="must be a non-negative integer, got {value!r}", ge=0)
    unit: str | None = key(None, expect=STRING)  # unit of analysis, e.g. "county"
    geography: str | None = key(None, expect=STRING)  # e.g. "United States"
    treatment: str | None = key(None, expect=STRING)  # treatment definition in words
    outcome: str | None = key(None, expect=STRING)  # in words (say "arrests" for arrests)
    design: str | None = key(None, expect=STRING)  # e.g. "staggered DiD"
    data: str | None = key(None, expect=STRING)  # data source(s)
    notes: str | None = key(None, expect=STRING)


#: keys of one side of ``[comparison]``
COMPARISON_KEYS = frozenset(ComparisonSide.model_fields)


class Comparison(FileModel):
    """``[comparison]``: the published study's side and ours."""

    published: ComparisonSide | None = key(None, expect="must be a table")
    ours: ComparisonSide | None = key(None, expect="must be a table")

    @classmethod
    def allowed_keys(cls) -> list[str]:
        return list(cls.model_fields)  # published, ours


class Published(FileModel):
    """``[[published]]``: one published number the study reproduces."""

    quantity: Name = key(expect=TEXT, missing=REQUIRED)
    value: int | float | None = key(None, expect="must be a number, got {value!r}")
    unit: str | None = key(None, expect=STRING)
    source: str | None = key(None, expect=STRING)
    result: str | None = key(None, expect=STRING)  # an analysis label
    term: str | None = key(None, expect=STRING)
    n: int | None = key(None, expect="must be an integer, got {value!r}")
    scale: int | float | None = key(None, expect="must be a number, got {value!r}")
    notes: str | None = key(None, expect=STRING)


class StudyFile(FileModel):
    """A whole study file (fields in the order they are checked)."""

    unknown: ClassVar[str] = "unknown section; allowed: {allowed}"

    study: StudyMeta = key(
        expect=_table("study"), missing="missing [study] section (title, citation, ...)"
    )
    data: DataSection = key(DataSection(), expect=_table("data"))
    parameters: dict[str, Any] = key({}, expect=_table("parameters"))
    inference: dict[str, Any] = key({}, expect=_table("inference"))
    analysis: list[Analysis] = key([], expect=_tables("analysis"))
    sensitivity: list[Sensitivity] = key([], expect=_tables("sensitivity"))
    descriptive: list[Descriptive] = key([], expect=_tables("descriptive"))
    comparison: Comparison = key(Comparison(), expect=_table("comparison"))
    published: list[Published] = key([], expect=_tables("published"))
    sample: dict[str, Any] = key({}, expect=_table("sample"))
    treatment: dict[str, Any] = key({}, expect=_table("treatment"))
    # free documentation, usable as {placeholders}; [multiverse] is read by sanctuary_lab.multiverse
    outcomes: Any = None
    covariates: Any = None
    controls: Any = None
    multiverse: Any = None

    @field_validator("parameters")
    @classmethod
    def _frame_parameters(cls, parameters: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        data = info.data.get("data")
        if data is not None and data.frame is not None:
            check_parameters(data.frame, parameters, str(_path(info)))
        return parameters

    @field_validator("inference")
    @classmethod
    def _design_options(cls, defaults: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        """``[inference]`` keys must be options of at least one design (a typo is not ignored)."""
        registry = (info.context or {}).get("designs")
        if registry is None:
            return defaults
        accepted = {
            f.name
            for c in registry.values()
            if dataclasses.is_dataclass(c)
            for f in dataclasses.fields(c)
        }
        for name in defaults:
            if name not in accepted:
                raise fail("unknown key: no design has this option", at=f"inference.{name}")
        return defaults

    @field_validator("analysis")
    @classmethod
    def _analyses(cls, analyses: list[Analysis], info: ValidationInfo) -> list[Analysis]:
        for i, a in enumerate(analyses):
            if len(a.outcomes) > 1 and "{outcome}" not in a.label:
                raise fail(
                    "must contain {outcome} when several outcomes are listed",
                    at=f"analysis[{i}].label",
                )
            if a.subset is not None:
                # checked now (whitelist: columns, literals, comparisons, and/or/not), never run
                parse_filter(a.subset, f"{_path(info)}: analysis[{i}].subset")
        data = info.data.get("data")
        if analyses and data is not None and data.frame is None:
            raise fail("is required when the study declares [[analysis]] entries", at="data.frame")
        return analyses

    @field_validator("sensitivity")
    @classmethod
    def _declared_parameter(
        cls, runs: list[Sensitivity], info: ValidationInfo
    ) -> list[Sensitivity]:
        parameters = info.data.get("parameters")
        for i, s in enumerate(runs):
            if parameters is not None and s.parameter not in parameters:
                raise fail(
                    f"{s.parameter!r} is not in [parameters] {sorted(parameters)}",
                    at=f"sensitivity[{i}].parameter",
                )
        return runs

    @model_validator(mode="after")
    def _something_to_run(self) -> StudyFile:
        if not self.analysis and not self.descriptive and self.multiverse is None:
            raise fail(
                "the study declares nothing to run ([[analysis]] or [[descriptive]])",
                at="analysis",
            )
        return self
