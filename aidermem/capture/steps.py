"""The steps of capture, one journal state each: slice -> extractive -> summary -> stored.

    RUNNING    --collect-->            PENDING
    PENDING    --store_extractive-->   STORED      (or removed: nothing to remember)
    STORED     --summarize-->          SUMMARIZED  (the model's memories, journaled)
    SUMMARIZED --apply_summary-->      removed

Each step writes its result (the redacted slice, the ids it is about to use,
the model's memories) to the journal *before* it touches the store, and
moves the entry to the next state only after the store has it, so a crash at
any point leaves a state that simply runs again: same ids, same memories, no
duplicates, no second model call for a summary already received.

Callers hold the entry's claim (journal.claim) around every step. Which steps
run, and what happens when the model fails, is capture.py's business; this
module never spawns processes and never prints.
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import datetime
from pathlib import Path

from aidermem import gitutil
from aidermem.capture import extractive, own_history, session_ids, transcript
from aidermem.capture.journal import Entry, Journal, State
from aidermem.capture.llm import LLMConfig
from aidermem.capture.summarize import SessionFacts, summarize_session, summary_to_memories
from aidermem.errors import IndexBusyError, IndexWriteError, MemoryFileError, NotFoundError
from aidermem.index.memory_index import MemoryIndex
from aidermem.models import Memory, Method, Tool
from aidermem.redaction import redact
from aidermem.store.store import Store


def read_slice(history: Path, offset: int) -> str:
    """What aider appended after `offset`; the whole file if it shrank since.

    Bytes that are not UTF-8 become U+FFFD: a transcript is never refused.
    """
    try:
        with history.open("rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(offset if size >= offset else 0)
            raw = handle.read()
    except (FileNotFoundError, IsADirectoryError):
        return ""
    return raw.decode("utf-8", errors="replace")


# -- RUNNING -> PENDING --------------------------------------------------------


def collect(entry: Entry, journal: Journal) -> None:
    """Journal the redacted slice and the session's git facts; hand the session's own
    history on to the user's history file."""
    own = Path(entry.own_history) if entry.own_history else None
    if own is not None:
        data = own_history.read_from(own, entry.history_offset)
        raw = data.decode("utf-8", errors="replace")
    else:
        raw = read_slice(Path(entry.history_path), entry.history_offset)
    clean = redact.redact(raw).text  # secrets never reach the journal, let alone the store
    journal.write_slice(entry.session_id, clean)
    if own is not None:
        if entry.handed_on_at is None:  # recorded first: a retry then finds what it appended
            entry.handed_on_at = own_history.user_size(Path(entry.history_path))
            journal.write(entry)
        own_history.hand_on(data, Path(entry.history_path), entry.handed_on_at)
    repo = Path(entry.repo_root) if entry.repo_root else None
    head_after = gitutil.head(repo) if repo and repo.is_dir() else None
    commits: list[list[str]] = []
    changed: list[str] = []
    if repo and head_after and head_after != entry.head_before:
        base = entry.head_before
        commits = [[sha, redact.redact(subject).text]
                   for sha, subject in gitutil.commits_between(repo, base, head_after)]
        changed = gitutil.files_changed_between(repo, base, head_after)
    entry.facts = {
        "head_after": head_after,
        "git_commits": commits,
        "git_files": changed,
        "slice_chars": len(clean),
    }
    entry.state = State.PENDING
    journal.write(entry)
    if own is not None:  # its text is in the journal and in the user's history now
        own.unlink(missing_ok=True)


def own_transcript(entry: Entry, journal: Journal) -> tuple[str, list[transcript.Session]]:
    """This session's part of the journaled slice, and its sessions that hold user input.

    One aider run writes one "aider chat started" header, so the slice's first
    session is this one. With its own history file that is all of it; in an entry
    without one (an older aidermem's), a further header is another aider appending
    to the same history file meanwhile: from there on the text is not (only) this
    session's, and that aider's own aidermem, if any, captures it.
    """
    text = journal.read_slice(entry.session_id)
    own = transcript.parse_slice(text)[:1]
    end = own[0].end if own else 0
    return text[:end], [s for s in own if s.user_turns]


def sessions_of(entry: Entry, journal: Journal) -> list[transcript.Session]:
    """This session's aider sessions in the journaled slice that hold any user input."""
    return own_transcript(entry, journal)[1]


