"""Run the real `aider` so that it behaves exactly as if started bare.

The only module that imports pexpect. With a terminal on stdin, aider runs on a
pty of its own (pexpect.spawn) at the current terminal size, and a raw-mode
byte pump (our interact(), see `_bridge`) copies both ways: colours,
prompt_toolkit's editor and Ctrl-C (a keystroke, not a signal to us) reach
aider untouched; window resizes (SIGWINCH) are passed on. Known gap: Ctrl-Z
does nothing, because the kernel discards a self-suspend (SIGTSTP) in aider's
pty session (an orphaned process group). Without a terminal (pipes, CI) aider
simply inherits our stdio.

Either way, SIGTERM and SIGHUP sent to aidermem are forwarded to aider, which
is given `grace` seconds to exit before SIGKILL; then `wait()` returns aider's
status (128+N for death by signal N), so the caller can always capture the
session afterwards. Signal handlers live only from `start_aider` until `wait`
returns. This module never parses aider's output and never decides anything
about memories.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import shutil
import signal
import subprocess
import sys
import termios
import threading
import tty
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from aidermem.errors import AiderNotFoundError

INSTALL_HINT = "install it with: pip install 'aider-chat>=0.86,<0.87'"
GRACE_SECONDS = 5.0
_FORWARDED = (signal.SIGTERM, signal.SIGHUP)

Handler = Callable[[int, FrameType | None], Any] | int | None
Relay = Callable[[bytes], None]  # sees the bytes the pump copies (live_session's hooks)


def find_aider() -> str:
    """The aider next to this Python (same venv) first, else the one on PATH."""
    beside = Path(sys.executable).parent / "aider"  # not resolved: venv bin dirs use symlinks
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("aider")
    if found:
        return found
    raise AiderNotFoundError("aider is not installed (no `aider` next to "
                             f"{sys.executable} nor on PATH)", INSTALL_HINT)


def run_aider(cmd: Sequence[str], *, cwd: Path | str, env: Mapping[str, str]) -> int:
    """Start aider and wait for it: `start_aider(...).wait()`."""
    with start_aider(cmd, cwd=cwd, env=env) as proc:
        return proc.wait()


def start_aider(cmd: Sequence[str], *, cwd: Path | str, env: Mapping[str, str],
                use_pty: bool | None = None, grace: float = GRACE_SECONDS,
                on_input: Relay | None = None, on_output: Relay | None = None) -> AiderProcess:
    """Spawn aider now and `wait()` later; both from the main thread (signals).

    Between the two the caller may work (e.g. write the context file) while
    aider starts; its early output waits in the pty. As a context manager, an
    exception in that window still hands the terminal to aider and waits for
    it. `use_pty` defaults to "stdin is a terminal". On a pty, `on_input` sees each chunk
    typed before it is copied to aider (it may block a moment: the copy waits for it), and
    `on_output` each chunk aider printed, after it was shown; neither may raise.
    """
    if use_pty is None:
        use_pty = sys.stdin.isatty()
    proc = AiderProcess(list(cmd), Path(cwd), dict(env), use_pty=use_pty, grace=grace)
    proc.on_input, proc.on_output = on_input, on_output
    return proc


class AiderProcess:
    def __init__(self, cmd: list[str], cwd: Path, env: dict[str, str], *, use_pty: bool,
                 grace: float) -> None:
        self.grace = grace
        self.forwarded: int | None = None  # the last signal passed on to aider
        self._status: int | None = None
        self._killer: threading.Timer | None = None
        self._saved: dict[int, Handler] = {}
        self.on_input: Relay | None = None
        self.on_output: Relay | None = None
        self._child: Any = None  # pexpect.spawn, pty mode
        self._proc: subprocess.Popen[bytes] | None = None  # pipe mode
        try:
            if use_pty:
                self._child = _spawn_pty(cmd, cwd, env)
                self.pid = int(self._child.pid)
            else:
                self._proc = subprocess.Popen(cmd, cwd=cwd, env=env)
                self.pid = self._proc.pid
        except (OSError, _pexpect().ExceptionPexpect) as exc:
            raise AiderNotFoundError(f"cannot start {cmd[0]}: {exc}", INSTALL_HINT) from exc
        # Installed after the spawn: a child must not inherit our dispositions.
        for sig in _FORWARDED:
            self._install(sig, self._forward)
        if use_pty:
            self._install(signal.SIGINT, self._forward)  # `kill -INT aidermem`, not a keypress
            self._install(signal.SIGWINCH, self._resize)
        else:
            # Ctrl-C in a terminal already reaches aider (same process group); we
            # must survive it to capture the session, as a shell does for its child.
            self._install(signal.SIGINT, signal.SIG_IGN)

    def __enter__(self) -> AiderProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.wait()

    def wait(self) -> int:
        """Bridge the terminal until aider exits; return its status. Idempotent."""
        if self._status is not None:
            return self._status
        try:
            if self._child is not None:
                self._status = self._wait_pty()
            else:
                assert self._proc is not None
                self._status = _status(self._proc.wait())
        finally:
            if self._killer is not None:
                self._killer.cancel()
            for sig, handler in self._saved.items():
                signal.signal(sig, handler)
            self._saved.clear()
        return self._status

    def _install(self, sig: int, handler: Handler) -> None:
        self._saved.setdefault(sig, signal.getsignal(sig))
        signal.signal(sig, handler)

    def _forward(self, sig: int, _frame: FrameType | None) -> None:
        if self._exited():
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, sig)
        self.forwarded = sig
        if sig != signal.SIGINT and self._killer is None:
            self._killer = threading.Timer(self.grace, self._kill)
            self._killer.daemon = True
            self._killer.start()

    def _kill(self) -> None:
        if not self._exited():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def _resize(self, _sig: int, _frame: FrameType | None) -> None:
        size = _terminal_size()
        if size is not None and not self._exited():
            with contextlib.suppress(OSError):
                self._child.setwinsize(*size)

    def _wait_pty(self) -> int:
        child = self._child
        try:
            self._bridge(child.child_fd)
        except (OSError, termios.error) as exc:  # termios.error is not an OSError
            code = exc.errno if isinstance(exc, OSError) else exc.args[0]
            if code not in (errno.EIO, errno.EPIPE, errno.EBADF, errno.ENOTTY):
                raise
            # Our terminal went away: hang aider up, as a closing terminal would.
            self._forward(signal.SIGHUP, None)
        child.wait()
        child.close(force=False)
        if child.signalstatus is not None:
            return 128 + int(child.signalstatus)
        return int(child.exitstatus or 0)

    def _bridge(self, child_fd: int) -> None:
        """Copy bytes both ways until aider exits, our terminal in raw mode.

        Not pexpect's interact(): it checks for exit before copying aider's last
        output, spins on stdin EOF, and hangs while a grandchild holds the pty
        open. A SIGCHLD handler plus a wakeup fd make poll() see aider exit.
        """
        stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
        mode = termios.tcgetattr(stdin)  # first: a terminal already gone fails before any setup
        wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._install(signal.SIGCHLD, lambda _sig, _frame: None)  # only to wake poll()
        old_wakeup = signal.set_wakeup_fd(wake_w)
        poller = select.poll()
        for fd in (child_fd, stdin, wake_r):
            poller.register(fd, select.POLLIN)
        try:
            tty.setraw(stdin)
            while True:
                for fd, _event in poller.poll():
                    if fd == child_fd and not _copy(child_fd, stdout, seen=self.on_output):
                        return  # the pty closed: aider and its children are gone
                    if fd == stdin:
                        data = os.read(stdin, 65536)
                        if data and self.on_input is not None:
                            self.on_input(data)
                        if data:
                            _write_all(child_fd, data)
                        else:
                            poller.unregister(stdin)  # EOF: keep showing aider's output
                    if fd == wake_r:
                        with contextlib.suppress(BlockingIOError):
                            os.read(wake_r, 4096)
                        if self._exited():
                            for _ in range(256):  # bounded: a grandchild may keep writing
                                if not _copy(child_fd, stdout, block=False):
                                    break
                            return
        finally:
            with contextlib.suppress(termios.error):  # a hung-up terminal has no mode to restore
                termios.tcsetattr(stdin, termios.TCSADRAIN, mode)
            signal.set_wakeup_fd(old_wakeup)
            os.close(wake_r)
            os.close(wake_w)

    def _exited(self) -> bool:
        # WNOWAIT: look without reaping (safe from handlers and the killer thread);
        # pexpect / Popen collect the status afterwards.
        flags = os.WEXITED | os.WNOHANG | os.WNOWAIT
        with contextlib.suppress(ChildProcessError):
            return os.waitid(os.P_PID, self.pid, flags) is not None
        return True


def _copy(src: int, dst: int, *, block: bool = True, seen: Relay | None = None) -> bool:
    """One chunk from aider's pty to our terminal; False when the pty is closed or empty."""
    if not block and not select.select([src], [], [], 0)[0]:
        return False
    try:
        data = os.read(src, 65536)
    except OSError as exc:
        if exc.errno == errno.EIO:  # Linux: slave side closed
            return False
        raise
    if data:
        _write_all(dst, data)
        if seen is not None:
            seen(data)
    return bool(data)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _pexpect() -> Any:
    import pexpect  # only needed to run aider; keeps `aidermem search` fast to start

    return pexpect


def _terminal_size() -> tuple[int, int] | None:
    for fd in (0, 1, 2):
        with contextlib.suppress(OSError):
            cols, rows = os.get_terminal_size(fd)
            return rows, cols
    return None


def _spawn_pty(cmd: list[str], cwd: Path, env: dict[str, str]) -> Any:
    rows, cols = _terminal_size() or (24, 80)
    child = _pexpect().spawn(cmd[0], cmd[1:], cwd=str(cwd), env=env, dimensions=(rows, cols),
                             use_poll=True)
    # ptyprocess sleeps 0.1 s after closing the pty by default; aider has exited
    # by then, and that sleep is pure delay before the terminal comes back.
    child.ptyproc.delayafterclose = 0
    return child


def _status(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode
