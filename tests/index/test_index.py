"""The index follows the store: commits, hand edits, deletions, pulls, damage.

Real git stores in tmp dirs and a real tantivy index; each "command" opens a
fresh MemoryIndex, as a new aidermem process would.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import tantivy

from aidermem import paths
from aidermem.errors import IndexBusyError
from aidermem.index.memory_index import FORMAT, MemoryIndex
from aidermem.index.search import SearchRequest, find
from aidermem.models import Kind, Memory, Source
from aidermem.store import memfile
from aidermem.store.store import Store


def mem(title, body="", **kw) -> Memory:
    kw.setdefault("created", datetime(2025, 6, 1, tzinfo=UTC))
    return Memory(title=title, body=body, **kw)


def ids(index: MemoryIndex, text: str, **kw) -> list[str]:
    return [h.id for h in find(index, SearchRequest(text=text, scope="all", **kw))]


def fresh(store: Store) -> MemoryIndex:
    return MemoryIndex.open(store)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def store(tmp_path) -> Store:
    return Store.open(tmp_path / "store")


def test_first_sync_builds_then_nothing_to_do(store):
    store.add_many([mem("alpha note", "apples"), mem("beta note", "bananas")], "seed")
    first = fresh(store).sync()
    assert first.rebuilt and first.added == 2 and not first.skipped
    second = fresh(store).sync()
    assert not second.changed
    assert fresh(store).count() == 2


def test_empty_store_indexes_to_nothing(store):
    index = fresh(store)
    assert index.sync().rebuilt
    assert index.count() == 0
    assert find(index, SearchRequest(text="anything")) == []
    assert find(index, SearchRequest()) == []


def test_new_commits_are_picked_up(store):
    fresh(store).sync()
    m = mem("gamma", "the zeppelin launched")
    store.add(m)
    report = fresh(store).sync()
    assert (report.added, report.updated, report.removed, report.rebuilt) == (1, 0, 0, False)
    assert ids(fresh(store), "zeppelin") == [m.id]


def test_update_and_forget_through_the_store(store):
    m = mem("delta", "original wording")
    store.add(m)
    fresh(store).sync()
    m.body = "revised wording about walruses"
    store.update(m)
    assert fresh(store).sync().updated == 1
    assert ids(fresh(store), "walruses") == [m.id]
    assert ids(fresh(store), "original") == []
    store.forget(m.id)  # archive
    assert ids(fresh(store), "walruses") == []
    assert ids(fresh(store), "walruses", include_archived=True) == [m.id]
    store.forget(m.id, delete=True)
    assert fresh(store).sync().removed == 1
    assert ids(fresh(store), "walruses", include_archived=True) == []


def test_hand_edit_is_seen_by_the_next_search(store):
    m = mem("epsilon", "first draft mentions otters")
    relpath = store.add(m)
    assert ids(fresh(store), "otters") == [m.id]
    path = store.root / relpath
    path.write_text(path.read_text().replace("otters", "beavers"))
    index = fresh(store)
    assert ids(index, "beavers") == [m.id]
    assert ids(index, "otters") == []
    # A second edit of a file that is still dirty is seen too.
    path.write_text(path.read_text().replace("beavers", "badgers and more badgers"))
    assert ids(fresh(store), "badgers") == [m.id]
    # Reverting to HEAD (the file becomes clean again) restores the committed text.
    git(store.root, "checkout", "--", relpath)
    assert ids(fresh(store), "otters") == [m.id]
    assert ids(fresh(store), "badgers") == []


def test_hand_deletion_disappears(store):
    keep, gone = mem("keeper", "shared word"), mem("goner", "shared word")
    paths_ = store.add_many([keep, gone], "two")
    assert set(ids(fresh(store), "shared")) == {keep.id, gone.id}
    (store.root / paths_[1]).unlink()
    report = fresh(store).sync()
    assert report.removed == 1
    assert ids(fresh(store), "shared") == [keep.id]


def test_hand_written_untracked_file_is_indexed(store):
    fresh(store).sync()
    m = mem("handmade", "written by hand without aidermem")
    relpath = store.relpath_for(m)
    (store.root / relpath).parent.mkdir(parents=True, exist_ok=True)
    (store.root / relpath).write_text(memfile.dump(m))
    assert ids(fresh(store), "handmade") == [m.id]


def test_commit_of_other_files_changes_nothing(store):
    store.add(mem("zeta", "stable"))
    fresh(store).sync()
    (store.root / "README.md").write_text("changed readme\n")
    git(store.root, "commit", "-qam", "readme")
    report = fresh(store).sync()
    assert not report.changed
    assert fresh(store).count() == 1


def test_git_pull_from_another_clone_is_picked_up(tmp_path):
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    a = Store.open(tmp_path / "a")
    a.add(mem("from a", "first memory"))
    git(a.root, "remote", "add", "origin", str(remote))
    git(a.root, "push", "-q", "-u", "origin", "main")
    git(tmp_path, "clone", "-q", str(remote), str(tmp_path / "b"))
    b = Store.open(tmp_path / "b")
    assert fresh(b).sync().added == 1

    pushed = mem("pushed later", "the quokka arrives by pull")
    a.add(pushed)
    git(a.root, "push", "-q")
    git(b.root, "pull", "-q", "--ff-only")
    report = fresh(b).sync()
    assert (report.added, report.rebuilt) == (1, False)
    assert ids(fresh(b), "quokka") == [pushed.id]


def test_rewritten_history_rebuilds(store):
    store.add(mem("one", "kept"))
    store.add(mem("two", "dropped later"))
    fresh(store).sync()
    git(store.root, "reset", "-q", "--hard", "HEAD~1")
    git(store.root, "reflog", "expire", "--expire=now", "--all")
    git(store.root, "gc", "-q", "--prune=now")
    report = fresh(store).sync()
    assert report.rebuilt
    assert ids(fresh(store), "dropped") == []
    assert fresh(store).count() == 1


def test_deleting_the_index_dir_rebuilds_on_search(store):
    m = mem("eta", "persistent fact about herons")
    store.add(m)
    fresh(store).sync()
    shutil.rmtree(paths.index_dir_for(store.root))
    assert ids(fresh(store), "herons") == [m.id]


def test_a_different_format_rebuilds(store):
    store.add(mem("theta", "x"))
    index = fresh(store)
    index.sync()
    state = json.loads((index.directory / "state.json").read_text())
    state["format"] = "0.old"
    (index.directory / "state.json").write_text(json.dumps(state))
    assert fresh(store).sync().rebuilt
    assert json.loads((index.directory / "state.json").read_text())["format"] == FORMAT


def test_damaged_state_or_index_rebuilds(store):
    store.add(mem("iota", "survives damage"))
    index = fresh(store)
    index.sync()
    (index.directory / "state.json").write_text("{not json")
    assert fresh(store).sync().rebuilt
    for f in index.path.iterdir():
        if f.suffix in (".idx", ".store", ".term"):
            f.write_bytes(b"garbage")
    (index.path / "meta.json").write_text("garbage")
    assert fresh(store).rebuild().rebuilt
    assert fresh(store).count() == 1
    (index.path / "meta.json").write_text("garbage again")
    assert len(ids(fresh(store), "survives")) == 1  # a search repairs it too


def test_malformed_file_is_skipped_and_reported(store):
    good = mem("good one", "readable")
    relpaths = store.add_many([good, mem("bad one", "will break")], "two")
    fresh(store).sync()
    bad = store.root / relpaths[1]
    bad.write_text("---\ntitle: [unclosed\n---\nbody\n")
    report = fresh(store).sync()
    assert [e.path for e in report.skipped] == [relpaths[1]]
    assert "YAML" in report.skipped[0].reason
    assert report.removed == 1
    assert [e.path for e in fresh(store).broken()] == [relpaths[1]]
    assert ids(fresh(store), "readable") == [good.id]
    # A full rebuild reports it too, and fixing the file brings it back.
    assert [e.path for e in fresh(store).rebuild().skipped] == [relpaths[1]]
    git(store.root, "checkout", "--", relpaths[1])
    assert ids(fresh(store), "break") != []
    assert fresh(store).broken() == []


def test_has_session(store):
    store.add(mem("session memory", "s", kind=Kind.SESSION, source=Source(session_id="sess-42")))
    index = fresh(store)
    index.sync()
    assert index.has_session("sess-42")
    assert not index.has_session("sess-43")
    assert not index.has_session("")


def test_upsert_and_remove(store):
    m = mem("kappa", "upserted directly")
    relpath = store.add(m)
    index = fresh(store)
    index.sync()
    m.body = "changed in place without a sync"
    index.upsert([(relpath, m)])
    assert ids(index, "place") == [m.id]
    index.remove([relpath])
    assert ids(index, "place") == []
    assert fresh(store).sync().changed is False  # state untouched: the file never changed
    assert fresh(store).count() == 0  # an explicit remove stays until the file changes


@contextlib.contextmanager
def lock_held_by_another_process(index: MemoryIndex) -> Iterator[None]:
    """The index's write lock, held by another process until the block ends."""
    script = textwrap.dedent(f"""
        import filelock, sys
        with filelock.FileLock({str(index.directory / "index.lock")!r}):
            print("held", flush=True)
            sys.stdin.read()
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        yield
    finally:
        proc.communicate("")


def test_busy_lock_raises_index_busy(store):
    index = MemoryIndex.open(store, lock_timeout=0.3)
    with lock_held_by_another_process(index), pytest.raises(IndexBusyError) as info:
        index.sync()
    assert "busy" in info.value.message
    assert index.sync().rebuilt


def test_a_sync_with_nothing_to_do_never_waits_for_the_lock(store):
    """Readers never block on writers: the common no-change sync takes no lock."""
    store.add(mem("kappa", "x"))
    fresh(store).sync()
    with lock_held_by_another_process(fresh(store)):
        index = MemoryIndex.open(store, lock_timeout=0.3)
        assert not index.sync().changed
        assert ids(index, "kappa")
        path = store.root / store.path_of(ids(index, "kappa")[0])
        path.write_text(path.read_text(encoding="utf-8").replace("x", "lambda"),
                        encoding="utf-8")
        with pytest.raises(IndexBusyError):  # a change must be written: that waits
            MemoryIndex.open(store, lock_timeout=0.3).sync()
    assert fresh(store).sync().updated == 1


def test_busy_tantivy_writer_is_retried_then_reported(store):
    store.add(mem("lambda", "x"))
    index = MemoryIndex.open(store, lock_timeout=0.3)
    index.sync()
    other = tantivy.Index.open(str(index.path))
    writer = other.writer(15_000_000, 1)  # what another process would hold
    try:
        with pytest.raises(IndexBusyError):
            index.remove(["nothing/2025/01/x.md"])
    finally:
        writer.wait_merging_threads()
    index.remove(["nothing/2025/01/x.md"])  # free again: works


WORKER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from aidermem.index.memory_index import MemoryIndex
    from aidermem.store.store import Store
    store = Store.open(Path(sys.argv[1]))
    index = MemoryIndex.open(store)
    for _ in range(3):
        index.rebuild()
        index.sync()
    print(index.count())
""")


