"""`aidermem capture --pending`: finish sessions the journal still holds.

Normally this runs detached right after aider exits, to add the model's
summary. Run it by hand after a crash, a kill, or a model outage: every
journaled session is turned into memories, and nothing is lost if the model
is still unreachable (the extractive summary stands).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from aidermem.capture import driver as capture
from aidermem.capture import llm
from aidermem.capture.journal import Entry, Journal
from aidermem.commands.app import App
from aidermem.commands.output import Result, Style
from aidermem.commands.payloads import Captured, CapturePayload
from aidermem.errors import AidermemError
from aidermem.index.memory_index import MemoryIndex
from aidermem.store.store import Store

HELP = "finish capturing sessions left pending (after a crash, kill or model outage)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pending", action="store_true", required=True,
                        help="process every pending journal entry (required)")
    parser.add_argument("--session", action="append", default=[], metavar="ID",
                        help="only this journal entry (repeatable)")
    parser.add_argument("--no-llm", action="store_true",
                        help="store the extractive summary only; do not call a model")


def run(args: argparse.Namespace, app: App) -> Result:
    journal = Journal()
    notes: list[str] = []
    ready = capture.recover(journal, notes.append)
    for note in notes:
        app.warn(note.removeprefix("aidermem: warning: "))
    if args.session:
        wanted = set(args.session)
        ready = [e for e in ready if e.session_id in wanted]
    done: list[Captured] = []
    waiting: list[str] = []
    for entry in ready:
        with journal.claim(entry.session_id) as mine:
            current = journal.load(entry.session_id) if mine else None
            if current is None:
                if not mine:
                    waiting.append(entry.session_id)
                continue
            try:
                store = Store.open(Path(current.store_root), create=False)
                outcome = capture.finish(current, journal, store=store,
                                         index=MemoryIndex.open(store),
                                         config=None if args.no_llm else _model(current, app),
                                         notify=lambda m: app.warn(m.removeprefix("aidermem: ")))
            except AidermemError as exc:  # this session stays journaled; the others go on
                app.warn(f"session {entry.session_id} is kept for later: {exc.message}")
                waiting.append(entry.session_id)
                continue
        done.append(Captured(
            session_id=entry.session_id, saved=[m.id for m in outcome.saved],
            titles=[m.title for m in outcome.saved], summarized=outcome.refined,
            error=outcome.error, skipped=outcome.skipped_reason, retry=outcome.retry,
        ))
    return Result(CapturePayload(sessions=done, waiting=waiting))


def _model(entry: Entry, app: App) -> llm.LLMConfig | None:
    """The summary model the session's aider would have used, keys from this environment."""
    return llm.resolve_config(
        llm.Models(entry.main_model, entry.weak_model, entry.summary_model), env=os.environ,
        credentials=llm.Credentials(dotenv_files=[Path(p) for p in entry.dotenv_files],
                                    api_base=entry.api_base),
        timeout=app.settings.llm_timeout,
    )


def render(payload: CapturePayload, style: Style) -> str:
    lines = []
    for s in payload.sessions:
        if s.saved:
            how = "model summary" if s.summarized else "extractive summary"
            if s.error:
                how += f"; the model failed: {s.error}"
            lines.append(f"{s.session_id}: saved {style.bold(s.saved[0])} {s.titles[0]!r} ({how})")
        else:
            lines.append(f"{s.session_id}: nothing to save ({s.skipped or 'empty'})")
    lines += [f"{sid}: not finished now (busy in another process, or see the warning); "
              "left in the journal" for sid in payload.waiting]
    return "\n".join(lines) if lines else "no pending sessions"
