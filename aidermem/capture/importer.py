"""Import an existing `.aider.chat.history.md` into the memory store.

Reads the file, redacts it, splits it into sessions and stores one memory set
per session worth remembering, dated by the session header. Re-importing the
same file adds nothing: each session gets a deterministic id (the history
file + header time + the first user turns, see transcript.session_key), the
same one live capture gives it, and sessions the index already knows are
skipped, as are those the user chose not to save (session_ids).

Order per session: store commit first (the truth), then the index (a cache).
The "already imported" check is repeated under the store lock, after an
index sync, right before the commit: two imports of one file at once store
each session once. Never writes unredacted text anywhere, never calls a
model itself (`summarize` is the caller's), never changes the history file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from aidermem import gitutil
from aidermem.capture import extractive, session_ids, transcript
from aidermem.capture.summarize import SessionFacts
from aidermem.errors import (
    AidermemError,
    IndexBusyError,
    IndexWriteError,
    NotFoundError,
    UsageError,
)
from aidermem.models import Memory, Tool
from aidermem.redaction import redact

if TYPE_CHECKING:
    from aidermem.index.memory_index import MemoryIndex
    from aidermem.project import Project
    from aidermem.store.store import Store

HISTORY_NAME = ".aider.chat.history.md"

Summarizer = Callable[[str, SessionFacts], list[Memory] | None]


@dataclass
class ImportReport:
    """What one import did; `paths` are the store-relative files written."""

    path: Path
    sessions: int = 0  # sessions found in the file
    imported: int = 0  # sessions stored now
    trivial: int = 0  # skipped: nothing to remember (no request, commit or note)
    duplicates: int = 0  # skipped: imported before (or twice in this file)
    unsaved: int = 0  # skipped: aidermem ran it with memory off, or the user declined to save
    memories: int = 0
    summarized: int = 0  # sessions the `summarize` callable handled
    summarize_errors: list[str] = field(default_factory=list)  # fell back to extractive
    redactions: int = 0
    redaction_kinds: tuple[str, ...] = ()
    paths: list[str] = field(default_factory=list)
    index_behind: str = ""  # why the index missed some of them (the store has them all)


class NotAHistoryError(UsageError):
    """The file has text, but none of it is what aider writes to a chat history."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path} is not an aider chat history (no '# aider chat started at' header and "
            "no '#### ' input lines)",
            f"pass the {HISTORY_NAME} file aider wrote; nothing was imported from this one",
        )


# What only a chat history has: aider's session header, a line of user input (aider ends
# each with two spaces, which tells it from a Markdown heading), or aider's own output.
_HISTORY_MARK = re.compile(
    r"^(?:# aider chat started at \d{4}-|#### [^\n]*?  \r?$"
    r"|> (?:Aider v\d|Applied edit to |Commit [0-9a-f]{7,40} |Tokens: ))",
    re.MULTILINE,
)


def is_history(text: str) -> bool:
    """Whether `text` could be an aider chat history (an empty file is one, with no sessions)."""
    return not text.strip() or bool(_HISTORY_MARK.search(text))


def read_history(path: Path) -> str:
    """The file as text; undecodable bytes become U+FFFD rather than an error, and NUL
    bytes (a crash can leave a run of them) are dropped: no memory file or commit can
    hold one."""
    path = Path(path).expanduser()
    if path.is_dir():
        inside = path / HISTORY_NAME
        hint = f"did you mean {inside}?" if inside.is_file() else f"pass the {HISTORY_NAME} file"
        raise UsageError(f"{path} is a directory, not an aider chat history", hint)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(
            f"no chat history at {path}", f"check the path; aider writes {HISTORY_NAME}"
        ) from None
    except OSError as exc:
        raise AidermemError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # saved as UTF-16 by some Windows editors
        return raw.decode("utf-16", errors="replace").replace("\x00", "")
    return raw.decode("utf-8", errors="replace").removeprefix("\ufeff").replace("\x00", "")


