"""The one progress protocol: ``progress(message, done, total)``.

Long operations (building the warehouse, running studies, fitting a multiverse) accept an
optional :data:`Progress` callback and call it as ``progress("stage: detail", done, total)``;
``total = 0`` means "unknown". The stage is the message before its first ``": "``. The CLI's
renderers (a Rich bar on a terminal, plain lines otherwise) live in
:mod:`sanctuary_lab.cli.progress`; library code never prints progress itself.
"""

from __future__ import annotations

from collections.abc import Callable

#: ``progress(message, done, total)``
Progress = Callable[[str, int, int], None]

__all__ = ["Progress"]
