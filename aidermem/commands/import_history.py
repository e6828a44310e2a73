"""`aidermem import PATH…`: turn existing aider chat histories into memories.

One memory set per non-trivial session, dated by the session header,
extractive by default; `--llm` summarizes each session with the model aider
would use as its weak model. Re-importing a file adds nothing new. A
directory means the `.aider.chat.history.md` inside it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from aidermem import importer, llm
from aidermem.app import App
from aidermem.errors import AidermemError, UsageError
from aidermem.models import Memory
from aidermem.output import Result, Style
from aidermem.payloads import Payload
from aidermem.summarize import SessionFacts, summarize_session, summary_to_memories

HELP = "import existing .aider.chat.history.md files as memories"


class FileReport(Payload):
    path: str
    sessions: int
    imported: int
    trivial: int
    duplicates: int
    memories: int
    summarized: int
    summarize_errors: list[str]
    redactions: int


class ImportPayload(Payload):
    files: list[FileReport]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="a chat history file, or a directory holding one")
    parser.add_argument("--llm", action="store_true",
                        help="summarize each session with a model instead of extracting")
    parser.add_argument("--model", help="model for --llm (default: aider's weak model)")


def _summarizer(args: argparse.Namespace, app: App) -> importer.Summarizer | None:
    if not args.llm:
        return None
    config = llm.resolve_llm_config(
        main_model=args.model, summary_model=app.settings.summary_model if not args.model else None,
        env=os.environ, timeout=app.settings.llm_timeout,
    )
    if config is None:
        raise UsageError("--llm needs a model, and none is configured",
                         "pass --model, set summary_model in config, or export an API key")

    def summarize(text: str, facts: SessionFacts) -> list[Memory] | None:
        return summary_to_memories(summarize_session(config, transcript=text, facts=facts), facts,
                                   tool=importer.Tool.IMPORT)

    return summarize


def run(args: argparse.Namespace, app: App) -> Result:
    summarize = _summarizer(args, app)
    reports: list[FileReport] = []
    failed = False
    for raw in args.paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            path = path / importer.HISTORY_NAME
        try:
            report = importer.import_history(
                path, app.store, app.index, project=app.project, summarize=summarize,
            )
        except AidermemError as exc:
            app.warn(f"{raw}: {exc.message}")
            failed = True
            continue
        if report.index_behind:
            app.warn(f"{raw}: the sessions are stored; {report.index_behind} (the next "
                     "aidermem command that can will index them)")
        reports.append(FileReport(
            path=str(report.path), sessions=report.sessions, imported=report.imported,
            trivial=report.trivial, duplicates=report.duplicates, memories=report.memories,
            summarized=report.summarized, summarize_errors=report.summarize_errors,
            redactions=report.redactions,
        ))
    return Result(ImportPayload(files=reports), exit_code=1 if failed else 0)


def render(payload: ImportPayload, style: Style) -> str:
    lines = []
    for f in payload.files:
        line = (f"{f.path}: {style.bold(str(f.imported))} of {f.sessions} sessions imported "
                f"({f.memories} memories; {f.trivial} trivial, {f.duplicates} already imported)")
        if f.redactions:
            line += f"; {f.redactions} secrets redacted"
        if f.summarize_errors:
            line += f"; {len(f.summarize_errors)} fell back to extractive"
        lines.append(line)
    return "\n".join(lines) if lines else "nothing imported"
