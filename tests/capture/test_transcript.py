"""Transcript parsing: each format element, then every real transcript in the corpus."""

from __future__ import annotations

import csv
import itertools
from datetime import datetime, timedelta, timezone

import pytest
from corpus import CORPUS

from aidermem.capture.transcript import is_command, parse_slice, split_sessions

# "~~" marks the two trailing spaces aider writes after user and tool lines.
MODERN = """
# aider chat started at 2025-03-04 10:11:12

> /usr/bin/aider --model openai/gpt-4o~~
> Aider v0.86.1~~
> Main model: openai/gpt-4o with diff edit format~~
> Weak model: openai/gpt-4o-mini~~
> Git repo: .git with 3 files~~
> Added app.py to the chat.~~

#### /add src/util.py docs/*.md~~
> Added src/util.py to the chat~~

#### Add a --verbose flag to the CLI~~

I'll add the flag.

#### Options

app.py
```python
<<<<<<< SEARCH
=======
import argparse
>>>>>>> REPLACE
```

> Tokens: 3.1k sent, 48 received. Cost: $0.02 message, $0.40 session.~~
> Applied edit to app.py~~
> Commit 1a2b3c4 feat: add --verbose flag~~

#### Here is the traceback:~~
#### Traceback (most recent call last):~~
####   File "app.py", line 3~~
#### ~~
#### NameError: x~~

Fixed it.

> Tokens: 1k sent, 10 received. Cost: $0.01 message, $0.41 session.~~
> # 2 SEARCH/REPLACE blocks failed to match!

## SearchReplaceNoExactMatch: This SEARCH block failed to exactly match lines in app.py

#### remember: we use pnpm, never npm~~
#### Decision: keep argparse instead of click~~

Noted.

#### !ls -la~~
> Add command output to the chat? (Y)es/(N)o [Yes]: y~~

#### /ask~~
> Aider v0.86.1~~
> Main model: openai/gpt-4.1 with ask edit format~~
> Weak model: openai/gpt-4o-mini~~

#### why is it slow?~~

Because.

> ^C again to exit~~
> ^C KeyboardInterrupt~~
""".replace("~~\n", "  \n")


def test_modern_session_facts() -> None:
    [s] = split_sessions(MODERN)
    assert s.header is True
    assert s.started == datetime(2025, 3, 4, 10, 11, 12)
    assert s.aider_version == "0.86.1"
    assert s.main_model == "openai/gpt-4.1"  # the last one announced, after /ask
    assert s.weak_model == "openai/gpt-4o-mini"
    assert s.commits == [("1a2b3c4", "feat: add --verbose flag")]
    assert s.applied_files == ["app.py"]
    assert s.added_files == ["app.py", "src/util.py"]  # glob arguments are not files
    assert s.failed_edits == 2
    assert s.cost_lines[-1].startswith("Tokens: 1k sent")
    assert s.session_cost == pytest.approx(0.41)
    assert s.ended_interrupted is True


def test_user_turns_merge_pasted_blocks_and_keep_commands_apart() -> None:
    [s] = split_sessions(MODERN)
    assert s.user_turns[0] == "/add src/util.py docs/*.md"
    assert s.user_turns[1] == "Add a --verbose flag to the CLI"
    pasted = s.user_turns[2]
    assert pasted.startswith("Here is the traceback:\nTraceback")
    assert pasted.endswith("NameError: x")
    assert len(pasted.splitlines()) == 5
    assert s.commands == ["/add src/util.py docs/*.md", "!ls -la", "/ask"]
    assert "Options" not in s.user_turns  # the assistant's `#### Options` heading
    assert s.requests == [
        "Add a --verbose flag to the CLI",
        pasted,
        "remember: we use pnpm, never npm\nDecision: keep argparse instead of click",
        "why is it slow?",
    ]


def test_remember_and_decision_lines() -> None:
    [s] = split_sessions(MODERN)
    assert s.remember == [
        ("remember", "we use pnpm, never npm"),
        ("decision", "keep argparse instead of click"),
    ]


def test_assistant_blocks_exclude_tool_prompts() -> None:
    [s] = split_sessions(MODERN)
    assert s.assistant_blocks[0].startswith("I'll add the flag.")
    assert "#### Options" in s.assistant_blocks[0]
    assert any(b.startswith("Fixed it.") for b in s.assistant_blocks)
    assert not any("Add command output" in b for b in s.assistant_blocks)


def test_mode_switch_reprints_banner_without_new_session() -> None:
    sessions = split_sessions(MODERN)
    assert len(sessions) == 1


def test_multiple_sessions_and_offsets() -> None:
    text = MODERN + "\n# aider chat started at 2025-03-05 08:00:00\n\n#### second day  \n"
    sessions = split_sessions(text)
    assert [s.started for s in sessions] == [
        datetime(2025, 3, 4, 10, 11, 12),
        datetime(2025, 3, 5, 8, 0),
    ]
    for s in sessions:
        assert text[s.start : s.end] == s.text
    assert sessions[0].end == sessions[1].start
    assert sessions[1].user_turns == ["second day"]
    assert sessions[0].ended_interrupted is True
    assert sessions[1].ended_interrupted is False


