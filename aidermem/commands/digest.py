"""`aidermem digest [QUERY]`: a Markdown briefing to paste to an assistant.

One search per section (decisions, conventions, bugs, sessions, notes): with a
QUERY the most relevant memories of each kind, without one the most recent.
The layout is aidermem/retrieve/digest.py's (pure); this module only gathers.
"""

from __future__ import annotations

import argparse

from aidermem.commands._filters import (
    add_filter_arguments,
    check_project,
    kinds_of,
    request_for,
)
from aidermem.commands.app import App
from aidermem.commands.output import Result, Style
from aidermem.commands.payloads import (
    DigestDetailOut,
    DigestItemOut,
    DigestPayload,
    DigestSectionOut,
)
from aidermem.errors import MemoryFileError
from aidermem.index.search import find
from aidermem.models import Kind, Memory, now
from aidermem.retrieve import digest

HELP = "a Markdown briefing of decisions, conventions, bugs and open threads"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", nargs="*", metavar="QUERY",
                        help="focus on memories relevant to these words (default: most recent)")
    add_filter_arguments(parser, limit=5, limit_help="at most this many per section (default 5)")


def run(args: argparse.Namespace, app: App) -> Result:
    query = " ".join(args.query).strip() or None
    chosen: dict[Kind, list[Memory]] = {}
    paths: dict[str, str] = {}
    wanted = kinds_of(args.kind) or digest.SECTION_ORDER
    for kind in digest.SECTION_ORDER:
        if kind not in wanted:
            continue
        hits = find(app.index, request_for(args, app, query or "", kinds=[kind]))
        chosen[kind] = []
        for hit in hits:
            try:
                memory = app.store.load(hit.relpath)
            except MemoryFileError as exc:  # broken by hand since the sync: leave it out
                app.warn(f"skipped {exc.path}: {exc.reason}")
                continue
            chosen[kind].append(memory)
            paths[memory.id] = hit.relpath
    if not paths:
        check_project(args, app, app.index)
    short = app.short_ids(paths)
    built = digest.build(chosen, scope=_scope_label(args, app), query=query,
                         generated=now(), short_ids=short)
    sections = [
        DigestSectionOut(kind=s.kind, heading=s.heading, items=[
            DigestItemOut(
                id=i.memory.id, short_id=i.short_id, path=paths[i.memory.id],
                title=i.memory.title, kind=i.memory.kind, created=i.memory.created,
                project=i.memory.project, project_name=i.memory.project_name,
                topics=i.memory.topics, summary=i.summary,
                details=[DigestDetailOut(label=d.label, text=d.text) for d in i.details],
            )
            for i in s.items
        ])
        for s in built.sections
    ]
    return Result(DigestPayload(scope=built.scope, query=query, generated=built.generated,
                                sections=sections, markdown=digest.render_markdown(built)))


def _scope_label(args: argparse.Namespace, app: App) -> str:
    if args.all_projects:
        return "all projects"
    if args.project is not None:
        return args.project or "global memories"
    return app.project.name or app.project.id


def render(payload: DigestPayload, style: Style) -> str:  # noqa: ARG001 - Markdown is the text
    return payload.markdown
