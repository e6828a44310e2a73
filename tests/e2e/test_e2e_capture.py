"""Capture at exit, however the session ends, whatever the model does, with no secret kept.

The real aider on a pty under the real `aidermem`, the fake LLM on 127.0.0.1.
Summaries run in the foreground (user config) except in the background test,
which waits for the detached `aidermem capture --pending` to finish.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from aider_harness import ctrl_c_twice, ctrl_d, wait_exit
from e2e_support import (
    CONTEXT_HEADING,
    Run,
    Sessions,
    aider_requests,
    alive,
    journal_entries,
    memories,
    memory_with,
    store,
    summarizer,
    summary_json,
    summary_requests,
    user_config,
    wait_until,
)
from e2e_support import sessions as sessions
from fakellm import Failure, FakeLLM

from aidermem import paths
from aidermem.index import analysis
from aidermem.index.memory_index import MemoryIndex
from aidermem.index.search import SearchRequest, find
from aidermem.models import Kind, Method

SUMMARY = summary_json("Queue worker locking", "Workers take advisory locks per job.",
                       decisions=[{"title": "Advisory locks", "decision": "one lock per job id"}])


@pytest.fixture(autouse=True)
def foreground_summaries() -> None:
    user_config('summarize = "foreground"\n')


def _kill_9(sessions: Sessions, run: Run) -> int:
    """kill -9 aidermem; its aider loses its terminal and goes too (or is killed)."""
    os.kill(run.pid, signal.SIGKILL)
    status = wait_exit(run.child)
    wait_until(lambda: not alive(run.aider_pid), "the orphaned aider to exit", timeout=15)
    (entry,) = journal_entries()
    assert entry["state"] == "running"  # nobody collected it: its owner died
    done = sessions.cli("capture", "--pending", env={"OPENAI_API_KEY": "x"})
    assert done.returncode == 0, done.stderr
    assert "(model summary)" in done.stdout
    return status


def _close_terminal(_sessions: Sessions, run: Run) -> int:
    """The terminal window closes: the pty's master side goes away under aidermem."""
    pty = run.child.ptyproc
    os.close(pty.fd)
    pty.closed = True  # pexpect must not close it again (nor signal aidermem while it saves)
    pty.wait()
    assert pty.signalstatus is None
    return int(pty.exitstatus)


ENDINGS: dict[str, tuple[Callable[[Sessions, Run], int], int]] = {
    "ctrl-c twice": (lambda _s, run: ctrl_c_twice(run.child), 0),
    "ctrl-d": (lambda _s, run: ctrl_d(run.child), 0),
    "sigterm to aidermem": (lambda _s, run: _signal(run, run.pid, signal.SIGTERM), 128 + 15),
    "sighup to aidermem": (lambda _s, run: _signal(run, run.pid, signal.SIGHUP), 128 + 1),
    "terminal closed": (_close_terminal, 128 + 1),  # aider is hung up as the terminal would
    # A native crash of aider itself (as in a C extension): no cleanup of any kind.
    "aider segfaults": (lambda _s, run: _signal(run, run.aider_pid, signal.SIGSEGV), 128 + 11),
    "kill -9 aidermem, then capture --pending": (_kill_9, 128 + 9),
}


def _signal(run: Run, pid: int, sig: int) -> int:
    os.kill(pid, sig)
    return wait_exit(run.child)


@pytest.mark.e2e
@pytest.mark.parametrize("ending", list(ENDINGS))
def test_every_way_out_captures_the_session(sessions: Sessions, fake_llm: FakeLLM,
                                            ending: str) -> None:
    fake_llm.responder = summarizer(SUMMARY)
    run = sessions.start()
    words = f"the ledger is append only ({ending})"
    run.say(f"remember: {words}")
    end, expected_status = ENDINGS[ending]
    assert end(sessions, run) == expected_status
    (noted,) = [m for m in memory_with(words) if m.kind == Kind.NOTE]
    assert noted.source.method == Method.EXTRACTIVE
    (session,) = [m for m in memories() if m.kind == Kind.SESSION]
    assert session.source.method == Method.LLM and noted.id in session.related
    assert f"remember: {words}" in session.body  # the developer's words, kept verbatim
    assert journal_entries() == []


