"""The vector cache follows a few changed memories with a delta beside it (vector_delta.py):
the same answers as a cache rebuilt from nothing, the big file left alone, and a damaged,
stale or outgrown delta replaced without losing anything. Real store, real index, the real
model."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_cli_support import make_repo, memory, put, store

from aidermem.index import embedding, vector_delta, vectors
from aidermem.index.memory_index import MemoryIndex
from aidermem.models import Memory
from aidermem.store.store import Store

NOW = datetime.now(UTC).replace(microsecond=0)
MEMORIES = [
    ("Refunds are issued from the Stripe dashboard", "Finance issues them; never edit charges."),
    ("Pin the Postgres image", "docker-compose uses postgres:16.2; 16.3 broke the locale."),
    ("Safari grid bug", "The product grid collapses on Safari 15; use flex there."),
    ("Webhook retries", "Stripe retries a webhook for three days; handlers must be idempotent."),
]
QUERIES = ["how do customers get their money returned", "database container version",
           "layout broken in apple's browser", "events delivered more than once"]


def mem(title: str, body: str, **extra: object) -> Memory:
    created = NOW - timedelta(days=3)
    return Memory(title=title, body=body, created=created, updated=created, **extra)


@pytest.fixture
def seeded(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "store")
    s.add_many([mem(t, b) for t, b in MEMORIES], "seed")
    vectors.current(synced(s))  # the cache, written in full
    return s


def by_title(s: Store, title: str) -> tuple[str, Memory]:
    found = [(r, m) for r, m in s.iter_memories() if isinstance(m, Memory) and m.title == title]
    assert len(found) == 1, title
    return found[0]


def synced(s: Store) -> MemoryIndex:
    index = MemoryIndex.open(s)
    index.sync()
    return index


def files(index: MemoryIndex) -> tuple[Path, Path]:
    return index.directory / vectors.FILE, index.directory / vector_delta.FILE


def nearest(found: vectors.Vectors | vector_delta.Overlay) -> list[list[tuple[str, float]]]:
    """Each query's nearest memories: (relpath, cosine)."""
    return [[(found.relpaths[i], sim) for i, sim in found.nearest(embedding.embed_query(q), 10)]
            for q in QUERIES]


def answers(found: vectors.Vectors | vector_delta.Overlay) -> list[list[str]]:
    return [[relpath for relpath, _ in near] for near in nearest(found)]


def same_cosines(a: vectors.Vectors | vector_delta.Overlay,
                 b: vectors.Vectors | vector_delta.Overlay) -> bool:
    """Within float16's rounding: a delta keeps float32 rows, the cache float16."""
    return all(abs(x[1] - y[1]) < 2e-3 for p, q in zip(nearest(a), nearest(b), strict=True)
               for x, y in zip(p, q, strict=True))


def from_nothing(index: MemoryIndex) -> vectors.Vectors | vector_delta.Overlay:
    for path in files(index):
        path.unlink(missing_ok=True)
    return vectors.current(index)


def test_new_edited_and_deleted_memories_are_followed_by_a_delta(seeded: Store):
    index = synced(seeded)
    main, delta_file = files(index)
    before = main.stat()
    # rows before others, so the rows after them move up
    first, relpath = vectors.current(index).relpaths[:2]
    seeded.add(mem("Customer reimbursements", "Buyers get back what they paid, via finance.",
                   expansion={"questions": ["how is money returned to a buyer?"]}))
    edited = seeded.load(relpath)
    edited.body = "Fixed in 2.4: none of this applies any more, see the changelog."
    seeded.update(edited)
    seeded.forget(seeded.load(first).id, delete=True)
    index = synced(seeded)
    followed = vectors.current(index)

    assert isinstance(followed, vector_delta.Overlay)
    after = main.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    delta = vector_delta.read(delta_file)
    assert delta is not None and len(delta.extra) == 2 and len(delta.hidden) == 2
    added = by_title(seeded, "Customer reimbursements")[0]
    assert {r for r, _, _ in delta.extra} == {relpath, added}
    assert sorted(followed.relpaths) == sorted(seeded.iter_paths())
    rebuilt = from_nothing(index)
    assert isinstance(rebuilt, vectors.Vectors)
    assert answers(followed) == answers(rebuilt)
    assert same_cosines(followed, rebuilt)
    assert dict(zip(followed.relpaths, followed.hashes, strict=True)) == \
        dict(zip(rebuilt.relpaths, rebuilt.hashes, strict=True))


def test_a_delta_vector_equals_the_bulk_paths(seeded: Store):
    """One memory embedded in pure Python (with its expansion) as the reindex embeds it."""
    seeded.add(mem("Customer reimbursements", "Buyers get back what they paid, via finance.",
                   expansion={"questions": ["how is money returned to a buyer?"],
                              "aliases": ["refund"]}))
    index = synced(seeded)
    followed = vectors.current(index)
    i = followed.relpaths.index(by_title(seeded, "Customer reimbursements")[0])
    mine = followed.row(i)
    rebuilt = from_nothing(index)
    theirs = rebuilt.row(rebuilt.relpaths.index(followed.relpaths[i]))
    assert max(abs(a - b) for a, b in zip(mine, theirs, strict=True)) < 2e-3  # float16 rows


