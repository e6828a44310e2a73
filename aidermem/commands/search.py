"""`aidermem search QUERY…`: BM25 search over memories, best first.

Any text is a valid query: it is analyzed into terms, never parsed as query
syntax, so `foo(bar)?`, `C++`, quotes or Chinese all just search. Finding
nothing is not an error (exit 0).
"""

from __future__ import annotations

import argparse
import dataclasses
import os

from aidermem import paths
from aidermem.app import App
from aidermem.commands._filters import add_filter_arguments, check_project, request_for, scope_of
from aidermem.errors import UsageError
from aidermem.index import MemoryIndex
from aidermem.output import (
    SHORT_ID_MIN,
    HitOut,
    Result,
    SearchPayload,
    Style,
    heading_lines,
    highlight,
)

HELP = "search memories (current project and global ones unless told otherwise)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", nargs="+", metavar="QUERY", help="words to look for")
    add_filter_arguments(parser, limit=10, limit_help="at most this many results (default 10)")


def run(args: argparse.Namespace, app: App) -> Result:
    text = " ".join(args.query).strip()
    if not text:
        raise UsageError("the query is empty", "give words to search for, or use `aidermem list`")
    _, projects = scope_of(args, app)
    request = dataclasses.replace(request_for(args, app, text), semantic=_semantic(app))

    def found(index: MemoryIndex) -> list[HitOut]:
        hits = index.search(request)
        if not hits:
            check_project(args, app, index)
        short = index.short_ids((h.id for h in hits), min_len=SHORT_ID_MIN)
        return [
            HitOut.of_hit(h, short[h.id], score=round(h.score, 4), snippet=h.snippet,
                          highlights=list(h.highlights))
            for h in hits
        ]

    out = app.read(found)
    return Result(SearchPayload(query=text, projects=projects, count=len(out), hits=out))


def _semantic(app: App) -> bool:
    """Whether to fuse in the dense order (`semantic = true`); BM25 alone, with a warning,
    when the embedding model is not installed (search still works)."""
    # Unconfigured, the setting is its default (off): no need for config's imports to know.
    if paths.unconfigured(app.project.root, os.environ) or not app.settings.semantic:
        return False
    from aidermem import embedding

    if embedding.available():
        embedding.preload()
        return True
    app.warn("the embedding model (wordllama) is not installed, so this search ranks by BM25 "
             "only — reinstall aidermem, or set `semantic = false` to silence this")
    return False


def render(payload: SearchPayload, style: Style) -> str:
    if not payload.hits:
        where_ = "any project" if payload.projects is None else "this project or global memories"
        more = "" if payload.projects is None else "; try --all-projects"
        return f"no memories match “{payload.query}” in {where_}{more}"
    blocks = []
    for hit, head in zip(payload.hits, heading_lines(payload.hits, style), strict=True):
        snippet = highlight(hit.snippet, hit.highlights, style)
        blocks.append(f"{head}\n    {snippet}" if snippet else head)
    return "\n\n".join(blocks)
