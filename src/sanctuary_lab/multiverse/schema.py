"""The ``[multiverse]`` section of a study file: its declared schema and parsing.

See ``docs/multiverse.md`` for the full schema. In short::

    [multiverse]
    sql = "SELECT ... FROM state_crime JOIN policy_sc_coverage USING (...)"  # or table = "name"
    unit = "state_fips"          # panel unit (fixed effect, permutation unit)
    time = "year"                # panel time (fixed effect, year windows)
    cluster = "state_fips"       # cluster for CRV1 / wild bootstrap
    seed = 1                     # bootstrap draws and permutations
    n_perm = 49                  # permutations of the treatment for joint inference
    alpha = 0.05
    bootstrap_draws = 999
    bootstrap_weights = "rademacher"   # or "webb"
    chunk_size = 512             # specs processed per chunk (bounded memory)

    [multiverse.dimensions]      # every list is one choice dimension
    outcome = ["violent_rate_100k", "log(violent_rate_100k)"]
    treatment = [{label = "SC share", column = "sc_frac"},
                 {label = "SC >= 50%", column = "sc_frac", threshold = 0.5}]
    covariates = [{label = "none", columns = []}, {label = "log pop", columns = ["log_pop"]}]
    years = [[2000, 2015], [2005, 2014]]
    sample = [{label = "all"}, {label = "no CA", query = "state != 'CA'"}]
    fixed_effects = ["unit+time", "unit", "time", "none"]
    weights = ["none", "population"]
    inference = ["crv1", "wild", "hc1", "iid"]
    estimator = ["ols"]          # "ols" = batch kernel; other names = registered designs

    [[multiverse.exclude]]       # combinations to skip, with the reason reported
    when = { fixed_effects = "none", inference = "wild" }
    reason = "..."

    [multiverse.designs.NAME]    # option template for a non-linear estimator
    options = { outcome = "{outcome}", treatment = "{treatment}", unit = "{unit}" }
    binary_treatment = true      # skip specs whose treatment is not a 0/1 dummy
    fixed_effects = ["unit+time"]  # FE choices this design is compatible with
    term = "ATT"                 # row of Result.tidy() to report (default: first row)
    only = { outcome = ["violent_rate_100k"] }  # run it only for these choice labels

The section is declared as pydantic models (:class:`MultiverseSection`, unknown keys forbidden);
:func:`parse_multiverse` validates it and returns the :class:`~sanctuary_lab.multiverse.choices.
Multiverse` whose specifications are enumerated lazily.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BeforeValidator,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.filters import parse_filter
from sanctuary_lab.core.limits import (
    MAX_BOOTSTRAP_DRAWS,
    MAX_CHUNK_SIZE,
    MAX_PERMUTATIONS,
    MAX_SPECS,
)
from sanctuary_lab.core.schema import FileModel, fail, key, read_toml, validate
from sanctuary_lab.multiverse.choices import (
    DIMENSIONS,
    FE_CHOICES,
    LINEAR,
    Choice,
    DesignTemplate,
    Multiverse,
)

#: The subset of :data:`sanctuary_lab.inference.options.INFERENCE_CHOICES` the kernel runs.
KERNEL_INFERENCE = ("crv1", "wild", "hc1", "iid")
COLUMN = "is required: the panel's column name"
STRING = "must be a string"


class ChoiceTable(FileModel):
    """A choice written as a table; an unknown key is reported at the dimension."""

    unknown: ClassVar[str] = "unknown key {name!r}; allowed: {allowed}"


class OutcomeChoice(ChoiceTable):
    column: str
    transform: Literal["none", "log"] = "none"
    label: str | None = None


class TreatmentChoice(ChoiceTable):
    column: str
    threshold: int | float | None = None  # a dummy: column >= threshold
    label: str | None = None


class CovariatesChoice(ChoiceTable):
    columns: list[str]
    label: str | None = None


class YearsChoice(ChoiceTable):
    start: int
    end: int
    label: str | None = None


class SampleChoice(ChoiceTable):
    label: str
    query: str | None = None  # a filter expression (core/filters.py), never executed


def _invalid(model: type[ChoiceTable], v: dict[str, Any]) -> set[str]:
    """The keys of ``v`` that ``model`` rejects (empty: valid)."""
    try:
        model.model_validate(v)
    except ValidationError as exc:
        return {str(e["loc"][0]) for e in exc.errors()}
    return set()


def _outcome(v: Any, where: str) -> Choice:
    if isinstance(v, str):
        col, transform = (
            (v[4:-1], "log") if v.startswith("log(") and v.endswith(")") else (v, "none")
        )
        label: str | None = v
    elif isinstance(v, dict):
        if _invalid(OutcomeChoice, v):
            raise fail(f"bad choice {v!r}: need a column and transform none|log")
        col, transform, label = v["column"], v.get("transform", "none"), v.get("label")
    else:
        raise fail(f"choices are column names, got {v!r}")
    name = col if transform == "none" else f"log({col})"
    return Choice(str(label or name), (col, transform, name))


def _treatment(v: Any, where: str) -> Choice:
    if isinstance(v, str):
        return Choice(v, (v, None, v))
    bad = _invalid(TreatmentChoice, v) if isinstance(v, dict) else {"column"}
    if bad - {"threshold"}:
        raise fail(f"choices are columns or {{column, threshold}}, got {v!r}")
    thr = v.get("threshold")
    if bad:
        raise fail(f"threshold must be a number, got {thr!r}")
    name = v["column"] if thr is None else f"{v['column']}>={thr:g}"
    return Choice(str(v.get("label", name)), (v["column"], thr, name))


def _covariates(v: Any, where: str) -> Choice:
    if isinstance(v, list) and all(isinstance(c, str) for c in v):
        return Choice("+".join(v) or "none", tuple(v))
    if isinstance(v, dict) and not _invalid(CovariatesChoice, v):
        cols = tuple(v["columns"])
        return Choice(str(v.get("label", "+".join(cols) or "none")), cols)
    raise fail(f"choices are lists of columns, got {v!r}")


def _years(v: Any, where: str) -> Choice:
    if isinstance(v, dict):
        rng = None if _invalid(YearsChoice, v) else [v["start"], v["end"]]
        label = v.get("label")
    else:
        ints = isinstance(v, list) and all(
            isinstance(y, int) and not isinstance(y, bool) for y in v
        )
        rng, label = (v if ints else None), None
    if rng is None or len(rng) != 2 or rng[0] > rng[1]:
        raise fail(f"choices are [start, end] year pairs, got {v!r}")
    return Choice(str(label or f"{rng[0]}-{rng[1]}"), (rng[0], rng[1]))


def _sample(v: Any, where: str) -> Choice:
    if isinstance(v, str):
        if v != "all":
            parse_filter(v, f"{where}: dimensions.sample")
        return Choice(v, None if v == "all" else v)
    bad = _invalid(SampleChoice, v) if isinstance(v, dict) else {"label"}
    if bad - {"query"}:
        raise fail(f"choices are {{label, query}} tables, got {v!r}")
    q = v.get("query")
    if bad:
        raise fail(f"query must be a filter expression, got {q!r}")
    if q is not None:
        parse_filter(q, f"{where}: dimensions.sample {v['label']!r}")
    return Choice(v["label"], q)


def _weights(v: Any, where: str) -> Choice:
    if not isinstance(v, str):
        raise fail(f"choices are 'none' or a column name, got {v!r}")
    return Choice(v, None if v == "none" else v)


def _one_of(allowed: tuple[str, ...]):
    def parse(v: Any, where: str) -> Choice:
        if v not in allowed:
            raise fail(f"unknown choice {v!r}; choose from {list(allowed)}")
        return Choice(v, v)

    return parse


def _estimator(v: Any, where: str) -> Choice:
    return Choice(str(v), str(v))  # 'ols' or a design template name (checked with the designs)


#: how each dimension's choices are read, and the table form of a choice where there is one
_PARSERS: dict[str, tuple[Callable[[Any, str], Choice], type[FileModel] | None]] = {
    "outcome": (_outcome, OutcomeChoice),
    "treatment": (_treatment, TreatmentChoice),
    "covariates": (_covariates, CovariatesChoice),
    "years": (_years, YearsChoice),
    "sample": (_sample, SampleChoice),
    "weights": (_weights, None),
    "fixed_effects": (_one_of(FE_CHOICES), None),
    "inference": (_one_of(KERNEL_INFERENCE), None),
    "estimator": (_estimator, None),
}


def _choices(raw: Any, info: ValidationInfo) -> list[Choice]:
    """A dimension's choice list, read into :class:`Choice` objects with unique labels."""
    if not isinstance(raw, list) or not raw:
        raise ValueError("not a non-empty list")
    parse, table = _PARSERS[str(info.field_name)]
    for v in raw:  # unknown keys first, for every choice
        if table is not None and isinstance(v, dict):
            extra = sorted(set(v) - set(table.model_fields))
            if extra:
                raise fail(table.unknown.format(name=extra[0], allowed=table.allowed_keys()))
    choices = [parse(v, (info.context or {})["where"]) for v in raw]
    labels = [c.label for c in choices]
    if len(set(labels)) != len(labels):
        raise fail(f"choice labels must be unique, got {labels}")
    return choices


