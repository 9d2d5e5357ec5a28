"""One adapter per public source folder; see :mod:`sanctuary_lab.sources.base`.

Adapters are discovered automatically: every :class:`~sanctuary_lab.sources.base.Adapter`
subclass defined in a module of this package (other than ``base``/``geo``) is registered.
"""

from __future__ import annotations

import importlib
import pkgutil

from sanctuary_lab.sources.base import Adapter

_SKIP = {"base", "geo"}


def all_adapters() -> list[Adapter]:
    """Instances of every adapter, sorted by folder name (deterministic build order)."""
    found: dict[str, type[Adapter]] = {}
    for mod in pkgutil.iter_modules(__path__):
        if mod.name in _SKIP or mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, Adapter)
                and obj is not Adapter
                and getattr(obj, "name", None)
                and obj.__module__ == module.__name__
            ):
                if obj.name in found and found[obj.name] is not obj:
                    raise RuntimeError(f"two adapters claim folder {obj.name!r}")
                found[obj.name] = obj
    return [found[k]() for k in sorted(found)]
