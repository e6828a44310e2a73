"""`aidermem stale`: the current project's memories whose links to code are not fresh.

Answered from the index, synced with the store first (so a memory edited by hand
since the last sync counts as it is now): only the memories with a link whose file is
not at its blob at HEAD are read (linkscan) and their links checked; writes nothing
but the fingerprint cache. `aidermem verify ID` takes a checked memory's links
again, `aidermem forget ID` retires it.
"""

from __future__ import annotations

import argparse

from aidermem.commands.app import App
from aidermem.commands.output import SHORT_ID_MIN, Result, Style
from aidermem.commands.payloads import LinkedMemoryOut, LinkStateOut, StalePayload
from aidermem.index import linkscan
from aidermem.links.use import Checker

HELP = "list memories whose linked code changed, moved or is gone since they were written"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options but the shared --json


def run(args: argparse.Namespace, app: App) -> Result:
    del args
    project = app.project
    checker = Checker(project.ids, project.root, app.store_root)
    index = app.unsynced_index
    report = index.refresh(exact=True)  # cannot sync: an index read from the files
    if report.stale:
        app.warn(report.stale)
    repo = checker.repo()
    tree = repo.tree if repo is not None else {}
    found: list[tuple[str, str, str, list[LinkStateOut]]] = []
    for suspect in linkscan.suspects(index.searcher(), index.schema, project.ids, tree):
        states = checker.states_of_docs(suspect.project, suspect.links)
        if all(s.state == "fresh" for s in states):
            continue
        found.append((suspect.id, suspect.relpath, suspect.title,
                      [LinkStateOut(**s.as_json()) for s in states if s.state != "fresh"]))
    checker.save()
    short = index.short_ids((mid for mid, *_ in found), min_len=SHORT_ID_MIN)
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
