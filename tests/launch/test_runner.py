"""runner: the real aider under a pty (or plain pipes), its status, signals and resizes.

A tiny wrapper script calls `start_aider(...).wait()`, so runner's stdin is the
pty pexpect gives it, as with a person at a terminal. The last tests check the
test harness itself: the fake LLM as litellm (aider's own client) sees it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from aider_harness import (
    AIDER,
    aider_flags,
    ctrl_c_twice,
    expect,
    screen_tail,
    send_message,
    spawn,
    wait_exit,
    wait_prompt,
)
from fakellm import Failure, FakeLLM

from aidermem.errors import AiderNotFoundError
from aidermem.launch.runner import find_aider, start_aider

WRAPPER = textwrap.dedent("""\
    import os, sys, termios
    from aidermem.launch.runner import start_aider

    with start_aider(sys.argv[1:], cwd=os.getcwd(), env=os.environ) as proc:
        print(f"AIDER_PID={proc.pid}", flush=True)
        status = proc.wait()
    echo = bool(termios.tcgetattr(0)[3] & termios.ECHO) if os.isatty(0) else None
    print(f"RUNNER_STATUS={status} ECHO={echo}", flush=True)
    sys.exit(status)
""")
STATUS_RE = r"RUNNER_STATUS=(\d+) ECHO=(\w+)"


@pytest.fixture
def wrapper(tmp_path: Path) -> list[str]:
    script = tmp_path / "wrapper.py"
    script.write_text(WRAPPER)
    return [sys.executable, str(script), AIDER]


def eventually(check: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def aider_pid(child) -> int:
    expect(child, r"AIDER_PID=(\d+)")
    return int(child.match.group(1))


def runner_status(child) -> tuple[int, str]:
    expect(child, STATUS_RE)
    return int(child.match.group(1)), child.match.group(2)


def pty_of(pid: int) -> str:
    return str(Path(f"/proc/{pid}/fd/0").readlink())


def pty_size(path: str) -> tuple[int, int]:
    fd = os.open(path, os.O_RDONLY | os.O_NOCTTY)
    try:
        size = os.get_terminal_size(fd)
    finally:
        os.close(fd)
    return size.lines, size.columns


# -- under a pty -------------------------------------------------------------


@pytest.mark.e2e
def test_session_message_resize_and_exit(wrapper, git_repo, aider_env, fake_llm: FakeLLM):
    fake_llm.enqueue("Hello from the fake LLM.")
    child = spawn([*wrapper, *aider_flags(fake_llm)], cwd=git_repo, env=aider_env,
                  dimensions=(40, 120))
    pid = aider_pid(child)
    wait_prompt(child)
    inner = pty_of(pid)
    assert inner != os.ttyname(child.child_fd)  # aider has a pty of its own
    assert pty_size(inner) == (40, 120)

    child.setwinsize(50, 150)  # the outer terminal is resized...
    assert eventually(lambda: pty_size(inner) == (50, 150))  # ...and so is aider's
    wait_prompt(child)  # aider heard SIGWINCH: prompt_toolkit redraws its prompt

    send_message(child, "please say hello")
    (request,) = fake_llm.chat_requests()
    assert request.streaming
    assert request.last_user_text.startswith("please say hello")
    assert "Hello from the fake LLM." in (git_repo / ".aider.chat.history.md").read_text()
    # aider_env seeded aider's model-price cache: no attempt to reach GitHub.
    assert "raw.githubusercontent.com" not in screen_tail(child, 1_000_000)

    # Hold aider's pty open, as a lingering grandchild would: the runner must
    # still notice aider's exit instead of waiting for the pty to close.
    holder = os.open(inner, os.O_RDONLY | os.O_NOCTTY)
    try:
        child.sendline("/exit")
        assert runner_status(child) == (0, "True")  # ECHO back on: terminal restored
        assert wait_exit(child) == 0
    finally:
        os.close(holder)


@pytest.mark.e2e
def test_ctrl_c_is_a_keystroke_for_aider(wrapper, git_repo, aider_env, fake_llm):
    child = spawn([*wrapper, *aider_flags(fake_llm)], cwd=git_repo, env=aider_env)
    aider_pid(child)
    wait_prompt(child)
    # aider itself answers the first ^C ("again to exit") and quits on the second;
    # the runner is not interrupted and reports aider's status.
    child.sendintr()
    expect(child, "again to exit")
    # The second ^C must reach aider at its prompt: sent while aider is still
    # between "again to exit" and the redrawn prompt, a loaded machine can
    # deliver it as a bare KeyboardInterrupt (exit 130) instead of aider's exit.
    wait_prompt(child)
    child.sendintr()
    assert runner_status(child) == (0, "True")
    assert wait_exit(child) == 0


@pytest.mark.e2e
def test_ctrl_c_twice_helper_ends_bare_aider(git_repo, aider_env, fake_llm):
    child = spawn([AIDER, *aider_flags(fake_llm)], cwd=git_repo, env=aider_env)
    wait_prompt(child)
    assert ctrl_c_twice(child) == 0


@pytest.mark.e2e
def test_nonzero_exit_status_propagates(wrapper, git_repo, aider_env, fake_llm):
    child = spawn([*wrapper, *aider_flags(fake_llm), "--no-such-flag"], cwd=git_repo,
                  env=aider_env)
    expect(child, "unrecognized arguments: --no-such-flag")
    assert runner_status(child) == (2, "True")
    assert wait_exit(child) == 2


@pytest.mark.e2e
def test_sigterm_to_the_runner_ends_aider_and_returns(wrapper, git_repo, aider_env, fake_llm):
    child = spawn([*wrapper, *aider_flags(fake_llm)], cwd=git_repo, env=aider_env)
    pid = aider_pid(child)
    wait_prompt(child)
    os.kill(child.pid, signal.SIGTERM)
    assert runner_status(child) == (128 + signal.SIGTERM, "True")
    assert wait_exit(child) == 128 + signal.SIGTERM  # the runner returned; it was not killed
    assert not Path(f"/proc/{pid}").exists()  # aider is gone (and reaped)


# -- without a terminal ---------------------------------------------------------


@pytest.mark.e2e
def test_pipe_mode_runs_aider_with_plain_stdio(wrapper, git_repo, aider_env, fake_llm):
    fake_llm.enqueue("Answer for CI.")
    done = subprocess.run([*wrapper, *aider_flags(fake_llm), "--message", "hello from CI"],
                          cwd=git_repo, env=aider_env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "RUNNER_STATUS=0 ECHO=None" in done.stdout
    assert "Answer for CI." in done.stdout
    assert fake_llm.chat_requests()[0].last_user_text.startswith("hello from CI")


@pytest.mark.e2e
def test_pipe_mode_forwards_sighup(wrapper, git_repo, aider_env, fake_llm):
    proc = subprocess.Popen([*wrapper, *aider_flags(fake_llm)], cwd=git_repo, env=aider_env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("AIDER_PID=")
        history = git_repo / ".aider.chat.history.md"
        assert eventually(lambda: history.exists() and "Repo-map" in history.read_text())
        proc.send_signal(signal.SIGHUP)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert f"RUNNER_STATUS={128 + signal.SIGHUP} ECHO=None" in out
    assert proc.returncode == 128 + signal.SIGHUP


# -- runner mechanics with a plain process ------------------------------------


def test_grace_period_then_sigkill(tmp_path: Path):
    ready = tmp_path / "ready"
    stubborn = ("import signal, time, pathlib; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                f"pathlib.Path({str(ready)!r}).touch(); time.sleep(60)")
    before = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    proc = start_aider([sys.executable, "-c", stubborn], cwd=tmp_path, env=dict(os.environ),
                       use_pty=False, grace=0.5)
    assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN  # we survive a terminal ^C
    assert eventually(ready.exists)
    os.kill(os.getpid(), signal.SIGTERM)  # to us: forwarded, ignored, then SIGKILL
    assert proc.wait() == 128 + signal.SIGKILL
    assert proc.forwarded == signal.SIGTERM
    assert {s: signal.getsignal(s) for s in before} == before  # handlers restored


@pytest.mark.parametrize("use_pty", [False, True])
def test_a_missing_executable_is_aider_not_found(tmp_path: Path, use_pty: bool):
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(AiderNotFoundError) as err:
        start_aider([str(tmp_path / "no-aider")], cwd=tmp_path, env=dict(os.environ),
                    use_pty=use_pty)
    assert "pip install 'aider-chat>=0.86,<0.87'" in err.value.render()
    assert signal.getsignal(signal.SIGTERM) == before


def test_find_aider_prefers_the_one_next_to_this_python():
    found = Path(find_aider())
    assert found == Path(sys.executable).parent / "aider"
    assert os.access(found, os.X_OK)


FIND = "from aidermem.launch.runner import find_aider; print(find_aider())"


def test_find_aider_falls_back_to_path_then_explains(tmp_path: Path):
    # A Python with no aider beside it: a symlink in an empty bin dir.
    bin_dir, on_path, empty = tmp_path / "bin", tmp_path / "path", tmp_path / "empty"
    for d in (bin_dir, on_path, empty):
        d.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    other = on_path / "aider"
    other.write_text("#!/bin/sh\n")
    other.chmod(0o755)
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[2]), "HOME": str(tmp_path)}
    cmd = [str(bin_dir / "python"), "-c", FIND]
    done = subprocess.run(cmd, env={**env, "PATH": str(on_path)}, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == str(other)
    script = (f"{FIND.split(';')[0]}\n"
              "try:\n find_aider()\nexcept Exception as e:\n print(e.render())")
    done = subprocess.run([str(bin_dir / "python"), "-c", script],
                          env={**env, "PATH": str(empty)}, capture_output=True, text=True,
                          check=True)
    assert done.stdout.startswith("aidermem: error: aider is not installed")
    assert "pip install 'aider-chat>=0.86,<0.87'" in done.stdout


# -- the harness itself: the fake LLM through litellm, aider's client ----------


def _completion(fake: FakeLLM, **kwargs):
    import litellm

    return litellm.completion(model="openai/fake", api_base=fake.base_url, api_key="x",
                              messages=[{"role": "user", "content": "ping"}], num_retries=0,
                              **kwargs)


def test_fake_llm_streams_and_answers_through_litellm(fake_llm: FakeLLM):
    fake_llm.enqueue("first reply, long enough to arrive in several chunks")
    fake_llm.responder = lambda req: "summary!" if "summarize" in req.text else None
    chunks = _completion(fake_llm, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "first reply, long enough to arrive in several chunks"
    assert _completion(fake_llm).choices[0].message.content == "OK."  # default reply
    import litellm

    reply = litellm.completion(model="openai/fake", api_base=fake_llm.base_url, api_key="x",
                               messages=[{"role": "user", "content": "summarize this"}])
    assert reply.choices[0].message.content == "summary!"
    assert reply.usage.total_tokens > 0
    assert [r.streaming for r in fake_llm.chat_requests()] == [True, False, False]
    assert fake_llm.requests[0].headers.get("Authorization") == "Bearer x"
    assert fake_llm.requests[0].body["messages"] == [{"role": "user", "content": "ping"}]


def test_fake_llm_lists_its_model(fake_llm: FakeLLM):
    import urllib.request

    with urllib.request.urlopen(f"{fake_llm.base_url}/models", timeout=5) as response:
        listing = json.loads(response.read())
    assert [m["id"] for m in listing["data"]] == ["fake"]
    assert fake_llm.requests[-1].path == "/v1/models"


@pytest.mark.parametrize(("failure", "error", "says"), [
    (Failure.http_500(), "InternalServerError", "fake server error"),
    (Failure.garbage(), "InternalServerError", "Expecting value"),  # the body is not JSON
    (Failure.delay(5), "Timeout", "timed out"),  # longer than the client's 1 s
])
def test_fake_llm_failure_modes_reach_litellm_as_errors(fake_llm, failure, error, says):
    import litellm

    fake_llm.enqueue_failure(failure)
    with pytest.raises(getattr(litellm, error)) as err:
        _completion(fake_llm, timeout=1)
    assert says in str(err.value)
    assert len(fake_llm.chat_requests()) == 1
