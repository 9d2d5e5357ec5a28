"""Help-screen tweaks for the command line: boolean flags are shown as flags.

Typer's rich help prints a type column for every option, including ``<bool>`` next to on/off
flags such as ``--json`` (which take no value). :func:`install` makes flags show no type.
"""

from __future__ import annotations

from typing import Any

_INSTALLED = False


def install() -> None:
    """Show no ``<bool>`` type next to flag options in ``--help`` (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    from typer.core import TyperOption

    original = TyperOption.display_type_rich

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False) and self.metavar is None:
            return None
        return original(self, ctx)

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]
    _INSTALLED = True