@pytest.mark.e2e
def test_a_killed_session_is_recovered_by_the_next_run(sessions: Sessions,
                                                       fake_llm: FakeLLM) -> None:
    fake_llm.responder = summarizer(SUMMARY)
    sessions.cli("add", "Deploys freeze on Fridays")  # so the first run gets a context dir
    first = sessions.start()
    (context_file,) = [a.split("=", 1)[1] for a in first.aider_argv if a.startswith("--read=")]
    first.say("remember: invoices are numbered per tenant")
    os.kill(first.pid, signal.SIGKILL)
    wait_exit(first.child)
    wait_until(lambda: not alive(first.aider_pid), "the orphaned aider to exit", timeout=15)
    assert Path(context_file).parent.exists()  # nobody was left to clean it up

    second = sessions.start()
    assert not Path(context_file).parent.exists()  # the next run removed it
    # Recovered before retrieval: this very session already knows what the killed one said.
    second.say("how are invoices numbered?")
    assert "invoices are numbered per tenant" in aider_requests(fake_llm)[-1].text
    assert second.exit() == 0
    # The killed session's model summary is asked for by a detached `capture --pending`.
    wait_until(lambda: journal_entries() == [], "the background capture", timeout=60)
    sessions_stored = [m for m in memories() if m.kind == Kind.SESSION]
    assert len(sessions_stored) == 2
    assert all(m.source.method == Method.LLM for m in sessions_stored)
    assert len(memory_with("invoices are numbered per tenant")) == 2  # note + session body
    # What aider was given as context is not the session: it is never stored back.
    assert len(memory_with("Deploys freeze on Fridays")) == 1
    assert all(CONTEXT_HEADING not in r.text for r in summary_requests(fake_llm))


@pytest.mark.e2e
def test_model_failures_keep_the_extractive_memory_and_retry_a_bounded_number_of_times(
        sessions: Sessions, fake_llm: FakeLLM) -> None:
    user_config('summarize = "foreground"\nllm_timeout = 2\n')
    fake_llm.responder = summarizer(Failure.http_500())
    run = sessions.start()
    run.say("remember: refunds go through the ledger service")
    assert run.exit() == 0
    assert "model summary failed" in run.screen()

    def only_extractive() -> None:
        (session,) = [m for m in memories() if m.kind == Kind.SESSION]
        assert session.source.method == Method.EXTRACTIVE
        assert "refunds go through the ledger service" in session.body

    only_extractive()
    (entry,) = journal_entries()
    assert (entry["state"], entry["attempts"]) == ("stored", 1)
    assert "500" in str(entry["last_error"]) or "fake server error" in str(entry["last_error"])

    # The model times out (llm_timeout 2 s); then it answers with something that is not JSON.
    env = {"OPENAI_API_KEY": "x"}
    fake_llm.responder = summarizer(Failure.delay(10, then=SUMMARY))
    retried = sessions.cli("capture", "--pending", env=env)
    assert retried.returncode == 0, retried.stderr
    assert "Timeout" in retried.stderr
    only_extractive()
    (entry,) = journal_entries()
    assert entry["attempts"] == 2

    fake_llm.responder = summarizer(Failure.garbage())
    retried = sessions.cli("capture", "--pending", env=env)
    assert retried.returncode == 0, retried.stderr
    assert "final after 3 tries" in retried.stderr
    only_extractive()
    assert journal_entries() == []  # three strikes: the extractive memory is the record
    assert len(summary_requests(fake_llm)) == 3


@pytest.mark.e2e
def test_background_summary_replaces_the_session_memory(sessions: Sessions,
                                                        fake_llm: FakeLLM) -> None:
    user_config("")  # the default: summarize in the background
    fake_llm.responder = summarizer(SUMMARY)
    run = sessions.start()
    run.say("decision: one advisory lock per job id")
    assert run.exit() == 0
    assert "a model summary follows in the background" in run.screen()
    wait_until(lambda: journal_entries() == [], "the background capture", timeout=60)
    by_method = {(m.kind, m.source.method) for m in memories()}
    assert by_method == {(Kind.SESSION, Method.LLM), (Kind.DECISION, Method.LLM),
                         (Kind.DECISION, Method.EXTRACTIVE)}
    log = paths.journal_dir() / "background.log"
    assert "(model summary)" in log.read_text()
    assert log.stat().st_mode & 0o077 == 0


