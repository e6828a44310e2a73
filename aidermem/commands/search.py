"""`aidermem search QUERY…`: BM25 search over memories, best first.

Any text is a valid query: it is analyzed into terms, never parsed as query
syntax, so `foo(bar)?`, `C++`, quotes or Chinese all just search. Finding
nothing is not an error (exit 0).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from typing import Any

from aidermem import paths
from aidermem.commands._filters import (
    add_filter_arguments,
    check_project,
    request_for,
    scope_of,
)
from aidermem.commands.app import App
from aidermem.commands.output import (
    SHORT_ID_MIN,
    HitOut,
    Result,
    SearchPayload,
    Style,
    heading_lines,
    highlight,
)
from aidermem.errors import UsageError
from aidermem.index.memory_index import MemoryIndex
from aidermem.index.search import Hit, find

HELP = "search memories (current project and global ones unless told otherwise)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", nargs="+", metavar="QUERY", help="words to look for")
    add_filter_arguments(parser, limit=10, limit_help="at most this many results (default 10)")


def run(args: argparse.Namespace, app: App) -> Result:
    text = " ".join(args.query).strip()
    if not text:
        raise UsageError("the query is empty", "give words to search for, or use `aidermem list`")
    _, projects = scope_of(args, app)
    base = request_for(args, app, text)
    setting = semantic_setting(app)

    def found(index: MemoryIndex) -> list[HitOut]:
        request = dataclasses.replace(base, semantic=semantic_in_force(setting, index))
        hits = find(index, request)
        if not hits:
            check_project(args, app, index)
        short = index.short_ids((h.id for h in hits), min_len=SHORT_ID_MIN)
        states = link_states(hits, app)
        out = [
            HitOut.of_hit(h, short[h.id], score=round(h.score * demotion(states.get(h.id)), 4),
                          snippet=h.snippet, highlights=list(h.highlights),
                          links=states.get(h.id, []))
            for h in hits
        ]
        if states:  # a stale memory is demoted as at launch (ranking.STALE_FACTOR)
            out.sort(key=lambda hit: -hit.score)  # stable: ties keep the index's order
        return out

    out = app.read(found)
    return Result(SearchPayload(query=text, projects=projects, count=len(out), hits=out))


def semantic_setting(app: App) -> bool | str:
    """The `semantic` setting (true, false or "auto"); False when the embedding model is not
    installed (search still works, by BM25 alone: with a warning if `semantic = true`)."""
    # Unconfigured, the setting is its default ("auto"): no need for config's imports to know.
    setting = "auto" if paths.unconfigured(app.project.root, os.environ) \
        else app.settings.semantic
    if setting is False:
        return False
    from aidermem.index import embedding

    if embedding.available():
        return setting
    if setting is True:
        app.warn("the embedding model (wordllama) is not installed, so this search ranks by "
                 "BM25 only — reinstall aidermem, or set `semantic = false` to silence this")
    return False


def semantic_in_force(setting: bool | str, index: MemoryIndex) -> bool:
    """Whether this search ranks by meaning too (fusion.in_force: "auto" counts the index)."""
    if setting is False:
        return False
    from aidermem.index import fusion

    return fusion.in_force(setting, index.searcher().num_docs)


def link_states(hits: list[Hit], app: App) -> dict[str, list[dict[str, Any]]]:
    """Each linked hit's link states (LINK_STATE); nothing is imported when none is linked."""
    if not any(h.links for h in hits):
        return {}
    from aidermem.links.use import Checker

    checker = Checker(app.project.ids, app.project.root, app.store_root)
    out = {h.id: [s.as_json() for s in checker.states_of_docs(h.project, h.links)]
           for h in hits if h.links}
    checker.save()
    return out


def demotion(links: list[dict[str, Any]] | None) -> float:
    """The ranking factor of a hit with these LINK_STATEs: a stale one counts half."""
    from aidermem.index import ranking

    return ranking.stale_factor(any(link["state"] in ("changed", "gone")
                                    for link in links or []))


def _stale_lines(hit: HitOut) -> list[str]:
    return [f"    {link['path']}{'::' + link['symbol'] if link['symbol'] else ''}: "
            f"{link['state']}" + (f" — {link['reason']}" if link["reason"] else "")
            for link in hit.links if link["state"] != "fresh"]


def render(payload: SearchPayload, style: Style) -> str:
    if not payload.hits:
        where_ = "any project" if payload.projects is None else "this project or global memories"
        more = "" if payload.projects is None else "; try --all-projects"
        return f"no memories match “{payload.query}” in {where_}{more}"
    blocks = []
    for hit, head in zip(payload.hits, heading_lines(payload.hits, style), strict=True):
        snippet = highlight(hit.snippet, hit.highlights, style)
        block = f"{head}\n    {snippet}" if snippet else head
        blocks.append("\n".join([block, *_stale_lines(hit)]))
    return "\n\n".join(blocks)
