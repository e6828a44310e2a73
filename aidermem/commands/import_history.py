"""`aidermem import PATH…`: turn existing aider chat histories into memories.

One memory set per non-trivial session, dated by the session header,
extractive by default; `--llm` summarizes each session with the model aider
would use as its weak model. Re-importing a file adds nothing new. A
directory means the `.aider.chat.history.md` inside it. Each file's sessions
belong to the repository the file is in (`--project` overrides), and the
report says which.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from aidermem.capture import importer, llm
from aidermem.capture.summarize import SessionFacts, summarize_session, summary_to_memories
from aidermem.commands._filters import resolve_project
from aidermem.commands.app import App
from aidermem.commands.output import Result, Style
from aidermem.commands.payloads import FileReport, ImportPayload
from aidermem.errors import AidermemError, UsageError
from aidermem.kinds import Tool
from aidermem.models import Memory
from aidermem.project import Project, identify

HELP = "import existing .aider.chat.history.md files as memories"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="a chat history file, or a directory holding one")
    parser.add_argument("--llm", action="store_true",
                        help="summarize each session with a model instead of extracting")
    parser.add_argument("--model", help="model for --llm (default: aider's weak model)")
    parser.add_argument("--project", metavar="NAME_OR_ID",
                        help="file the sessions under this project (default: the repository "
                             "each history file is in, else the current project)")


def _summarizer(args: argparse.Namespace, app: App) -> importer.Summarizer | None:
    if not args.llm:
        return None
    config = llm.resolve_config(
        llm.Models(args.model, summary=app.settings.summary_model if not args.model else None),
        env=os.environ, timeout=app.settings.llm_timeout,
    )
    if config is None:
        raise UsageError("--llm needs a model, and none is configured",
                         "pass --model, set summary_model in config, or export an API key")

    def summarize(text: str, facts: SessionFacts) -> list[Memory] | None:
        return summary_to_memories(summarize_session(config, transcript=text, facts=facts), facts,
                                   tool=Tool.IMPORT)

    return summarize


def project_of(history: Path, app: App) -> Project:
    """The project a history's sessions belong to: the repository the file is in (aider
    writes it at the repo root), or the current project for a file outside any repo."""
    found = identify(history.parent) if history.parent.is_dir() else None
    return found if found is not None and found.root is not None else app.project


def run(args: argparse.Namespace, app: App) -> Result:
    summarize = _summarizer(args, app)
    chosen: Project | None = None
    if args.project is not None:
        pid, name = resolve_project(app, args.project)
        chosen = Project(id=pid, name=name, root=None)
    reports: list[FileReport] = []
    errors: list[tuple[str, AidermemError]] = []
    for raw in args.paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            path = path / importer.HISTORY_NAME
        try:
            project = chosen or project_of(path.absolute(), app)
            report = importer.import_history(
                path, app.store, app.index, project=project, summarize=summarize,
            )
        except AidermemError as exc:
            errors.append((raw, exc))
            continue
        if report.index_behind:
            app.warn(f"{raw}: the sessions are stored; {report.index_behind} (the next "
                     "aidermem command that can will index them)")
        reports.append(FileReport(
            path=str(report.path), project=project.id, project_name=project.name,
            sessions=report.sessions, imported=report.imported, trivial=report.trivial,
            duplicates=report.duplicates, unsaved=report.unsaved, memories=report.memories,
            summarized=report.summarized, summarize_errors=report.summarize_errors,
            redactions=report.redactions,
        ))
    if errors and not reports:
        if len(errors) == 1:
            raise errors[0][1]
        for raw, error in errors:
            app.warn(f"{raw}: {error.message}")
        raise AidermemError(f"nothing was imported: none of the {len(errors)} files is a "
                            "readable aider chat history", "check the paths above")
    # Mixed: what could be imported is, and the exit status (1) says that not all could.
    for raw, error in errors:
        app.warn(f"{raw}: {error.message}")
    return Result(ImportPayload(files=reports), exit_code=1 if errors else 0)


def render(payload: ImportPayload, style: Style) -> str:
    lines = []
    for f in payload.files:
        line = (f"{f.path}: {style.bold(str(f.imported))} of {f.sessions} sessions imported "
                f"into project {f.project_name or f.project} "
                f"({f.memories} memories; {f.trivial} trivial, {f.duplicates} already imported")
        line += f", {f.unsaved} not saved by your choice)" if f.unsaved else ")"
        if f.redactions:
            line += f"; {f.redactions} secrets redacted"
        if f.summarize_errors:
            line += f"; {len(f.summarize_errors)} fell back to extractive"
        lines.append(line)
    return "\n".join(lines) if lines else "nothing imported"
