"""Importing a history again, at once, undated, or that is no history: real store, index, git."""

from __future__ import annotations

import os
import random
import string
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aider_harness import AIDERMEM
from capture_world import HISTORY, LATER_SESSION, SUMMARY, World
from corpus import CORPUS
from e2e_support import summarizer
from fakellm import FakeLLM

from aidermem.capture import transcript
from aidermem.capture.importer import import_history, read_history
from aidermem.errors import UsageError
from aidermem.index.memory_index import MemoryIndex
from aidermem.models import Kind, Memory
from aidermem.project import Project
from aidermem.redaction import redact
from aidermem.retrieve import select as retrieve
from aidermem.store.store import Store

PROJECT = Project(id="github.com/acme/shop", name="shop", root=None)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "store")


@pytest.fixture
def index(store: Store) -> MemoryIndex:
    return MemoryIndex.open(store)


def _aider(*lines: str) -> str:
    """History text as aider writes it: two spaces after user and tool lines."""
    return "".join(line + ("  " if line.startswith(("#### ", "> ")) else "") + "\n"
                   for line in lines)


def _session(stamp: str, *lines: str) -> str:
    # aider opens every run with a blank line, then the header
    return _aider("", f"# aider chat started at {stamp}", "", "> Aider v0.86.1", *lines)


def _sessions(store: Store) -> list[Memory]:
    found = [m for _, m in store.iter_memories() if isinstance(m, Memory)]
    return [m for m in found if m.kind is Kind.SESSION]


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}).stdout


# -- one session, one id: live capture and import agree --------------------------------


SHORT = _session("2025-02-03 10:00:00", "#### What does the retry decorator do?", "",
                 "It retries.", "", "#### /exit")


def test_a_session_has_the_same_key_at_capture_and_after_the_next_run(tmp_path: Path) -> None:
    history = str(tmp_path / ".aider.chat.history.md")
    # Capture reads what this run appended; the file ends with the session's last line.
    [captured] = transcript.parse_slice(SHORT)
    # Later, another run appends its own session: aider starts it with a blank line.
    later = SHORT + _session("2025-02-04 09:00:00", "#### Add a retry limit", "", "Done.")
    first, second = transcript.split_sessions(later)
    assert first.text != captured.text  # the trailing blank line is the next run's
    assert transcript.session_key(history, first) == transcript.session_key(history, captured)
    assert transcript.session_key(history, second) != transcript.session_key(history, first)


def test_sessions_started_in_the_same_second_are_told_apart(tmp_path: Path) -> None:
    history = str(tmp_path / ".aider.chat.history.md")
    text = (_session("2025-02-03 10:00:00", "#### Fix the login form", "", "Fixed.")
            + _session("2025-02-03 10:00:00", "#### Speed up the search page", "", "Faster."))
    keys = {transcript.session_key(history, s) for s in transcript.split_sessions(text)}
    assert len(keys) == 2
    other = str(tmp_path / "other" / ".aider.chat.history.md")
    [one] = transcript.split_sessions(SHORT)
    assert transcript.session_key(history, one) != transcript.session_key(other, one)


def test_sessions_recorded_as_not_to_be_saved_are_never_imported(
    store: Store, index: MemoryIndex, tmp_path: Path
) -> None:
    from aidermem.capture import session_ids

    history = tmp_path / ".aider.chat.history.md"
    kept = _session("2025-02-01 09:00:00", "#### Add a health check", "", "Added.")
    history.write_text(kept, encoding="utf-8")
    offset = history.stat().st_size
    with history.open("a", encoding="utf-8") as handle:  # a --mem-off run appends this
        handle.write(_session("2025-02-02 09:00:00", "#### remember: the vault key is in 1P",
                              "#### Rotate the vault key", "", "Rotated."))
    session_ids.record_unsaved_run(history, offset, "mem-off")
    record = session_ids.unsaved_file().read_text(encoding="utf-8")
    assert "vault" not in record and "\tmem-off\t" in record  # the id and why, not the text

    report = import_history(history, store, index, project=PROJECT)
    assert (report.sessions, report.imported, report.unsaved) == (2, 1, 1)
    assert [m.title for m in _sessions(store)] == ["Add a health check"]
    assert not any("vault" in m.body + m.title for _, m in store.iter_memories()
                   if isinstance(m, Memory))


