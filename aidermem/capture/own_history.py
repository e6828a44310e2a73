"""Each captured session's own chat history file, handed on to the user's at the end.

aider appends to one `.aider.chat.history.md` per repo, in small writes that
say nothing about which aider made them: two aiders in one repo interleave
their turns there, and no reading of that file can tell them apart. So the
launcher gives the aider it starts a history file of its own (passed last as
`--chat-history-file`, in the private journal dir) and the session's
transcript is read from it: exactly this aider's turns, whatever else runs.
When the session is collected, that text is appended, in one write, to the
history file the user configured, so the user's file still gets every
session (each one whole, in the order they end) and `aidermem import` reads
it as before. With `--restore-chat-history` the own file starts as a copy of
the user's, so aider restores from the same history it would have read.

Never: change, reorder or drop anything the user's history file holds, or
append a session to it twice (a crash between the append and the journal
entry's next state is detected by looking for the text after where it was
due); nor remove the own file before its text has been handed on.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PREFIX = "history-"  # + "<pid>-<random>.md" in the journal dir
OPTION = "--chat-history-file"


def path_for(journal_root: Path) -> Path:
    """Where the next session's own history goes (made before aider starts, so no ULID)."""
    return journal_root / f"{PREFIX}{os.getpid()}-{os.urandom(5).hex()}.md"


def prepare(own: Path, user_history: Path, *, restore: bool) -> int:
    """Make the own file's directory private, seed it when aider restores from the
    user's history; return where the session's own text will start. Raises OSError."""
    own.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not restore:
        return 0
    try:
        seed = user_history.read_bytes()
    except OSError:  # none yet (or unreadable): aider would restore nothing either
        return 0
    fd = os.open(own, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        _write_all(fd, seed)
    finally:
        os.close(fd)
    return len(seed)


def flag(own: Path) -> str:
    # `--opt=value`: a path that starts with "-" must not read as an option.
    return f"{OPTION}={own}"


def with_flag(aider_argv: list[str], own: Path) -> list[str]:
    """aider's argv with our history file last among its options (so it wins), but
    before a bare `--`, after which aider reads every word as a file name."""
    if "--" in aider_argv:
        cut = aider_argv.index("--")
        return [*aider_argv[:cut], flag(own), *aider_argv[cut:]]
    return [*aider_argv, flag(own)]


def read_from(own: Path, offset: int) -> bytes:
    """What aider wrote to its own history after `offset` (b"" if it wrote nothing)."""
    try:
        with own.open("rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(offset if size >= offset else 0)
            return handle.read()
    except (FileNotFoundError, IsADirectoryError):
        return b""


def user_size(user_history: Path) -> int:
    try:
        return user_history.stat().st_size
    except OSError:
        return 0


def hand_on(text: bytes, user_history: Path, due_at: int) -> None:
    """Append `text` to the user's history file, unless it is there already after
    `due_at` (its size when this hand-on was first tried). Raises OSError."""
    if not text:
        return
    with contextlib.suppress(FileNotFoundError), user_history.open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(min(due_at, size))
        if text in handle.read():
            return  # appended before a crash: never twice
    user_history.parent.mkdir(parents=True, exist_ok=True)
    # O_APPEND and one write: the text lands whole after whatever another aider appended.
    fd = os.open(user_history, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)  # as aider's
    try:
        _write_all(fd, text)
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
