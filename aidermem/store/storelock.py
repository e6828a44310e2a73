"""A fair write lock that is never left held by a dead process: flock(2) on a file.

The kernel queues the waiters (nobody polls, so a burst of writers cannot starve
one of them) and releases the lock the moment its holder exits, however it exits,
kill -9 included. The lock file existing therefore means nothing, and deleting it
never frees anything: it would only let a second writer in beside the first.

A second file beside it (`<name>.queue`) is a turnstile: a waiter takes it first
and keeps it until it has the lock, so a process that just released the lock
cannot take it again ahead of one that was already waiting.

The holder writes who it is (pid, host, command, when) into the lock file. A
waiter gives up only when one holder kept the lock for the whole timeout, not
when many holders took their turns meanwhile, and then says who held it.

On NFS, Linux emulates flock with the server's POSIX locks: a lock still works
across machines, but one held by a crashed client lasts until the server's lease
for it expires (about 90 s by default).

Never: poll for the lock, delete a lock file, or spawn a program that inherits
the lock's descriptor (descriptors are close-on-exec).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from aidermem.errors import StoreError

CHECK_EVERY = 0.5  # seconds between a waiter's looks at who holds the lock


class LockTimeout(Exception):
    """One holder kept the lock for the whole timeout; `holder` is what it wrote."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


_guard = threading.Lock()
_depth: dict[str, tuple[int, int]] = {}  # lock path -> (descriptor, holds in this process)
_threads: dict[str, threading.RLock] = {}  # threads of one process take turns here first


def _forget_after_fork() -> None:
    """A forked child does not hold its parent's locks (closing its copies frees nothing)."""
    global _guard
    for fd, _ in _depth.values():
        with contextlib.suppress(OSError):
            os.close(fd)
    _depth.clear()
    _threads.clear()
    _guard = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


@contextlib.contextmanager
def hold(path: Path, timeout: float) -> Iterator[bool]:
    """Hold the lock at `path`, waiting in turn; yields True for the outermost hold.

    Reentrant within a process (nested holds share one lock). `timeout` <= 0 means
    do not wait. Raises LockTimeout.
    """
    key = str(path)
    with _guard:
        turn = _threads.setdefault(key, threading.RLock())
    if not turn.acquire(timeout=timeout if timeout > 0 else 0):
        raise LockTimeout(holder(path))
    try:
        if key in _depth:  # this thread holds it already (the RLock says it is us)
            fd, depth = _depth[key]
            _depth[key] = (fd, depth + 1)
            try:
                yield False
            finally:
                _depth[key] = (fd, _depth[key][1] - 1)
            return
        fd = _acquire(path, timeout)
        _depth[key] = (fd, 1)
        try:
            _write_holder(fd)
            yield True
        finally:
            del _depth[key]
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
    finally:
        turn.release()


def holder(path: Path) -> str:
    """What the lock's current (or last) holder wrote: 'pid host command'."""
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def _open(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)  # private, as the store is


def _write_holder(fd: int) -> None:
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:2]]) if sys.argv else "?"
    text = f"{os.getpid()} {os.uname().nodename} {time.time_ns()} {command}\n"
    with contextlib.suppress(OSError):  # only informative: a full disk must not stop a write
        os.ftruncate(fd, 0)
        os.pwrite(fd, text.encode("utf-8", "replace"), 0)


def _queue_path(path: Path) -> Path:
    return path.with_name(path.name + ".queue")


def _try_now(path: Path, fd: int) -> bool:
    """Take the lock without waiting, but only if nobody stands in line for it.

    Taking the lock directly would let a process that just released it take it
    again before the kernel has scheduled the waiter it woke: the turnstile comes
    first, on the fast path too.
    """
    queue = _open(_queue_path(path))
    try:
        fcntl.flock(queue, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False  # someone waits in line, or holds the lock: queue up behind them
    finally:
        os.close(queue)


def _acquire(path: Path, timeout: float) -> int:
    fd = _open(path)
    try:
        if _try_now(path, fd):
            return fd
        if timeout <= 0:
            raise LockTimeout(holder(path))
    except BaseException:
        os.close(fd)
        raise
    waiter = _Waiter(path, fd)
    waiter.start()
    seen, deadline = holder(path), time.monotonic() + timeout
    while not waiter.done.wait(CHECK_EVERY):
        now = holder(path)
        if now != seen:  # another holder's turn began: the queue moves, keep waiting
            seen, deadline = now, time.monotonic() + timeout
        elif time.monotonic() >= deadline and waiter.abandon():
            raise LockTimeout(seen)
    if waiter.error is not None:
        os.close(fd)
        raise waiter.error
    return fd


class _Waiter(threading.Thread):
    """Blocks in the kernel (turnstile, then the lock) so the caller can time out."""

    def __init__(self, path: Path, fd: int) -> None:
        super().__init__(daemon=True, name=f"aidermem lock {path.name}")
        self.path, self.fd = path, fd
        self.done = threading.Event()
        self.error: OSError | None = None
        self._lock = threading.Lock()
        self._got = self._abandoned = False

    def run(self) -> None:
        try:
            queue = _open(_queue_path(self.path))
            try:
                fcntl.flock(queue, fcntl.LOCK_EX)
                fcntl.flock(self.fd, fcntl.LOCK_EX)
            finally:
                os.close(queue)  # frees the turnstile for the next in line
        except OSError as exc:
            self.error = exc
        with self._lock:
            if self._abandoned:  # the caller gave up: hand the lock straight on
                os.close(self.fd)
            self._got = True
        self.done.set()

    def abandon(self) -> bool:
        """Give up waiting; False if the lock arrived meanwhile (then it is ours)."""
        with self._lock:
            if self._got:
                return False
            self._abandoned = True
            return True


def locked_error(lock_path: Path, holder: str, timeout: float) -> StoreError:
    """One holder kept the lock for the whole timeout: say who, and how to judge it."""
    pid, host, _, command = [*holder.split(" ", 3), "", "", "", ""][:4]
    who = f"pid {pid}" if pid.isdigit() else "unknown"
    if host and host != os.uname().nodename:
        who += f" on {host}"
    if command:
        who += f", `{command}`"
    stop = f"stop it if it hangs (`kill {pid}`)" if pid.isdigit() else "stop it if it hangs"
    return StoreError(
        f"memory store is locked by another process ({who}), which held it for {timeout:g}s",
        f"wait for it to finish, or {stop}. The lock {lock_path} is the kernel's and is freed "
        "when its holder exits, so deleting the file never helps; only on a network file "
        "system (NFS) can a crashed machine's lock outlive it, until the server's lease ends",
    )
