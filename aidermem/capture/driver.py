"""End-of-session capture: which steps run, when, and what a model failure means.

The steps themselves (slice -> extractive memories -> model summary -> store)
live in capture_steps.py, one journal state each. This module drives them:

- `finish` runs whatever steps an entry still owes, in one process. The
  extractive memories are stored first (fast, no network), so a session is
  remembered even when no model is reachable. The model's summary then
  replaces the session memory; when the model fails, the extractive memory
  stands and the entry is kept for another try, at most MAX_ATTEMPTS in all.
- `recover` finds entries left behind by a crash or kill (a RUNNING entry
  whose aidermem is dead) and collects their slices.
- `spawn_background` finishes entries in a detached `aidermem capture
  --pending`, so the terminal is the user's again at once.

Every step runs under the entry's claim, on an entry re-read under that
claim: two processes never work on one entry, and neither acts on a stale
copy. Nothing here prints; messages go through the `notify` callback.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from aidermem.capture import steps
from aidermem.capture.journal import Entry, Journal, State, owner_alive
from aidermem.capture.llm import LLMConfig, SummarizeError
from aidermem.index.memory_index import MemoryIndex
from aidermem.models import Memory
from aidermem.store.store import Store

Notify = Callable[[str], None]
LOG_NAME = "background.log"
LOG_MAX_BYTES = 1_000_000
MAX_ATTEMPTS = 3  # model summaries tried per session before the extractive one is final


@dataclass
class Outcome:
    session_id: str
    saved: list[Memory] = field(default_factory=list)  # the session's memories now stored
    refined: bool = False  # saved[0] is the model's summary
    skipped_reason: str | None = None  # nothing was saved, and why
    error: str | None = None  # the model failed (the extractive memories stand)
    retry: bool = False  # the entry is kept so a later run tries the model again


def collect_session(entry: Entry, journal: Journal) -> bool:
    """RUNNING -> PENDING; False (and the entry removed) if there is nothing to remember."""
    if entry.state is State.RUNNING:
        steps.collect(entry, journal)
    if entry.state is State.PENDING and not steps.worth_saving(entry, journal):
        journal.remove(entry.session_id)
        return False
    return True


def finish(
    entry: Entry,
    journal: Journal,
    *,
    store: Store,
    index: MemoryIndex,
    config: LLMConfig | None,
    notify: Notify,
    defer_summary: bool = False,
) -> Outcome:
    """Run whatever steps remain for `entry` (its claim held by the caller).

    `config` None: no model is known, so the extractive memories are final.
    `defer_summary`: stop once they are stored; a later run (the background
    process) asks the model. Never raises for model failures.
    """
    outcome = Outcome(entry.session_id)
    if entry.state in (State.RUNNING, State.PENDING) and not collect_session(entry, journal):
        outcome.skipped_reason = "nothing to remember"
        return outcome
    if entry.state is State.PENDING:
        outcome.saved = steps.store_extractive(entry, journal, store, index)
        if not outcome.saved:
            outcome.skipped_reason = "nothing to remember"
            return outcome
    if entry.state is State.STORED:
        if defer_summary:
            outcome.retry = True
            return _with_saved(outcome, store, entry)
        if config is None:
            journal.remove(entry.session_id)
            return _with_saved(outcome, store, entry)
        try:
            if not steps.summarize(entry, journal, store, config):
                return _with_saved(outcome, store, entry)
        except SummarizeError as exc:
            return _model_failed(outcome, entry, journal, store, exc, notify)
    if entry.state is State.SUMMARIZED:
        made = steps.apply_summary(entry, journal, store, index)
        if made:
            outcome.saved, outcome.refined = made, True
        elif entry.memory_ids:
            notify(f"aidermem: kept your changes to {entry.memory_ids[0]}; the model's summary "
                   "came after them and was dropped")
    return _with_saved(outcome, store, entry)


def _model_failed(outcome: Outcome, entry: Entry, journal: Journal, store: Store,
                  exc: SummarizeError, notify: Notify) -> Outcome:
    entry.attempts += 1
    entry.last_error = exc.reason
    outcome.error = exc.reason
    outcome.retry = entry.attempts < MAX_ATTEMPTS
    if outcome.retry:
        journal.write(entry)
        notify(f"aidermem: model summary failed ({exc.reason}); kept the extractive summary, "
               "and the next aidermem run tries the model again")
    else:
        journal.remove(entry.session_id)
        notify(f"aidermem: model summary failed ({exc.reason}); "
               f"the extractive summary is final after {entry.attempts} tries")
    return _with_saved(outcome, store, entry)


def _with_saved(outcome: Outcome, store: Store, entry: Entry) -> Outcome:
    """Fill `saved` from the store when this run did not store anything itself."""
    if not outcome.saved and entry.memory_ids:
        outcome.saved = steps.stored_memories(store, entry.memory_ids)
    return outcome


def recover(journal: Journal, notify: Notify) -> list[Entry]:
    """Entries that need work now; those of a dead aidermem are collected first.

    An entry another process is working on is still listed: whoever claims
    it next re-reads it and finds what is left to do (maybe nothing).
    """
    ready: list[Entry] = []
    for item in journal.entries():
        if isinstance(item, tuple):
            path, reason = item
            notify(f"aidermem: warning: unreadable journal entry {path}: {reason}")
            continue
        if item.state is State.RUNNING:
            if owner_alive(item):
                continue
            with journal.claim(item.session_id) as mine:
                current = journal.load(item.session_id) if mine else None
                if current is None:
                    continue  # another process has it, or just finished it
                if current.state is State.RUNNING and not collect_session(current, journal):
                    continue
                item = current
        ready.append(item)
    return ready


def spawn_background(session_ids: list[str], env: dict[str, str] | None = None) -> None:
    """Finish capture in a detached process so the terminal returns at once."""
    cmd = [sys.executable, "-m", "aidermem", "capture", "--pending"]
    for sid in session_ids:
        cmd += ["--session", sid]
    journal = Journal()
    journal.root.mkdir(parents=True, exist_ok=True, mode=0o700)
    log = journal.root / LOG_NAME
    # Its output goes to a private log beside the journal: the terminal is the user's again.
    with contextlib.suppress(OSError):
        if log.stat().st_size > LOG_MAX_BYTES:  # keep one old log, never an endless one
            log.replace(log.with_name(LOG_NAME + ".1"))
    with contextlib.suppress(OSError):
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=fd,
                stderr=fd,
                start_new_session=True,
                env=env,
                close_fds=True,
            )
        finally:
            os.close(fd)


def receipt(outcome: Outcome, *, background: bool) -> str | None:
    """The one line printed after aider exits, or None when nothing was saved."""
    if not outcome.saved:
        return None
    first = outcome.saved[0]
    extra = len(outcome.saved) - 1
    more = f" (+{extra} linked)" if extra else ""
    if outcome.refined:
        how = ""
    elif background:
        how = "; a model summary follows in the background"
    else:
        how = " [extractive]"
    return f"aidermem: saved {first.id} {first.title!r}{more}{how}"
