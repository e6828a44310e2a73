"""Ctrl-C while aidermem waits for a foreground model summary after aider exits.

The real aider on a pty under the real `aidermem`; the fake LLM holds the summary
request open until the test ends, so only the interrupt can end the wait.
"""

from __future__ import annotations

import pytest
from aider_harness import wait_exit
from e2e_support import (
    Sessions,
    journal_entries,
    memories,
    summarizer,
    summary_json,
    summary_requests,
    user_config,
    wait_until,
)
from e2e_support import sessions as sessions
from fakellm import Failure, FakeLLM

from aidermem.models import Kind, Method

SUMMARY = summary_json("Outbox worker", "One worker drains the outbox.")


@pytest.mark.e2e
def test_ctrl_c_during_a_foreground_summary_exits_130_and_keeps_the_session(
        sessions: Sessions, fake_llm: FakeLLM) -> None:
    user_config('summarize = "foreground"\nllm_timeout = 600\n')
    # Held until the fake server stops (after the test): no reply can end the wait.
    fake_llm.responder = summarizer(Failure.delay(3600, then=SUMMARY))
    run = sessions.start()
    run.say("remember: the outbox is drained by one worker")
    run.child.sendline("/exit")
    wait_until(lambda: summary_requests(fake_llm), "the summary request", timeout=60)
    run.child.sendintr()
    assert wait_exit(run.child) == 130
    screen = run.screen()
    assert "aidermem: asking openai/fake for a summary of this session (Ctrl-C skips" in screen
    assert ("aidermem: interrupted while waiting for the model summary; the extractive "
            "summary is saved, and the next aidermem run asks the model again") in screen
    (session,) = [m for m in memories() if m.kind == Kind.SESSION]
    assert session.source.method == Method.EXTRACTIVE
    assert "the outbox is drained by one worker" in session.body
    (entry,) = journal_entries()
    assert entry["state"] == "stored"  # still owed its model summary
