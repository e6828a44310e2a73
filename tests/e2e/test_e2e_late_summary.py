"""A slow model summary never overwrites what the user did to the session memory meanwhile.

The real aider on a pty under the real `aidermem`; the background summarizer
waits 12 s for the fake model, and while it waits the user edits the session
memory in $EDITOR (a script) or forgets it with the real CLI.
"""

from __future__ import annotations

import pytest
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
from test_cli_support import write_editor

from aidermem import paths
from aidermem.models import Kind, Method, Status

MODEL_TITLE = "Tenant invoice numbering"
SUMMARY = summary_json(MODEL_TITLE, "Invoices are numbered per tenant.",
                       decisions=[{"title": "Per-tenant sequences", "decision": "one per tenant"}])
MY_TITLE = "My own notes on invoice numbers"


@pytest.mark.e2e
@pytest.mark.parametrize("action", ["edit", "forget"])
def test_a_late_summary_leaves_the_users_edit_or_forget_standing(
        sessions: Sessions, fake_llm: FakeLLM, tmp_path, action: str) -> None:
    user_config("")  # the default: the summary is asked for in the background
    fake_llm.responder = summarizer(Failure.delay(12, then=SUMMARY))
    run = sessions.start()
    run.say("decision: invoices are numbered per tenant")
    assert run.exit() == 0
    wait_until(lambda: summary_requests(fake_llm), "the background summary request")
    (session,) = [m for m in memories() if m.kind == Kind.SESSION]
    assert session.source.method == Method.EXTRACTIVE

    if action == "edit":
        editor = write_editor(tmp_path / "ed.py", (
            "lines = p.read_text().splitlines(keepends=True)\n"
            f"p.write_text(''.join('title: {MY_TITLE}\\n' if line.startswith('title:') "
            "else line for line in lines))\n"))
        done = sessions.cli("edit", session.id, env={"EDITOR": editor})
    else:
        done = sessions.cli("forget", session.id)
    assert done.returncode == 0, done.stderr
    # The model answers after the user's change; the background run then finishes the entry.
    wait_until(lambda: journal_entries() == [], "the background capture", timeout=90)

    (after,) = [m for m in memories() if m.kind == Kind.SESSION]
    assert after.id == session.id
    assert after.source.method == Method.EXTRACTIVE
    if action == "edit":
        assert (after.title, after.status) == (MY_TITLE, Status.ACTIVE)
    else:
        assert (after.title, after.status) == (session.title, Status.ARCHIVED)
    # Nothing of the late summary was stored, and the model was asked once, not again.
    assert all(m.source.method == Method.EXTRACTIVE for m in memories())
    assert len(summary_requests(fake_llm)) == 1
    log = (paths.journal_dir() / "background.log").read_text()
    assert f"kept your changes to {session.id}" in log
