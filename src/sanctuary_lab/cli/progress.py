"""Progress feedback for long CLI commands, on stderr.

On a terminal a Rich progress bar; otherwise (a pipe, a log file, CI) plain lines such as
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

#: progress(message, done, total)
Callback = Callable[[str, int, int], None]


def line_printer(
    stream: TextIO | None = None,
    every: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
    delay: float = 3.0,
) -> Callback:
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
            out.write(f"{text}: {done:,}/{total:,} ({pct}%)\n")
        else:
            out.write(f"{text}: {done:,}\n")
        out.flush()

    return callback


@contextmanager
def progress(console: Any | None = None, transient: bool = True) -> Iterator[Callback]:
    """Yield a ``progress(message, done, total)`` callback: a bar on a terminal, lines otherwise.

    One bar (or line stream) per distinct stage; the stage is the message before its first
    ``": "`` when there is one.
    """
    from rich.console import Console

    con = console if console is not None else Console(stderr=True)
    if not con.is_terminal:
        yield line_printer(con.file)
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
