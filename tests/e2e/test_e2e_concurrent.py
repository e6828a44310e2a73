"""Two aidermem sessions in one repo at once: each is captured, with exactly its own turns.

Two real aiders on ptys under two real `aidermem`s in the same repo, one fake
LLM. They start about a second apart (both read the history file before
either aider has written to it), or far apart with their turns interleaved;
either one exits first. The user's chat history file keeps what it held and
gains both sessions; `aidermem import` reads it afterwards. (Each aider writes
a history file of its own, handed on at exit: `--restore-chat-history` must
still restore from the user's.)
"""

from __future__ import annotations

import time

import pytest
from aider_harness import AIDERMEM, aider_flags, spawn, wait_prompt
from e2e_support import (
    Run,
    Sessions,
    aider_requests,
    children,
    journal_entries,
    memories,
    summarizer,
    summary_json,
    summary_requests,
    user_config,
    wait_until,
)
from e2e_support import sessions as sessions
from fakellm import FakeLLM

from aidermem.capture import transcript
from aidermem.models import Kind, Method

SUMMARY = summary_json("A session in a shared repo", "Worked on the shop.")
EARLIER = ("\n# aider chat started at 2026-01-05 09:00:00\n\n"
           "#### an earlier session's request about the billing export  \n\nDone.\n")
TURNS = {"a": ["remember: alpha uses the red queue", "remember: alpha retries three times"],
         "b": ["remember: bravo uses the blue queue", "remember: bravo never retries"]}


def _start_both(sessions: Sessions, gap: float) -> dict[str, Run]:
    """Spawn two aidermems `gap` seconds apart, then wait for both prompts."""
    started = {}
    for name in ("a", "b"):
        if started:
            time.sleep(gap)
        started[name] = spawn([AIDERMEM, *aider_flags(sessions.fake)], cwd=sessions.repo,
                              env=sessions.env, log_path=sessions.repo.parent / f"pty-{name}.log")
    runs = {}
    for name, child in started.items():
        wait_prompt(child)
        wait_until(lambda child=child: children(child.pid), "aider's process")
        runs[name] = Run(child, children(child.pid)[0])
        sessions.runs.append(runs[name])
    return runs


@pytest.mark.e2e
@pytest.mark.parametrize("first_out", ["a", "b"])
@pytest.mark.parametrize("timing", ["about 1 s apart", "far apart, turns interleaved"])
def test_two_sessions_in_one_repo_are_each_saved_with_their_own_turns(
        sessions: Sessions, fake_llm: FakeLLM, timing: str, first_out: str) -> None:
    user_config('summarize = "foreground"\n')
    fake_llm.responder = summarizer(SUMMARY)
    history = sessions.repo / ".aider.chat.history.md"
    history.write_text(EARLIER)
    if timing == "about 1 s apart":
        runs = _start_both(sessions, gap=1.0)
        order = [("a", 0), ("b", 0), ("a", 1), ("b", 1)]
    else:
        runs = {"a": sessions.start()}
        runs["a"].say(TURNS["a"][0])
        runs["b"] = sessions.start()
        order = [("b", 0), ("a", 1), ("b", 1)]
    for name, turn in order:
        runs[name].say(TURNS[name][turn])
    second_out = "b" if first_out == "a" else "a"
    for name in (first_out, second_out):
        assert runs[name].exit() == 0
        assert "aidermem: saved " in runs[name].screen()
    assert journal_entries() == []

    # Each session's memory (and what the summary model was sent) holds its own turns only.
    sessions_stored = [m for m in memories() if m.kind == Kind.SESSION]
    assert len(sessions_stored) == 2
    assert all(m.source.method == Method.LLM for m in sessions_stored)
    by_owner = {}
    for memory in sessions_stored:
        owner = "a" if "alpha" in memory.body else "b"
        by_owner[owner] = memory
        other = "b" if owner == "a" else "a"
        for line in TURNS[owner]:
            assert line in memory.body
        assert all(line not in memory.body for line in TURNS[other])
    assert set(by_owner) == {"a", "b"}
    notes = {m.id: m.title for m in memories() if m.kind == Kind.NOTE}
    for owner, memory in by_owner.items():
        linked = sorted(notes[i] for i in memory.related if i in notes)
        assert linked == sorted(line.removeprefix("remember: ") for line in TURNS[owner])
    requests = summary_requests(fake_llm)
    assert len(requests) == 2
    for request in requests:
        owner = "a" if "alpha" in request.text else "b"
        other = "b" if owner == "a" else "a"
        assert all(line in request.text for line in TURNS[owner])
        assert all(line not in request.text for line in TURNS[other])

    # The user's history kept what it held, and holds both sessions, each one whole.
    text = history.read_text()
    assert text.startswith(EARLIER)
    parsed = transcript.split_sessions(text)
    assert [s.user_turns for s in parsed[1:]] == [
        [*TURNS[first_out], "/exit"], [*TURNS[second_out], "/exit"]]

    imported = sessions.cli("import", str(history))
    assert imported.returncode == 0, imported.stderr
    assert len(memories_with("billing export")) == 1  # the earlier session, now imported


def memories_with(words: str) -> list[object]:
    return [m for m in memories() if words in m.body or words in m.title]


@pytest.mark.e2e
def test_restore_chat_history_still_restores_from_the_users_history(
        sessions: Sessions, fake_llm: FakeLLM) -> None:
    user_config('summarize = "foreground"\n')
    fake_llm.responder = summarizer(SUMMARY)
    history = sessions.repo / ".aider.chat.history.md"
    history.write_text(EARLIER)
    run = sessions.start("--restore-chat-history")
    run.say("what did we do about the export?")
    assert "an earlier session's request about the billing export" in \
        aider_requests(fake_llm)[-1].text
    assert run.exit() == 0
    text = history.read_text()
    assert text.startswith(EARLIER) and text.count("billing export") == 1
    assert [s.user_turns for s in transcript.split_sessions(text)[1:]] == [
        ["what did we do about the export?", "/exit"]]
    (request,) = summary_requests(fake_llm)
    assert "billing export" not in request.text  # the restored history is not this session