# -- three imports of one history at once -------------------------------------------


def test_concurrent_imports_store_each_session_once(tmp_path: Path) -> None:
    source = CORPUS / "87maxi__SupplyChainTracker2.md"
    clean = redact.redact(read_history(source)).text
    expected = len({transcript.session_key(str(source.resolve()), s)
                    for s in transcript.split_sessions(clean) if not s.trivial})
    assert expected > 5
    work = tmp_path / "elsewhere"  # no git repo: the sessions go to this folder's "project"
    work.mkdir()
    env = {**os.environ, "AIDERMEM_HOME": str(tmp_path / "home")}
    assert subprocess.run([AIDERMEM, "list"], cwd=work, env=env, capture_output=True,
                          check=False).returncode == 0  # the store exists before the race
    procs = [subprocess.Popen([AIDERMEM, "import", str(source), "--json"], cwd=work, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    results = [proc.communicate(timeout=300) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], [err for _, err in results]
    store = Store.open(tmp_path / "home" / "store")
    ids = [m.source.session_id for m in _sessions(store)]
    assert len(ids) == len(set(ids)) == expected


# -- a huge single line ---------------------------------------------------------------


def test_a_huge_single_line_history_imports_in_bounded_memory(tmp_path: Path) -> None:
    rng = random.Random(7)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9)))
             for _ in range(2000)]
    chunk = " ".join(rng.choices(words, k=160_000))  # ~1 MB of words
    blob = " ".join([chunk] * 50)[:50_000_000]  # one pasted line, 50 MB
    history = tmp_path / ".aider.chat.history.md"
    history.write_text(_session("2025-03-01 08:00:00", f"#### {blob}", "", "Noted."),
                       encoding="utf-8")
    del blob
    # A fresh interpreter runs the import as a child, so its peak RSS is the import's alone.
    probe = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "print(done.stdout, done.stderr)\n"
    )
    env = {**os.environ, "AIDERMEM_HOME": str(tmp_path / "home")}
    out = subprocess.run([sys.executable, "-c", probe, AIDERMEM, "import", str(history)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
                         timeout=600).stdout
    code, max_rss_kib = (int(word) for word in out.split()[:2])
    assert code == 0, out
    assert "1 of 1 sessions imported" in out
    assert max_rss_kib < 400 * 1024, f"peak RSS {max_rss_kib // 1024} MiB"
    [memory] = _sessions(Store.open(tmp_path / "home" / "store"))
    assert len(memory.body) <= 4000 and memory.title


# -- a file that is not a history ---------------------------------------------------


def test_a_file_that_is_not_a_history_is_refused_and_nothing_is_stored(
    store: Store, index: MemoryIndex, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\n#### Install\n\nRun make.\n\n> a quote\n", encoding="utf-8")
    with pytest.raises(UsageError) as info:
        import_history(notes, store, index, project=PROJECT)
    assert info.value.message == (f"{notes} is not an aider chat history (no '# aider chat "
                                  "started at' header and no '#### ' input lines)")
    assert ".aider.chat.history.md" in info.value.hint
    assert _sessions(store) == []
    empty = tmp_path / "empty.md"
    empty.write_text("\n", encoding="utf-8")
    assert import_history(empty, store, index, project=PROJECT).sessions == 0


# -- undated and trivial sessions are not "where the last session stopped" -----------------


def test_a_headerless_history_in_git_is_dated_by_its_first_commit(
    store: Store, index: MemoryIndex, tmp_path: Path
) -> None:
    repo = tmp_path / "calc"
    repo.mkdir()
    _git(repo, "init", "-q")
    history = repo / ".aider.chat.history.md"
    history.write_text(_aider("#### Rename the parser module", "", "Renamed."), encoding="utf-8")
    when = "2023-06-07T08:09:10+00:00"
    _git(repo, "add", history.name)
    _git(repo, "commit", "-q", "-m", "history", env={"GIT_AUTHOR_DATE": when,
                                                     "GIT_COMMITTER_DATE": when})
    history.touch()  # a fresh checkout: the file's mtime says today
    import_history(history, store, index, project=PROJECT)
    [memory] = _sessions(store)
    assert memory.created == datetime(2023, 6, 7, 8, 9, 10, tzinfo=UTC)


def test_undated_and_trivial_sessions_never_become_the_last_session(
    store: Store, index: MemoryIndex, tmp_path: Path
) -> None:
    history = tmp_path / ".aider.chat.history.md"
    history.write_text(
        _session("2025-04-01 09:00:00", "#### Move the cache to Redis", "", "Moved.",
                 "", "> Commit 1a2b3c4 feat: cache in redis", "", "#### Now add a TTL", "",
                 "Added.")
        # a one-off `aider --message` question, later, with no commit
        + _session("2025-04-02 09:00:00", "#### What does the TTL default to?", "", "60s."),
        encoding="utf-8",
    )
    import_history(history, store, index, project=PROJECT)
    found = retrieve.retrieve(index, store, query="", where=retrieve.Filter(PROJECT.id))
    assert found.last_session is not None
    assert found.last_session.title == "Move the cache to Redis"  # not the later one-off
    headerless = tmp_path / "copied.md"  # a cut-off copy: no header, file time is now
    headerless.write_text(_aider("#### Fix the flaky upload test", "", "Fixed."),
                          encoding="utf-8")
    import_history(headerless, store, index, project=PROJECT)
    assert len(_sessions(store)) == 3
    found = retrieve.retrieve(index, store, query="", where=retrieve.Filter(PROJECT.id))
    assert found.last_session is not None
    assert found.last_session.title == "Move the cache to Redis"


@pytest.mark.parametrize("model", [True, False], ids=["summarized", "extractive"])
def test_a_session_captured_before_the_next_run_is_not_imported_again(
    tmp_path: Path, fake_llm: FakeLLM, model: bool
) -> None:
    fake_llm.responder = summarizer(SUMMARY)
    world = World(tmp_path, fake_llm)
    history = world.history(HISTORY)  # what the file holds when this session is captured
    world.finish(world.entry(history), model=model)
    [session] = [m for m in world.memories() if m.kind is Kind.SESSION]
    assert session.source.requests == 2  # so it may stand as the last session
    with history.open("a", encoding="utf-8") as handle:  # the next aider run, not captured
        handle.write(LATER_SESSION)
    report = import_history(history, world.store, world.index, project=PROJECT)
    assert (report.duplicates, report.imported) == (1, 1)


def test_a_history_in_another_clone_of_the_repo_names_the_same_sessions(
    store: Store, index: MemoryIndex, tmp_path: Path
) -> None:
    text = SHORT + _session("2025-02-04 09:00:00", "#### Add a retry limit", "", "Done.")
    histories = []
    for name in ("mine", "teammates-clone"):
        repo = tmp_path / name
        repo.mkdir()
        _git(repo, "init", "-q")
        _git(repo, "remote", "add", "origin", "git@github.com:acme/shop.git")
        (repo / ".aider.chat.history.md").write_text(text, encoding="utf-8")
        histories.append(repo / ".aider.chat.history.md")
    first = import_history(histories[0], store, index, project=PROJECT)
    assert first.imported == 2
    # The history was committed and cloned (or the repo moved): the same sessions.
    again = import_history(histories[1], store, index, project=PROJECT)
    assert (again.imported, again.duplicates) == (0, 2)
    outside = tmp_path / "loose.md"  # outside any repo, the path is all there is
    outside.write_text(text, encoding="utf-8")
    assert import_history(outside, store, index, project=PROJECT).imported == 2