def worth_saving(entry: Entry, journal: Journal) -> bool:
    """Did the session ask the model anything, commit, or note something?"""
    return any(not s.trivial for s in sessions_of(entry, journal))


# -- PENDING -> STORED ---------------------------------------------------------


def build_extractive(entry: Entry, journal: Journal) -> list[Memory]:
    """Deterministic memories for the session (fresh ids); [] if nothing to remember."""
    sessions = sessions_of(entry, journal)
    if not sessions:
        return []
    session = sessions[0]
    made = extractive.extract(session, _origin(entry, session), project_id=entry.project_id,
                              project_name=entry.project_name)
    if made:
        _merge_git_facts(made[0], entry)
        _link_code(made[0], entry, session)
    if made and session.started is None:  # a slice without aider's header: no start time
        started = datetime.fromisoformat(entry.started)
        for memory in made:
            memory.created = memory.updated = started
    return made


def store_extractive(entry: Entry, journal: Journal, store: Store, index: MemoryIndex
                     ) -> list[Memory]:
    """Commit the extractive memories; [] (and the entry removed) when there are none."""
    memories = build_extractive(entry, journal)
    if not memories:
        journal.remove(entry.session_id)
        return []
    if len(entry.memory_ids) == len(memories):  # a retry: the ids were fixed last time
        for memory, fixed_id in zip(memories, entry.memory_ids, strict=True):
            reassign_id(memories, memory, fixed_id)
    else:  # record the ids before storing, so a retry cannot duplicate them
        entry.memory_ids = [m.id for m in memories]
        journal.write(entry)
    store_once(store, index, memories, f"session: {memories[0].title}")
    entry.facts["session_sha256"] = _file_sha(store, entry.memory_ids[0])
    entry.state = State.STORED
    journal.write(entry)
    return memories


# -- STORED -> SUMMARIZED ------------------------------------------------------


def summarize(entry: Entry, journal: Journal, store: Store, config: LLMConfig) -> bool:
    """Ask the model and journal the memories it makes; False when there is no point.

    No point: nothing to summarize, or the session memory was deleted or
    edited since it was stored (the user's version stands); the entry is
    then removed. Raises SummarizeError when the model fails; the entry is
    left as it was.
    """
    text, sessions = own_transcript(entry, journal)
    old = _untouched_session_memory(entry, store)
    if not sessions or old is None:
        journal.remove(entry.session_id)
        return False
    facts = facts_for(entry, sessions[-1])
    summary = summarize_session(config, transcript=text, facts=facts)
    made = summary_to_memories(summary, facts, tool=Tool(entry.tool))
    reassign_id(made, made[0], old.id)  # the summary replaces the extractive session memory
    session = made[0]
    session.related = list(dict.fromkeys([*old.related, *session.related]))
    session.author = old.author
    session.links, session.symbols = old.links, old.symbols  # taken at the session's end
    for memory in made:  # filed under the session's date, like the memory it replaces
        memory.created = memory.updated = old.created
    journal.write_summary(entry.session_id, [m.model_dump(mode="json") for m in made])
    entry.state = State.SUMMARIZED
    journal.write(entry)
    return True


def facts_for(entry: Entry, session: transcript.Session) -> SessionFacts:
    return SessionFacts.of(
        session,
        _origin(entry, session),
        project_id=entry.project_id,
        project_name=entry.project_name,
        started=session.started_at() or datetime.fromisoformat(entry.started),
        commits=_git_commits(entry),
        also_edited=_git_files(entry),
    )


def _origin(entry: Entry, session: transcript.Session) -> extractive.Origin:
    return extractive.Origin(
        session_id=entry.session_id,
        transcript_path=entry.history_path,
        tool=Tool(entry.tool),
        conversation_id=session_ids.key_of(entry.history_path, session),
    )


# -- SUMMARIZED -> removed -----------------------------------------------------


def apply_summary(entry: Entry, journal: Journal, store: Store, index: MemoryIndex
                  ) -> list[Memory]:
    """Replace the session memory with the journaled summary and add its linked memories.

    [] (and the entry removed) when the user edited, forgot or deleted the session
    memory since it was stored: their version stands, and none of the summary is kept.
    The model may answer long after `summarize` checked, so the check is made again
    here, under the store lock, against the file as it is at this moment.
    """
    made = [Memory.model_validate(data) for data in journal.read_summary(entry.session_id)]
    session = made[0]
    with store.lock():  # reentrant: update() takes it again
        if _untouched_session_memory(entry, store) is None and not _applied(store, session):
            journal.remove(entry.session_id)
            return []
        relpath = store.update(session, f"session (summarized): {session.title}")
    _index(index, [(relpath, session)])
    store_once(store, index, made[1:], f"session notes: {session.title}")
    journal.remove(entry.session_id)
    return made