def import_history(
    path: Path,
    store: Store,
    index: MemoryIndex,
    *,
    project: Project,
    tool: Tool = Tool.IMPORT,
    summarize: Summarizer | None = None,
    tz: tzinfo | None = None,
) -> ImportReport:
    """Store the memories of every non-trivial, not yet imported session in `path`.

    `summarize(session_text, facts)` may return memories (an LLM summary) or
    None to fall back to the extractive summary; an AidermemError it raises
    is recorded in the report and also falls back. `tz` is the zone the
    headers' local times are read in (None: this machine's).
    """
    path = Path(path).expanduser()
    text = read_history(path)
    if not is_history(text):
        raise NotAHistoryError(path)
    clean = redact.redact(text)  # before anything else sees the text
    del text  # one copy of a huge file at a time
    report = ImportReport(path=path, redactions=clean.count, redaction_kinds=clean.kinds)
    sessions = transcript.split_sessions(clean.text)
    report.sessions = len(sessions)
    transcript_path = str(path.resolve())
    history_id = session_ids.history_identity(path)
    unsaved = session_ids.unsaved_keys()
    fallback_date: datetime | None = None
    _catch_up(index)  # learn commits an earlier, interrupted import made
    seen: set[str] = set()
    for session in sessions:
        if session.trivial:
            report.trivial += 1
            continue
        sid = transcript.session_key(history_id, session)
        keys = (sid, transcript.legacy_session_key(project.id, session))
        if sid in unsaved:
            report.unsaved += 1
            continue
        # Also skips a session aidermem captured live (its memories carry this key).
        if sid in seen or _known(index, keys):
            report.duplicates += 1
            continue
        seen.add(sid)
        origin = extractive.Origin(session_id=sid, transcript_path=transcript_path, tool=tool)
        memories = _memories(session, origin, project, summarize, tz, report)
        if not memories:
            report.trivial += 1
            continue
        if session.started is None:
            fallback_date = fallback_date or _fallback_date(sessions, path, tz)
            for memory in memories:
                memory.created = memory.updated = fallback_date
        with store.lock():
            # Another import may have stored it since the check above.
            _catch_up(index)
            if _known(index, keys):
                report.duplicates += 1
                continue
            relpaths = store.add_many(memories, message=f"import: {memories[0].title}")
        try:  # the commit is the truth; the next sync indexes what this misses
            index.upsert(list(zip(relpaths, memories, strict=True)))
        except (IndexBusyError, IndexWriteError) as exc:
            report.index_behind = exc.message
        report.imported += 1
        report.memories += len(memories)
        report.paths.extend(relpaths)
    return report


def _known(index: MemoryIndex, keys: tuple[str, ...]) -> bool:
    return any(index.has_session(key) or index.has_conversation(key) for key in keys)


def _memories(
    session: transcript.Session,
    origin: extractive.Origin,
    project: Project,
    summarize: Summarizer | None,
    tz: tzinfo | None,
    report: ImportReport,
) -> list[Memory]:
    started = session.started_at(tz)
    if summarize is not None:
        facts = SessionFacts.of(session, origin, project_id=project.id,
                                project_name=project.name, started=started)
        try:
            made = summarize(session.text, facts)
        except AidermemError as exc:
            report.summarize_errors.append(exc.message)
            made = None
        if made:
            report.summarized += 1
            for memory in made:
                # The dedupe key and the date must hold whatever the summarizer did.
                memory.source.session_id = origin.session_id
                if started is not None:
                    memory.created = memory.updated = started
            return made
    return extractive.extract(session, origin, project_id=project.id,
                              project_name=project.name, tz=tz)


def _catch_up(index: MemoryIndex) -> None:
    """Bring the index up to the store's commits; when it cannot be written (busy with a long
    reindex, a full disk), read the store's files instead, so a duplicate is still seen."""
    try:
        index.sync()
    except (IndexBusyError, IndexWriteError):
        index.refresh(exact=True)


def _fallback_date(sessions: list[transcript.Session], path: Path, tz: tzinfo | None) -> datetime:
    """For a headerless start of file: the first header's time; without any header, when
    the file entered git (its first commit), else its mtime. Never simply today."""
    for session in sessions:
        started = session.started_at(tz)
        if started is not None:
            return started
    return _git_added(path) or datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(
        microsecond=0)


def _git_added(path: Path) -> datetime | None:
    """The author date of the oldest commit that has the file, if git tracks it."""
    folder = path.resolve().parent
    if gitutil.git_root(folder) is None:
        return None
    code, out, _ = gitutil.run_git_full(
        ["log", "--follow", "--format=%aI", "--", path.name], folder, check=False)
    dates = out.split()
    if code != 0 or not dates:
        return None
    try:
        return datetime.fromisoformat(dates[-1])
    except ValueError:
        return None