def test_the_delta_is_reused_until_the_index_changes_again(seeded: Store, monkeypatch):
    seeded.add(mem("Customer reimbursements", "Buyers get back what they paid."))
    index = synced(seeded)
    vectors.current(index)
    monkeypatch.setattr(vectors, "_walk", lambda *a: pytest.fail("walked an unchanged index"))
    again = vectors.current(MemoryIndex.open(seeded))
    assert len(again.relpaths) == len(MEMORIES) + 1


def test_many_new_memories_rewrite_the_cache_and_drop_the_delta(seeded: Store):
    seeded.add(mem("Customer reimbursements", "Buyers get back what they paid."))
    index = synced(seeded)
    vectors.current(index)
    main, delta_file = files(index)
    assert delta_file.is_file()
    seeded.add_many([mem(f"Note {i}", f"note number {i} about queue {i}")
                     for i in range(vector_delta.MAX_EMBED + 1)], "many")
    index = synced(seeded)
    found = vectors.current(index)
    assert isinstance(found, vectors.Vectors)
    assert not delta_file.exists()
    assert vectors.read(main) is not None
    assert len(found.relpaths) == len(MEMORIES) + vector_delta.MAX_EMBED + 2


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"format": 1}',
                                    b'{"format": 1, "model": "x", "extra": []}'])
def test_a_damaged_delta_is_replaced_and_nothing_is_lost(seeded: Store, damage: bytes):
    seeded.add(mem("Customer reimbursements", "Buyers get back what they paid."))
    index = synced(seeded)
    good = answers(vectors.current(index))
    files(index)[1].write_bytes(damage)
    assert answers(vectors.current(MemoryIndex.open(seeded))) == good
    assert vector_delta.read(files(index)[1]) is not None  # written anew


def test_a_delta_for_an_older_cache_is_ignored(seeded: Store):
    """A delta names the cache file it amends: after that file is rewritten (a reindex), a
    delta left behind must not hide or add rows of the new one."""
    seeded.add(mem("Customer reimbursements", "Buyers get back what they paid."))
    _, grid = by_title(seeded, "Safari grid bug")
    seeded.forget(grid.id, delete=True)
    index = synced(seeded)
    vectors.current(index)
    stale = vector_delta.read(files(index)[1])
    assert stale is not None and stale.hidden and stale.extra
    from_nothing(index)  # the cache rewritten: the rows' order is not the old one
    seeded.add(mem("Ledger export", "Accounting exports the ledger nightly as CSV."))
    index = synced(seeded)
    # As if a slower process, following from the old file, wrote its delta for this commit.
    vector_delta.write(files(index)[1], vector_delta.Delta(
        stale.base, vectors.stamp(index), stale.hidden, stale.extra))
    found = vectors.current(index)
    assert sorted(found.relpaths) == sorted(seeded.iter_paths())
    assert answers(found) == answers(from_nothing(synced(seeded)))


def test_a_search_after_an_add_imports_no_numpy(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "shop")
    monkeypatch.chdir(repo)
    put(*(memory(f"AAA{i}", t, body=b) for i, (t, b) in enumerate(MEMORIES)))
    cmd = [sys.executable, "-X", "importtime", "-m", "aidermem", "search", "--json", QUERIES[0]]
    first = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, timeout=120,
                           check=False)  # builds the vector cache with numpy
    assert first.returncode == 0, first.stderr
    added = subprocess.run([sys.executable, "-m", "aidermem", "add", "--title",
                            "Customer reimbursements", "Buyers get back what they paid."],
                           cwd=repo, capture_output=True, text=True, timeout=120, check=False)
    assert added.returncode == 0, added.stderr
    done = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    titles = [h["title"] for h in json.loads(done.stdout)["hits"]]
    assert "Customer reimbursements" in titles[:2]  # found by meaning: no word in common
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")}
    assert "aidermem.index.vector_delta" in imported  # the follow ran
    assert not {"numpy", "tokenizers", "safetensors", "scipy"} & imported
    assert (MemoryIndex.open(store()).directory / vector_delta.FILE).is_file()


def test_a_full_disk_leaves_the_answers_right(seeded: Store, monkeypatch):
    """A delta that cannot be written is only not kept: this search answers from it in
    memory, and the next one follows the index again."""
    import errno

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    seeded.add(mem("Customer reimbursements", "Buyers get back what they paid."))
    index = synced(seeded)
    with monkeypatch.context() as patched:
        patched.setattr(vector_delta.atomic, "write_atomic", full)
        found = vectors.current(index)
    assert not files(index)[1].exists()
    assert sorted(found.relpaths) == sorted(seeded.iter_paths())
    assert answers(vectors.current(MemoryIndex.open(seeded))) == answers(found)
    assert vector_delta.read(files(index)[1]) is not None
