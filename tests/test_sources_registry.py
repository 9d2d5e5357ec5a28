"""The adapter registry (``sources/registry.py``): every adapter class, once, under its folder."""

from __future__ import annotations

import importlib
import pkgutil

import sanctuary_lab.sources as sources_pkg
from sanctuary_lab.sources.base import Adapter
from sanctuary_lab.sources.registry import ADAPTERS, all_adapters


def _defined_adapters() -> set[type[Adapter]]:
    """Every Adapter subclass defined in a module of the sources package."""
    found = set()
    for info in pkgutil.iter_modules(sources_pkg.__path__):
        module = importlib.import_module(f"{sources_pkg.__name__}.{info.name}")
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, Adapter)
                and obj is not Adapter
                and obj.__module__ == module.__name__
            ):
                found.add(obj)
    return found


def test_every_adapter_is_registered_once_under_its_folder() -> None:
    assert set(ADAPTERS.values()) == _defined_adapters()
    assert len(set(ADAPTERS.values())) == len(ADAPTERS)
    for folder, cls in ADAPTERS.items():
        assert cls.name == folder, (folder, cls)
    assert list(ADAPTERS) == sorted(ADAPTERS)


def test_all_adapters_in_folder_order() -> None:
    adapters = all_adapters()
    assert [a.name for a in adapters] == sorted(ADAPTERS)
    assert [type(a) for a in adapters] == [ADAPTERS[k] for k in sorted(ADAPTERS)]
