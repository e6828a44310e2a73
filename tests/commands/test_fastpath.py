"""commands.fastpath: answers from the index while the change check runs, never stale ones.

Real store (git), real Tantivy index, real `git diff-files` probes. What each test counts
is how often the command's work ran and on which answer it settled.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cli_support import make_repo, memory, put, store

from aidermem import paths
from aidermem.commands import fastpath
from aidermem.commands.fastpath import CommandIndex
from aidermem.index.memory_index import MemoryIndex, SyncReport
from aidermem.index.search import SearchRequest, find
from aidermem.store import memfile
from aidermem.store.worktree import Probe


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = make_repo(tmp_path / "shop")
    monkeypatch.chdir(repo)
    put(memory("AAAA", "Use Postgres for orders", body="row locks for checkout"),
        memory("BBBB", "Login loop", body="the cookie path was /api"))
    MemoryIndex.open(store()).sync()  # built and in step, as after any earlier command
    return repo


class Titles:
    """The work of a read command: titles matching `text`, counting its runs."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.runs = 0

    def __call__(self, index: MemoryIndex) -> list[str]:
        self.runs += 1
        return sorted(h.title for h in find(index, SearchRequest(text=self.text, scope="all")))


def reports() -> tuple[list[SyncReport], object]:
    seen: list[SyncReport] = []
    return seen, lambda _index, report: seen.append(report)


def test_an_unchanged_store_is_answered_once_from_the_index_as_committed(shop: Path) -> None:
    seen, on_sync = reports()
    handle = CommandIndex(store(), probe=Probe(store().root), on_sync=on_sync)
    work = Titles("postgres")
    assert handle.answer(work) == ["Use Postgres for orders"]
    assert work.runs == 1  # the early answer stood
    assert [r.changed for r in seen] == [False]  # the sync ran, and found nothing
    assert handle.answer(work) == ["Use Postgres for orders"]  # synced now: no second sync
    assert len(seen) == 1


def test_a_hand_edit_found_by_the_check_reruns_the_work_on_the_synced_index(
        shop: Path) -> None:
    root = store().root
    edited = next(root.rglob("01JQBBBB*.md"))
    with edited.open("a", encoding="utf-8") as handle:  # in place: no directory moves
        handle.write("\nAlso: zanzibar sharding.\n")
    added = memory("CCCC", "Zanzibar plan", body="zanzibar rollout")
    (edited.parent / f"{added.id}-zanzibar-plan.md").write_text(memfile.dump(added),
                                                                encoding="utf-8")
    seen, on_sync = reports()
    index = CommandIndex(store(), probe=Probe(root), on_sync=on_sync)
    work = Titles("zanzibar")
    assert index.answer(work) == ["Login loop", "Zanzibar plan"]
    assert work.runs == 2  # the early (stale) answer was thrown away
    assert [r.changed for r in seen] == [True]


def test_a_probe_of_another_store_is_dropped_and_the_answer_is_still_synced(
        shop: Path, tmp_path: Path) -> None:
    """An edit in place only `git diff-files` of the store itself sees: the other store's
    probe (nothing modified there) must not stand in for it."""
    edited = next(store().root.rglob("01JQBBBB*.md"))
    with edited.open("a", encoding="utf-8") as handle:
        handle.write("\nAlso: zanzibar sharding.\n")
    seen, on_sync = reports()
    index = CommandIndex(store(), probe=Probe(make_repo(tmp_path / "elsewhere")),
                         on_sync=on_sync)
    work = Titles("zanzibar")
    assert index.answer(work) == ["Login loop"]
    assert work.runs == 1  # synced first: with no probe of its store, nothing ran meanwhile
    assert [r.changed for r in seen] == [True]


def test_without_an_index_on_disk_the_work_runs_once_on_the_built_index(shop: Path) -> None:
    import shutil

    shutil.rmtree(paths.index_dir_for(store().root))
    seen, on_sync = reports()
    handle = CommandIndex(store(), probe=Probe(store().root), on_sync=on_sync)
    work = Titles("postgres")
    assert handle.answer(work) == ["Use Postgres for orders"]
    assert work.runs == 1
    assert [r.rebuilt for r in seen] == [True]


def test_after_a_commit_only_the_written_memory_is_indexed(shop: Path) -> None:
    seen, on_sync = reports()
    s = store()
    handle = CommandIndex(s, probe=None, on_sync=on_sync)
    written = memory("DDDD", "Redis sessions", body="sessions move to redis")
    relpath = s.add(written)
    handle.after_commit(s.last_commit, {relpath: written}, wait=2.0)
    assert [(r.updated, r.rebuilt) for r in seen] == [(1, False)]
    assert handle.answer(Titles("redis")) == ["Redis sessions"]
    assert len(seen) == 1  # the update counts as this command's sync


@pytest.mark.parametrize(("command", "args", "probed"), [
    ("search", ["postgres"], True), ("list", [], True), ("digest", [], True),
    ("stats", [], True), ("search", ["--help"], False), ("list", ["-h"], False),
    ("add", ["text"], False), ("show", ["01JQAAAA"], False), ("reindex", [], False),
])
def test_early_probe_starts_only_for_read_commands(shop: Path, command: str, args: list[str],
                                                   probed: bool) -> None:
    probe = fastpath.early_probe(command, args, shop, {})
    assert (probe is not None) == probed
    if probe is not None:
        assert probe.root == store().root
        probe.close()


def test_early_probe_needs_a_store_at_the_guessed_place(tmp_path: Path) -> None:
    assert fastpath.early_probe("search", ["x"], tmp_path, {"AIDERMEM_STORE": "nowhere"}) is None
