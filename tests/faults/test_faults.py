"""The fault suite: kill -9 at every write step, a full disk, writers and readers at once.

Every scenario runs the real CLI in child processes against a real store (git) and a real
Tantivy index. Kills are injected by tests/faultpoint.py (the child wraps one step and
SIGKILLs itself right after it); the disk-full cases use a small tmpfs, which needs root
(skipped otherwise, with the reason). The one assertion behind all of them: after the next
command, a memory is either committed and searchable, or absent everywhere, `git fsck` is
clean, no lock is left held and later writes commit.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import faultpoint
import pytest
from capture_world import SUMMARY, World
from corpus import CORPUS
from e2e_support import summarizer
from fakellm import FakeLLM

from aidermem import paths
from aidermem.store.store import Store, is_memory_path

HISTORY = CORPUS / "Adimas-Prakoso__hmtipemuda.md"  # 4 sessions, 3 worth a memory


def git(root: Path, *args: str, check: bool = True) -> str:
    # No optional locks: `status` on a full disk would fail refreshing git's index.
    return subprocess.run(["git", "--no-optional-locks", "-C", str(root), *args],
                          capture_output=True, text=True, check=check).stdout


def committed(root: Path) -> set[str]:
    return {p for p in git(root, "ls-tree", "-r", "--name-only", "HEAD").splitlines()
            if is_memory_path(p)}


def on_disk(root: Path) -> set[str]:
    return set(Store(root).iter_paths())


def assert_consistent(root: Path) -> None:
    """Nothing half-done: git's index and the work tree equal HEAD, fsck is clean."""
    assert git(root, "status", "--porcelain", "--untracked-files=all") == ""
    assert on_disk(root) == committed(root)
    done = subprocess.run(["git", "-C", str(root), "fsck", "--no-progress"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "error" not in done.stdout + done.stderr


def cli(*argv: str, cwd: Path, point: str | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return faultpoint.run(point, *argv, cwd=cwd, stdin=stdin)


def listed(cwd: Path) -> str:
    done = cli("list", "--all-projects", "--limit", "1000", cwd=cwd)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


# -- kill -9 between the steps of one write ---------------------------------------------

ADD_STEPS = [
    "after:aidermem.store.undo.begin:1",  # the undo record is written, no file yet
    "after:aidermem.store.store.write_atomic:1",  # the memory file is on disk
    "git:update-index:1",  # staged
    "git:diff:1",  # staged and checked
    "git:write-tree:1",  # tree object written
    "git:commit-tree:1",  # commit object written, HEAD not moved
    "git:update-ref:1",  # HEAD moved: committed
    "after:aidermem.index.memory_index.MemoryIndex._write:1",  # tantivy committed, state file not
    "after:aidermem.index.memory_index.MemoryIndex._write_state:1",  # index fully updated
]


@pytest.mark.parametrize("point", ADD_STEPS)
def test_an_add_killed_at_any_step_is_finished_or_rolled_back(tmp_path: Path, point: str) -> None:
    root = paths.default_store_dir()
    assert cli("add", "first memory about apples", cwd=tmp_path).returncode == 0
    killed = cli("add", "killed zebra note", cwd=tmp_path, point=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # The next command of any kind, a reader first, finds the store as if the write had
    # either completed or never started.
    shown = listed(tmp_path)
    landed = "killed zebra note" in git(root, "log", "--format=%s")
    assert ("killed zebra note" in shown) == landed
    assert cli("add", "after the crash", cwd=tmp_path).returncode == 0
    assert_consistent(root)
    last = git(root, "show", "--name-only", "--format=%s", "HEAD").split()
    assert last[:4] == ["add", "note:", "after", "the"]
    assert len([p for p in last if is_memory_path(p)]) == 1  # only its own file
    found = cli("search", "zebra", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    assert ("killed zebra note" in found.stdout) == landed
    assert len(committed(root)) == 2 + landed
    assert ("killed zebra note" in listed(tmp_path)) == landed
    if point.startswith(("git:update-ref", "after:aidermem.index.memory_index")):
        assert landed  # HEAD moved: the commit is the truth


@pytest.mark.parametrize("point", ["git:update-index:2", "git:commit-tree:2",
                                   "after:aidermem.store.store.write_atomic:3"])
def test_an_import_killed_mid_write_imports_every_session_once_on_retry(
        tmp_path: Path, point: str) -> None:
    root = paths.default_store_dir()
    killed = cli("import", str(HISTORY), cwd=tmp_path, point=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    again = cli("import", str(HISTORY), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    # Each session worth a memory is stored once: what the kill lost is imported now.
    assert len(committed(root)) == 3
    subjects = git(root, "log", "--format=%s").splitlines()
    assert len([s for s in subjects if s.startswith("import:")]) == 3
    assert_consistent(root)
    third = cli("import", str(HISTORY), cwd=tmp_path)
    assert "0 of 4 sessions imported" in third.stdout
    assert len(committed(root)) == 3


CAPTURE_STEPS = [
    "git:update-index:1",  # the session's extractive memories staged, not committed
    "git:update-ref:1",  # committed, journal not yet told
    "after:aidermem.capture.journal.Journal.write:2",  # journal updated after the first store
    "git:update-index:2",  # the model's summary half-written into the store
    "after:aidermem.index.memory_index.MemoryIndex._write:2",  # summary committed and indexed
    "before:aidermem.capture.journal.Journal.remove:1",  # everything stored, entry still there
]


@pytest.mark.parametrize("point", CAPTURE_STEPS)
def test_a_capture_killed_at_any_step_stores_each_memory_once(
        tmp_path: Path, fake_llm: FakeLLM, point: str) -> None:
    fake_llm.responder = summarizer(SUMMARY)
    world = World(tmp_path, fake_llm)
    entry = world.entry(world.history())
    env = {"OPENAI_API_KEY": "x"}
    killed = faultpoint.run(point, "capture", "--pending", cwd=tmp_path, env=env)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    again = faultpoint.run(None, "capture", "--pending", "--json", cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert world.journal_files() == []
    memories = world.memories()
    assert len(memories) == len({m.id for m in memories}) == 3  # each once, none lost
    assert {m.source.session_id for m in memories} == {entry.session_id}
    assert_consistent(world.store.root)
    world.index.sync()
    assert world.index.count() == 3


def test_an_import_whose_index_cannot_be_written_still_skips_what_is_stored(
        tmp_path: Path) -> None:
    root = paths.default_store_dir()
    assert cli("import", str(HISTORY), cwd=tmp_path).returncode == 0
    from aidermem.models import Memory

    Store.open(root).add(Memory(title="added behind the index's back"))  # the index is behind
    again = cli("import", str(HISTORY), cwd=tmp_path,
                point="enospc:aidermem.index.memory_index.MemoryIndex._write:1")
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    assert (f"0 of 4 sessions imported into project {tmp_path.name} "
            "(0 memories; 1 trivial, 3 already imported)") in again.stdout
    assert len(committed(root)) == 4


# -- a full disk ------------------------------------------------------------------------


# the first point fails the state.json write, the second tantivy's own
@pytest.mark.parametrize("point", ["enospc:aidermem.index.memory_index.write_atomic:1",
                                   "enospc:aidermem.index.memory_index.MemoryIndex._write:1"])
def test_a_commit_whose_index_cannot_be_written_is_reported_as_done(
        tmp_path: Path, point: str) -> None:
    root = paths.default_store_dir()
    assert cli("add", "first memory about apples", cwd=tmp_path).returncode == 0
    done = cli("add", "stored zebra note", cwd=tmp_path, point=point)
    assert (done.returncode, done.stdout.split(" ", 1)[1]) == (0, "stored zebra note\n")
    assert done.stderr.startswith("aidermem: warning: the change is stored; cannot write the "
                                  "search index in "), done.stderr
    assert done.stderr.endswith(": No space left on device (the next aidermem command that "
                                "can will index it)\n")
    assert git(root, "log", "-1", "--format=%s") == "add note: stored zebra note\n"
    found = cli("search", "zebra", cwd=tmp_path)  # the index caught up
    assert (found.returncode, found.stderr) == (0, "")
    assert "stored zebra note" in found.stdout
    assert len(committed(root)) == 2


@contextlib.contextmanager
def small_disk(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill (needs root): {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill_leaving(disk: Path, free: int) -> Path:
    """Fill `disk` so that about `free` bytes stay available."""
    filler = disk / "filler"
    filler.unlink(missing_ok=True)
    st = os.statvfs(disk)
    take = st.f_bavail * st.f_frsize - free
    with filler.open("wb") as out, contextlib.suppress(OSError):
        out.truncate(0)
        block = b"\0" * 65536
        while take > 0:
            take -= out.write(block[: min(len(block), take)])
        out.flush()
        os.fsync(out.fileno())
    return filler


def test_a_full_disk_never_turns_a_commit_into_a_failure(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    disk = tmp_path / "disk"
    with small_disk(disk, "24m"):
        monkeypatch.setenv("AIDERMEM_HOME", str(disk / "home"))
        root = paths.default_store_dir()
        assert cli("add", "seed memory about apples", cwd=tmp_path).returncode == 0
        outcomes = []
        for step, kib in enumerate([0, 4, 8, 12, 16, 20, 24, 28, 32, 48, 64, 80, 96, 112, 128,
                                    160, 192, 256, 512, 1024]):
            free = kib * 1024
            filler = fill_leaving(disk, free)
            head = git(root, "rev-parse", "HEAD")
            status = git(root, "status", "--porcelain", "--untracked-files=all")
            title = f"disk full note {step}"
            done = cli("add", title, cwd=tmp_path)
            assert "Traceback" not in done.stderr, (free, done.stderr)
            assert done.returncode in (0, 1), (free, done.stderr)
            if done.returncode == 0:
                assert title in git(root, "log", "-1", "--format=%s"), free
            else:
                assert done.stderr.startswith("aidermem: error: "), done.stderr
                assert "nothing was changed" in done.stderr, done.stderr
                assert git(root, "rev-parse", "HEAD") == head, free
                assert git(root, "status", "--porcelain", "--untracked-files=all") == status
            outcomes.append(done.returncode)
            for reader in (("list", "--all-projects"), ("search", "apples"))[: 1 + step % 2]:
                read = cli(*reader, cwd=tmp_path)
                assert read.returncode == 0, (free, reader, read.stderr)
                assert "Traceback" not in read.stderr, (free, reader, read.stderr)
                if reader[0] == "search":
                    assert "seed memory about apples" in read.stdout
            filler.unlink()
        assert 0 in outcomes and 1 in outcomes  # the sizes spanned failing and working
        # With room again, everything the commits say is there is found, nothing else.
        assert_consistent(root)
        titles = listed(tmp_path)
        for step, code in enumerate(outcomes):
            assert (f"disk full note {step}\n" in titles + "\n") == (code == 0), step


# -- writers and readers at once -------------------------------------------------------


def test_readers_answer_while_the_index_is_being_rebuilt(tmp_path: Path) -> None:
    """A reindex holds the index's write lock for as long as it runs; readers never wait."""
    root = paths.default_store_dir()
    assert cli("add", "apples are red", cwd=tmp_path).returncode == 0
    from aidermem.models import Memory

    Store.open(root).add(Memory(title="bananas are yellow"))  # the index is behind now
    lock = paths.index_dir_for(root) / "index.lock"
    with held_flock(lock):
        for argv in (("search", "apples"), ("list",), ("stats",)):
            done = cli(*argv, cwd=tmp_path)
            assert done.returncode == 0, (argv, done.stderr)
            assert "busy" not in done.stderr
        found = cli("search", "apples", cwd=tmp_path)
        assert "apples are red" in found.stdout
        shutil.rmtree(paths.index_dir_for(root) / "tantivy")  # a rebuild from scratch
        found = cli("search", "bananas", cwd=tmp_path)
        assert found.returncode == 0, found.stderr
        assert "bananas are yellow" in found.stdout  # answered from the store itself
    found = cli("search", "bananas", cwd=tmp_path)
    assert "bananas are yellow" in found.stdout


@contextlib.contextmanager
def held_flock(path: Path) -> Iterator[None]:
    """An exclusive flock on `path`, held by another process until the block ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    script = textwrap.dedent(f"""
        import fcntl, os, sys
        fd = os.open({str(path)!r}, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        print("held", flush=True)
        sys.stdin.read()
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "held"
        yield
    finally:
        proc.communicate("")


def test_writers_readers_and_a_reindex_at_once_all_succeed(tmp_path: Path) -> None:
    root = paths.default_store_dir()
    assert cli("add", "seed memory about apples", cwd=tmp_path).returncode == 0
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    writers = [subprocess.Popen(
        [sys.executable, "-c", WRITERS, str(w)], cwd=tmp_path, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE) for w in range(8)]
    readers = [subprocess.Popen(
        [sys.executable, "-c", READERS, argv], cwd=tmp_path, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for argv in ("search apples", "list", "stats", "reindex")]
    results = [w.communicate(timeout=600) for w in writers]
    assert [w.returncode for w in writers] == [0] * 8, results
    stop = tmp_path / "stop"
    stop.write_text("")
    reads = [r.communicate(timeout=600) for r in readers]
    for proc, (out, err) in zip(readers, reads, strict=True):
        assert proc.returncode == 0, err
        assert int(out.split()[0]) >= 1, out  # each ran at least once, all exited 0
    assert len(committed(root)) == 1 + 8 * 2
    assert_consistent(root)
    titles = listed(tmp_path)
    assert all(f"writer {w} note {i}" in titles for w in range(8) for i in range(2))
    stats = json.loads(cli("stats", "--json", cwd=tmp_path).stdout)
    assert (stats["index_docs"], stats["store_files"]) == (17, 17)


WRITERS = textwrap.dedent("""
    import sys, faultpoint
    from pathlib import Path
    for i in range(2):
        done = faultpoint.run(None, "add", f"writer {sys.argv[1]} note {i}", cwd=Path.cwd())
        if done.returncode != 0 or done.stderr:
            sys.exit(f"add failed ({done.returncode}): {done.stderr}")
""")

READERS = textwrap.dedent("""
    import sys, faultpoint
    from pathlib import Path
    runs = 0
    while True:
        stop = (Path.cwd() / "stop").exists()
        done = faultpoint.run(None, *sys.argv[1].split(), cwd=Path.cwd())
        runs += 1
        if done.returncode != 0 or "Traceback" in done.stderr or "error" in done.stderr:
            sys.exit(f"{sys.argv[1]} failed ({done.returncode}): {done.stderr}")
        if stop:
            break
    print(runs)
""")
