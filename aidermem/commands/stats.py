"""`aidermem stats`: how many memories there are, by project, kind and status.

Counts come from the index right after it is synced with the store, so they
match the files; the store's file count and the malformed files are shown
beside them so a gap is visible.
"""

from __future__ import annotations

import argparse
from collections import Counter

from aidermem.commands.app import App
from aidermem.commands.output import Result, Style, where
from aidermem.commands.payloads import ProjectCount, StatsPayload
from aidermem.index.search import SearchRequest, find
from aidermem.models import Kind, Status

HELP = "count memories by project, kind and status; where the store and index are"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options of its own


def run(args: argparse.Namespace, app: App) -> Result:
    del args
    store, index = app.store, app.index
    docs = index.count()
    every = SearchRequest(scope="all", limit=max(docs, 1), include_archived=True)
    hits = find(index, every) if docs else []
    kinds = Counter(h.kind for h in hits)
    statuses = Counter(h.status for h in hits)
    projects = Counter((h.project, h.project_name) for h in hits)
    return Result(StatsPayload(
        store=str(store.root), index=str(index.directory),
        store_files=sum(1 for _ in store.iter_paths()), index_docs=docs,
        malformed=len(index.broken()), total=len(hits),
        by_project=[ProjectCount(project=p, project_name=n, count=c)
                    for (p, n), c in sorted(projects.items(), key=lambda kv: (-kv[1], kv[0]))],
        by_kind={k.value: kinds.get(k.value, 0) for k in Kind},
        by_status={s.value: statuses.get(s.value, 0) for s in Status},
    ))


def render(payload: StatsPayload, style: Style) -> str:
    lines = [
        f"memories: {style.bold(str(payload.total))} "
        f"({', '.join(f'{n} {s}' for s, n in payload.by_status.items())})",
        f"store:    {payload.store} ({payload.store_files} files"
        + (f", {payload.malformed} malformed" if payload.malformed else "") + ")",
        f"index:    {payload.index} ({payload.index_docs} documents)",
        "",
        "by kind:",
        *(f"  {kind:<12}{n:>6}" for kind, n in payload.by_kind.items()),
    ]
    if payload.by_project:
        lines += ["", "by project:"]
        for p in payload.by_project:
            lines.append(f"  {p.count:>6}  {where(p.project_name, p.project, full=True)}")
    return "\n".join(lines)
