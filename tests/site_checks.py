"""Checks on a built report folder shared by the fixture and real-report tests: no internal ids
in visible text, no absolute local paths, none of the text glitches issue #10 lists."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path

#: Text glitches a reader saw in earlier reports (issue #10); none may come back.
GLITCHES = (
    "Our estimate of tested as",
    "(log points) (log points)",
    "author not recorded",
    "Source article in the project brief",
    "raw dir",
    "raw_dir",
    "perm p –",
    "Estimate (95% CI)",  # an axis without a unit
)
_GLITCH_RE = (
    # "FY2008-2015., Wong's": a sentence joined with a comma (abbreviations like "Co.," are fine)
    re.compile(r"(?:\d|[a-z]{4,})\.,\s"),
    re.compile(r"(?<![\w.])\d(?:\.\d+)?e[+-]?\d+\b", re.I),  # "1.253e+04", "4.034e-12"
)
#: raw field names of the tidy shape and relative-time terms
FIELDS = ("std_error", "ci_low", "ci_high", "p_value", "n_obs", "n_clusters", "rel_time[")
_SNAKE = re.compile(r"(?<![\w./#:-])[a-z][a-z0-9]*_[a-z0-9_]+(?![\w/(-]|\.[a-z])")
_LOCAL_PATH = re.compile(r"(?<![\w.])(/work/|/home/|/tmp/|/Users/|/root/|[A-Z]:\\\\)")


def visible_text(html: str) -> str:
    """The text a reader sees: scripts, styles, tags and the ``cite this`` block removed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    html = re.sub(r'<pre class="cite">.*?</pre>', " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html_lib.unescape(html))


def site_problems(out: Path, internal_ids: list[str], local_paths: list[str]) -> list[str]:
    """Everything wrong with a built report, one line per problem (empty when clean).

    ``internal_ids`` (claim and study ids) must not appear in visible text; neither may raw
    field names or other snake_case identifiers, except on the data and sources pages, which
    name warehouse tables, files and the columns their sources document. ``local_paths`` (the
    raw folder, the warehouse) must appear nowhere in the folder, scripts and data included.
    """
    problems: list[str] = []
    files = sorted(out.rglob("*.html")) + sorted((out / "assets").glob("*.js"))
    for path in files:
        if path.name == "vega.js":
            continue
        raw = path.read_text(encoding="utf-8", errors="replace")
        rel = path.relative_to(out)
        for p in local_paths:
            if p and p in raw:
                problems.append(f"{rel}: contains the local path {p}")
        if path.suffix == ".js":
            continue
        m = _LOCAL_PATH.search(visible_text(raw))
        if m:
            problems.append(
                f"{rel}: absolute local path near {visible_text(raw)[m.start() : m.start() + 60]!r}"
            )
        text = visible_text(raw)
        for g in GLITCHES:
            if g in text:
                problems.append(f"{rel}: glitch {g!r}")
        for rx in _GLITCH_RE:
            for m in rx.finditer(text):
                problems.append(f"{rel}: glitch {text[max(0, m.start() - 30) : m.end() + 30]!r}")
        for ident in internal_ids:
            if re.search(rf"(?<![\w/.]){re.escape(ident)}(?![\w])", text):
                problems.append(f"{rel}: internal id {ident!r} in visible text")
        for f in FIELDS:
            if f in text:
                problems.append(f"{rel}: raw field name {f!r} in visible text")
        if path.name not in ("data.html", "sources.html"):
            for m in _SNAKE.finditer(text):
                problems.append(f"{rel}: identifier {m.group(0)!r} in visible text")
    return problems
