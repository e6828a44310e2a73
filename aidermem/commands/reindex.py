"""`aidermem reindex`: rebuild the search index from the store's files.

The index is a cache; this is always safe. Files that do not parse are
skipped and listed, and stay in the store untouched.
"""

from __future__ import annotations

import argparse

from aidermem.app import App
from aidermem.output import Result, Style
from aidermem.payloads import ReindexPayload, SkippedFile

HELP = "rebuild the search index from the memory files"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options of its own


def run(args: argparse.Namespace, app: App) -> Result:
    del args
    report = app.unsynced_index.rebuild()
    seconds = max(report.seconds, 1e-6)
    return Result(ReindexPayload(
        count=report.added, seconds=round(report.seconds, 3),
        rate=round(report.added / seconds, 1),
        skipped=[SkippedFile(path=e.path, reason=e.reason) for e in report.skipped],
    ))


def render(payload: ReindexPayload, style: Style) -> str:
    noun = "memory" if payload.count == 1 else "memories"
    lines = [f"indexed {style.bold(str(payload.count))} {noun} in {payload.seconds:.2f} s "
             f"({payload.rate:,.0f}/s)"]
    if payload.skipped:
        lines.append(f"skipped {len(payload.skipped)} malformed "
                     f"file{'s' * (len(payload.skipped) > 1)} (fix or delete them by hand):")
        lines += [f"  {s.path}: {s.reason}" for s in payload.skipped]
    return "\n".join(lines)