def test_headerless_prefix_is_its_own_session() -> None:
    text = "> Running git init  \n\n#### fix the bug  \n\nDone.\n" + MODERN
    sessions = split_sessions(text)
    assert [s.header for s in sessions] == [False, True]
    assert sessions[0].started is None
    assert sessions[0].user_turns == ["fix the bug"]
    assert sessions[0].started_at() is None


def test_whitespace_only_prefix_is_not_a_session() -> None:
    assert [s.header for s in split_sessions("\n\n" + MODERN)] == [True]
    assert split_sessions("") == []


def test_crlf_file_parses_like_lf() -> None:
    crlf = MODERN.replace("\n", "\r\n")
    [a] = split_sessions(MODERN)
    [b] = split_sessions(crlf)
    assert b.user_turns == a.user_turns
    assert b.commits == a.commits
    assert b.main_model == a.main_model
    assert b.remember == a.remember
    assert b.text == crlf[b.start : b.end]


def test_ansi_codes_in_tool_lines() -> None:
    text = (
        "# aider chat started at 2024-01-01 00:00:00\n\n#### go  \n"
        "> \x1b[0;1;92mCommit abcdef1\x1b[0m fix: colour  \n"
        "> \x1b[32mApplied edit to \x1b[0mx.py  \n"
    )
    [s] = split_sessions(text)
    assert s.commits == [("abcdef1", "fix: colour")]
    assert s.applied_files == ["x.py"]


def test_old_model_line_formats() -> None:
    old = "# aider chat started at 2023-07-02 22:50:11\n\n> Model: gpt-4  \n\n#### hi  \n"
    models = (
        "# aider chat started at 2024-07-27 08:02:50\n\n> Aider v0.45.1  \n"
        "> Models: claude-3-5-sonnet with diff edit format, weak model claude-3-haiku  \n"
    )
    assert split_sessions(old)[0].main_model == "gpt-4"
    assert split_sessions(old)[0].aider_version is None
    s = split_sessions(models)[0]
    assert (s.main_model, s.weak_model, s.aider_version) == (
        "claude-3-5-sonnet",
        "claude-3-haiku",
        "0.45.1",
    )
    unnamed = "# aider chat started at 2024-01-01 00:00:00\n\n> Model:  with diff edit format  \n"
    assert split_sessions(unnamed)[0].main_model is None


def test_truncated_mid_line_and_mid_header() -> None:
    cut = MODERN[: MODERN.index("Fixed it.") + 4]
    [s] = split_sessions(cut)
    assert s.assistant_blocks[-1] == "Fixe"
    assert split_sessions("# aider chat sta")[0].header is False


def test_tool_prompt_continuation_lines_are_not_assistant_text() -> None:
    text = (
        "# aider chat started at 2024-01-01 00:00:00\n\n#### set up  \n\n"
        "> Run shell commands? mkdir src  \nmkdir tests\n      \ntouch a.py  \n"
        "> Running mkdir src  \n\nReal reply.\n"
    )
    [s] = split_sessions(text)
    assert s.assistant_blocks == ["Real reply."]


def test_whitespace_stripped_file_merges_blank_separated_paste() -> None:
    # An editor stripped trailing spaces and spaced the lines out: one paste, two commands.
    text = (
        "# aider chat started at 2024-08-20 16:44:22\n\n#### /clear\n\n#### /drop\n\n"
        "> Dropping all files from the chat session.\n\n"
        "#### it fails with an error\n\n#### invalid_request\n\n####\n\n#### Request ID: 98\n\n"
        "Try this.\n\n#### Step 1\nOpen the file.\n"
    )
    [s] = split_sessions(text)
    assert s.user_turns == [
        "/clear",
        "/drop",
        "it fails with an error\ninvalid_request\n\nRequest ID: 98",
    ]
    assert "Step 1" in s.assistant_blocks[-1]


def test_stripped_session_then_fresh_session_in_one_file() -> None:
    stripped = "# aider chat started at 2024-08-20 16:44:22\n\n#### old question\n\nOld answer.\n"
    fresh = "# aider chat started at 2025-01-01 09:00:00\n\n#### new question  \n\nNew.\n"
    old, new = split_sessions(stripped + fresh)
    assert old.user_turns == ["old question"]
    assert new.user_turns == ["new question"]


