"""Import an existing `.aider.chat.history.md` into the memory store.

Reads the file, redacts it, splits it into sessions and stores one memory set
per session worth remembering, dated by the session header. Re-importing the
same file adds nothing: each session gets a deterministic id (project id +
header time + the start of its redacted text) and sessions the index already
knows are skipped.

Order per session: store commit first (the truth), then the index (a cache).
If indexing fails after a commit, the next run's `index.sync()` picks the
commit up before the duplicate check, so nothing is stored twice. Never
writes unredacted text anywhere, never calls a model itself (`summarize` is
the caller's), never changes the history file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from aidermem import extractive, redact, transcript
from aidermem.errors import AidermemError, NotFoundError, UsageError
from aidermem.models import Memory, Tool
from aidermem.summarize import SessionFacts

if TYPE_CHECKING:
    from aidermem.index import MemoryIndex
    from aidermem.project import Project
    from aidermem.store import Store

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
    memories: int = 0
    summarized: int = 0  # sessions the `summarize` callable handled
    summarize_errors: list[str] = field(default_factory=list)  # fell back to extractive
    redactions: int = 0
    redaction_kinds: tuple[str, ...] = ()
    paths: list[str] = field(default_factory=list)


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
    clean = redact.redact(text)  # before anything else sees the text
    report = ImportReport(path=path, redactions=clean.count, redaction_kinds=clean.kinds)
    sessions = transcript.split_sessions(clean.text)
    report.sessions = len(sessions)
    transcript_path = str(path.resolve())
    fallback_date = _fallback_date(sessions, path, tz)
    index.sync()  # learn commits an earlier, interrupted import made
    seen: set[str] = set()
    for session in sessions:
        if session.trivial:
            report.trivial += 1
            continue
        sid = transcript.session_key(project.id, session)
        # Also skips a session aidermem captured live (its memories carry this key).
        if sid in seen or index.has_session(sid) or index.has_conversation(sid):
            report.duplicates += 1
            continue
        seen.add(sid)
        memories = _memories(session, sid, project, transcript_path, tool, summarize, tz, report)
        if not memories:
            report.trivial += 1
            continue
        if session.started is None:
            for memory in memories:
                memory.created = memory.updated = fallback_date
        relpaths = store.add_many(memories, message=f"import: {memories[0].title}")
        index.upsert(list(zip(relpaths, memories, strict=True)))
        report.imported += 1
        report.memories += len(memories)
        report.paths.extend(relpaths)
    return report


def _memories(
    session: transcript.Session,
    sid: str,
    project: Project,
    transcript_path: str,
    tool: Tool,
    summarize: Summarizer | None,
    tz: tzinfo | None,
    report: ImportReport,
) -> list[Memory]:
    started = session.started_at(tz)
    if summarize is not None:
        facts = SessionFacts(
            project_id=project.id,
            project_name=project.name,
            commits=list(session.commits),
            files_edited=list(session.applied_files),
            files_added=list(session.added_files),
            remember_lines=[f"{kind}: {text}" for kind, text in session.remember],
            started=started,
            transcript_path=transcript_path,
            session_id=sid,
            user_turns=len(session.user_turns),
        )
        try:
            made = summarize(session.text, facts)
        except AidermemError as exc:
            report.summarize_errors.append(exc.message)
            made = None
        if made:
            report.summarized += 1
            for memory in made:
                # The dedupe key and the date must hold whatever the summarizer did.
                memory.source.session_id = sid
                if started is not None:
                    memory.created = memory.updated = started
            return made
    return extractive.extract(
        session,
        project_id=project.id,
        project_name=project.name,
        transcript_path=transcript_path,
        session_id=sid,
        tool=tool,
        tz=tz,
    )


def _fallback_date(sessions: list[transcript.Session], path: Path, tz: tzinfo | None) -> datetime:
    """For a headerless start of file: the first header's time, else the file's mtime."""
    for session in sessions:
        started = session.started_at(tz)
        if started is not None:
            return started
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
