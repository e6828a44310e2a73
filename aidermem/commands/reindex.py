"""`aidermem reindex`: rebuild the search index from the store's files.

The index is a cache; this is always safe. With `semantic` on, the vector
cache is brought up to date too, and the time and rate count both. Files that do not parse are
skipped and listed, and stay in the store untouched.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING

from aidermem.commands.app import App
from aidermem.commands.output import Result, Style
from aidermem.commands.payloads import ReindexPayload, SkippedFile

if TYPE_CHECKING:
    from aidermem.index.memory_index import MemoryIndex

HELP = "rebuild the search index from the memory files"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options of its own


def run(args: argparse.Namespace, app: App) -> Result:
    del args
    index = app.unsynced_index
    report = index.rebuild()
    seconds = max(report.seconds + _vectors(app, index), 1e-6)
    return Result(ReindexPayload(
        count=report.added, seconds=round(seconds, 3),
        rate=round(report.added / seconds, 1),
        skipped=[SkippedFile(path=e.path, reason=e.reason) for e in report.skipped],
    ))


def _vectors(app: App, index: MemoryIndex) -> float:
    """Seconds to bring the vector cache up to date, so the first search after a reindex is
    as fast as any (vectors of unchanged memories are reused by content hash)."""
    from aidermem.index import embedding, fusion, vectors

    if not (app.settings.semantic and embedding.available()
            and fusion.in_force(app.settings.semantic, index.searcher().num_docs)):
        return 0.0
    started = time.perf_counter()
    vectors.current(index)
    return time.perf_counter() - started


def render(payload: ReindexPayload, style: Style) -> str:
    noun = "memory" if payload.count == 1 else "memories"
    lines = [f"indexed {style.bold(str(payload.count))} {noun} in {payload.seconds:.2f} s "
             f"({payload.rate:,.0f}/s)"]
    if payload.skipped:
        lines.append(f"skipped {len(payload.skipped)} malformed "
                     f"file{'s' * (len(payload.skipped) > 1)} (fix or delete them by hand):")
        lines += [f"  {s.path}: {s.reason}" for s in payload.skipped]
    return "\n".join(lines)
