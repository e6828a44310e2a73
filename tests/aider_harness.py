"""Drive the real `aider` (or `aidermem`) under a pty against the fake LLM.

Usage in an end-to-end test (fixtures come from tests/conftest.py):

    def test_x(git_repo, aider_env, fake_llm):
        fake_llm.enqueue("Hello from the fake")
        child = spawn([AIDER, *aider_flags(fake_llm)], cwd=git_repo, env=aider_env)
        wait_prompt(child)                    # aider's input prompt is up
        send_message(child, "say hello")      # type a line, wait for the next prompt
        assert "say hello" in fake_llm.chat_requests()[-1].last_user_text
        assert exit_aider(child) == 0         # "/exit", wait for EOF, exit status

Facts this module relies on (aider 0.86, checked by tests/launch/test_runner.py):
- Start-up takes 2-4 s. The prompt is drawn by prompt_toolkit, which switches
  bracketed paste on (ESC[?2004h), draws the lines above the prompt (files in
  the chat, "Readonly: …"), then `> ` (or `ask> `, `architect> `, `multi> `)
  at a line start, hence PROMPT_RE. A `> ` in the assistant's reply cannot
  match: replies are printed after ESC[?2004l, before the next ESC[?2004h.
- After Enter, prompt_toolkit switches bracketed paste off (ESC[?2004l); the
  reply streams; then the next prompt appears. So "reply finished" == the next
  PROMPT_RE match after the line was sent.
- A window resize makes prompt_toolkit redraw the prompt (another PROMPT_RE
  match): after `child.setwinsize(...)` at a prompt, call `wait_prompt(child)`.
- `/exit`, Ctrl-D at an empty prompt, and Ctrl-C twice within 2 s all end
  aider with status 0 (`^C again to exit` is printed after the first Ctrl-C).
- aider fetches litellm's model-price JSON from GitHub unless
  ~/.aider/caches/model_prices_and_context_window.json is fresh and non-empty;
  `aider_env` seeds that file so no test tries the internet.

On failure the helpers raise AssertionError carrying the tail of the screen
log (ANSI codes stripped); the full raw log is in the file `child.log_path`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from fakellm import FakeLLM

BIN = Path(sys.executable).parent
AIDER = str(BIN / "aider")
AIDERMEM = str(BIN / "aidermem")

TIMEOUT = 30  # seconds per expect; generous for a loaded 2-core CI box
DIMENSIONS = (40, 120)  # rows, cols

# Bracketed paste on, then any lines prompt_toolkit draws above the prompt
# ("Readonly: …", the files in the chat), then at a line start: `> `, `ask> `, ….
PROMPT_RE = r"\x1b\[\?2004h(?:[^\n]*\n)*?(?:\x1b\[[0-9;?]*[A-Za-z]|\r)*[\w ]*> "
_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r")


def aider_flags(fake_llm: FakeLLM, model: str = "openai/fake", *,
                yes_always: bool = True) -> list[str]:
    """Flags for a quiet, offline, deterministic aider talking to `fake_llm`.

    `--yes-always` (default) so no confirmation question can block a session
    (e.g. "Add file to the chat?" when a reply names a repo file, "Create new
    file?"). It is paired with `--no-detect-urls` and
    `--no-suggest-shell-commands`, so "yes" can never scrape the web or run a
    shell command taken from a scripted reply. Auto-commits stay on: capture
    tests want the commits. Pass yes_always=False to test questions themselves.
    """
    flags = [
        "--no-check-update", "--no-show-release-notes", "--no-gitignore",
        "--no-analytics", "--no-show-model-warnings",
        "--model", model,
        "--openai-api-base", fake_llm.base_url,
        "--openai-api-key", "x",
        "--no-detect-urls", "--no-suggest-shell-commands",
    ]
    if yes_always:
        flags.append("--yes-always")
    return flags


def headless_env(home: Path) -> dict[str, str]:
    """os.environ (already isolated by conftest) plus what headless aider needs."""
    env = dict(os.environ)
    for var in ("COLUMNS", "LINES"):  # would override the pty size we set
        env.pop(var, None)
    env.update({
        "HOME": str(home),
        "BROWSER": "true",  # never open a browser
        "PROMPT_TOOLKIT_NO_CPR": "1",  # no cursor-position queries the pty never answers
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # litellm: no cost-map download
        "TERM": "xterm",  # prompt_toolkit needs a real terminal type for its editor
    })
    caches = home / ".aider" / "caches"
    caches.mkdir(parents=True, exist_ok=True)
    # A fresh, non-empty cache stops aider's ModelInfoManager from fetching from GitHub.
    (caches / "model_prices_and_context_window.json").write_text(
        json.dumps({"aidermem-test-placeholder": {}})
    )
    return env


def spawn(cmd: list[str], cwd: Path | str, env: dict[str, str],
          *, timeout: float = TIMEOUT, dimensions: tuple[int, int] = DIMENSIONS,
          log_path: Path | None = None) -> pexpect.spawn:
    """Start `cmd` under a fresh pty. The raw output is logged to `child.log_path`."""
    if log_path is None:
        log_path = Path(cwd).parent / f"pty-{Path(cmd[0]).name}-{os.getpid()}-{id(cmd)}.log"
    child = pexpect.spawn(cmd[0], cmd[1:], cwd=str(cwd), env=env, timeout=timeout,
                          dimensions=dimensions, encoding="utf-8", codec_errors="replace")
    log = log_path.open("w", encoding="utf-8")
    child.logfile_read = log
    child.log_path = log_path
    return child


def screen_tail(child: pexpect.spawn, chars: int = 3000) -> str:
    """The last `chars` of what the child printed, without ANSI codes."""
    child.logfile_read.flush()
    raw = Path(child.log_path).read_text(encoding="utf-8", errors="replace")
    return _ANSI_RE.sub("", raw)[-chars:]


def expect(child: pexpect.spawn, pattern: object, timeout: float | None = None) -> int:
    """child.expect with a readable failure: the screen tail instead of a repr."""
    try:
        return child.expect(pattern, timeout=timeout if timeout is not None else -1)
    except (pexpect.TIMEOUT, pexpect.EOF) as exc:
        what = "timed out" if isinstance(exc, pexpect.TIMEOUT) else "hit EOF"
        raise AssertionError(
            f"{what} waiting for {pattern!r}; screen tail:\n{screen_tail(child)}"
        ) from None


def wait_prompt(child: pexpect.spawn, timeout: float | None = None) -> None:
    expect(child, PROMPT_RE, timeout)


def discard_pending(child: pexpect.spawn) -> None:
    """Drop output already received (e.g. a prompt redrawn after a resize)."""
    child.buffer = child.string_type()
    while True:
        try:
            child.read_nonblocking(65536, timeout=0)
        except (pexpect.TIMEOUT, pexpect.EOF):
            return


def send_message(child: pexpect.spawn, text: str, timeout: float | None = None) -> None:
    """Type one line at the prompt and wait until aider is back at its prompt.

    Call it at a prompt (after wait_prompt). Output already received is
    discarded first, so a stale prompt cannot pass for the one after the reply.
    """
    discard_pending(child)
    child.sendline(text)
    wait_prompt(child, timeout)


def wait_exit(child: pexpect.spawn, timeout: float | None = None) -> int:
    """Wait for EOF and return the exit status (128+N for a signal death)."""
    expect(child, pexpect.EOF, timeout)
    child.close()
    if child.signalstatus is not None:
        return 128 + child.signalstatus
    return int(child.exitstatus)


def exit_aider(child: pexpect.spawn) -> int:
    child.sendline("/exit")
    return wait_exit(child)


def ctrl_d(child: pexpect.spawn) -> int:
    child.sendcontrol("d")
    return wait_exit(child)


def ctrl_c_twice(child: pexpect.spawn) -> int:
    """Ctrl-C, wait for aider's '^C again to exit', Ctrl-C again (within aider's 2 s)."""
    child.sendintr()
    expect(child, "again to exit")
    wait_prompt(child)  # at the redrawn prompt aider itself handles the second ^C
    child.sendintr()
    return wait_exit(child)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def make_git_repo(path: Path) -> Path:
    """A git repo with one commit (README.md). Uses the test's isolated git identity."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    (path / "README.md").write_text("# demo\n")
    git(path, "add", "README.md")
    git(path, "commit", "-q", "-m", "initial commit")
    return path


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    return make_git_repo(tmp_path / "repo")


@pytest.fixture
def aider_env(fake_llm: FakeLLM, isolated_home: Path) -> dict[str, str]:
    """Environment for headless aider (depends on fake_llm so it is always running)."""
    del fake_llm
    return headless_env(isolated_home)
