"""`aidermem list`: memories newest first, with the same filters as search."""

from __future__ import annotations

import argparse

from aidermem.commands._filters import (
    add_filter_arguments,
    check_project,
    request_for,
    scope_of,
)
from aidermem.commands.app import App
from aidermem.commands.output import (
    SHORT_ID_MIN,
    ListPayload,
    MemorySummary,
    Result,
    Style,
    heading_lines,
)
from aidermem.index.memory_index import MemoryIndex
from aidermem.index.search import find

HELP = "list memories, newest first"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_filter_arguments(parser, limit=30, limit_help="at most this many (default 30)")


def run(args: argparse.Namespace, app: App) -> Result:
    _, projects = scope_of(args, app)
    request = request_for(args, app, "")

    def found(index: MemoryIndex) -> list[MemorySummary]:
        hits = find(index, request)
        if not hits:
            check_project(args, app, index)
        short = index.short_ids((h.id for h in hits), min_len=SHORT_ID_MIN)
        return [MemorySummary.of_hit(h, short[h.id]) for h in hits]

    memories = app.read(found)
    return Result(ListPayload(projects=projects, count=len(memories), memories=memories))


def render(payload: ListPayload, style: Style) -> str:
    if not payload.memories:
        return "no memories match" + ("" if payload.projects is None else
                                      " in this project or global memories; try --all-projects")
    return "\n".join(heading_lines(payload.memories, style))