SECRETS = {
    "openai": "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6lMn9oPq2rSt5uVw8xYz",
    "anthropic": "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa9Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1Ji0Hg"
                 "FeDcBa-AbCdEfAA",
    "aws key id": "AKIAZ7Q4XK3M5N2P8R6T",
    "aws secret": "q8Hk3vZ/mP2xR7nW4tY9bJ6cL1sF5dG0aE3uI8oQ",
    "github": "ghp_R4nd0mT0k3nV4lu3Xy9Zw8Qp7Lm6Kj5Hg4Fd3S",
    "slack": "xoxb-2048617395-1357924680123-Qw3rTy8UiOp2AsDfGhJkLz9X",
    "google": "AIzaSyD4x7Qw2Er5Ty8Ui1Op3As6Df9Gh2Jk5Lz",
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTQ4MjkiLCJyb2xlIjoiYWRtaW4ifQ"
           ".Tq8vX2mN5pR7sK3wL9yB4cF6hJ1dG0aE2uI8oQ5zWx4",
    "url password": "Hunter2Wombat77",
    "env secret": "x9Kq2Lm7Np4Rt8Vw3Yz6Bc1Df5Gh0Jk",
    "private key": "MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9Oi8kLm2nOp5qRs8tUv1wXy4zAb7cDe0",
}


@pytest.mark.e2e
def test_secrets_typed_and_pasted_into_a_session_are_never_kept(sessions: Sessions,
                                                                fake_llm: FakeLLM) -> None:
    user_config("")  # background summary: its log must stay clean too
    fake_llm.responder = summarizer(SUMMARY)
    s = SECRETS
    run = sessions.start()
    run.say(f"remember: the deploy key is {s['openai']} and the fallback {s['anthropic']}")
    run.say(f"aws_access_key_id = {s['aws key id']} aws_secret_access_key = {s['aws secret']}")
    run.say(f"tokens: {s['github']} {s['slack']} {s['google']} bearer {s['jwt']}")
    run.paste("the database and settings, pasted:\n"
              f"DATABASE_URL=postgres://admin:{s['url password']}@db.internal:5432/app\n"
              f"FOO_SECRET={s['env secret']}\n"
              "-----BEGIN RSA PRIVATE KEY-----\n"
              f"{s['private key']}\n"
              "-----END RSA PRIVATE KEY-----\n"
              "end of paste")
    assert s["private key"] in aider_requests(fake_llm)[-1].text  # aider itself got it all
    assert run.exit() == 0
    wait_until(lambda: journal_entries() == [], "the background capture", timeout=60)

    (noted,) = [m for m in memories() if m.kind == Kind.NOTE]
    assert noted.title == ("the deploy key is [REDACTED:openai] and the fallback "
                           "[REDACTED:anthropic]")
    # The summary model got the whole session, the paste included, redacted first.
    (summary_request,) = summary_requests(fake_llm)
    assert "the database and settings, pasted:" in summary_request.text
    assert "[REDACTED:private-key]" in summary_request.text
    assert "end of paste" in summary_request.text
    leaks = _leaks(summary_request.text.encode())
    assert not leaks, f"sent to the summary model: {leaks}"

    store_root, journal_root = paths.default_store_dir(), paths.journal_dir()
    history = subprocess.run(["git", "-C", str(store_root), "log", "-p", "--all"],
                             capture_output=True, check=True).stdout
    assert b"REDACTED" in history
    places: dict[str, bytes] = {"store git history": history}
    for root in (store_root, journal_root, paths.cache_dir()):
        for path in root.rglob("*"):
            if path.is_file():
                places[str(path)] = path.read_bytes()
    assert any("index" in p for p in places) and (journal_root / "background.log").exists()
    for where, data in places.items():
        assert not _leaks(data), f"{where} holds {_leaks(data)}"
    # The index, asked for each secret's distinctive terms (short fragments like "is"
    # would match ordinary words): nothing. Its files, grepped above, are partly
    # compressed, so this is the real proof; "deploy" shows the lookup works.
    index = MemoryIndex.open(store())

    def hits(term: str) -> list[str]:
        return [h.id for h in find(index, SearchRequest(text=term, scope="all"))]

    assert noted.id in hits("deploy")
    for name, secret in s.items():
        terms = [t for t in analysis.query_terms(secret) if len(t) >= 8]
        assert terms, name
        assert [t for t in terms if hits(t)] == [], name


def _leaks(data: bytes) -> list[str]:
    return [name for name, secret in SECRETS.items() if secret.encode() in data]
