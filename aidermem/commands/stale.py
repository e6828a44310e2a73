"""`aidermem stale`: the current project's memories whose links to code are not fresh.

Reads the store's files (every memory with links) and checks each link at the
checkout's HEAD; writes nothing. `aidermem verify ID` takes a checked memory's links
again, `aidermem forget ID` retires it.
"""

from __future__ import annotations

import argparse

from aidermem.commands.app import App
from aidermem.commands.output import Result, Style
from aidermem.commands.payloads import LinkedMemoryOut, LinkStateOut, StalePayload
from aidermem.links.use import Checker
from aidermem.models import Status

HELP = "list memories whose linked code changed, moved or is gone since they were written"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options but the shared --json


def run(args: argparse.Namespace, app: App) -> Result:
    del args
    project = app.project
    checker = Checker(project.ids, project.root, app.store_root)
    found: list[tuple[str, str, str, list[LinkStateOut]]] = []
    for relpath, memory in app.store.iter_memories():
        if isinstance(memory, Exception) or not memory.links:
            continue
        if memory.status != Status.ACTIVE or memory.project not in project.ids:
            continue
        states = checker.states(memory.project, memory.links)
        if all(s.state == "fresh" for s in states):
            continue
        found.append((memory.id, relpath, memory.title,
                      [LinkStateOut(**s.as_json()) for s in states if s.state != "fresh"]))
    checker.save()
    short = app.short_ids(mid for mid, *_ in found)
    repo = checker.repo()
    return Result(StalePayload(head=repo.head if repo else None, memories=[
        LinkedMemoryOut(id=mid, short_id=short[mid], path=relpath, title=title, links=links)
        for mid, relpath, title, links in found]))


def render(payload: StalePayload, style: Style) -> str:
    if not payload.memories:
        return "every linked memory is fresh"
    lines = []
    for m in payload.memories:
        lines.append(f"{m.short_id}  {style.bold(m.title)}")
        lines += [f"    {_text(link)}" for link in m.links]
    lines.append("after checking one: aidermem verify ID (or aidermem forget ID)")
    return "\n".join(lines)


def _text(link: LinkStateOut) -> str:
    label = f"{link.path}::{link.symbol}" if link.symbol else link.path
    return f"{label}: {link.state}" + (f" — {link.reason}" if link.reason else "")
