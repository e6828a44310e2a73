"""`aidermem` instead of `aider`: memories retrieved at launch reach the model; capture at exit.

The real aider on a pty, started by the real `aidermem` console script, talks
to the fake LLM; the fake's recorded requests prove what aider really sent.
Summaries run in the foreground (user config) so each test ends settled.
"""

from __future__ import annotations

import json
import stat
import tempfile
from pathlib import Path

import pytest
from aider_harness import AIDERMEM, aider_flags, spawn, wait_exit
from e2e_support import (
    CONTEXT_HEADING,
    Sessions,
    aider_requests,
    journal_entries,
    memories,
    read_flags,
    store_log,
    summarizer,
    summary_json,
    summary_requests,
    user_config,
)
from e2e_support import sessions as sessions
from fakellm import FakeLLM

from aidermem.models import Kind, Method

DECISION = "use PostgreSQL advisory locks for the job queue"


@pytest.fixture(autouse=True)
def foreground_summaries() -> None:
    user_config('summarize = "foreground"\n')


@pytest.mark.e2e
def test_a_decision_is_remembered_and_sent_to_the_model_next_session(
        sessions: Sessions, fake_llm: FakeLLM) -> None:
    fake_llm.responder = summarizer(summary_json(
        "Chose the job queue lock", "Settled how workers lock jobs: advisory locks.",
        decisions=[{"title": "Advisory locks for jobs", "decision": "pg_advisory_xact_lock per job",
                    "rationale": "no lock table to vacuum"}]))

    first = sessions.start()
    assert read_flags(first.aider_argv) == []  # no memories yet: no context file at all
    first.say(f"decision: {DECISION}")
    assert CONTEXT_HEADING not in aider_requests(fake_llm)[-1].text
    assert first.exit() == 0
    assert "aidermem: saved " in first.screen()

    # Stored: the model's session summary, its decision, and the developer's own words.
    by_kind = {m.kind: m for m in memories() if m.source.method == Method.LLM}
    session, decision = by_kind[Kind.SESSION], by_kind[Kind.DECISION]
    assert session.title == "Chose the job queue lock"
    assert decision.related == [session.id] and decision.id in session.related
    (noted,) = [m for m in memories() if m.source.method == Method.EXTRACTIVE]
    assert noted.title == DECISION and noted.id in session.related
    assert len(summary_requests(fake_llm)) == 1
    assert DECISION in summary_requests(fake_llm)[0].text
    assert journal_entries() == []

    found = sessions.cli("search", "advisory locks", "--json")
    assert found.returncode == 0, found.stderr
    hits = {h["id"] for h in json.loads(found.stdout)["hits"]}
    assert {noted.id, decision.id} <= hits

    second = sessions.start()
    (context_file,) = map(Path, read_flags(second.aider_argv))
    folder = context_file.parent
    assert context_file.name == "aidermem-context.md"
    assert folder.parent == Path(tempfile.gettempdir()) and folder.name.startswith("aidermem-")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(context_file.stat().st_mode) == 0o400
    second.say("which lock do the job workers take?")
    sent = aider_requests(fake_llm)[-1].text
    assert CONTEXT_HEADING in sent
    assert DECISION in sent  # the developer's note, verbatim
    assert "pg_advisory_xact_lock per job" in sent  # the model's decision memory
    assert "Chose the job queue lock" in sent  # where the last session stopped
    assert second.exit() == 0
    assert not context_file.exists() and not folder.exists()
    # aider listed the context file among its read-only files; it is not a file worked on.
    assert len(memories()) > 3
    assert not [m for m in memories() if "aidermem-context" in " ".join([*m.files, m.body])]


@pytest.mark.e2e
def test_configured_read_files_still_reach_the_model(sessions: Sessions,
                                                     fake_llm: FakeLLM) -> None:
    repo = sessions.repo
    (repo / "CONVENTIONS.md").write_text("Makefiles are indented with tabs (rule CONV-7731).\n")
    (repo / ".aider.conf.yml").write_text("read: [CONVENTIONS.md]\n")
    added = sessions.cli("add", "--kind", "decision",
                         stdin="Retry budget\n\nHTTP clients retry three times (rule MEM-4410).\n")
    assert added.returncode == 0, added.stderr

    run = sessions.start()
    reads = read_flags(run.aider_argv)
    assert reads[0] == str(repo / "CONVENTIONS.md") and reads[1].endswith("aidermem-context.md")
    run.say("how many retries?")
    sent = aider_requests(fake_llm)[-1].text
    assert "rule CONV-7731" in sent and "rule MEM-4410" in sent
    assert run.exit() == 0


@pytest.mark.e2e
def test_mem_off_runs_plain_aider(sessions: Sessions, fake_llm: FakeLLM) -> None:
    added = sessions.cli("add", "Deploys freeze on Fridays (rule MEM-0042)")
    assert added.returncode == 0, added.stderr
    before, log_before = memories(), store_log()

    run = sessions.start("--mem-off")
    assert read_flags(run.aider_argv) == []
    assert "--mem-off" not in run.aider_argv
    assert journal_entries() == []  # an entry would be written before aider starts
    run.say("remember: this session must not be stored")
    sent = aider_requests(fake_llm)[-1].text
    assert "MEM-0042" not in sent and CONTEXT_HEADING not in sent
    assert run.exit() == 0

    assert [m.id for m in memories()] == [m.id for m in before]
    assert store_log() == log_before
    assert journal_entries() == []
    assert summary_requests(fake_llm) == []
    assert "aidermem: saved" not in run.screen()


@pytest.mark.e2e
def test_exit_status_is_aiders_and_an_empty_session_is_not_stored(sessions: Sessions,
                                                                  fake_llm: FakeLLM) -> None:
    bad = spawn([AIDERMEM, *aider_flags(fake_llm), "--no-such-aider-flag"], cwd=sessions.repo,
                env=sessions.env)
    assert wait_exit(bad) == 2  # argparse's usage error, from aider itself
    assert "unrecognized arguments: --no-such-aider-flag" in Path(bad.log_path).read_text()

    run = sessions.start()
    run.say("/tokens")  # a command, not a request: nothing worth remembering
    assert run.exit() == 0
    assert memories() == []
    assert journal_entries() == []
    assert fake_llm.chat_requests() == []
    assert "aidermem: saved" not in run.screen()