Choices = Annotated[list[Choice], BeforeValidator(_choices)]
CHOICES = "must be a non-empty list of choices"
REQUIRED_CHOICES = "is required (a non-empty list)"


class Dimensions(FileModel):
    """``[multiverse.dimensions]``: every list is one choice dimension (the required ones
    first, then in :data:`~sanctuary_lab.multiverse.choices.DIMENSIONS` order)."""

    unknown: ClassVar[str] = "unknown dimension; known: {allowed}"

    outcome: Choices = key(expect=CHOICES, missing=REQUIRED_CHOICES)
    treatment: Choices = key(expect=CHOICES, missing=REQUIRED_CHOICES)
    sample: Choices = key([Choice("all", None)], expect=CHOICES)
    years: Choices = key([Choice("all years", None)], expect=CHOICES)
    fixed_effects: Choices = key([Choice("unit+time", "unit+time")], expect=CHOICES)
    weights: Choices = key([Choice("none", None)], expect=CHOICES)
    estimator: Choices = key([Choice(LINEAR, LINEAR)], expect=CHOICES)
    covariates: Choices = key([Choice("none", ())], expect=CHOICES)
    inference: Choices = key([Choice("crv1", "crv1")], expect=CHOICES)

    @classmethod
    def allowed_keys(cls) -> list[str]:
        return list(DIMENSIONS)

    def labels(self, dim: str) -> list[str]:
        return [c.label for c in getattr(self, dim)]


