"""The capture journal: what guarantees no session is ever lost.

Before aider starts, an entry records where this session's transcript will
begin (history file and offset) and the repo's HEAD. When aider exits, the
redacted transcript slice is written next to the entry before anything
summarizes it; a model's summary is journaled too before any of it is
stored. While aider runs, it writes the session's raw transcript to a history
file of its own here (own_history.py), removed once collected. An entry is
removed only once its memories are committed and indexed (states: running ->
pending -> stored -> summarized, see capture.py). A
killed aidermem leaves a `running` entry whose owner is dead; the next
aidermem run (or `aidermem capture --pending`) finishes it.

This module only reads and writes journal files (atomically, one lock per
entry). Apart from a running session's own history (raw, like the user's
history file, in this private dir), it never holds secrets: the slice it stores
is already redacted, and API keys are never part of an entry.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

from aidermem import paths, private
from aidermem.atomic import write_atomic
from aidermem.procs import pid_alive


class State(StrEnum):
    RUNNING = "running"  # aider is (or was) running; slice not read yet
    PENDING = "pending"  # slice journaled; memories not stored yet
    STORED = "stored"  # extractive memories stored; model summary still owed
    SUMMARIZED = "summarized"  # the model's memories journaled; not stored yet


def _hostname() -> str:
    return os.uname().nodename  # what socket.gethostname() says, without importing socket


@dataclass
class Entry:
    session_id: str
    state: State
    started: str  # ISO 8601, aware
    cwd: str
    repo_root: str | None
    project_id: str
    project_name: str
    store_root: str
    history_path: str  # the user's chat history file, which gets the session in the end
    history_offset: int  # where the session's text starts in own_history (else history_path)
    head_before: str | None
    owner_pid: int
    owner_host: str = field(default_factory=_hostname)
    # Which process had owner_pid (boot id + start time): a pid is reused after it dies.
    owner_start: str | None = None
    main_model: str | None = None
    weak_model: str | None = None
    summary_model: str | None = None
    api_base: str | None = None
    dotenv_files: list[str] = field(default_factory=list)  # where aider's keys came from
    tool: str = "aider"
    memory_ids: list[str] = field(default_factory=list)  # assigned before storing
    facts: dict[str, object] = field(default_factory=dict)
    attempts: int = 0
    last_error: str | None = None
    # The history file this session's aider wrote alone (own_history.py); None: aider
    # wrote to history_path directly (capture by an older aidermem).
    own_history: str | None = None
    handed_on_at: int | None = None  # history_path's size when the hand-on was first tried

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Entry:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        entry = cls(**known)  # type: ignore[arg-type]
        entry.state = State(entry.state)
        return entry


class Journal:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root or paths.journal_dir()

    def _entry_path(self, session_id: str) -> Path:
        return self.root / f"{session_id}.json"

    def slice_path(self, session_id: str) -> Path:
        return self.root / f"{session_id}.slice.md"

    def write(self, entry: Entry) -> None:
        private.make_dirs(self.root)
        _atomic_write(self._entry_path(entry.session_id), json.dumps(asdict(entry), indent=1))

    def write_slice(self, session_id: str, text: str) -> None:
        private.make_dirs(self.root)
        _atomic_write(self.slice_path(session_id), text)

    def read_slice(self, session_id: str) -> str:
        return self.slice_path(session_id).read_text(encoding="utf-8")

    def summary_path(self, session_id: str) -> Path:
        return self.root / f"{session_id}.summary.json"

    def write_summary(self, session_id: str, memories: list[dict[str, object]]) -> None:
        """The model's memories, as JSON, before any of them is stored (retry-safe)."""
        _atomic_write(self.summary_path(session_id), json.dumps(memories, indent=1))

    def read_summary(self, session_id: str) -> list[dict[str, object]]:
        data = json.loads(self.summary_path(session_id).read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise ValueError("a journaled summary is a JSON list")
        return data

    def load(self, session_id: str) -> Entry | None:
        try:
            data = json.loads(self._entry_path(session_id).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return Entry.from_json(data)

    def has_entries(self) -> bool:
        """Cheap: is there any entry file at all (before paying for reading them)?"""
        if not self.root.is_dir():
            return False
        return any(
            not p.name.startswith(".") and "." not in p.stem for p in self.root.glob("*.json")
        )

    def entries(self) -> Iterator[Entry | tuple[Path, str]]:
        """Every entry, oldest first; an unreadable one is yielded as (path, reason)."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("*.json")):
            if path.name.startswith(".") or "." in path.stem:
                continue  # a temp file left by a crash, or a summary beside its entry
            try:
                yield Entry.from_json(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError) as exc:
                yield path, str(exc)

    def remove(self, session_id: str) -> None:
        # The entry goes last: until then, the files beside it can still be found.
        with contextlib.suppress(OSError, ValueError, TypeError):
            entry = self.load(session_id)
            if entry is not None and entry.own_history and entry.state is not State.RUNNING:
                Path(entry.own_history).unlink(missing_ok=True)  # handed on when collected
        self.slice_path(session_id).unlink(missing_ok=True)
        self.summary_path(session_id).unlink(missing_ok=True)
        self._entry_path(session_id).unlink(missing_ok=True)

    @contextlib.contextmanager
    def claim(self, session_id: str, timeout: float = 0) -> Iterator[bool]:
        """Hold the entry's lock; yields False when another process holds it."""
        import filelock  # imports asyncio (~15 ms): not on the launcher's path to the spawn

        private.make_dirs(self.root)
        lock = filelock.FileLock(str(self.root / f"{session_id}.lock"), timeout=timeout,
                                 mode=private.FILE_MODE)
        try:
            lock.acquire()
        except filelock.Timeout:
            yield False
            return
        try:
            yield True
        finally:
            lock.release()
            with contextlib.suppress(OSError):
                if not self._entry_path(session_id).exists():
                    (self.root / f"{session_id}.lock").unlink()


def owner_alive(entry: Entry) -> bool:
    """Is the aidermem process that owns a RUNNING entry still alive?"""
    if entry.owner_host != _hostname():
        return True  # a shared home on another machine: not ours to judge
    if not pid_alive(entry.owner_pid):
        return False
    # Alive, maybe someone else's process: a reused pid is told apart below.
    if entry.owner_start is None:
        return True
    current = process_identity(entry.owner_pid)
    # After a reboot or once the pid is reused, the process holding it is another one.
    return current is None or current == entry.owner_start


def process_identity(pid: int) -> str | None:
    """Boot id and start time of a process: unique across pid reuse and reboots.

    Linux only (/proc); None elsewhere, where a live pid is taken as the owner.
    """
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    # Fields after the command name (which may hold spaces and parentheses);
    # the start time is field 22 of the whole line, so index 19 after ")".
    fields = stat.rpartition(")")[2].split()
    return f"{boot}:{fields[19]}" if len(fields) > 19 else None


def _atomic_write(path: Path, text: str) -> None:
    """Journal files hold session text: private to the user (0600) and fsynced."""
    write_atomic(path, text.encode("utf-8"), mode=0o600)