def test_two_processes_indexing_at_once(store):
    store.add_many([mem(f"memory {i}", f"body {i}") for i in range(30)], "thirty")
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(store.root)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert [o[0].strip() for o in outs] == ["30", "30"]
    assert fresh(store).count() == 30
    assert not fresh(store).sync().changed


def test_big_rebuild_parses_in_worker_processes(store):
    """Past BULK_MIN_FILES the rebuild parses in a process pool: same results."""
    from aidermem.index.documents import BULK_MIN_FILES

    count = BULK_MIN_FILES + 50
    for i in range(count):
        m = mem(f"bulk memory {i}", f"body number {i} token{i % 7}", id=f"01BULK{i:020d}")
        target = store.root / store.relpath_for(m)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(memfile.dump(m))
    broken = store.root / store.relpath_for(mem("broken", id="01BULKBROKEN"))
    broken.write_text("---\nid: [\n---\n")
    git(store.root, "add", "-A")
    git(store.root, "commit", "-qm", "bulk")
    report = fresh(store).rebuild()
    assert (report.added, [e.path for e in report.skipped]) == (
        count, [broken.relative_to(store.root).as_posix()])
    assert fresh(store).count() == count
    expected = {f"01BULK{i:020d}" for i in range(count) if i % 7 == 3}
    assert set(ids(fresh(store), "token3", limit=1000)) == expected


