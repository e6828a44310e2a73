"""End-of-session capture: transcript slice -> journal -> memories -> store -> index.

The steps run in the order raw -> derived, and each records its progress in
the journal entry before the next starts, so a crash or kill at any point
leaves a state that `finish()` completes later without loss or duplicates:

  RUNNING  --collect-->  PENDING  --store_extractive-->  STORED  --refine-->  (removed)

`collect` reads what aider appended to the chat history during the session,
redacts secrets and journals the slice. `store_extractive` commits a
deterministic summary at once (fast, no network) so the user gets a receipt.
`refine` replaces it with a model's summary when a model is reachable; on
any model failure the extractive memory stands, flagged as such.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from aidermem import extractive, gitutil, redact, transcript
from aidermem.index import MemoryIndex
from aidermem.errors import NotFoundError
from aidermem.journal import Entry, Journal, State, owner_alive
from aidermem.llm import LLMConfig, SummarizeError
from aidermem.models import Memory, Tool
from aidermem.store import Store
from aidermem.summarize import SessionFacts, summarize_session, summary_to_memories

Notify = Callable[[str], None]
LOG_NAME = "background.log"


@dataclass
class Outcome:
    session_id: str
    saved: list[Memory] = field(default_factory=list)
    refined: bool = False
    skipped_reason: str | None = None
    error: str | None = None


def read_slice(history: Path, offset: int) -> str:
    """What aider appended after `offset`; the whole file if it shrank since."""
    try:
        size = history.stat().st_size
    except FileNotFoundError:
        return ""
    start = offset if size >= offset else 0
    with history.open("rb") as handle:
        handle.seek(start)
        raw = handle.read()
    return raw.decode("utf-8", errors="replace")


def collect(entry: Entry, journal: Journal) -> None:
    """RUNNING -> PENDING: journal the redacted slice and the session's git facts."""
    raw = read_slice(Path(entry.history_path), entry.history_offset)
    clean = redact.redact(raw).text
    journal.write_slice(entry.session_id, clean)
    repo = Path(entry.repo_root) if entry.repo_root else None
    head_after = gitutil.head(repo) if repo else None
    commits: list[list[str]] = []
    changed: list[str] = []
    if repo and head_after and head_after != entry.head_before:
        base = entry.head_before
        commits = [[sha, subject] for sha, subject in gitutil.commits_between(repo, base, head_after)]
        changed = gitutil.files_changed_between(repo, base, head_after)
    entry.facts = {
        "head_after": head_after,
        "git_commits": commits,
        "git_files": changed,
        "slice_chars": len(clean),
    }
    entry.state = State.PENDING
    journal.write(entry)


def _sessions(entry: Entry, journal: Journal) -> list[transcript.Session]:
    text = journal.read_slice(entry.session_id)
    return [s for s in transcript.split_sessions(text) if s.user_turns]


def has_user_messages(entry: Entry, journal: Journal) -> bool:
    return bool(_sessions(entry, journal))


def _merge_git_facts(memory: Memory, entry: Entry) -> None:
    git_commits = [f"{sha[:7]} {subject}" for sha, subject in entry.facts.get("git_commits", [])]  # type: ignore[union-attr]
    for commit in git_commits:
        sha = commit.split(" ", 1)[0]
        if not any(c.startswith(sha) or sha.startswith(c.split(" ", 1)[0]) for c in memory.commits):
            memory.commits.append(commit)
    for path in entry.facts.get("git_files", []):  # type: ignore[union-attr]
        if path not in memory.files:
            memory.files.append(str(path))


def build_extractive(entry: Entry, journal: Journal) -> list[Memory]:
    memories: list[Memory] = []
    sessions = _sessions(entry, journal)
    for number, session in enumerate(sessions):
        made = extractive.extract(
            session,
            project_id=entry.project_id,
            project_name=entry.project_name,
            transcript_path=entry.history_path,
            session_id=entry.session_id if number == 0 else f"{entry.session_id}-{number}",
            tool=Tool(entry.tool),
        )
        if made and number == len(sessions) - 1:
            _merge_git_facts(made[0], entry)
        if made and session.started is None:
            started = datetime.fromisoformat(entry.started)
            for memory in made:
                memory.created = memory.updated = started
        memories.extend(made)
    return memories


def _store_once(store: Store, index: MemoryIndex, memories: list[Memory], message: str) -> None:
    """Add memories whose ids are not in the store yet (a retry after a crash)."""
    fresh = []
    for memory in memories:
        try:
            store.path_of(memory.id)
        except NotFoundError:
            fresh.append(memory)
    if fresh:
        relpaths = store.add_many(fresh, message)
        index.upsert(list(zip(relpaths, fresh, strict=True)))


def store_extractive(entry: Entry, journal: Journal, store: Store, index: MemoryIndex) -> list[Memory]:
    """PENDING -> STORED (or removed when there was nothing to remember)."""
    memories = build_extractive(entry, journal)
    if not memories:
        journal.remove(entry.session_id)
        return []
    if entry.memory_ids and len(entry.memory_ids) == len(memories):
        for memory, fixed_id in zip(memories, entry.memory_ids, strict=True):
            _reassign_id(memories, memory, fixed_id)
    else:  # record the ids before storing, so a retry cannot duplicate them
        entry.memory_ids = [m.id for m in memories]
        journal.write(entry)
    _store_once(store, index, memories, f"session: {memories[0].title}")
    entry.state = State.STORED
    journal.write(entry)
    return memories


