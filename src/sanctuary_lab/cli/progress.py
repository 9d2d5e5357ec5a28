"""The one progress renderer of the CLI: feedback for long commands, on stderr.

It renders the :data:`~sanctuary_lab.core.progress.Progress` protocol. On a terminal a Rich
progress bar; otherwise (a pipe, a log file, CI) plain lines such as
``multiverse: fitting 2,048/13,824 (15%)``, printed when a stage starts, ends, or moves by at
least ``every`` seconds, so a command that runs for a minute never sits silent. Messages are
printed as text, never read as Rich markup.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from sanctuary_lab.core.formatting import fmt_count
from sanctuary_lab.core.progress import Progress


def line_printer(
    stream: TextIO | None = None,
    every: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
    delay: float = 3.0,
) -> Progress:
    """A callback that writes one plain line when a stage starts or ends and at most one per
    ``every`` seconds in between; the stage is the message before its first ``": "``. Nothing is
    printed during the first ``delay`` seconds, so a command that ends (or fails) quickly writes
    only its result or its one-line error."""
    out = stream if stream is not None else sys.stderr
    last: dict[str, float] = {}
    start = clock()

    def callback(message: str, done: int, total: int) -> None:
        text = str(message)
        stage = text.split(": ", 1)[0]
        now = clock()
        if now - start < delay:
            return  # quick commands (and one-line errors) print no progress at all
        first = stage not in last
        finished = total > 0 and done >= total
        if not (first or finished or now - last[stage] >= every):
            return
        last[stage] = now
        if total > 0:
            pct = int(100 * done / total)
            out.write(
                f"{text}: {fmt_count(done, ascii=True)}/{fmt_count(total, ascii=True)} ({pct}%)\n"
            )
        else:
            out.write(f"{text}: {fmt_count(done, ascii=True)}\n")
        out.flush()

    return callback


def _silent(message: str, done: int, total: int) -> None:
    """A progress callback that prints nothing."""


@contextmanager
def progress(
    console: Any | None = None, transient: bool = True, lines: bool = True
) -> Iterator[Progress]:
    """Yield a ``progress(message, done, total)`` callback: a bar on a terminal, lines otherwise.

    One bar (or line stream) per distinct stage; the stage is the message before its first
    ``": "`` when there is one.

    Parameters
    ----------
    console
        The Rich console to draw on (default: stderr).
    transient
        Remove the bars when the block ends.
    lines
        Without a terminal, print plain lines (:func:`line_printer`); ``False`` keeps such a run
        silent (``build``, whose failures after a long read must stay one line on stderr).
    """
    from rich.console import Console

    con = console if console is not None else Console(stderr=True)
    if not con.is_terminal:
        yield line_printer(con.file) if lines else _silent
        return
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=con,
        transient=transient,
    ) as bar:
        tasks: dict[str, Any] = {}

        def callback(message: str, done: int, total: int) -> None:
            stage = str(message).split(": ", 1)[0]
            text = escape(str(message)[:60])
            if stage not in tasks:
                tasks[stage] = bar.add_task(text, total=total or None)
            bar.update(tasks[stage], completed=done, total=total or None, description=text)

        yield callback
