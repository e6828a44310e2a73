"""The capture journal: atomic entries, slices, claims, dead owners."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys

from aidermem.capture.journal import Entry, Journal, State, owner_alive


def _entry(sid: str = "01JOURNAL", pid: int | None = None) -> Entry:
    return Entry(
        session_id=sid, state=State.RUNNING, started="2026-11-21T05:00:00+00:00", cwd="/tmp",
        repo_root=None, project_id="p", project_name="p", store_root="/s",
        history_path="/tmp/h.md", history_offset=10, head_before=None,
        owner_pid=pid if pid is not None else os.getpid(),
    )


def test_write_load_roundtrip(tmp_path) -> None:
    journal = Journal(tmp_path / "j")
    entry = _entry()
    entry.facts = {"git_commits": [["abc", "msg"]]}
    journal.write(entry)
    loaded = journal.load(entry.session_id)
    assert loaded == entry
    assert loaded is not None and loaded.state is State.RUNNING
    assert oct((tmp_path / "j" / "01JOURNAL.json").stat().st_mode & 0o777) == "0o600"


def test_slice_and_remove(tmp_path) -> None:
    journal = Journal(tmp_path / "j")
    journal.write(_entry())
    journal.write_slice("01JOURNAL", "#### hello\n")
    assert journal.read_slice("01JOURNAL") == "#### hello\n"
    journal.remove("01JOURNAL")
    assert journal.load("01JOURNAL") is None
    assert list(journal.entries()) == []


def test_unreadable_entry_is_reported_not_fatal(tmp_path) -> None:
    journal = Journal(tmp_path / "j")
    journal.write(_entry("01A"))
    (tmp_path / "j" / "01B.json").write_text("{not json")
    items = list(journal.entries())
    assert isinstance(items[0], Entry) and items[0].session_id == "01A"
    assert isinstance(items[1], tuple) and items[1][0].name == "01B.json"


def _hold(root: str, started: object, release: object) -> None:
    journal = Journal(__import__("pathlib").Path(root))
    with journal.claim("01X") as mine:
        assert mine
        started.set()  # type: ignore[attr-defined]
        release.wait(10)  # type: ignore[attr-defined]


def test_claim_is_exclusive_across_processes(tmp_path) -> None:
    ctx = multiprocessing.get_context("spawn")
    started, release = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_hold, args=(str(tmp_path / "j"), started, release))
    proc.start()
    assert started.wait(20)
    journal = Journal(tmp_path / "j")
    with journal.claim("01X") as mine:
        assert mine is False
    release.set()
    proc.join(20)
    with journal.claim("01X") as mine:
        assert mine is True


def test_owner_alive_tracks_real_processes(tmp_path) -> None:
    assert owner_alive(_entry(pid=os.getpid()))
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not owner_alive(_entry(pid=child.pid))


def test_entry_json_is_plain_and_has_no_key_fields(tmp_path) -> None:
    journal = Journal(tmp_path / "j")
    journal.write(_entry())
    data = json.loads((tmp_path / "j" / "01JOURNAL.json").read_text())
    assert not any("key" in name.lower() for name in data)
