"""capture: the journal state machine over a real journal, store, index and the fake LLM.

No aider here: the chat history is written in aider's format by the test.
A "crash" is the journal and store exactly as a killed process leaves them
between two steps; finishing from there must store every memory exactly once.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys

import pytest
from capture_world import HISTORY, LATER_SESSION, SUMMARY, World
from capture_world import world as world
from e2e_support import summarizer, summary_requests
from fakellm import Failure

from aidermem.capture import driver as capture
from aidermem.capture import steps
from aidermem.capture.journal import Entry, State, process_identity
from aidermem.capture.llm import LLMConfig
from aidermem.capture.summarize import DEFAULT_MAX_CHARS
from aidermem.index.memory_index import MemoryIndex
from aidermem.index.search import SearchRequest, find
from aidermem.models import Kind, Memory, Method, new_id


def _kinds(memories: list[Memory]) -> set[tuple[str, str]]:
    return {(m.kind.value, m.source.method.value) for m in memories}


EXPECTED = {("session", "llm"), ("decision", "llm"), ("decision", "extractive")}


def test_each_step_journals_before_the_store_and_the_last_one_clears_the_journal(
        world: World) -> None:
    entry = world.entry(world.history())
    sid = entry.session_id

    steps.collect(entry, world.journal)
    assert world.journal.load(sid).state is State.PENDING
    assert "#### decision: use advisory locks keyed by job id" in world.journal.read_slice(sid)
    assert world.memories() == []

    stored = steps.store_extractive(entry, world.journal, world.store, world.index)
    journaled = world.journal.load(sid)
    assert journaled.state is State.STORED
    assert journaled.memory_ids == [m.id for m in stored]
    assert _kinds(world.memories()) == {("session", "extractive"), ("decision", "extractive")}

    assert steps.summarize(entry, world.journal, world.store, world.config)
    assert world.journal.load(sid).state is State.SUMMARIZED
    assert len(world.journal.read_summary(sid)) == 2
    assert _kinds(world.memories()) == {("session", "extractive"), ("decision", "extractive")}

    made = steps.apply_summary(entry, world.journal, world.store, world.index)
    assert world.journal_files() == []
    assert _kinds(world.memories()) == EXPECTED
    session, decision = made
    assert session.id == stored[0].id  # the summary replaced the extractive session memory
    assert session.created == stored[0].created and session.author == stored[0].author
    assert decision.related == [session.id]
    assert set(session.related) == {decision.id, stored[1].id}  # the developer's note stays
    hits = find(world.index, SearchRequest(text="pg_advisory_xact_lock", scope="all"))
    assert hits[0].id == decision.id


# Where a killed process can leave an entry, and how many summary requests the
# whole history of that session has made once it is finished.
CRASH_POINTS = {
    "before collect": 1,
    "after collect": 1,
    "ids recorded, nothing stored": 1,
    "stored, state not yet written": 1,
    "stored": 1,
    "summary journaled, state not yet written": 2,  # nothing stored from it: asked again
    "summarized": 1,
    "session memory replaced, linked memories not stored": 1,
    "everything stored, entry not yet removed": 1,
}


def _crash_at(world: World, point: str) -> Entry:
    journal, store, index = world.journal, world.store, world.index
    entry = world.entry(world.history())
    if point == "before collect":
        return entry
    steps.collect(entry, journal)
    if point == "after collect":
        return entry
    if point == "ids recorded, nothing stored":
        entry.memory_ids = [new_id() for _ in steps.build_extractive(entry, journal)]
        journal.write(entry)
        return entry
    steps.store_extractive(entry, journal, store, index)
    if point == "stored, state not yet written":
        entry.state = State.PENDING
        del entry.facts["session_sha256"]
        journal.write(entry)
        return entry
    if point == "stored":
        return entry
    steps.summarize(entry, journal, store, world.config)
    if point == "summary journaled, state not yet written":
        entry.state = State.STORED
        journal.write(entry)
        return entry
    if point == "summarized":
        return entry
    saved = world.tmp / "journal-before-apply"
    shutil.copytree(journal.root, saved)
    made = steps.apply_summary(entry, journal, store, index)
    shutil.rmtree(journal.root)
    shutil.copytree(saved, journal.root)  # the entry as the killed process left it
    if point == "session memory replaced, linked memories not stored":
        for memory in made[1:]:
            store.forget(memory.id, delete=True)
    return entry


@pytest.mark.parametrize("point", list(CRASH_POINTS))
def test_a_crash_between_any_two_steps_finishes_exactly_once(world: World, point: str) -> None:
    entry = _crash_at(world, point)
    outcome = world.finish(entry)
    assert outcome.refined and outcome.error is None
    assert world.journal_files() == []
    memories = world.memories()
    assert _kinds(memories) == EXPECTED
    assert len(memories) == len({m.id for m in memories}) == 3  # no duplicates
    assert {m.id for m in outcome.saved} <= {m.id for m in memories}
    assert len(summary_requests(world.fake)) == CRASH_POINTS[point]
    world.index.sync()
    hits = find(world.index, SearchRequest(text="advisory", scope="all"))
    assert sorted(h.id for h in hits) == sorted(m.id for m in memories)
    # Finishing again finds nothing left to do.
    assert capture.recover(world.journal, world.notes.append) == []


@pytest.mark.parametrize("failure", [Failure.http_500(), Failure.garbage(),
                                     Failure.delay(3, then=SUMMARY)],
                         ids=["http 500", "not json", "timeout"])
def test_a_failing_model_leaves_the_extractive_memory_and_retries_at_most_three_times(
        world: World, failure: Failure) -> None:
    world.fake.responder = summarizer(failure)
    world.config = LLMConfig(model="openai/fake", api_base=world.fake.base_url, api_key="x",
                             timeout=1)
    entry = world.entry(world.history())
    for attempt in range(1, capture.MAX_ATTEMPTS + 1):
        outcome = world.finish(entry)
        assert outcome.error and not outcome.refined
        assert outcome.retry == (attempt < capture.MAX_ATTEMPTS)
        assert [m.source.method for m in outcome.saved] == [Method.EXTRACTIVE] * 2
        assert _kinds(world.memories()) == {("session", "extractive"),
                                            ("decision", "extractive")}
        journaled = world.journal.load(entry.session_id)
        if outcome.retry:
            assert (journaled.state, journaled.attempts) == (State.STORED, attempt)
            assert journaled.last_error == outcome.error
    assert world.journal_files() == []
    assert "final after 3 tries" in world.notes[-1]


def test_no_model_means_the_extractive_memory_is_final(world: World) -> None:
    outcome = world.finish(world.entry(world.history()), model=False)
    assert [m.kind for m in outcome.saved] == [Kind.SESSION, Kind.DECISION]
    assert world.journal_files() == []
    assert summary_requests(world.fake) == []


@pytest.mark.parametrize("change", ["edited", "deleted"])
def test_a_session_memory_changed_by_the_user_is_not_overwritten(world: World,
                                                                 change: str) -> None:
    entry = world.entry(world.history())
    assert capture.finish(entry, world.journal, store=world.store, index=world.index,
                          config=None, notify=world.notes.append, defer_summary=True).retry
    session_id = world.journal.load(entry.session_id).memory_ids[0]
    path = world.store.root / world.store.path_of(session_id)
    if change == "edited":
        path.write_text(path.read_text() + "\nMy own words.\n")
    else:
        world.store.forget(session_id, delete=True)
    world.finish(entry)
    assert world.journal_files() == []
    assert summary_requests(world.fake) == []  # not even asked
    if change == "edited":
        assert path.read_text().endswith("My own words.\n")
    else:
        assert not path.exists()


@pytest.mark.parametrize("change", ["edited", "forgotten", "deleted"])
def test_a_users_change_while_the_model_is_asked_wins_over_the_late_summary(
        world: World, change: str) -> None:
    """The "not changed since" check is made again when the summary is applied."""
    entry = world.entry(world.history())
    assert capture.finish(entry, world.journal, store=world.store, index=world.index,
                          config=None, notify=world.notes.append, defer_summary=True).retry
    entry = world.journal.load(entry.session_id)
    assert steps.summarize(entry, world.journal, world.store, world.config)
    session_id, note_id = entry.memory_ids
    relpath = world.store.path_of(session_id)
    path = world.store.root / relpath
    if change == "edited":
        mine = world.store.load(relpath)
        mine.title = "My own title"
        world.store.update(mine)
    elif change == "forgotten":
        world.store.forget(session_id)
    else:
        world.store.forget(session_id, delete=True)
    users = path.read_bytes() if path.exists() else None
    assert world.finish(entry).refined is False
    assert world.journal_files() == []  # finished, not retried
    assert (path.read_bytes() if path.exists() else None) == users
    assert [m.id for m in world.memories()] == ([note_id] if change == "deleted"
                                                else sorted([session_id, note_id]))
    assert len(summary_requests(world.fake)) == 1


def test_a_session_with_nothing_to_remember_is_dropped(world: World) -> None:
    history = world.history("# aider chat started at 2026-03-01 10:00:00\n\n"
                            "> Aider v0.86.2\n\n#### /tokens  \n\n> 0 tokens\n\n#### /exit  \n")
    outcome = world.finish(world.entry(history))
    assert outcome.saved == [] and outcome.skipped_reason == "nothing to remember"
    assert world.journal_files() == [] and world.memories() == []


def test_only_what_the_session_appended_is_read_unless_the_file_shrank(world: World) -> None:
    earlier = "# aider chat started at 2026-02-01 09:00:00\n\n#### an older session's request  \n"
    history = world.history(earlier + HISTORY)
    entry = world.entry(history, offset=len(earlier.encode()))
    steps.collect(entry, world.journal)
    assert "older session" not in world.journal.read_slice(entry.session_id)

    shrunk = world.entry(history, offset=10 * history.stat().st_size)  # rotated since
    steps.collect(shrunk, world.journal)
    assert world.journal.read_slice(shrunk.session_id) == earlier + HISTORY

    missing = world.entry(world.tmp / "no-such-history.md")
    assert world.finish(missing).skipped_reason == "nothing to remember"


def test_another_aider_appending_to_the_same_history_is_not_captured_twice(
        world: World) -> None:
    ours = HISTORY.replace("make the job workers lock each job", "tune the worker pool")
    theirs = ("\n# aider chat started at 2026-03-01 10:05:00\n\n"
              "#### rename the billing tables  \n\nDone.\n\n")
    history = world.history(ours + theirs)
    outcome = world.finish(world.entry(history))
    assert outcome.refined
    (request,) = summary_requests(world.fake)
    assert "tune the worker pool" in request.text
    assert "billing tables" not in request.text
    assert all("billing tables" not in m.body for m in world.memories())
    assert len([m for m in world.memories() if m.kind == Kind.SESSION]) == 1


def test_a_huge_session_is_stored_bounded_and_summarized_within_budget(world: World) -> None:
    turn = ("#### please refactor the billing module, step {n}  \n\n"
            + "Here is a long answer line about billing.\n" * 40 + "\n")
    body = "".join(turn.format(n=n) for n in range(3_000))
    history = world.history("# aider chat started at 2026-03-01 10:00:00\n\n" + body)
    assert history.stat().st_size > 5_000_000
    outcome = world.finish(world.entry(history))
    assert outcome.refined
    extractive = [m for m in world.memories() if m.source.method == Method.EXTRACTIVE]
    assert extractive == []  # replaced: the session memory is the model's now
    (request,) = summary_requests(world.fake)
    assert len(request.text) < DEFAULT_MAX_CHARS + 10_000
    assert "step 0" in request.text and "step 2999" in request.text  # start and end survive


def test_garbage_bytes_in_the_history_never_stop_capture(world: World) -> None:
    noise = random.Random(7).randbytes(300_000)
    raw = (noise[:150_000] + b"\n#### fix the \xff\xfe parser please  \n\nDone.\n\n"
           + noise[150_000:] + b"\x00\x00")
    history = world.tmp / "history.md"
    history.write_bytes(raw)
    entry = world.entry(history)
    world.fake.responder = summarizer("{not json", "still not json")
    outcome = world.finish(entry)
    assert outcome.error and outcome.retry
    slice_text = world.journal.read_slice(entry.session_id)
    assert "fix the \ufffd\ufffd parser please" in slice_text
    session = outcome.saved[0]
    assert session.kind == Kind.SESSION and "parser please" in session.body


def test_recover_collects_only_sessions_whose_aidermem_is_gone(world: World) -> None:
    history = world.history()
    dead = world.entry(history)
    alive = world.entry(history, pid=os.getpid())
    alive.owner_start = process_identity(os.getpid())
    world.journal.write(alive)
    reused = world.entry(history, pid=os.getpid())  # our pid, but recorded for another process
    reused.owner_start = "another-boot:123"
    world.journal.write(reused)
    (world.journal.root / "01BROKEN.json").write_text("{not json")
    (world.journal.root / ".tmp-abc.json").write_text("{half written")

    ready = capture.recover(world.journal, world.notes.append)
    assert {e.session_id for e in ready} == {dead.session_id, reused.session_id}
    assert all(e.state is State.PENDING for e in ready)
    assert world.journal.load(alive.session_id).state is State.RUNNING
    assert len(world.notes) == 1 and "01BROKEN.json" in world.notes[0]


def test_git_commits_made_during_the_session_are_remembered(world: World) -> None:
    repo = world.tmp / "repo"
    repo.mkdir()

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                              text=True).stdout.strip()

    git("init", "-q")
    (repo / "a.txt").write_text("a\n")
    git("add", "a.txt")
    git("commit", "-q", "-m", "initial")
    before = git("rev-parse", "HEAD")
    entry = world.entry(world.history())
    entry.repo_root, entry.head_before = str(repo), before
    world.journal.write(entry)
    (repo / "jobs.py").write_text("lock = True\n")
    git("add", "jobs.py")
    git("commit", "-q", "-m", "Lock jobs with ghp_R4nd0mT0k3nV4lu3Xy9Zw8Qp7Lm6Kj5Hg4Fd3S")
    sha = git("rev-parse", "HEAD")

    outcome = world.finish(entry, model=False)
    session = outcome.saved[0]
    assert session.commits == [f"{sha[:7]} Lock jobs with [REDACTED:github]"]
    assert "jobs.py" in session.files


def test_two_capture_processes_at_once_store_each_session_once(world: World) -> None:
    entries = [world.entry(world.history(HISTORY.replace("job id", f"job id {n}"),
                                         name=f"h{n}.md")) for n in range(6)]
    env = {**os.environ, "OPENAI_API_KEY": "x"}
    cmd = [sys.executable, "-m", "aidermem", "capture", "--pending", "--json"]
    procs = [subprocess.Popen(cmd, cwd=world.tmp, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    reported = [{s["session_id"] for s in json.loads(out)["sessions"]} for out, _ in outputs]
    assert not reported[0] & reported[1]  # no session was worked on twice
    assert reported[0] | reported[1] == {e.session_id for e in entries}
    assert world.journal_files() == []
    memories = world.memories()
    assert len(memories) == 3 * len(entries) == len({m.id for m in memories})
    by_session: dict[str, int] = {}
    for memory in memories:
        by_session[memory.source.session_id] = by_session.get(memory.source.session_id, 0) + 1
    assert sorted(by_session) == sorted(e.session_id for e in entries)
    assert set(by_session.values()) == {3}
    assert len(summary_requests(world.fake)) == len(entries)


def test_receipt_says_what_was_saved_and_how() -> None:
    session = Memory(id="01SESSION", title="Job locking", kind=Kind.SESSION)
    note = Memory(title="lock per job", kind=Kind.DECISION)
    outcome = capture.Outcome("01X", saved=[session, note])
    assert capture.receipt(outcome, background=True) == (
        "aidermem: saved 01SESSION 'Job locking' (+1 linked); "
        "a model summary follows in the background")
    assert capture.receipt(outcome, background=False) == (
        "aidermem: saved 01SESSION 'Job locking' (+1 linked) [extractive]")
    outcome.refined = True
    assert capture.receipt(outcome, background=False) == (
        "aidermem: saved 01SESSION 'Job locking' (+1 linked)")
    assert capture.receipt(capture.Outcome("01Y"), background=False) is None


@pytest.mark.parametrize("model", [True, False], ids=["summarized", "extractive"])
def test_importing_a_history_skips_the_sessions_captured_live(world: World, model: bool) -> None:
    """Live capture records each session's import key as its conversation id, so a later
    `aidermem import` of the same history adds nothing twice."""
    from aidermem.capture.importer import import_history
    from aidermem.project import Project

    history = world.history(HISTORY + LATER_SESSION)
    world.finish(world.entry(history), model=model)  # captures the first session only
    captured = world.memories()
    assert captured and all(m.source.conversation_id for m in captured)
    shop = Project(id="github.com/acme/shop", name="shop", root=None)
    report = import_history(history, world.store, MemoryIndex.open(world.store), project=shop)
    assert (report.duplicates, report.imported) == (1, 1)  # the later session is new
    assert len(world.memories()) == len(captured) + report.memories
    again = import_history(history, world.store, MemoryIndex.open(world.store), project=shop)
    assert (again.duplicates, again.imported) == (2, 0)


