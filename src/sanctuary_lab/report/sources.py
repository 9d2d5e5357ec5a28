"""Read each raw folder's ``SOURCE.md`` into the facts the data-sources page prints.

The files are free text with a common shape: a ``# Title`` line, then bullet lines such as
``- Repository: …``, ``- Producer: …``, ``- License: …``, ``- Commit: … (2023-12-10)``. This module
pulls those fields out by their labels, collects URLs and dates, and never fails on a file that
lacks them (the page then says "not stated").
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_FIELD = re.compile(
    r"^\s*[-*]\s*\**(?P<key>[A-Za-z][A-Za-z /()'-]{1,40}?)\**\s*:\s*\**\s*(?P<value>.+)$"
)
_URL = re.compile(r"https?://[^\s)>\]`\"']+")
_DATE = re.compile(r"\b(19|20)\d{2}-\d{2}-\d{2}\b")
_REPO = re.compile(r"`?([A-Za-z0-9][\w.-]*/[\w.-]+)`?")

_KEYS = {
    "producer": ("producer", "original producer", "producer of the numbers", "producer chain"),
    "licence": ("license", "licence"),
    "repository": ("repository", "repo"),
    "commit": ("commit", "snapshot"),
    "story": ("story",),
}


def _clean(text: str) -> str:
    text = re.sub(r"\*\*|`", "", text).strip()
    return text.rstrip(".") + ("." if text.endswith(".") else "")


def parse_source_md(text: str, folder: str) -> dict[str, Any]:
    """Fields of one ``SOURCE.md``: title, producer, licence, repository, urls, dates, caveats."""
    lines = text.splitlines()
    title = next((ln.lstrip("# ").strip() for ln in lines if ln.startswith("# ")), folder)
    fields: dict[str, str] = {}
    for ln in lines:
        m = _FIELD.match(ln)
        if not m:
            continue
        key = m.group("key").strip().lower()
        for name, aliases in _KEYS.items():
            if key in aliases and name not in fields:
                fields[name] = _clean(m.group("value"))
    if "producer" not in fields:
        m = re.search(r"(Original producer|Producer)[^:]*:\s*([^\n]+)", text)
        if m:
            fields["producer"] = _clean(m.group(2))
    urls = list(dict.fromkeys(u.rstrip(".,;") for u in _URL.findall(text)))
    repo = fields.get("repository", "")
    repo_url = ""
    m = _REPO.search(repo)
    if m and "." not in m.group(1).split("/")[0]:
        repo_url = f"https://github.com/{m.group(1)}"
    dates = sorted({d.group(0) for d in _DATE.finditer(text)})
    caveats: list[str] = []
    in_caveats = False
    for ln in lines:
        if ln.startswith("## "):
            in_caveats = "caveat" in ln.lower()
            continue
        if in_caveats and re.match(r"^\s*[-*]\s+", ln):
            caveats.append(_clean(re.sub(r"^\s*[-*]\s+", "", ln)))
    return {
        "folder": folder,
        "title": _clean(title),
        "producer": fields.get("producer", ""),
        "licence": fields.get("licence", ""),
        "repository": repo,
        "repository_url": repo_url,
        "commit": fields.get("commit", ""),
        "urls": urls[:6],
        "dates": dates,
        "caveats": caveats[:8],
    }


def read_sources(raw_dir: Path | None) -> list[dict[str, Any]]:
    """One record per raw folder that has a ``SOURCE.md`` (sorted by folder)."""
    if raw_dir is None or not Path(raw_dir).is_dir():
        return []
    out = []
    for folder in sorted(p for p in Path(raw_dir).iterdir() if p.is_dir()):
        md = folder / "SOURCE.md"
        if not md.is_file():
            continue
        try:
            text = md.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        out.append(parse_source_md(text, folder.name))
    return out
