"""A checkout that gains a remote still hands aider the memories it made before."""

from __future__ import annotations

import subprocess

import pytest
from e2e_support import CONTEXT_HEADING, Sessions, aider_requests, memories, read_flags
from e2e_support import sessions as sessions
from fakellm import FakeLLM


@pytest.mark.e2e
def test_memories_from_before_a_remote_was_added_reach_the_model(
        sessions: Sessions, fake_llm: FakeLLM) -> None:
    added = sessions.cli("add", "--kind", "decision",
                         stdin="Queue locks\n\nJob workers take advisory locks (rule MEM-7302).\n")
    assert added.returncode == 0, added.stderr
    assert [m.project for m in memories()] == [str(sessions.repo.resolve())]
    subprocess.run(["git", "-C", str(sessions.repo), "remote", "add", "origin",
                    "git@github.com:acme/queue.git"], check=True)

    run = sessions.start("--mem-no-capture")
    assert len(read_flags(run.aider_argv)) == 1  # the context file: there are memories
    run.say("which lock do the job workers take?")
    sent = aider_requests(fake_llm)[-1].text
    assert CONTEXT_HEADING in sent and "rule MEM-7302" in sent
    assert run.exit() == 0
