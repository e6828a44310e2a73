"""own_history: each session's own chat history file, handed on to the user's exactly once.

Real files and a real journal; the history text is written in aider's format by the test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aidermem.capture import own_history, steps
from aidermem.capture.journal import Entry, Journal, State

EARLIER = "\n# aider chat started at 2026-01-05 09:00:00\n\n#### an earlier request  \n\nDone.\n"
OURS = "\n# aider chat started at 2026-03-01 10:00:00\n\n#### tune the worker pool  \n\nOK.\n"
THEIRS = "\n# aider chat started at 2026-03-01 10:00:01\n\n#### rename the tables  \n\nOK.\n"


def _entry(tmp_path: Path, history: Path, own: Path, offset: int = 0) -> Entry:
    return Entry(
        session_id="01OWNHISTORY", state=State.RUNNING, started="2026-03-01T10:00:00+00:00",
        cwd=str(tmp_path), repo_root=None, project_id="p", project_name="p",
        store_root=str(tmp_path / "store"), history_path=str(history), history_offset=offset,
        head_before=None, owner_pid=os.getpid(), own_history=str(own),
    )


def test_collect_reads_the_own_history_and_appends_it_to_the_users(tmp_path: Path) -> None:
    journal = Journal()
    history = tmp_path / ".aider.chat.history.md"
    history.write_text(EARLIER + THEIRS)  # another aider wrote there meanwhile
    own = own_history.path_for(journal.root)
    assert own_history.prepare(own, history, restore=False) == 0
    own.write_text(OURS)
    entry = _entry(tmp_path, history, own)
    steps.collect(entry, journal)
    assert journal.read_slice(entry.session_id) == OURS
    assert history.read_text() == EARLIER + THEIRS + OURS
    assert not own.exists()
    assert journal.load(entry.session_id).state is State.PENDING


def test_a_crash_after_the_append_never_appends_twice(tmp_path: Path) -> None:
    journal = Journal()
    history = tmp_path / ".aider.chat.history.md"
    history.write_text(EARLIER)
    own = own_history.path_for(journal.root)
    own_history.prepare(own, history, restore=False)
    own.write_text(OURS)
    entry = _entry(tmp_path, history, own)
    journal.write(entry)
    # Killed after the append, before the entry moved on: as a dead collect leaves it.
    entry.handed_on_at = own_history.user_size(history)
    journal.write(entry)
    own_history.hand_on(own.read_bytes(), history, entry.handed_on_at)
    with history.open("a") as f:
        f.write(THEIRS)  # and another aider appended after it
    again = journal.load(entry.session_id)
    steps.collect(again, journal)
    assert history.read_text() == EARLIER + OURS + THEIRS


def test_an_unwritable_user_history_keeps_the_session_for_later(tmp_path: Path) -> None:
    journal = Journal()
    blocker = tmp_path / "logs"
    blocker.write_text("a file where the history's folder should be")
    history = blocker / "chat.md"
    own = own_history.path_for(journal.root)
    own_history.prepare(own, history, restore=False)
    own.write_text(OURS)
    entry = _entry(tmp_path, history, own)
    journal.write(entry)
    with pytest.raises(OSError):
        steps.collect(entry, journal)
    assert own.read_text() == OURS
    assert journal.load(entry.session_id).state is State.RUNNING
    blocker.unlink()
    steps.collect(journal.load(entry.session_id), journal)  # the next run's recovery
    assert history.read_text() == OURS
    assert not own.exists()


def test_restoring_aider_gets_the_users_history_and_only_the_new_text_is_handed_on(
        tmp_path: Path) -> None:
    journal = Journal()
    history = tmp_path / ".aider.chat.history.md"
    history.write_text(EARLIER)
    own = own_history.path_for(journal.root)
    offset = own_history.prepare(own, history, restore=True)
    assert own.read_text() == EARLIER and offset == len(EARLIER.encode())
    assert own.stat().st_mode & 0o077 == 0 and journal.root.stat().st_mode & 0o077 == 0
    with own.open("a") as f:
        f.write(OURS)
    steps.collect(_entry(tmp_path, history, own, offset), journal)
    assert history.read_text() == EARLIER + OURS
    assert journal.read_slice("01OWNHISTORY") == OURS


def test_a_session_that_wrote_nothing_leaves_the_users_history_alone(tmp_path: Path) -> None:
    journal = Journal()
    history = tmp_path / ".aider.chat.history.md"
    own = own_history.path_for(journal.root)
    own_history.prepare(own, history, restore=False)
    steps.collect(_entry(tmp_path, history, own), journal)  # aider never started
    assert not history.exists()


@pytest.mark.parametrize(("argv", "expected"), [
    ([], ["--chat-history-file=/j/h.md"]),
    (["--model", "m", "app.py"], ["--model", "m", "app.py", "--chat-history-file=/j/h.md"]),
    (["--chat-history-file", "mine.md"], ["--chat-history-file", "mine.md",
                                          "--chat-history-file=/j/h.md"]),
    (["--model", "m", "--", "--odd-name.py"],
     ["--model", "m", "--chat-history-file=/j/h.md", "--", "--odd-name.py"]),
])
def test_the_own_history_flag_comes_last_but_before_a_bare_double_dash(
        argv: list[str], expected: list[str]) -> None:
    assert own_history.with_flag(argv, Path("/j/h.md")) == expected


def test_removing_an_entry_removes_its_own_history_only_once_collected(tmp_path: Path) -> None:
    journal = Journal()
    history = tmp_path / ".aider.chat.history.md"
    own = own_history.path_for(journal.root)
    own_history.prepare(own, history, restore=False)
    own.write_text(OURS)
    entry = _entry(tmp_path, history, own)
    journal.write(entry)
    journal.remove(entry.session_id)  # never handed on: the text must survive
    assert own.read_text() == OURS
    entry.state = State.PENDING  # collected; killed before the own file was unlinked
    journal.write(entry)
    journal.remove(entry.session_id)
    assert not own.exists() and journal.load(entry.session_id) is None
