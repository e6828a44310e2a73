"""Document expansion end to end: the real aider under a pty, the summary from the fake LLM,
the questions it wrote land in the memory's front matter and find it in search."""

from __future__ import annotations

import pytest
from e2e_support import (
    Sessions,
    memories,
    store,
    summarizer,
    summary_json,
    summary_requests,
    user_config,
)
from e2e_support import sessions as sessions
from fakellm import FakeLLM

from aidermem.index.memory_index import MemoryIndex
from aidermem.index.search import SearchRequest, find
from aidermem.models import Kind, Method

QUESTION = "why can two workers never run the same job"
SUMMARY = summary_json(
    "Queue worker locking", "Workers take advisory locks per job.",
    decisions=[{"title": "Advisory locks", "decision": "one lock per job id",
                "questions": [QUESTION], "symptoms": ["a job ran twice"],
                "aliases": ["pg_advisory_lock"]}])


@pytest.mark.e2e
def test_the_model_expansion_is_stored_and_searchable(sessions: Sessions,
                                                      fake_llm: FakeLLM) -> None:
    user_config('summarize = "foreground"\n')
    fake_llm.responder = summarizer(SUMMARY)
    run = sessions.start()
    run.say("we settled on advisory locks")
    assert run.exit() == 0
    assert '"questions"' in summary_requests(fake_llm)[0].text  # the prompt asked for them
    decision = next(m for m in memories()
                    if m.kind == Kind.DECISION and m.source.method == Method.LLM)
    assert decision.expansion.questions == [QUESTION]
    assert decision.expansion.aliases == ["pg_advisory_lock"]
    relpath = next(p for p, m in store().iter_memories() if getattr(m, "id", "") == decision.id)
    assert f"  questions:\n  - {QUESTION}\n" in (store().root / relpath).read_text()
    hits = find(MemoryIndex.open(store()), SearchRequest(text=QUESTION, scope="all"))
    assert hits[0].id == decision.id