# -- shared --------------------------------------------------------------------


def store_once(store: Store, index: MemoryIndex, memories: list[Memory], message: str) -> None:
    """Add the memories whose ids are not in the store yet (a retry after a crash)."""
    fresh = []
    for memory in memories:
        try:
            store.path_of(memory.id)
        except NotFoundError:
            fresh.append(memory)
    if fresh:
        relpaths = store.add_many(fresh, message)
        _index(index, list(zip(relpaths, fresh, strict=True)))


def reassign_id(memories: list[Memory], memory: Memory, new: str) -> None:
    """Give `memory` the id `new`, keeping the links between `memories` intact."""
    old = memory.id
    memory.id = new
    for other in memories:
        other.related = [new if r == old else r for r in other.related]


def stored_memories(store: Store, ids: list[str]) -> list[Memory]:
    """The memories with these ids that are still in the store, in that order."""
    found = []
    for memory_id in ids:
        try:
            found.append(store.load(store.path_of(memory_id)))
        except (NotFoundError, MemoryFileError):
            continue
    return found


def _index(index: MemoryIndex, pairs: list[tuple[str, Memory]]) -> None:
    # The store is the truth: the next sync indexes what a busy index missed.
    with contextlib.suppress(IndexBusyError, IndexWriteError):
        index.upsert(pairs)


def _merge_git_facts(memory: Memory, entry: Entry) -> None:
    for sha, subject in _git_commits(entry):
        short = sha[:7]
        if not any(c.startswith(short) or short.startswith(c.split(" ", 1)[0])
                   for c in memory.commits):
            memory.commits.append(f"{short} {subject}")
    for path in _git_files(entry):
        if path not in memory.files:
            memory.files.append(path)


def _link_code(memory: Memory, entry: Entry, session: transcript.Session) -> None:
    from aidermem.capture.code_links import session_links

    edited = list(dict.fromkeys([*session.applied_files, *_git_files(entry)]))
    root = Path(entry.repo_root) if entry.repo_root else None
    # What the user and the model said; aider's own output (lint reports, file listings)
    # names every function near an edit and would link them all.
    said = "\n".join([*session.user_turns, *session.assistant_blocks])
    memory.links = session_links(root, edited, said, Path(entry.store_root))
    memory.symbols = [link.label() for link in memory.links if link.symbol]


def _untouched_session_memory(entry: Entry, store: Store) -> Memory | None:
    """The stored extractive session memory, or None if it was deleted or edited since."""
    if not entry.memory_ids:
        return None
    try:
        relpath = store.path_of(entry.memory_ids[0])
        memory = store.load(relpath)
    except (NotFoundError, MemoryFileError):
        return None
    recorded = entry.facts.get("session_sha256")
    if recorded is not None and recorded != _file_sha(store, memory.id):
        return None
    return memory if memory.source.method == Method.EXTRACTIVE else None


def _applied(store: Store, summary: Memory) -> bool:
    """Is the stored session memory this summary already (a retry after a crash)?"""
    try:
        current = store.load(store.path_of(summary.id))
    except (NotFoundError, MemoryFileError):
        return False
    return (current.source.method == Method.LLM and current.status == summary.status
            and (current.title, current.body.strip()) == (summary.title, summary.body.strip()))


def _file_sha(store: Store, memory_id: str) -> str | None:
    try:
        return hashlib.sha256((store.root / store.path_of(memory_id)).read_bytes()).hexdigest()
    except (NotFoundError, OSError):
        return None


def _git_commits(entry: Entry) -> list[tuple[str, str]]:
    value = entry.facts.get("git_commits")
    items = value if isinstance(value, list) else []
    return [(str(item[0]), str(item[1])) for item in items
            if isinstance(item, list | tuple) and len(item) == 2]


def _git_files(entry: Entry) -> list[str]:
    value = entry.facts.get("git_files")
    return [str(path) for path in value] if isinstance(value, list) else []
