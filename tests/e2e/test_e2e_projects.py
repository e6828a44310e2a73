"""Through aider: a checkout that gains a remote still hands aider the memories it made
before, and the memories one capture makes have short ids that tell them apart."""

from __future__ import annotations

import json
import subprocess

import pytest
from e2e_support import (
    CONTEXT_HEADING,
    Sessions,
    aider_requests,
    memories,
    read_flags,
    summarizer,
    summary_json,
    user_config,
)
from e2e_support import sessions as sessions
from fakellm import FakeLLM

from aidermem.commands.output import SHORT_ID_MIN


@pytest.fixture(autouse=True)
def foreground_summaries() -> None:
    user_config('summarize = "foreground"\n')


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


@pytest.mark.e2e
def test_the_memories_one_capture_makes_are_told_apart_by_8_characters(
        sessions: Sessions, fake_llm: FakeLLM) -> None:
    fake_llm.responder = summarizer(summary_json(
        "Chose the job queue lock", "Settled how workers lock jobs.",
        decisions=[{"title": "Advisory locks for jobs", "decision": "pg_advisory_xact_lock",
                    "rationale": "no lock table to vacuum"},
                   {"title": "One queue per tenant", "decision": "a queue table per tenant",
                    "rationale": "noisy neighbours"}]))
    run = sessions.start()
    run.say("decision: use PostgreSQL advisory locks for the job queue")
    assert run.exit() == 0
    made = memories()
    assert len(made) >= 3  # the session, its decisions, the developer's own note

    listed = sessions.cli("list", "--json")
    assert listed.returncode == 0, listed.stderr
    shown = json.loads(listed.stdout)["memories"]
    assert sorted(m["id"] for m in shown) == sorted(m.id for m in made)
    assert {len(m["short_id"]) for m in shown} == {SHORT_ID_MIN}
    for m in shown:
        one = sessions.cli("show", m["short_id"], "--json")
        assert one.returncode == 0, one.stderr
        assert json.loads(one.stdout)["memory"]["id"] == m["id"]
