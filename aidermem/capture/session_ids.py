"""Which aider session a stretch of history is, and which ones the user chose not to save.

A session's id (transcript.session_key) is made from the history file's identity, so
live capture and a later `aidermem import` of the same file agree on it, in any clone. Sessions the
user kept out of memory (`--mem-off`, `--mem-no-capture`/`capture = "off"`, "no" at
the save question) are remembered here by that id alone, one line each in
`<data dir>/unsaved-sessions`, so that import leaves them out too.

Never stores a session's text, not even redacted: only its id, why, and when. The
record is per user (the data dir), not in the store, which may be shared with a team.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from aidermem import paths
from aidermem.capture import transcript
from aidermem.project import identify
from aidermem.redaction import redact

UNSAVED_NAME = "unsaved-sessions"


def history_identity(path: Path | str) -> str:
    """The history file as one string, however it was named (relative, `~`, a symlink).

    In a git repository: the project's identity (its remote) and the file's path in the
    repo, the same in every clone, so a history committed by a teammate or a repo moved
    elsewhere still names the same sessions; outside any repo, the file's real path.
    """
    real = Path(path).expanduser().resolve()
    project = identify(real.parent) if real.parent.is_dir() else None
    if project is not None and project.root is not None and real.is_relative_to(project.root):
        return f"{project.id}:{real.relative_to(project.root).as_posix()}"
    return str(real)


def key_of(history: Path | str, session: transcript.Session) -> str:
    return transcript.session_key(history_identity(history), session)


def unsaved_file() -> Path:
    return paths.data_dir() / UNSAVED_NAME


def unsaved_keys() -> set[str]:
    """The ids of every session recorded as not to be saved."""
    try:
        text = unsaved_file().read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, NotADirectoryError):
        return set()
    return {line.split("\t", 1)[0] for line in text.splitlines() if line.strip()}


def record_unsaved(keys: Iterable[str], reason: str) -> None:
    """Append the ids in one write (O_APPEND: concurrent aidermems never interleave a line)."""
    stamp = datetime.now(UTC).replace(microsecond=0).isoformat()
    lines = "".join(f"{key}\t{reason}\t{stamp}\n" for key in keys)
    if not lines:
        return
    target = unsaved_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, lines.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def own_session_keys(history: Path | str, text: str) -> list[str]:
    """The id of the session a live run appended as `text` (already redacted), if it
    holds any user input. Only the first session: a later header in the same stretch
    is another aider writing to the same file (see capture_steps.own_transcript)."""
    sessions = transcript.parse_slice(text)[:1]
    return [key_of(history, s) for s in sessions if s.user_turns]


def record_unsaved_run(history: Path, offset: int, reason: str) -> None:
    """Record the session aider appended to `history` after `offset` as not to be saved.

    Reads the appended part only to compute its id; nothing of it is kept.
    """
    try:
        with history.open("rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(offset if size >= offset else 0)
            raw = handle.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return  # aider wrote no history: nothing to import later either
    clean = redact.redact(raw.decode("utf-8", errors="replace")).text
    record_unsaved(own_session_keys(history, clean), reason)
