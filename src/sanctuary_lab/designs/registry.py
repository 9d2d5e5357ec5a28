"""Registry of designs: name -> spec class, discovered from the modules of this package.

Each design module defines ``DESIGNS: dict[str, type]`` mapping a design name to its spec class.
A spec class is a dataclass whose fields are the design's options and which has
``fit(data: pandas.DataFrame) -> Result``. :func:`spec_from_dict` builds a spec from plain
options (as read from a study TOML file or CLI flags), so every design is reachable from Python,
studies and the CLI alike.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from typing import Any

from sanctuary_lab.errors import SpecError

_SKIP = {"registry", "result"}


def designs() -> dict[str, type]:
    """All registered design spec classes by name."""
    import sanctuary_lab.designs as pkg

    found: dict[str, type] = {}
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name in _SKIP or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        for name, cls in getattr(module, "DESIGNS", {}).items():
            if name in found and found[name] is not cls:
                raise RuntimeError(f"design name {name!r} registered twice")
            found[name] = cls
    return dict(sorted(found.items()))


def spec_from_dict(design: str, options: dict[str, Any]) -> Any:
    """Build the spec object for ``design`` from plain options, validating the option names."""
    registry = designs()
    if design not in registry:
        raise SpecError(f"unknown design {design!r}; choose one of {sorted(registry)}")
    cls = registry[design]
    if dataclasses.is_dataclass(cls):
        allowed = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - allowed)
        if unknown:
            raise SpecError(
                f"design {design!r} has no option(s) {unknown}; its options are {sorted(allowed)}"
            )
    try:
        return cls(**options)
    except TypeError as exc:
        raise SpecError(f"design {design!r}: {exc}") from exc
