"""A multiverse and its specifications: choices, the lazy product of them, and exclusions.

A *specification* (:class:`Spec`) is one combination of choices, one per dimension; a
:class:`Multiverse` (built from a study's ``[multiverse]`` section by
:func:`sanctuary_lab.multiverse.schema.parse_multiverse`) enumerates them lazily (a generator) in
an order that keeps the choices that define a sample and a fixed-effects structure outermost, so
consecutive specifications share blocks.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sanctuary_lab.core.errors import SpecError

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
LINEAR = "ols"


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
class Multiverse:
    """A declared multiverse: where its data come from, its choice dimensions, the option
    templates of its non-linear estimators and its inference settings (a parsed
    ``[multiverse]`` section)."""

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
