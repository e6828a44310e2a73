"""One store for every agent: a memory added over MCP reaches the model in aider's next
session, and what aider's session taught is found over MCP (the real aider, the fake LLM)."""

from __future__ import annotations

import pytest
from e2e_support import (
    CONTEXT_HEADING,
    Sessions,
    aider_requests,
    memories,
    summarizer,
    summary_json,
    user_config,
)
from e2e_support import sessions as sessions
from fakellm import FakeLLM
from mcp import ClientSession
from mcp_support import connect as mcp_connect
from mcp_support import ok

from aidermem.models import Tool

CONVENTION = "Every money amount is an integer number of cents"
DECISION = "use PostgreSQL advisory locks for the job queue"


@pytest.fixture(autouse=True)
def foreground_summaries() -> None:
    user_config('summarize = "foreground"\n')


@pytest.mark.e2e
def test_an_mcp_memory_reaches_aiders_next_session_and_back(sessions: Sessions,
                                                             fake_llm: FakeLLM) -> None:
    fake_llm.responder = summarizer(summary_json(
        "Chose the job queue lock", "Settled how workers lock jobs: advisory locks."))

    async def add(s: ClientSession):
        return await ok(s, "add_memory", title=CONVENTION, kind="convention",
                        body="Prices, totals and refunds are ints of cents; floats never.")

    added = mcp_connect(sessions.repo, add, env=sessions.env)

    run = sessions.start()
    run.say(f"decision: {DECISION}")
    sent = aider_requests(fake_llm)[-1].text
    assert CONTEXT_HEADING in sent
    assert CONVENTION in sent and "floats never" in sent

    async def add_meanwhile(s: ClientSession):  # while the aider session is still running
        return await ok(s, "add_memory", title="Refunds go through the ledger", body="never "
                        "through the payment provider directly", kind="decision")

    meanwhile = mcp_connect(sessions.repo, add_meanwhile, env=sessions.env)
    assert run.exit() == 0
    stored = {m.id: m for m in memories()}
    assert {added["id"], meanwhile["id"]} <= set(stored)  # the session's capture kept both
    assert any(m.source.tool == Tool.AIDER for m in stored.values())

    async def search(s: ClientSession):
        return await ok(s, "search_memories", query="advisory locks job queue")

    found = mcp_connect(sessions.repo, search, env=sessions.env)
    titles = [r["title"] for r in found["results"]]
    assert DECISION in titles and added["id"] not in [r["id"] for r in found["results"]]