def _reassign_id(memories: list[Memory], memory: Memory, new: str) -> None:
    old = memory.id
    memory.id = new
    for other in memories:
        other.related = [new if r == old else r for r in other.related]


def recover(journal: Journal, notify: Notify) -> list[Entry]:
    """Entries that need work now: dead RUNNING owners are collected first."""
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
                if not mine:
                    continue
                collect(item, journal)
        ready.append(item)
    return ready


def spawn_background(session_ids: list[str], env: dict[str, str] | None = None) -> None:
    """Finish capture in a detached process so the terminal returns at once."""
    cmd = [sys.executable, "-m", "aidermem", "capture", "--pending"]
    for sid in session_ids:
        cmd += ["--session", sid]
    journal = Journal()
    journal.root.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Its output goes to a log beside the journal: the terminal is the user's again.
    with contextlib.suppress(OSError), (journal.root / LOG_NAME).open("ab") as log:
        subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            env=env,
            close_fds=True,
        )


def facts_for(entry: Entry, session: transcript.Session) -> SessionFacts:
    git_commits = [(str(sha), str(msg)) for sha, msg in entry.facts.get("git_commits", [])]  # type: ignore[union-attr]
    commits = git_commits or list(session.commits)
    edited = list(dict.fromkeys([*session.applied_files, *entry.facts.get("git_files", [])]))  # type: ignore[misc]
    return SessionFacts(
        project_id=entry.project_id,
        project_name=entry.project_name,
        commits=commits,
        files_edited=[str(p) for p in edited],
        files_added=list(session.added_files),
        remember_lines=[f"{kind}: {text}" for kind, text in session.remember],
        started=session.started_at() or datetime.fromisoformat(entry.started),
        transcript_path=entry.history_path,
        session_id=entry.session_id,
        user_turns=len(session.user_turns),
    )


def refine(
    entry: Entry,
    journal: Journal,
    store: Store,
    index: MemoryIndex,
    config: LLMConfig,
) -> list[Memory]:
    """STORED -> removed: replace the extractive session memory with a model summary.

    Raises SummarizeError when the model cannot help; the extractive memories
    already in the store then stand as the record of the session.
    """
    text = journal.read_slice(entry.session_id)
    sessions = [s for s in transcript.split_sessions(text) if s.user_turns]
    if not sessions or not entry.memory_ids:
        journal.remove(entry.session_id)
        return []
    facts = facts_for(entry, sessions[-1])
    summary = summarize_session(config, transcript=text, facts=facts)
    made = summary_to_memories(summary, facts, tool=Tool(entry.tool))
    session_id_to_keep = entry.memory_ids[0]
    _reassign_id(made, made[0], session_id_to_keep)
    _, old = store.find(session_id_to_keep)
    session_memory = made[0]
    session_memory.created = old.created
    session_memory.related = list(dict.fromkeys([*old.related, *session_memory.related]))
    # The summary's linked memories get fresh ids recorded before storing (retry-safe).
    extra_ids = entry.facts.get("refined_ids")
    if isinstance(extra_ids, list) and len(extra_ids) == len(made) - 1:
        for memory, fixed in zip(made[1:], extra_ids, strict=True):
            _reassign_id(made, memory, str(fixed))
    else:
        entry.facts["refined_ids"] = [m.id for m in made[1:]]
        journal.write(entry)
    relpath = store.update(session_memory, f"session (summarized): {session_memory.title}")
    index.upsert([(relpath, session_memory)])
    _store_once(store, index, made[1:], f"session notes: {session_memory.title}")
    journal.remove(entry.session_id)
    return made


def finish(
    entry: Entry,
    journal: Journal,
    *,
    store: Store,
    index: MemoryIndex,
    config: LLMConfig | None,
    notify: Notify,
) -> Outcome:
    """Run whatever steps remain for `entry`. Never raises for model failures."""
    outcome = Outcome(entry.session_id)
    if entry.state is State.RUNNING:
        collect(entry, journal)
    if entry.state is State.PENDING:
        outcome.saved = store_extractive(entry, journal, store, index)
        if not outcome.saved:
            outcome.skipped_reason = "no user messages"
            return outcome
    if entry.state is State.STORED:
        if config is None:
            journal.remove(entry.session_id)
            return outcome
        try:
            made = refine(entry, journal, store, index, config)
        except SummarizeError as exc:
            entry.attempts += 1
            entry.last_error = exc.message
            notify(f"aidermem: model summary failed ({exc.message}); kept the extractive summary")
            journal.remove(entry.session_id)
            outcome.error = exc.message
            return outcome
        if made:
            outcome.saved = made
            outcome.refined = True
    return outcome


def receipt(outcome: Outcome, *, background: bool) -> str | None:
    if not outcome.saved:
        return None
    first = outcome.saved[0]
    extra = len(outcome.saved) - 1
    more = f" (+{extra} linked)" if extra else ""
    tail = "; a model summary follows in the background" if background else ""
    how = "" if outcome.refined else " [extractive]" if not background else ""
    return f"aidermem: saved {first.id} {first.title!r}{more}{how}{tail}"