TEMPLATE = "must be a table with an 'options' inline table"


class DesignEntry(FileModel):
    """``[multiverse.designs.NAME]``: how to run a non-linear estimator (see
    :class:`~sanctuary_lab.multiverse.choices.DesignTemplate`)."""

    unknown: ClassVar[str] = "unknown key {name!r}; allowed: {allowed}"
    unknown_at_table: ClassVar[bool] = True

    design: str = key("", expect="must be a registered design name, got {value!r}")
    options: dict[str, Any] = key({}, expect=TEMPLATE, at_table=True)
    binary_treatment: bool = key(False, expect="must be true or false, got {value!r}")
    fixed_effects: tuple[Literal[FE_CHOICES], ...] = key(  # type: ignore[valid-type]
        FE_CHOICES, expect=f"must be a list of choices from {list(FE_CHOICES)}", strict=False
    )
    term: str | None = key(None, expect="must be a row of the design's result, got {value!r}")
    only: dict[str, list[str]] = key(
        {}, expect="must map dimension names to lists of choice labels"
    )


RULE = "needs 'when' (dimension = choice label) and a 'reason'"


class ExcludeRule(FileModel):
    """``[[multiverse.exclude]]``: combinations to skip, with the reason reported."""

    unknown: ClassVar[str] = "unknown key {name!r}; allowed: {allowed}"
    unknown_at_table: ClassVar[bool] = True

    when: dict[str, str] = key(expect=RULE, at_table=True)
    reason: str = key(expect=RULE, at_table=True, min_length=1)


def _count(lo: int, hi: int | None = None) -> dict[str, str]:
    out = {"*": f"must be a int >= {lo}, got {{value!r}}"}
    if hi is not None:
        out["less_than_equal"] = f"must be at most {hi:,} (documented maximum), got {{value!r}}"
    return out


