"""retrieve: the launch query (pure) and what a launch loads from a real store and index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aidermem.index.memory_index import MemoryIndex
from aidermem.models import Kind, Memory, Status
from aidermem.retrieve.select import (
    MAX_QUERY_WORDS,
    Filter,
    launch_query,
    merge_ranked,
    retrieve,
)
from aidermem.store.store import Store

SHOP, BILLING = "github.com/acme/shop", "github.com/acme/billing"
NOW = datetime.now(UTC).replace(microsecond=0)


# -- launch_query --------------------------------------------------------------


def test_query_puts_the_message_first_then_profile_words_files_branch_and_commits() -> None:
    query = launch_query(
        message="fix the refund rounding",
        extra_words=["payments"],
        files=["src/billing/refunds.py"],
        changed_files=["docs/API.md"],
        branch="feature/refund-rounding",
        commit_subjects=["Add invoice totals"],
    )
    # "refund" and "rounding" of the branch name were said already by the message.
    assert query == ("fix the refund rounding payments refunds src billing API docs "
                     "feature Add invoice totals")


@pytest.mark.parametrize("branch", ["main", "master", "HEAD", "develop", None])
def test_boring_branches_say_nothing(branch: str | None) -> None:
    assert launch_query(branch=branch) == ""


def test_words_count_once_so_the_budget_is_not_spent_on_repeats() -> None:
    changed = [f"src/payments/module_{i}.py" for i in range(30)]
    query = launch_query(changed_files=changed).split()
    assert query.count("src") == 1 and query.count("payments") == 1
    assert len(query) == 32
    assert launch_query(message="Cache cache CACHE") == "Cache"


def test_the_query_is_bounded_and_empty_input_gives_an_empty_query() -> None:
    assert launch_query() == ""
    huge = " ".join(f"word{i}" for i in range(10_000))
    words = launch_query(message=huge, commit_subjects=["never reached"]).split()
    assert len(words) == MAX_QUERY_WORDS and words[0] == "word0"


def test_odd_names_and_text_pass_through_as_words() -> None:
    query = launch_query(files=["./setup.py", "/abs/path/Makefile", "C++/main.cpp"],
                         message="foo(bar)? «ÜBER» 日本語", branch="fix/naïve-café")
    assert query == ("foo(bar)? «ÜBER» 日本語 setup Makefile abs path main C++ "
                     "fix naïve café")


def test_merge_ranked_keeps_first_occurrence_order_and_the_limit() -> None:
    a, b, c = (Memory(title=t) for t in "abc")
    assert merge_ranked([a, b], [b, c], [a], limit=3) == [a, b, c]
    assert merge_ranked([a, b], [c], limit=2) == [a, b]


# -- retrieve() against a real store and index ------------------------------------


def _memory(title: str, kind: Kind, *, project: str = SHOP, days_ago: int = 5, body: str = "",
            **kw: object) -> Memory:
    when = NOW - timedelta(days=days_ago)
    name = {SHOP: "shop", BILLING: "billing", "": ""}[project]
    return Memory(title=title, kind=kind, body=body or title, project=project,
                  project_name=name, created=when, updated=when, **kw)


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Memory]:
    made = {
        "old session": _memory("Set up the repo", Kind.SESSION, days_ago=30),
        "last session": _memory("Refund rounding half done", Kind.SESSION, days_ago=1),
        "other session": _memory("Billing session", Kind.SESSION, project=BILLING, days_ago=0),
        "locks": _memory("Advisory locks for jobs", Kind.DECISION, days_ago=20,
                         body="Workers take pg advisory locks per job id.", topics=["queue"]),
        "tabs": _memory("Tabs in Makefiles", Kind.CONVENTION, days_ago=40),
        "bug": _memory("Rounding bug in refunds", Kind.BUG, days_ago=3, topics=["payments"]),
        "billing locks": _memory("Billing uses advisory locks too", Kind.DECISION,
                                 project=BILLING, days_ago=2),
        "global": _memory("Prefer UTC everywhere", Kind.NOTE, project="", days_ago=60),
        "archived": _memory("Old advisory lock table", Kind.DECISION, days_ago=2,
                            status=Status.ARCHIVED),
    }
    store = Store.open(tmp_path / "store")
    store.add_many(list(made.values()), "test memories")
    return made


def _ids(memories: list[Memory]) -> list[str]:
    return [m.title for m in memories]


def test_last_session_and_relevant_notes_first(world: dict[str, Memory], tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    found = retrieve(MemoryIndex.open(store), store, query="advisory locks", where=Filter(SHOP))
    assert found.last_session == world["last session"]  # this project's newest, not billing's
    titles = _ids(found.notes)
    assert titles[0] == "Advisory locks for jobs"  # the relevant note leads
    # The project's conventions always come along; newest notes that do not match the
    # query ("Rounding bug in refunds", "Prefer UTC everywhere") no longer pad the context.
    assert set(titles) == {"Advisory locks for jobs", "Tabs in Makefiles"}
    assert all(m.kind != Kind.SESSION for m in found.notes)


def test_the_newest_notes_stand_in_only_when_nothing_matches(
        world: dict[str, Memory], tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    found = retrieve(MemoryIndex.open(store), store, query="kubernetes helm chart",
                     where=Filter(SHOP))
    assert {"Rounding bug in refunds", "Prefer UTC everywhere"} <= set(_ids(found.notes))


def test_notes_far_below_the_best_match_are_left_out(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    strong = _memory("Redis session store", Kind.DECISION, days_ago=3,
                     body="Sessions go in the Redis session store, keyed by user id.")
    weak = _memory("Release checklist", Kind.NOTE, days_ago=1,
                   body="Tag the release, build the wheel, upload it, update the changelog, "
                        "announce it in the team channel, and check the app store listing.")
    store.add_many([strong, weak], "test memories")
    found = retrieve(MemoryIndex.open(store), store, query="redis session store",
                     where=Filter(SHOP))
    assert _ids(found.notes) == ["Redis session store"]


def test_scope_all_brings_in_other_projects_and_archived_never_shows(
        world: dict[str, Memory], tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    index = MemoryIndex.open(store)
    found = retrieve(index, store, query="advisory locks", where=Filter(SHOP), scope="all")
    titles = _ids(found.notes)
    assert "Billing uses advisory locks too" in titles
    assert "Old advisory lock table" not in titles
    assert found.last_session == world["last session"]  # sessions stay this project's
    listed = retrieve(index, store, query="advisory locks", where=Filter(SHOP),
                      scope=["billing"])
    assert _ids(listed.notes)[0] == "Billing uses advisory locks too"


def test_required_topics_filter_everything(world: dict[str, Memory], tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    found = retrieve(MemoryIndex.open(store), store, query="refunds",
                     where=Filter(SHOP, topics_require=["payments"]))
    assert _ids(found.notes) == ["Rounding bug in refunds"]
    assert found.last_session is None


def test_an_empty_store_or_query_gives_what_there_is(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    found = retrieve(MemoryIndex.open(store), store, query="", where=Filter(SHOP))
    assert found.last_session is None and found.notes == []
    for odd in ["foo(bar)?", "C++", '"', "日本語", "   "]:
        assert retrieve(MemoryIndex.open(store), store, query=odd,
                        where=Filter(SHOP)).notes == []


def test_a_file_broken_after_indexing_is_skipped(world: dict[str, Memory], tmp_path: Path
                                                 ) -> None:
    store = Store.open(tmp_path / "store")
    index = MemoryIndex.open(store)
    index.sync()
    broken = store.root / store.path_of(world["locks"].id)
    broken.write_text("no front matter at all")
    # The index still lists it (read before the file broke): retrieval must not fail.
    found = retrieve(index, store, query="advisory locks", where=Filter(SHOP))
    assert "Advisory locks for jobs" not in _ids(found.notes)
    assert "Tabs in Makefiles" in _ids(found.notes)


def test_highly_relevant_memories_from_other_projects_join_a_project_scope(
        tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    weak_here = _memory("Checkout notes", Kind.NOTE, days_ago=2,
                        body="We talked about caching once.")
    strong_there = _memory("Redis cache stampede fix", Kind.BUG, project=BILLING, days_ago=2,
                           body="Redis cache stampede: lock per key, jittered expiry.",
                           topics=["redis", "cache"])
    unrelated_there = _memory("Billing invoices in PDF", Kind.DECISION, project=BILLING)
    store.add_many([weak_here, strong_there, unrelated_there], "test memories")
    found = retrieve(MemoryIndex.open(store), store, query="redis cache stampede",
                     where=Filter(SHOP))
    titles = _ids(found.notes)
    assert "Redis cache stampede fix" in titles
    assert "Billing invoices in PDF" not in titles


def test_other_projects_never_outnumber_or_outrank_a_better_local_match(
        world: dict[str, Memory], tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    found = retrieve(MemoryIndex.open(store), store, query="advisory locks jobs workers",
                     where=Filter(SHOP))
    titles = _ids(found.notes)
    assert titles[0] == "Advisory locks for jobs"
    assert "Billing uses advisory locks too" not in titles


def test_memories_under_an_earlier_id_are_this_projects_in_the_context(
        world: dict[str, Memory], tmp_path: Path) -> None:
    from aidermem.retrieve.render import Frame, render

    store = Store.open(tmp_path / "store")
    earlier = _memory("Queue uses SKIP LOCKED", Kind.DECISION, project="", days_ago=1)
    earlier.project, earlier.project_name = "/home/me/shop", "shop"
    session = _memory("Queue session before the remote", Kind.SESSION, project="", days_ago=0)
    session.project, session.project_name = "/home/me/shop", "shop"
    store.add_many([earlier, session], "memories from before the remote was added")
    found = retrieve(MemoryIndex.open(store), store, query="skip locked",
                     where=Filter(SHOP, aliases=["/home/me/shop"]))
    assert found.last_session is not None
    assert found.last_session.title == "Queue session before the remote"
    assert _ids(found.notes)[0] == "Queue uses SKIP LOCKED"
    text = render(Frame("shop", SHOP), last_session=found.last_session,
                  memories=found.notes, budget=4000)
    assert "Queue uses SKIP LOCKED" in text and "from project" not in text


def test_a_one_request_session_that_recorded_a_decision_is_still_the_last_session(
        tmp_path: Path) -> None:
    # A single message that settled a decision is real work: it must not be passed over as
    # a one-off question (issue #8 item 7 is about trivial runs, not short sessions).
    from aidermem.models import Source, Tool

    store = Store.open(tmp_path / "store")
    decided = _memory("Chose the job queue lock", Kind.SESSION, days_ago=1,
                      source=Source(tool=Tool.AIDER, requests=1))
    decision = _memory("Advisory lock per job", Kind.DECISION, days_ago=1)
    decided.related, decision.related = [decision.id], [decided.id]
    question = _memory("What does the TTL default to?", Kind.SESSION, days_ago=0,
                       source=Source(tool=Tool.AIDER, requests=1))
    store.add_many([decided, decision, question], "two sessions")
    found = retrieve(MemoryIndex.open(store), store, query="", where=Filter(SHOP))
    assert found.last_session is not None
    assert found.last_session.title == "Chose the job queue lock"