def test_short_ids_are_unique_prefixes(store):
    ms = [mem("a", id="01AAAAAAAAAAAAAAAAAAAAAAAA"), mem("b", id="01AAAAAAAAZZZZZZZZZZZZZZZZ"),
          mem("c", id="01BBBBBBBBBBBBBBBBBBBBBBBB"), mem("d", id="SHORT")]
    store.add_many(ms, "ids")
    got = fresh(store).short_ids([m.id for m in ms])
    assert got == {"01AAAAAAAAAAAAAAAAAAAAAAAA": "01AAAAAAAAA", "01AAAAAAAAZZZZZZZZZZZZZZZZ":
                   "01AAAAAAAAZ", "01BBBBBBBBBBBBBBBBBBBBBBBB": "01BBBBBB", "SHORT": "SHORT"}


def test_short_ids_are_8_chars_when_unique_and_grow_past_a_shared_prefix(store):
    a, b, c = "01JQAAAAXY" + "0" * 16, "01JQAAAAXZ" + "0" * 16, "01JQAAAB" + "0" * 18
    store.add_many([mem(f"m {i}", id=i_d) for i, i_d in enumerate(
        [a, b, c, "01JQZZZZ" + "0" * 18])], "ids")
    index = fresh(store)
    got = index.short_ids([a, b, c])
    assert got == {a: "01JQAAAAXY", b: "01JQAAAAXZ", c: "01JQAAAB"}
    # Each short id is a prefix of its own id only.
    for value, short in got.items():
        assert [k for k in (a, b, c) if k.startswith(short)] == [value]
    # An id not (yet) in the index gets the minimum length.
    assert index.short_ids(["01JQCCCC0000"]) == {"01JQCCCC0000": "01JQCCCC"}


def test_short_ids_match_a_brute_force_answer(store):
    import random

    rng = random.Random(5)
    stems = ["01HX", "01HXA", "01HXAB", "01HXABC7", "01HXABC7Q", "01J0"]
    made = {rng.choice(stems) + "".join(rng.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
                                        for _ in range(6)) for _ in range(40)}
    store.add_many([mem(f"m {i}", id=i_d) for i, i_d in enumerate(sorted(made))], "ids")
    got = fresh(store).short_ids(sorted(made), min_len=4)
    for memory_id, prefix in got.items():
        others = [o for o in made if o != memory_id]
        assert not any(o.startswith(prefix) for o in others)
        assert len(prefix) == 4 or any(o.startswith(prefix[:-1]) for o in others)