def test_architect_handoff_is_not_a_user_turn() -> None:
    plan = "Changes to implement the web service under backend/ as follows"
    text = (
        "# aider chat started at 2025-08-06 12:06:30\n\n#### Plan a web service  \n\n"
        f"{plan}\n\n1) create app.py\n\n> Tokens: 1.6k sent, 1.7k received.  \n\n"
        f"#### {plan}  \n####   \n#### 1) create app.py  \n\napp.py\n```\n```\n"
    )
    [s] = split_sessions(text)
    assert s.user_turns == ["Plan a web service"]


def test_blank_input_marker_and_empty_session() -> None:
    [s] = split_sessions("# aider chat started at 2024-01-01 00:00:00\n\n#### <blank>  \n")
    assert s.user_turns == []
    assert s.trivial
    [empty] = split_sessions("\n# aider chat started at 2024-01-01 00:00:00\n")
    assert empty.user_turns == [] and empty.trivial


def test_started_at_attaches_a_timezone() -> None:
    [s] = split_sessions(MODERN)
    tz = timezone(timedelta(hours=2))
    assert s.started_at(tz) == datetime(2025, 3, 4, 10, 11, 12, tzinfo=tz)
    local = s.started_at()
    assert local is not None and local.tzinfo is not None


def test_is_command_does_not_take_paths_for_commands() -> None:
    assert is_command("/add x.py")
    assert is_command("/exit")
    assert is_command("!pytest -q")
    assert not is_command("/home/me/app.py: error on line 3")
    assert not is_command("! important")


def test_parse_slice_matches_split_sessions() -> None:
    tail = MODERN[MODERN.index("#### Here is") :]
    [s] = parse_slice(tail)
    assert s.header is False
    assert s.user_turns[0].startswith("Here is the traceback")


def _manifest() -> dict[str, dict[str, str]]:
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle, delimiter="\t")}


MANIFEST = _manifest() if CORPUS.exists() else {}


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_corpus_transcript_parses(name: str) -> None:
    row = MANIFEST[name]
    text = (CORPUS / name).read_bytes().decode("utf-8", errors="replace")
    sessions = split_sessions(text)
    assert sum(s.header for s in sessions) == int(row["sessions"])
    assert sum(not s.header for s in sessions) <= 1
    # Sessions tile the file from the first non-blank character to the end.
    assert sessions == [] or sessions[-1].end == len(text)
    for a, b in itertools.pairwise(sessions):
        assert a.end == b.start
    turns = sum(len(s.user_turns) for s in sessions)
    user_lines = int(row["user_msgs"])
    assert turns <= user_lines  # pasted blocks merge, so never more turns than lines
    if user_lines:
        assert turns > 0
    for s in sessions:
        for sha, _ in s.commits:
            assert len(sha) >= 7 and int(sha, 16) >= 0


def test_corpus_pasted_spec_is_few_turns() -> None:
    text = (CORPUS / "Ag3497120__nullai-app.md").read_text(encoding="utf-8", errors="replace")
    sessions = split_sessions(text)
    turns = [t for s in sessions for t in s.user_turns]
    assert len(turns) == 3  # ~6,400 `####` lines: three pasted copies of one spec
    assert all(len(t.splitlines()) > 2000 for t in turns)


def test_corpus_headerless_file() -> None:
    text = (CORPUS / "NoodleSeed-com__seedspec.md").read_text(encoding="utf-8", errors="replace")
    [s] = split_sessions(text)
    assert s.header is False and s.started is None
    assert ("dd776d0", "feat: Initialize Python package structure with dependencies") in s.commits
    assert s.assistant_blocks[0].startswith("Let me help set up")


def test_corpus_crlf_file() -> None:
    raw = (CORPUS / "BjornNordblom__pocketflow-text2sql-gui.md").read_bytes()
    assert b"\r\n" in raw
    [s] = split_sessions(raw.decode("utf-8", errors="replace"))
    assert s.started == datetime(2025, 8, 6, 12, 6, 30)
    assert s.aider_version == "0.85.2"
    assert s.user_turns[0].startswith("Create a plan for how to make this command line app")
    assert not any(t.endswith("\r") for t in s.user_turns)
    assert len(s.commits) == 28


# What aider 0.86 prints at start-up for its --read files, aidermem's context file among them.
READ_ONLY = """
# aider chat started at 2026-11-20 09:30:00

> /usr/bin/aider --read=CONVENTIONS.md --read=/tmp/aidermem-28484-3b9ff57969/aidermem-context.md~~
> Aider v0.86.1~~
> Added app.py to the chat.~~
> Added CONVENTIONS.md to the chat (read-only).~~
> Added ../../aidermem-28484-3b9ff57969/aidermem-context.md to the chat (read-only).~~

#### /read-only docs/spec.md~~
> Added /repo/docs/spec.md to read-only files.~~

#### make the cart total exact~~

Done.

> Applied edit to app.py~~
""".replace("~~\n", "  \n")


def test_read_only_files_are_not_files_worked_on() -> None:
    [s] = split_sessions(READ_ONLY)
    assert s.added_files == ["app.py"]
    assert s.applied_files == ["app.py"]
