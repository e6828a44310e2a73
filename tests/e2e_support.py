"""Shared by the end-to-end tests (no tests here): aidermem under a pty, and what it left.

`Sessions` starts the real `aidermem` console script on a pty (it starts the
real aider, which talks to the fake LLM), finds the aider process it spawned,
and cleans up whatever is still running when the test ends: aidermem, aider,
and detached `aidermem capture --pending` processes of this test's home.

The rest reads the isolated AIDERMEM_HOME the way a user could: the memory
store (a git repo), the journal, the background log, and `aidermem` itself
run as a subprocess. `summarizer()` scripts the fake for aidermem's summary
requests only; aider's own chat requests fall through to the fake's default.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pexpect
import pytest
from aider_harness import AIDERMEM, aider_flags, discard_pending, spawn, wait_exit, wait_prompt
from fakellm import FakeLLM, Reply, Request, Responder

from aidermem import paths
from aidermem.models import Memory
from aidermem.store.store import Store

# The first words of prompts/summarize.md: how a summary request is told from aider's.
SUMMARY_PROMPT = "You write the project memory for a coding session"
CONTEXT_HEADING = "Project memory from earlier sessions (aidermem)"  # prompts/context.md


# -- the fake LLM ------------------------------------------------------------


def is_summary_request(request: Request) -> bool:
    return not request.streaming and SUMMARY_PROMPT in request.text


def summarizer(*replies: Reply) -> Responder:
    """Answer summary requests with `replies` in turn (the last one repeats)."""
    queue = list(replies)

    def respond(request: Request) -> Reply | None:
        if not is_summary_request(request):
            return None
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return respond


def summary_json(title: str, summary: str, *, decisions: list[dict[str, object]] = (),
                 **more: object) -> str:
    return json.dumps({"title": title, "summary": summary, "decisions": list(decisions),
                       "topics": ["queue"], **more})


def summary_requests(fake: FakeLLM) -> list[Request]:
    return [r for r in fake.chat_requests() if is_summary_request(r)]


def aider_requests(fake: FakeLLM) -> list[Request]:
    return [r for r in fake.chat_requests() if r.streaming]


# -- processes ---------------------------------------------------------------


def wait_until(check: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def argv_of(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]


def read_flags(argv: list[str]) -> list[str]:
    """The paths aider was given with --read (launcher spells them --read=PATH)."""
    return [a.split("=", 1)[1] for a in argv if a.startswith("--read=")]


@dataclass
class Run:
    """One `aidermem` on a pty, at aider's prompt once started."""

    child: pexpect.spawn
    aider_pid: int

    @property
    def pid(self) -> int:
        return int(self.child.pid)

    @property
    def aider_argv(self) -> list[str]:
        return argv_of(self.aider_pid)

    def say(self, text: str) -> None:
        """Type a line and wait for aider's next prompt (the reply is done)."""
        discard_pending(self.child)
        self.child.sendline(text)
        wait_prompt(self.child)

    def paste(self, text: str) -> None:
        """Paste a multi-line block (bracketed paste, as a terminal does), then Enter."""
        discard_pending(self.child)
        self.child.send(f"\x1b[200~{text}\x1b[201~")
        self.child.send("\r")
        wait_prompt(self.child)

    def exit(self) -> int:
        self.child.sendline("/exit")
        return wait_exit(self.child)

    def screen(self) -> str:
        return Path(self.child.log_path).read_text(errors="replace")


@dataclass
class Sessions:
    repo: Path
    env: dict[str, str]
    fake: FakeLLM
    runs: list[Run] = field(default_factory=list)

    def start(self, *args: str, flags: list[str] | None = None,
              env: dict[str, str] | None = None) -> Run:
        """`aidermem [flags] [args]` in the repo, waiting for aider's prompt."""
        flags = aider_flags(self.fake) if flags is None else flags
        child = spawn([AIDERMEM, *flags, *args], cwd=self.repo, env={**self.env, **(env or {})},
                      log_path=self.repo.parent / f"pty-aidermem-{len(self.runs)}.log")
        wait_prompt(child)
        wait_until(lambda: children(child.pid), "aider's process")
        run = Run(child, children(child.pid)[0])
        self.runs.append(run)
        return run

    def cli(self, *args: str, stdin: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """`aidermem ARGS` on pipes in the repo."""
        return subprocess.run([AIDERMEM, *args], cwd=self.repo, env={**self.env, **(env or {})},
                              input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=120, check=False)

    def cleanup(self) -> None:
        for run in self.runs:
            for pid in (run.pid, run.aider_pid):
                if alive(pid):
                    with_suppressed_kill(pid)
            run.child.close(force=True)
        for pid in background_pids():
            with_suppressed_kill(pid)


def with_suppressed_kill(pid: int) -> None:
    try:
        os.killpg(os.getpgid(pid), signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def background_pids() -> list[int]:
    """Detached `aidermem capture --pending` processes working on this test's home."""
    home = f"AIDERMEM_HOME={os.environ['AIDERMEM_HOME']}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if b"capture\0--pending" in cmdline and home in environ.split(b"\0"):
            found.append(int(proc.name))
    return found


@pytest.fixture
def sessions(git_repo: Path, aider_env: dict[str, str], fake_llm: FakeLLM) -> Iterator[Sessions]:
    made = Sessions(git_repo, aider_env, fake_llm)
    try:
        yield made
    finally:
        made.cleanup()


# -- what aidermem left on disk ----------------------------------------------


def user_config(text: str) -> Path:
    """Write the user's config file ($AIDERMEM_HOME/config.toml)."""
    path = paths.user_config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def store() -> Store:
    return Store.open(paths.default_store_dir())


def memories() -> list[Memory]:
    root = paths.default_store_dir()
    if not root.exists():
        return []
    found = []
    for relpath, memory in store().iter_memories():
        assert isinstance(memory, Memory), f"{relpath}: {memory}"
        found.append(memory)
    return found


def store_log() -> str:
    return subprocess.run(["git", "-C", str(paths.default_store_dir()), "log", "--oneline",
                           "--all"], capture_output=True, text=True, check=True).stdout


def journal_entries() -> list[dict[str, object]]:
    root = paths.journal_dir()
    if not root.is_dir():
        return []
    return [json.loads(p.read_text()) for p in sorted(root.glob("[!.]*.json"))
            if "." not in p.stem]


def memory_with(words: str) -> list[Memory]:
    return [m for m in memories() if words in m.body or words in m.title]
