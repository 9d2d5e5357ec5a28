"""The ``[multiverse]`` section of a study file: parsing, validation, lazy enumeration.

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

The product of all dimensions is enumerated lazily (a generator) in an order that keeps the
choices that define a sample and a fixed-effects structure outermost, so consecutive specs share
blocks.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.filters import parse_filter
from sanctuary_lab.core.limits import (
    MAX_BOOTSTRAP_DRAWS,
    MAX_CHUNK_SIZE,
    MAX_PERMUTATIONS,
    MAX_SPECS,
)

#: Dimension names in enumeration order (outermost first).
DIMENSIONS: tuple[str, ...] = (
    "sample",
    "years",
    "fixed_effects",
    "weights",
    "estimator",
    "covariates",
    "treatment",
    "outcome",
    "inference",
)
FE_CHOICES = ("unit+time", "unit", "time", "none")
#: The subset of :data:`sanctuary_lab.inference.options.INFERENCE_CHOICES` the kernel runs.
KERNEL_INFERENCE = ("crv1", "wild", "hc1", "iid")
LINEAR = "ols"
_TOP_KEYS = frozenset(
    {
        "sql",
        "table",
        "unit",
        "time",
        "cluster",
        "seed",
        "n_perm",
        "alpha",
        "bootstrap_draws",
        "bootstrap_weights",
        "perm_bootstrap_draws",
        "chunk_size",
        "dimensions",
        "exclude",
        "designs",
        "base",
        "notes",
    }
)


@dataclass(frozen=True)
class Choice:
    """One option of one dimension: a display label and its value."""

    label: str
    value: Any


@dataclass(frozen=True)
class DesignTemplate:
    """How to run a non-linear estimator through the design registry."""

    name: str
    options: dict[str, Any]
    binary_treatment: bool = False
    fixed_effects: tuple[str, ...] = FE_CHOICES
    term: str | None = None
    only: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Registered design run for this estimator (default: ``name``), so that one design can
    #: appear under several estimator labels, e.g. never- and not-yet-treated comparisons.
    design: str = ""

    def __post_init__(self) -> None:
        if not self.design:
            object.__setattr__(self, "design", self.name)

    def outside(self, spec: Spec) -> str | None:
        """Why ``spec`` is outside the choices this design is run for (``None`` if inside)."""
        for dim, labels in self.only.items():
            if spec.label(dim) not in labels:
                return f"{self.name} is run only for {dim} in {list(labels)}"
        return None


@dataclass(frozen=True)
class Spec:
    """One specification: its position in the product and one choice per dimension."""

    spec_id: int
    choices: dict[str, Choice]

    def label(self, dim: str) -> str:
        return self.choices[dim].label

    def value(self, dim: str) -> Any:
        return self.choices[dim].value


@dataclass
class MultiverseSpec:
    """A parsed ``[multiverse]`` section."""

    source: str
    sql: str | None
    table: str | None
    unit: str
    time: str
    cluster: str | None
    dimensions: dict[str, list[Choice]]
    excludes: list[tuple[dict[str, str], str]] = field(default_factory=list)
    designs: dict[str, DesignTemplate] = field(default_factory=dict)
    seed: int = 1
    n_perm: int = 0
    alpha: float = 0.05
    bootstrap_draws: int = 999
    bootstrap_weights: str = "rademacher"
    perm_bootstrap_draws: int = 199
    chunk_size: int = 512
    base: dict[str, str] = field(default_factory=dict)

    @property
    def n_specs(self) -> int:
        n = 1
        for d in DIMENSIONS:
            n *= len(self.dimensions[d])
        return n

    def specs(self) -> Iterator[Spec]:
        """Every specification of the product, lazily, in :data:`DIMENSIONS` order."""
        lists = [self.dimensions[d] for d in DIMENSIONS]
        for i, combo in enumerate(itertools.product(*lists)):
            yield Spec(i, dict(zip(DIMENSIONS, combo, strict=True)))

    def excluded(self, spec: Spec) -> str | None:
        """The declared reason when ``spec`` matches an ``[[multiverse.exclude]]`` rule."""
        for when, reason in self.excludes:
            if all(spec.label(d) == lab for d, lab in when.items()):
                return reason
        return None

    def columns(self) -> dict[str, set[str]]:
        """Source columns the dimensions use, by role (to check against the data)."""
        out: dict[str, set[str]] = {"outcome": set(), "treatment": set(), "covariates": set()}
        for c in self.dimensions["outcome"]:
            out["outcome"].add(c.value[0])
        for c in self.dimensions["treatment"]:
            out["treatment"].add(c.value[0])
        for c in self.dimensions["covariates"]:
            out["covariates"].update(c.value)
        out["weights"] = {c.value for c in self.dimensions["weights"] if c.value is not None}
        return out


def chunks(specs: Iterator[Spec], size: int) -> Iterator[list[Spec]]:
    """Group a spec stream into lists of at most ``size`` specs, lazily."""
    if size < 1:
        raise SpecError(f"chunk_size must be at least 1, got {size}")
    while True:
        block = list(itertools.islice(specs, size))
        if not block:
            return
        yield block


def _err(where: str, key: str, msg: str) -> SpecError:
    return SpecError(f"{where}: key 'multiverse.{key}': {msg}")


#: keys a choice table of each dimension may hold (anything else is an error, not ignored)
_CHOICE_KEYS: dict[str, frozenset[str]] = {
    "outcome": frozenset({"column", "transform", "label"}),
    "treatment": frozenset({"column", "threshold", "label"}),
    "covariates": frozenset({"columns", "label"}),
    "years": frozenset({"start", "end", "label"}),
    "sample": frozenset({"label", "query"}),
}
_DESIGN_KEYS = frozenset({"design", "options", "binary_treatment", "fixed_effects", "term", "only"})
_EXCLUDE_KEYS = frozenset({"when", "reason"})


def _known_keys(v: Any, allowed: frozenset[str], where: str, key: str) -> None:
    if isinstance(v, dict):
        extra = sorted(set(v) - allowed)
        if extra:
            raise _err(where, key, f"unknown key {extra[0]!r}; allowed: {sorted(allowed)}")


def _parse_outcome(v: Any, where: str) -> Choice:
    if isinstance(v, dict):
        col = v.get("column")
        transform = v.get("transform", "none")
        label = v.get("label")
    elif isinstance(v, str):
        if v.startswith("log(") and v.endswith(")"):
            col, transform = v[4:-1], "log"
        else:
            col, transform = v, "none"
        label = v
    else:
        raise _err(where, "dimensions.outcome", f"choices are column names, got {v!r}")
    if not isinstance(col, str) or transform not in ("none", "log"):
        raise _err(
            where, "dimensions.outcome", f"bad choice {v!r}: need a column and transform none|log"
        )
    name = col if transform == "none" else f"log({col})"
    return Choice(str(label or name), (col, transform, name))


def _parse_treatment(v: Any, where: str) -> Choice:
    if isinstance(v, str):
        return Choice(v, (v, None, v))
    if isinstance(v, dict) and isinstance(v.get("column"), str):
        col = v["column"]
        thr = v.get("threshold")
        if thr is not None and not isinstance(thr, (int, float)):
            raise _err(where, "dimensions.treatment", f"threshold must be a number, got {thr!r}")
        name = col if thr is None else f"{col}>={thr:g}"
        return Choice(str(v.get("label", name)), (col, thr, name))
    raise _err(
        where, "dimensions.treatment", f"choices are columns or {{column, threshold}}, got {v!r}"
    )


def _parse_covariates(v: Any, where: str) -> Choice:
    if isinstance(v, list) and all(isinstance(c, str) for c in v):
        return Choice("+".join(v) or "none", tuple(v))
    if isinstance(v, dict) and isinstance(v.get("columns"), list):
        cols = tuple(str(c) for c in v["columns"])
        return Choice(str(v.get("label", "+".join(cols) or "none")), cols)
    raise _err(where, "dimensions.covariates", f"choices are lists of columns, got {v!r}")


def _parse_years(v: Any, where: str) -> Choice:
    if isinstance(v, dict):
        rng = [v.get("start"), v.get("end")]
        label = v.get("label")
    else:
        rng, label = v, None
    if (
        not isinstance(rng, list)
        or len(rng) != 2
        or not all(isinstance(y, int) for y in rng)
        or rng[0] > rng[1]
    ):
        raise _err(where, "dimensions.years", f"choices are [start, end] year pairs, got {v!r}")
    return Choice(str(label or f"{rng[0]}-{rng[1]}"), (rng[0], rng[1]))


def _parse_sample(v: Any, where: str) -> Choice:
    if isinstance(v, str):
        if v != "all":
            parse_filter(v, f"{where}: dimensions.sample")
        return Choice(v, None if v == "all" else v)
    if isinstance(v, dict) and isinstance(v.get("label"), str):
        q = v.get("query")
        if q is not None and not isinstance(q, str):
            raise _err(where, "dimensions.sample", f"query must be a filter expression, got {q!r}")
        if q is not None:
            parse_filter(q, f"{where}: dimensions.sample {v['label']!r}")
        return Choice(v["label"], q)
    raise _err(where, "dimensions.sample", f"choices are {{label, query}} tables, got {v!r}")


def _parse_enum(v: Any, where: str, dim: str, allowed: tuple[str, ...]) -> Choice:
    if v not in allowed:
        raise _err(where, f"dimensions.{dim}", f"unknown choice {v!r}; choose from {list(allowed)}")
    return Choice(v, v)


def _parse_weights(v: Any, where: str) -> Choice:
    if not isinstance(v, str):
        raise _err(where, "dimensions.weights", f"choices are 'none' or a column name, got {v!r}")
    return Choice(v, None if v == "none" else v)


def parse_multiverse(
    doc: dict[str, Any], where: str, known_designs: set[str] | None = None
) -> MultiverseSpec:
    """Validate the ``[multiverse]`` table of a study document.

    Parameters
    ----------
    doc
        The whole study document (``tomllib`` output).
    where
        File name used in error messages.
    known_designs
        Registered design names (non-``ols`` estimators must be one of them).
    """
    mv = doc.get("multiverse")
    if not isinstance(mv, dict):
        raise SpecError(f"{where}: the study declares no [multiverse] section")
    extra = sorted(set(mv) - _TOP_KEYS)
    if extra:
        raise _err(where, extra[0], f"unknown key; allowed keys: {sorted(_TOP_KEYS)}")
    if bool(mv.get("sql")) == bool(mv.get("table")):
        raise _err(
            where, "sql", "give exactly one of 'sql' (a query) or 'table' (a warehouse table)"
        )
    for key in ("unit", "time"):
        if not isinstance(mv.get(key), str):
            raise _err(where, key, "is required: the panel's column name")
    dims_in = mv.get("dimensions")
    if not isinstance(dims_in, dict):
        raise _err(where, "dimensions", "is required: a table of choice lists")
    unknown = sorted(set(dims_in) - set(DIMENSIONS))
    if unknown:
        raise _err(
            where, f"dimensions.{unknown[0]}", f"unknown dimension; known: {list(DIMENSIONS)}"
        )
    for req in ("outcome", "treatment"):
        if req not in dims_in:
            raise _err(where, f"dimensions.{req}", "is required (a non-empty list)")
    parsers = {
        "outcome": _parse_outcome,
        "treatment": _parse_treatment,
        "covariates": _parse_covariates,
        "years": _parse_years,
        "sample": _parse_sample,
        "weights": _parse_weights,
        "fixed_effects": lambda v, w: _parse_enum(v, w, "fixed_effects", FE_CHOICES),
        "inference": lambda v, w: _parse_enum(v, w, "inference", KERNEL_INFERENCE),
        "estimator": lambda v, w: Choice(str(v), str(v)),
    }
    defaults: dict[str, list[Any]] = {
        "covariates": [[]],
        "years": [],
        "sample": ["all"],
        "weights": ["none"],
        "fixed_effects": ["unit+time"],
        "inference": ["crv1"],
        "estimator": [LINEAR],
    }
    dims: dict[str, list[Choice]] = {}
    for d in DIMENSIONS:
        raw = dims_in.get(d, defaults.get(d))
        if not isinstance(raw, list) or (d in dims_in and not raw):
            raise _err(where, f"dimensions.{d}", "must be a non-empty list of choices")
        for v in raw:
            if d in _CHOICE_KEYS:
                _known_keys(v, _CHOICE_KEYS[d], where, f"dimensions.{d}")
        dims[d] = [parsers[d](v, where) for v in raw] or [Choice("all years", None)]
        labels = [c.label for c in dims[d]]
        if len(set(labels)) != len(labels):
            raise _err(where, f"dimensions.{d}", f"choice labels must be unique, got {labels}")

    designs: dict[str, DesignTemplate] = {}
    for name, t in (mv.get("designs") or {}).items():
        if not isinstance(t, dict) or not isinstance(t.get("options", {}), dict):
            raise _err(where, f"designs.{name}", "must be a table with an 'options' inline table")
        _known_keys(t, _DESIGN_KEYS, where, f"designs.{name}")
        fes = tuple(t.get("fixed_effects", FE_CHOICES))
        only = t.get("only", {})
        if not isinstance(only, dict) or not all(
            d in dims and isinstance(v, list) and set(v) <= {c.label for c in dims[d]}
            for d, v in only.items()
        ):
            raise _err(
                where, f"designs.{name}.only", "must map dimension names to lists of choice labels"
            )
        designs[name] = DesignTemplate(
            name,
            dict(t.get("options", {})),
            bool(t.get("binary_treatment", False)),
            fes,
            t.get("term"),
            {d: tuple(v) for d, v in only.items()},
            str(t.get("design") or name),
        )
    for c in dims["estimator"]:
        if c.value == LINEAR:
            continue
        run = designs[c.value].design if c.value in designs else c.value
        if known_designs is not None and run not in known_designs:
            raise _err(
                where,
                "dimensions.estimator",
                f"unknown estimator {run!r}; use 'ols' or one of {sorted(known_designs)}",
            )
        if c.value not in designs:
            raise _err(
                where, f"designs.{c.value}", "is required: the option template for this estimator"
            )

    excludes = []
    for i, e in enumerate(mv.get("exclude", [])):
        if not isinstance(e, dict):
            raise _err(where, f"exclude[{i}]", "must be a table with 'when' and 'reason'")
        _known_keys(e, _EXCLUDE_KEYS, where, f"exclude[{i}]")
        when, reason = e.get("when"), e.get("reason")
        if not isinstance(when, dict) or not isinstance(reason, str) or not reason:
            raise _err(
                where, f"exclude[{i}]", "needs 'when' (dimension = choice label) and a 'reason'"
            )
        for d, lab in when.items():
            if d not in dims or lab not in [c.label for c in dims[d]]:
                raise _err(
                    where,
                    f"exclude[{i}].when.{d}",
                    f"no choice labelled {lab!r} in dimension {d!r}",
                )
        excludes.append(({str(k): str(v) for k, v in when.items()}, reason))

    def num(key: str, typ: type, default: Any, lo: float, hi: float | None = None) -> Any:
        v = mv.get(key, default)
        if not isinstance(v, typ) or isinstance(v, bool) or v < lo:  # type: ignore[operator]
            raise _err(where, key, f"must be a {typ.__name__} >= {lo}, got {v!r}")
        if hi is not None and v > hi:  # type: ignore[operator]
            raise _err(where, key, f"must be at most {hi:,} (documented maximum), got {v!r}")
        return v

    alpha = mv.get("alpha", 0.05)
    if not isinstance(alpha, float) or not 0 < alpha < 1:
        raise _err(where, "alpha", f"must be a number between 0 and 1, got {alpha!r}")
    bw = mv.get("bootstrap_weights", "rademacher")
    if bw not in ("rademacher", "webb"):
        raise _err(where, "bootstrap_weights", f"must be 'rademacher' or 'webb', got {bw!r}")
    n_specs = 1
    for d in DIMENSIONS:
        n_specs *= len(dims[d])
    if n_specs > MAX_SPECS:
        raise _err(
            where,
            "dimensions",
            f"{n_specs:,} specifications is above the documented maximum {MAX_SPECS:,}",
        )
    base = mv.get("base", {})
    if not isinstance(base, dict):
        raise _err(where, "base", "must be a table: dimension = choice label")
    return MultiverseSpec(
        source=where,
        sql=mv.get("sql"),
        table=mv.get("table"),
        unit=mv["unit"],
        time=mv["time"],
        cluster=mv.get("cluster"),
        dimensions=dims,
        excludes=excludes,
        designs=designs,
        seed=num("seed", int, 1, 0),
        n_perm=num("n_perm", int, 0, 0, MAX_PERMUTATIONS),
        alpha=alpha,
        bootstrap_draws=num("bootstrap_draws", int, 999, 1, MAX_BOOTSTRAP_DRAWS),
        bootstrap_weights=bw,
        perm_bootstrap_draws=num("perm_bootstrap_draws", int, 199, 1, MAX_BOOTSTRAP_DRAWS),
        chunk_size=num("chunk_size", int, 512, 1, MAX_CHUNK_SIZE),
        base={str(k): str(v) for k, v in base.items()},
    )


def load_multiverse(path: str | Path, known_designs: set[str] | None = None) -> MultiverseSpec:
    """Read a study TOML file and parse its ``[multiverse]`` section."""
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{path}: study file not found")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    return parse_multiverse(doc, str(path), known_designs)
