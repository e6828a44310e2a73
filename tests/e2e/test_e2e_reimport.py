"""Importing the history aidermem already captured live: nothing twice, nothing unwanted.

The real aider on a pty under the real `aidermem`, the fake LLM on 127.0.0.1;
then `aidermem import` of the very history file those sessions wrote.
"""

from __future__ import annotations

import json

import pytest
from aider_harness import expect, wait_exit
from e2e_support import (
    Sessions,
    memories,
    memory_with,
    store_log,
    summarizer,
    summary_json,
    user_config,
)
from e2e_support import sessions as sessions
from fakellm import FakeLLM

from aidermem.models import Kind


@pytest.mark.e2e
def test_reimporting_a_live_captured_history_adds_nothing_and_keeps_unsaved_ones_out(
    sessions: Sessions, fake_llm: FakeLLM
) -> None:
    user_config('summarize = "foreground"\n')
    (sessions.repo / ".aidermem.toml").write_text('[profiles.careful]\ncapture = "ask"\n')
    fake_llm.responder = summarizer(summary_json("Health check work", "Added /health."))
    run = sessions.start()
    run.say("Add a health check endpoint to the API")
    assert run.exit() == 0
    run = sessions.start()  # a short session: its text is all in the first 4,096 characters
    run.say("hi")
    assert run.exit() == 0
    for flags in (["--mem-off"], ["--mem-no-capture"]):
        run = sessions.start(*flags)
        run.say(f"remember: never keep this {flags[0]} session")
        assert run.exit() == 0
    run = sessions.start("--mem-profile", "careful")
    run.say("remember: never keep this declined session")
    run.child.sendline("/exit")
    expect(run.child, "save this session to memory")
    run.child.sendline("n")
    assert wait_exit(run.child) == 0
    saved = sorted(m.id for m in memories() if m.kind is Kind.SESSION)
    assert len(saved) == 2
    log_before = store_log()

    done = sessions.cli("import", ".aider.chat.history.md", "--json")
    assert done.returncode == 0, done.stderr
    [report] = json.loads(done.stdout)["files"]
    assert report["imported"] == 0, report
    assert (report["sessions"], report["imported"], report["duplicates"], report["unsaved"]
            ) == (5, 0, 2, 3)
    assert sorted(m.id for m in memories() if m.kind is Kind.SESSION) == saved
    assert memory_with("never keep this") == []
    assert store_log() == log_before