class MultiverseSection(FileModel):
    """The ``[multiverse]`` section (fields in the order they are checked). The validation
    context holds ``where`` (the file, for messages) and ``designs`` (registered design names,
    or ``None`` to skip that check)."""

    sql: str | None = key(None, expect="must be a query (a string), got {value!r}")
    table: str | None = key(
        None, expect="must be a warehouse table name, got {value!r}", validate_default=True
    )
    unit: str = key(expect=COLUMN)
    time: str = key(expect=COLUMN)
    cluster: str | None = key(None, expect="must be a column name, got {value!r}")
    dimensions: Dimensions = key(expect="is required: a table of choice lists")
    designs: dict[str, DesignEntry] = key(
        {}, expect="must be a table of option templates", item=TEMPLATE, validate_default=True
    )
    exclude: list[ExcludeRule] = key(
        [],
        expect="must be an array of tables ([[multiverse.exclude]])",
        item="must be a table with 'when' and 'reason'",
    )
    alpha: float = key(0.05, expect="must be a number between 0 and 1, got {value!r}", gt=0, lt=1)
    bootstrap_weights: Literal["rademacher", "webb"] = key(
        "rademacher", expect="must be 'rademacher' or 'webb', got {value!r}"
    )
    base: dict[str, str] = key({}, expect="must be a table: dimension = choice label")
    seed: int = key(1, expect=_count(0), ge=0)
    n_perm: int = key(0, expect=_count(0, MAX_PERMUTATIONS), ge=0, le=MAX_PERMUTATIONS)
    bootstrap_draws: int = key(
        999, expect=_count(1, MAX_BOOTSTRAP_DRAWS), ge=1, le=MAX_BOOTSTRAP_DRAWS
    )
    perm_bootstrap_draws: int = key(
        199, expect=_count(1, MAX_BOOTSTRAP_DRAWS), ge=1, le=MAX_BOOTSTRAP_DRAWS
    )
    chunk_size: int = key(512, expect=_count(1, MAX_CHUNK_SIZE), ge=1, le=MAX_CHUNK_SIZE)
    notes: str = key("", expect=STRING)

    @field_validator("table")
    @classmethod
    def _one_source(cls, table: str | None, info: ValidationInfo) -> str | None:
        if "sql" in info.data and bool(info.data["sql"]) == bool(table):
            raise fail("give exactly one of 'sql' (a query) or 'table' (a warehouse table)", "sql")
        return table

    @field_validator("designs")
    @classmethod
    def _templates(
        cls, designs: dict[str, DesignEntry], info: ValidationInfo
    ) -> dict[str, DesignEntry]:
        dims: Dimensions | None = info.data.get("dimensions")
        if dims is None:
            return designs
        for name, t in designs.items():
            if not all(
                d in DIMENSIONS and set(v) <= set(dims.labels(d)) for d, v in t.only.items()
            ):
                raise fail(
                    "must map dimension names to lists of choice labels", f"designs.{name}.only"
                )
        known = (info.context or {}).get("designs")
        for c in dims.estimator:
            if c.value == LINEAR:
                continue
            run = (designs[c.value].design or c.value) if c.value in designs else c.value
            if known is not None and run not in known:
                raise fail(
                    f"unknown estimator {run!r}; use 'ols' or one of {sorted(known)}",
                    "dimensions.estimator",
                )
            if c.value not in designs:
                raise fail(
                    "is required: the option template for this estimator", f"designs.{c.value}"
                )
        return designs

    @field_validator("exclude")
    @classmethod
    def _declared_labels(cls, rules: list[ExcludeRule], info: ValidationInfo) -> list[ExcludeRule]:
        dims: Dimensions | None = info.data.get("dimensions")
        if dims is None:
            return rules
        for i, rule in enumerate(rules):
            for d, lab in rule.when.items():
                if d not in DIMENSIONS or lab not in dims.labels(d):
                    raise fail(
                        f"no choice labelled {lab!r} in dimension {d!r}", f"exclude[{i}].when.{d}"
                    )
        return rules

    @model_validator(mode="after")
    def _bounded(self) -> MultiverseSection:
        n_specs = 1
        for d in DIMENSIONS:
            n_specs *= len(getattr(self.dimensions, d))
        if n_specs > MAX_SPECS:
            raise fail(
                f"{n_specs:,} specifications is above the documented maximum {MAX_SPECS:,}",
                "dimensions",
            )
        return self


def parse_multiverse(
    doc: dict[str, Any], where: str, known_designs: set[str] | None = None
) -> Multiverse:
    """Validate the ``[multiverse]`` table of a decoded study document.

    Parameters
    ----------
    doc
        The whole study document (``tomllib`` output, e.g. ``Study.raw``).
    where
        File name used in error messages.
    known_designs
        Registered design names (non-``ols`` estimators must be one of them).
    """
    mv = doc.get("multiverse")
    if not isinstance(mv, dict):
        raise SpecError(f"{where}: the study declares no [multiverse] section")
    context = {"where": where, "designs": known_designs}
    s: MultiverseSection = validate(MultiverseSection, mv, where, "multiverse.", context)
    return Multiverse(
        source=where,
        sql=s.sql,
        table=s.table,
        unit=s.unit,
        time=s.time,
        cluster=s.cluster,
        dimensions={d: list(getattr(s.dimensions, d)) for d in DIMENSIONS},
        excludes=[(dict(rule.when), rule.reason) for rule in s.exclude],
        designs={
            name: DesignTemplate(
                name,
                dict(t.options),
                t.binary_treatment,
                tuple(t.fixed_effects),
                t.term,
                {d: tuple(v) for d, v in t.only.items()},
                t.design or name,
            )
            for name, t in s.designs.items()
        },
        seed=s.seed,
        n_perm=s.n_perm,
        alpha=s.alpha,
        bootstrap_draws=s.bootstrap_draws,
        bootstrap_weights=s.bootstrap_weights,
        perm_bootstrap_draws=s.perm_bootstrap_draws,
        chunk_size=s.chunk_size,
        base=dict(s.base),
    )


def load_multiverse(path: str | Path, known_designs: set[str] | None = None) -> Multiverse:
    """Read a study TOML file (once) and parse its ``[multiverse]`` section."""
    path = Path(path)
    return parse_multiverse(read_toml(path), str(path), known_designs)
