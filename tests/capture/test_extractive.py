"""The no-model summary: titles, sections, linked notes, bounded bodies."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from corpus import CORPUS

from aidermem.capture.extractive import MAX_BODY, MAX_TITLE, Origin, extract, session_title
from aidermem.capture.transcript import split_sessions
from aidermem.models import Kind, Method, Tool
from aidermem.store import memfile

TZ = timezone(timedelta(hours=1))


def _aider(*lines: str) -> str:
    """A transcript with aider's trailing two spaces on user and tool lines."""
    out = ["", "# aider chat started at 2025-03-04 10:11:12", ""]
    for line in lines:
        out.append(line + "  " if line.startswith(("#### ", "> ")) else line)
    return "\n".join(out) + "\n"


SESSION = _aider(
    "> Aider v0.86.1",
    "> Main model: openai/gpt-4o with diff edit format",
    "",
    "#### /add src/app.py",
    "> Added src/app.py to the chat",
    "",
    "#### ok",
    "",
    "Sure.",
    "",
    "#### ## Add retry with exponential backoff to the HTTP client so flaky networks stop failing",
    "",
    "Done.",
    "",
    "> Applied edit to src/http/client.py",
    "> Commit 1a2b3c4 feat: retry with backoff",
    "",
    "#### remember: the staging API rate-limits at 10 req/s",
    "#### decision: use tenacity rather than a hand-written retry loop",
    "",
    "Noted.",
    "",
    "#### Add retry with exponential backoff to the HTTP client so flaky networks stop failing",
    "",
    "Already done.",
    "",
    "#### now write the tests",
    "",
    "Writing.",
    "",
    "> ^C KeyboardInterrupt",
)


def _extract(text: str, tool: Tool = Tool.AIDER) -> list:
    [session] = split_sessions(text)
    origin = Origin("s-1", "/work/shop/.aider.chat.history.md", tool=tool)
    return extract(session, origin, project_id="github.com/acme/shop", project_name="shop",
                   tz=TZ)


def test_session_memory_fields() -> None:
    main, *_ = _extract(SESSION, tool=Tool.IMPORT)
    assert main.kind is Kind.SESSION
    assert main.title == (
        "Add retry with exponential backoff to the HTTP client so flaky networks stop…"
    )
    assert len(main.title) <= MAX_TITLE
    assert main.project == "github.com/acme/shop"
    assert main.project_name == "shop"
    assert main.source.method is Method.EXTRACTIVE
    assert main.source.tool is Tool.IMPORT
    assert main.source.session_id == "s-1"
    assert main.source.transcript == "/work/shop/.aider.chat.history.md"
    assert main.created == datetime(2025, 3, 4, 10, 11, 12, tzinfo=TZ)
    assert main.source.session_start == main.created
    assert main.files == ["src/http/client.py", "src/app.py"]
    assert main.commits == ["1a2b3c4 feat: retry with backoff"]
    assert "python" in main.topics


def test_body_sections() -> None:
    main, *_ = _extract(SESSION)
    body = main.body
    assert body.startswith("Aider session started 2025-03-04 10:11, model openai/gpt-4o")
    asked = body.split("## What was asked\n", 1)[1].split("\n\n", 1)[0]
    # De-duplicated: the repeated request appears once; the heading marks are gone.
    assert asked.count("Add retry with exponential backoff") == 1
    assert "- now write the tests" in asked
    assert "## Commits\n- `1a2b3c4` feat: retry with backoff" in body
    assert "- edited: `src/http/client.py`" in body
    assert "- added to the chat: `src/app.py`" in body
    assert "## Notes\n- remember: the staging API rate-limits at 10 req/s" in body
    assert "- decision: use tenacity rather than a hand-written retry loop" in body
    stopped = body.split("## Where it stopped\n", 1)[1]
    assert stopped.startswith("Last request: now write the tests")
    assert "interrupted" in stopped


def test_decision_and_remember_become_linked_memories() -> None:
    main, note, decision = _extract(SESSION)
    assert note.kind is Kind.NOTE
    assert note.title == "the staging API rate-limits at 10 req/s"
    assert decision.kind is Kind.DECISION
    assert decision.title == "use tenacity rather than a hand-written retry loop"
    assert main.related == [note.id, decision.id]
    assert note.related == [main.id]
    assert decision.related == [main.id]
    assert decision.source.session_id == main.source.session_id
    assert decision.created == main.created
    # The developer's words and nothing else: `related` says which session they come from,
    # and the context file aider re-sends with every request pays for every line.
    assert note.body == "the staging API rate-limits at 10 req/s"
    assert decision.body == "use tenacity rather than a hand-written retry loop"
    # Every memory survives a round trip through its file format.
    for memory in (main, note, decision):
        assert memfile.parse(memfile.dump(memory)) == memory


def test_title_skips_acknowledgements_and_commands() -> None:
    text = _aider("#### /add x.py", "", "#### yes", "", "ok", "", "#### > Fix the login form", "")
    [session] = split_sessions(text)
    assert session_title(session) == "Fix the login form"


def test_pasted_block_is_summarized_not_copied() -> None:
    paste = ["#### Here is the error log:"] + [f"#### line {i} of the log" for i in range(400)]
    [main] = _extract(_aider(*paste, "", "Fixed."))
    assert "Here is the error log: (pasted 401 lines)" in main.body
    assert "line 399 of the log" not in main.body


def test_no_user_messages_yields_nothing() -> None:
    text = _aider("> Aider v0.86.1", "> Main model: x with diff edit format")
    assert _extract(text) == []
    assert _extract(_aider("#### /add a.py", "> Added a.py to the chat", "#### /exit")) == []


def test_headerless_session_without_start() -> None:
    [session] = split_sessions("#### fix the bug  \n\nDone.\n")
    [main] = extract(session, Origin("x", None), project_id="p", project_name="p")
    assert main.title == "fix the bug"
    assert main.source.session_start is None
    assert main.created.tzinfo is not None
    assert "start time unknown" in main.body


def test_body_is_bounded_for_the_largest_transcript() -> None:
    path = CORPUS / "BjornNordblom__pocketflow-text2sql-gui.md"
    text = path.read_bytes().decode("utf-8", errors="replace")
    assert len(text) > 370_000
    [main] = _extract(text)
    assert len(main.body) <= MAX_BODY
    assert "## Where it stopped" in main.body  # lists shrink before the ending is cut
    assert "- … and" in main.body
    assert len(main.commits) == 28


def test_every_corpus_session_extracts_within_bounds() -> None:
    for path in sorted(CORPUS.glob("*.md")):
        text = path.read_bytes().decode("utf-8", errors="replace")
        for number, session in enumerate(split_sessions(text)):
            memories = extract(
                session,
                Origin(f"{path.name}-{number}", str(path)),
                project_id="p",
                project_name="p",
            )
            assert (memories == []) == session.trivial, path.name
            for memory in memories:
                assert len(memory.body) <= MAX_BODY
                assert 0 < len(memory.title) <= MAX_TITLE
                assert "\n" not in memory.title


def test_the_context_file_is_never_among_the_session_files() -> None:
    history = "\n".join([
        "# aider chat started at 2026-11-20 09:30:00", "",
        "> Added ../../aidermem-28484-3b9ff57969/aidermem-context.md to the chat (read-only).  ",
        "", "#### /add /tmp/aidermem-28484-3b9ff57969/aidermem-context.md cart.py  ", "",
        "#### make the cart total exact  ", "", "Done.", "", "> Applied edit to cart.py  ", "",
    ])
    (main,) = _extract(history)
    assert main.files == ["cart.py"]
    assert "aidermem-context" not in main.body
