"""SessionFacts.of: the one builder of what aidermem knows about a session without a model,
used by live capture (capture/steps.py) and by import (capture/importer.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from aidermem.capture.extractive import Origin
from aidermem.capture.summarize import SessionFacts
from aidermem.capture.transcript import Session, split_sessions

HISTORY = """
# aider chat started at 2025-03-04 10:11:12

> Added app.py to the chat.

#### /add src/util.py

> Added src/util.py to the chat

#### Add a --verbose flag to the CLI

I'll add the flag.

> Applied edit to app.py
> Commit 1a2b3c4 feat: add --verbose flag

#### remember: we use pnpm, never npm

Noted.
"""

START = datetime(2025, 3, 4, 10, 11, 12, tzinfo=UTC)


def _session() -> Session:
    (session,) = split_sessions(HISTORY)
    return session


def test_facts_of_a_session_from_its_transcript_alone() -> None:
    session = _session()
    origin = Origin(session_id="s-1", transcript_path="/w/.aider.chat.history.md")
    facts = SessionFacts.of(session, origin, project_id="github.com/acme/shop",
                            project_name="shop", started=START)
    assert facts == SessionFacts(
        project_id="github.com/acme/shop", project_name="shop",
        commits=[("1a2b3c4", "feat: add --verbose flag")],
        files_edited=["app.py"], files_added=list(session.added_files),
        remember_lines=["remember: we use pnpm, never npm"],
        started=START, transcript_path="/w/.aider.chat.history.md", session_id="s-1",
        conversation_id=None, user_turns=len(session.user_turns),
        requests=len(session.requests))
    assert "src/util.py" in facts.files_added
    assert facts.user_turns == 3 and facts.requests == 2  # the /add is no request


def test_what_git_saw_wins_for_commits_and_joins_the_edited_files_once() -> None:
    origin = Origin(session_id="s", transcript_path="h", conversation_id="c-1")
    facts = SessionFacts.of(_session(), origin, project_id="p", project_name="p", started=None,
                            commits=[("9f9f9f9", "fix: by hand")],
                            also_edited=["app.py", "README.md"])
    assert facts.commits == [("9f9f9f9", "fix: by hand")]
    assert facts.files_edited == ["app.py", "README.md"]
    assert facts.conversation_id == "c-1" and facts.started is None


def test_no_commits_from_git_fall_back_to_the_transcripts() -> None:
    facts = SessionFacts.of(_session(), Origin(session_id="s", transcript_path="h"),
                            project_id="p", project_name="p", started=None, commits=[])
    assert facts.commits == [("1a2b3c4", "feat: add --verbose flag")]
