"""The memory store against real git repositories in tmp dirs (no mocks)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from store_status import dirty_memory_paths

from aidermem.errors import AidermemError, MemoryFileError, NotFoundError, StoreError, UsageError
from aidermem.models import Kind, Memory, Status
from aidermem.store import memfile, worktree
from aidermem.store.store import Store, is_memory_path


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def log_subjects(store: Store) -> list[str]:
    return git(store.root, "log", "--format=%s").splitlines()


def porcelain(store: Store) -> str:
    return git(store.root, "status", "--porcelain", "--untracked-files=all")


def mem(title: str = "Use Postgres", **kw: object) -> Memory:
    kw.setdefault("project", "github.com/acme/shop")
    kw.setdefault("created", datetime(2024, 3, 5, 12, 0, tzinfo=UTC))
    return Memory(title=title, **kw)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "store")


# ---- opening -------------------------------------------------------------------------


def test_open_creates_repo_with_readme(tmp_path: Path) -> None:
    s = Store.open(tmp_path / "deep" / "store")
    assert (s.root / "README.md").read_text().startswith("# aidermem memory store")
    assert log_subjects(s) == ["init aidermem store"]
    assert porcelain(s) == ""
    assert s.head() is not None
    assert list(s.iter_paths()) == []
    # Opening again is a no-op.
    again = Store.open(tmp_path / "deep" / "store")
    assert log_subjects(again) == ["init aidermem store"]


def test_open_default_location_is_under_aidermem_home(isolated_home: Path) -> None:
    s = Store.open()
    assert s.root == isolated_home / "aidermem" / "store"


def test_open_without_create_on_missing_store(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no memory store"):
        Store.open(tmp_path / "nope", create=False)
    assert not (tmp_path / "nope").exists()


def test_open_refuses_non_repo_directory_with_files(tmp_path: Path) -> None:
    d = tmp_path / "stuff"
    d.mkdir()
    (d / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not a git repository") as err:
        Store.open(d)
    assert "git init" in err.value.hint
    assert (d / "notes.txt").read_text() == "mine"
    assert not (d / ".git").exists()


def test_open_refuses_a_file(tmp_path: Path) -> None:
    f = tmp_path / "store"
    f.write_text("x")
    with pytest.raises(StoreError, match="not a directory"):
        Store.open(f)
    with pytest.raises(StoreError, match="cannot create memory store"):
        Store.open(f / "below-a-file")
    assert f.read_text() == "x"


def test_open_uses_empty_existing_dir_and_repo_without_commits(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert log_subjects(Store.open(empty)) == ["init aidermem store"]
    unborn = tmp_path / "unborn"
    unborn.mkdir()
    git(unborn, "init", "-q")
    assert log_subjects(Store.open(unborn)) == ["init aidermem store"]


# ---- add / find / load / update / forget --------------------------------------------


def test_add_writes_commits_and_fills_author(store: Store) -> None:
    m = mem(kind=Kind.DECISION, body="Because JSONB.")
    relpath = store.add(m)
    assert relpath == f"github.com-acme-shop/2024/03/{m.id}-use-postgres.md"
    assert (store.root / relpath).read_text() == memfile.dump(m)
    assert m.author == "Test User <test@example.com>"
    assert log_subjects(store)[0] == "add decision: Use Postgres"
    assert git(store.root, "log", "-1", "--format=%an <%ae>").strip() == m.author
    assert porcelain(store) == ""
    loaded = store.load(relpath)
    assert loaded == m


def test_add_keeps_given_author_and_custom_message(store: Store) -> None:
    m = mem(author="Someone Else <se@example.com>")
    store.add(m, "import: batch 1")
    assert store.find(m.id)[1].author == "Someone Else <se@example.com>"
    assert log_subjects(store)[0] == "import: batch 1"


def test_add_global_memory_goes_to_global_folder(store: Store) -> None:
    m = mem(title="Prefer ripgrep", project="")
    assert store.add(m).startswith("_global/2024/03/")


def test_add_same_id_twice_is_refused(store: Store) -> None:
    m = mem()
    store.add(m)
    twin = mem(title="Other title", id=m.id)
    with pytest.raises(StoreError, match="already exists"):
        store.add(twin)
    assert len(list(store.iter_paths())) == 1


def test_add_many_is_one_commit(store: Store) -> None:
    ms = [mem(title=f"Note {i}") for i in range(5)]
    before = len(log_subjects(store))
    relpaths = store.add_many(ms, "import: 5 notes")
    assert len(log_subjects(store)) == before + 1
    assert log_subjects(store)[0] == "import: 5 notes"
    assert sorted(relpaths) == sorted(store.iter_paths())
    assert store.add_many([], "nothing") == []
    assert len(log_subjects(store)) == before + 1


def test_find_by_prefix(store: Store) -> None:
    a = mem(title="Alpha", id="01HAAAAAAAAAAAAAAAAAAAAAAA")
    b = mem(title="Beta", id="01HAAAAAAAAAAAAAAAAAAAAAAB")
    c = mem(title="Gamma", id="01HZZZZZZZZZZZZZZZZZZZZZZZ")
    store.add_many([a, b, c], "three")
    assert store.find("01hz")[1].title == "Gamma"  # case-insensitive unique prefix
    assert store.find(b.id)[1].title == "Beta"
    with pytest.raises(AidermemError, match="ambiguous") as err:
        store.find("01HA")
    assert a.id in err.value.message
    assert b.id in err.value.message
    assert c.id not in err.value.message
    with pytest.raises(NotFoundError):
        store.find("01HX")
    with pytest.raises(UsageError):
        store.find("  ")


def test_find_exact_id_wins_over_longer_ids(store: Store) -> None:
    short = mem(title="Short", id="ABC")
    longer = mem(title="Longer", id="ABCD")
    store.add_many([short, longer], "two")
    assert store.find("abc")[1].title == "Short"
    assert store.find("abcd")[1].title == "Longer"


def test_update_rewrites_same_file_and_bumps_updated(store: Store) -> None:
    m = mem(kind=Kind.BUG, updated=datetime(2024, 3, 5, 12, 0, tzinfo=UTC))
    relpath = store.add(m)
    m.title = "Use Postgres 16"
    m.body = "Upgraded."
    assert store.update(m) == relpath  # the path is kept even though the slug changed
    assert m.updated > datetime(2024, 3, 5, 12, 0, tzinfo=UTC)
    assert store.load(relpath) == m
    assert log_subjects(store)[0] == "edit bug: Use Postgres 16"
    assert porcelain(store) == ""


def test_update_unknown_id(store: Store) -> None:
    with pytest.raises(NotFoundError):
        store.update(mem())


def test_forget_archives(store: Store) -> None:
    m = mem()
    relpath = store.add(m)
    forgotten = store.forget(m.id[:12])
    assert forgotten.status == Status.ARCHIVED
    assert store.load(relpath).status == Status.ARCHIVED
    assert log_subjects(store)[0] == "forget: Use Postgres"
    assert porcelain(store) == ""
    # Forgetting again changes nothing and records nothing.
    store.forget(m.id)
    assert log_subjects(store)[0] == "forget: Use Postgres"


def test_forget_delete_is_recoverable(store: Store) -> None:
    m = mem(body="precious text")
    relpath = store.add(m)
    store.forget(m.id, delete=True)
    assert not (store.root / relpath).exists()
    assert list(store.iter_paths()) == []
    assert log_subjects(store)[0] == "forget (deleted): Use Postgres"
    assert porcelain(store) == ""
    assert "precious text" in git(store.root, "show", f"HEAD~1:{relpath}")


# ---- iteration, malformed files -------------------------------------------------------


def test_iter_paths_only_memory_files(store: Store) -> None:
    relpath = store.add(mem())
    (store.root / "notes.md").write_text("top-level notes")
    (store.root / "github.com-acme-shop" / "README.md").write_text("not a memory")
    (store.root / "github.com-acme-shop" / "2024" / "notes.md").write_text("no month")
    month = store.root / "github.com-acme-shop" / "2024" / "03"
    (month / ".tmp.md.tmp").write_text("a temp file")
    (month / "x.txt").write_text("not markdown")
    assert list(store.iter_paths()) == [relpath]


def test_load_reads_only_memory_paths(store: Store) -> None:
    relpath = store.add(mem())
    assert store.load(relpath).title == "Use Postgres"
    for bad in ("README.md", "../outside.md", "/etc/passwd", "x/2024/03/../../../README.md",
                "github.com-acme-shop/2024/03/missing.md"):
        with pytest.raises(MemoryFileError) as err:
            store.load(bad)
        assert err.value.path == bad


def test_iter_memories_yields_errors_without_stopping(store: Store) -> None:
    good = store.add(mem(title="Good one"))
    month = store.root / "github.com-acme-shop" / "2024" / "03"
    (month / "BROKEN1-bad-yaml.md").write_text("---\ntitle: [unclosed\n---\nbody\n")
    (month / "BROKEN2-binary.md").write_bytes(b"\x00\x01\x02")
    results = dict(store.iter_memories())
    assert isinstance(results[good], Memory)
    bad_yaml = results["github.com-acme-shop/2024/03/BROKEN1-bad-yaml.md"]
    assert isinstance(bad_yaml, MemoryFileError)
    assert "YAML" in bad_yaml.reason
    binary = results["github.com-acme-shop/2024/03/BROKEN2-binary.md"]
    assert isinstance(binary, MemoryFileError)
    assert binary.path == "github.com-acme-shop/2024/03/BROKEN2-binary.md"


# ---- git state: dirty and changed paths --------------------------------------------------


def test_the_work_tree_check_sees_hand_edits_deletions_and_new_files(store: Store) -> None:
    # What every command asks before it trusts the index (worktree.check), from a clean start.
    def dirty(before: worktree.Snapshot | None) -> tuple[list[str], worktree.Snapshot]:
        snap = worktree.check(store.root, before)
        return sorted(p for p in snap.paths() if is_memory_path(p)), snap

    a = store.add(mem(title="A"))
    b = store.add(mem(title="B"))
    clean, before = dirty(None)
    assert clean == []
    (store.root / a).write_text((store.root / a).read_text() + "\nhand edit\n")
    (store.root / b).unlink()
    new = "_global/2024/01/HANDMADE-note.md"
    (store.root / new).parent.mkdir(parents=True)
    (store.root / new).write_text("---\ntitle: by hand\n---\n")
    (store.root / "scratch.txt").write_text("not a memory")
    assert dirty(before)[0] == sorted([a, b, new])
    assert dirty(None)[0] == sorted([a, b, new])
    assert sorted(dirty_memory_paths(store.root)) == sorted([a, b, new])


def test_changed_paths_between_commits(store: Store) -> None:
    first = store.add(mem(title="First"))
    since = store.head()
    assert since is not None
    assert store.changed_paths(since) == []
    second = mem(title="Second")
    second_path = store.add(second)
    store.forget(first.split("/")[-1][:26], delete=True)
    assert sorted(store.changed_paths(since) or []) == sorted([first, second_path])
    assert store.changed_paths("0" * 40) is None
    assert store.changed_paths("not-a-sha") is None
    assert store.changed_paths("--all") is None


# ---- failures leave no half state --------------------------------------------------------


def test_failed_commit_rolls_back_and_can_be_retried(store: Store) -> None:
    head = store.head()
    # A held branch ref lock makes `git commit` fail after `git add` succeeded.
    ref_lock = store.root / ".git" / "refs" / "heads" / "main.lock"
    ref_lock.write_text("")
    m = mem()
    with pytest.raises(StoreError, match="commit"):
        store.add(m)
    assert store.head() == head
    assert list(store.iter_paths()) == []
    assert porcelain(store) == ""
    ref_lock.unlink()
    relpath = store.add(m)
    assert store.find(m.id)[0] == relpath
    assert porcelain(store) == ""


def test_a_commit_racing_ours_for_head_is_never_overwritten(store: Store) -> None:
    """The plumbing commit moves HEAD only if it is still the parent it was built on."""
    parent = store.head()
    store.add(mem("first"))
    theirs = store.head()
    assert theirs != parent
    with pytest.raises(StoreError, match="update-ref"):
        store._commit_index(parent, "stale commit", [])
    assert store.head() == theirs
    assert log_subjects(store)[0] == "add note: first"


def test_failed_update_restores_previous_content(store: Store) -> None:
    m = mem(body="original")
    relpath = store.add(m)
    before = (store.root / relpath).read_bytes()
    ref_lock = store.root / ".git" / "refs" / "heads" / "main.lock"
    ref_lock.write_text("")
    m.body = "changed"
    with pytest.raises(StoreError):
        store.update(m)
    with pytest.raises(StoreError):
        store.forget(m.id, delete=True)
    ref_lock.unlink()
    assert (store.root / relpath).read_bytes() == before
    assert porcelain(store) == ""


def _hold_lock(root: str, held: object, release: object) -> None:
    s = Store(Path(root))
    with s.lock():
        held.set()  # type: ignore[attr-defined]
        release.wait(30)  # type: ignore[attr-defined]


def test_lock_timeout_names_the_lock_file(tmp_path: Path) -> None:
    Store.open(tmp_path / "store")
    ctx = multiprocessing.get_context("fork")
    held, release = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_hold_lock, args=(str(tmp_path / "store"), held, release))
    proc.start()
    try:
        assert held.wait(30)
        impatient = Store.open(tmp_path / "store", lock_timeout=0.2)
        with pytest.raises(StoreError, match="locked") as err:
            impatient.add(mem())
        assert "aidermem.lock" in err.value.hint
        assert list(impatient.iter_paths()) == []
    finally:
        release.set()
        proc.join(30)
    assert proc.exitcode == 0
    Store.open(tmp_path / "store").add(mem())  # usable again once released


HOLD_THEN_ADD = """
import sys
from pathlib import Path
from aidermem.models import Memory
from aidermem.store.store import Store
store = Store.open(Path(sys.argv[1]))
with store.lock():
    print("held", flush=True)
    sys.stdin.readline()
store.add(Memory(title="holder again"))
"""
ADD_ONE = """
import sys
from pathlib import Path
from aidermem.models import Memory
from aidermem.store.store import Store
Store.open(Path(sys.argv[1])).add(Memory(title=sys.argv[2]))
"""


def _someone_holds(path: Path) -> bool:
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_a_waiting_writer_goes_before_the_holder_takes_the_lock_again(tmp_path: Path) -> None:
    """The lock is queued: releasing it and asking again puts the releaser behind the
    writer already waiting, instead of letting whoever polls first win."""
    store = Store.open(tmp_path / "store")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_THEN_ADD, str(store.root)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdin is not None and holder.stdout is not None
    assert holder.stdout.readline() == "held\n"
    waiter = subprocess.Popen([sys.executable, "-c", ADD_ONE, str(store.root), "waiter"])
    queue = store.root / ".git" / "aidermem.lock.queue"
    for _ in range(600):  # until the waiter stands in line (at most 30 s)
        if _someone_holds(queue):
            break
        time.sleep(0.05)
    else:
        pytest.fail("the waiter never stood in line for the lock")
    holder.stdin.write("\n")
    holder.stdin.flush()
    assert (holder.wait(60), waiter.wait(60)) == (0, 0)
    assert log_subjects(store)[:2] == ["add note: holder again", "add note: waiter"]


def test_a_lock_timeout_says_who_holds_it_and_never_to_delete_it(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_THEN_ADD, str(store.root)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(StoreError) as err:
            Store.open(store.root, lock_timeout=0.3).add(mem())
    finally:
        holder.communicate("\n", timeout=60)
    assert f"(pid {holder.pid}, `-c " in err.value.message
    assert err.value.message.endswith("which held it for 0.3s")
    hint = err.value.hint
    assert f"kill {holder.pid}" in hint
    assert "deleting the file never helps" in hint
    assert "if none is running, delete" not in hint


def _add_five(root: str, worker: int) -> list[str]:
    s = Store.open(Path(root))
    ids = []
    for i in range(5):
        m = Memory(title=f"worker {worker} note {i}", project=f"github.com/acme/p{worker % 2}")
        s.add(m)
        ids.append(m.id)
    return ids


def test_concurrent_adds_from_processes_all_land(tmp_path: Path) -> None:
    root = tmp_path / "store"
    store = Store.open(root)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(6) as pool:
        batches = pool.starmap(_add_five, [(str(root), w) for w in range(6)])
    ids = [i for batch in batches for i in batch]
    assert len(set(ids)) == 30
    on_disk = {p.rsplit("/", 1)[1][:26] for p in store.iter_paths()}
    assert on_disk == set(ids)
    tracked = git(root, "ls-files").splitlines()
    assert sum(1 for p in tracked if is_memory_path(p)) == 30
    assert len([s for s in log_subjects(store) if s.startswith("add note: worker")]) == 30
    assert porcelain(store) == ""
    git(root, "fsck", "--no-progress")
    assert all(isinstance(m, Memory) for _, m in store.iter_memories())


# ---- the user's git setup never blocks a memory commit --------------------------------------


def test_commits_without_any_git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bare_home = tmp_path / "nohome"
    bare_home.mkdir()
    monkeypatch.setenv("HOME", str(bare_home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(bare_home / ".config"))
    monkeypatch.setenv("EMAIL", "")
    s = Store.open(tmp_path / "store")
    m = mem()
    s.add(m)
    assert m.author is None
    assert git(s.root, "log", "-1", "--format=%an <%ae>").strip() == "aidermem <aidermem@localhost>"


def test_hooks_and_signing_in_user_config_are_bypassed(tmp_path: Path, isolated_home: Path) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name in ("pre-commit", "commit-msg", "prepare-commit-msg", "post-commit"):
        hook = hooks / name
        hook.write_text("#!/bin/sh\necho hook ran >&2\nexit 1\n")
        hook.chmod(0o755)
    with (isolated_home / ".gitconfig").open("a") as fh:
        fh.write(f"[core]\n\thooksPath = {hooks}\n[commit]\n\tgpgsign = true\n"
                 "[gpg]\n\tprogram = /bin/false\n")
    s = Store.open(tmp_path / "store")
    s.add(mem())
    assert log_subjects(s)[0] == "add note: Use Postgres"
    assert porcelain(s) == ""


def test_other_changes_in_the_store_are_never_swept_into_a_commit(store: Store) -> None:
    hand = store.add(mem(title="Hand edited"))
    staged = store.add(mem(title="Staged by hand"))
    (store.root / hand).write_text((store.root / hand).read_text() + "\nunstaged edit\n")
    (store.root / staged).write_text((store.root / staged).read_text() + "\nstaged edit\n")
    git(store.root, "add", staged)
    new = store.add(mem(title="New one"))
    assert git(store.root, "show", "--name-only", "--format=", "HEAD").split() == [new]
    assert sorted(dirty_memory_paths(store.root)) == sorted([hand, staged])
    assert git(store.root, "diff", "--cached", "--name-only").split() == [staged]


def test_lock_is_reentrant_within_a_process(store: Store) -> None:
    other = Store.open(store.root, lock_timeout=0.5)
    with store.lock():
        store.add(mem(title="inside"))
        other.add(mem(title="also inside"))
    assert len(list(store.iter_paths())) == 2


def test_leftover_temp_file_of_a_killed_writer_is_ignored(store: Store) -> None:
    relpath = store.add(mem())
    folder = (store.root / relpath).parent
    (folder / f".{relpath.rsplit('/', 1)[1]}.abc123.tmp").write_text("half a fi")
    assert porcelain(store) == ""
    assert dirty_memory_paths(store.root) == []
    assert list(store.iter_paths()) == [relpath]


def test_forget_delete_of_a_never_committed_file(store: Store) -> None:
    relpath = "_global/2024/02/HANDMADE-never-committed.md"
    (store.root / relpath).parent.mkdir(parents=True)
    (store.root / relpath).write_text("---\ntitle: Never committed\nid: HANDMADE\n---\n")
    before = log_subjects(store)
    forgotten = store.forget("handmade", delete=True)
    assert forgotten.title == "Never committed"
    assert not (store.root / relpath).exists()
    assert log_subjects(store) == before  # nothing was in git, so nothing to record
    assert porcelain(store) == ""


def test_update_repairs_a_file_that_no_longer_parses(store: Store) -> None:
    m = mem()
    relpath = store.add(m)
    (store.root / relpath).write_text("<<<<<<< HEAD\nbroken by a bad merge\n")
    with pytest.raises(MemoryFileError):
        store.find(m.id)
    assert store.path_of(m.id) == relpath
    assert store.update(m) == relpath
    assert store.find(m.id)[1].title == m.title
    assert porcelain(store) == ""


def test_unsafe_ids_are_refused(store: Store) -> None:
    for bad in ("../../etc/passwd", "a/b", "with-hyphen", ".hidden", ""):
        with pytest.raises(StoreError):
            store.relpath_for(Memory(id="x", title="t").model_copy(update={"id": bad}))
    assert list(store.iter_paths()) == []


def test_folder_is_the_utc_creation_month(store: Store) -> None:
    from datetime import timedelta, timezone

    # 00:30 on March 1st in UTC+2 is still February in UTC.
    m = mem(created=datetime(2024, 3, 1, 0, 30, tzinfo=timezone(timedelta(hours=2))))
    assert store.add(m).startswith("github.com-acme-shop/2024/02/")


def _open_store(root: str) -> str | None:
    return Store.open(Path(root)).head()


def test_first_open_from_many_processes_makes_one_store(tmp_path: Path) -> None:
    root = tmp_path / "fresh" / "store"
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        heads = pool.map(_open_store, [str(root)] * 4)
    assert len(set(heads)) == 1
    s = Store.open(root)
    assert log_subjects(s) == ["init aidermem store"]
    assert porcelain(s) == ""
    assert [p.name for p in root.parent.iterdir()] == ["store"]  # no staging dirs left


def test_a_briefly_held_git_index_lock_is_waited_for(store: Store) -> None:
    index_lock = store.root / ".git" / "index.lock"
    index_lock.write_text("")  # as if the user ran git in the store at this moment
    threading.Timer(0.3, index_lock.unlink).start()
    relpath = store.add(mem())
    assert store.find(relpath.rsplit("/", 1)[1][:26])[0] == relpath
    assert porcelain(store) == ""


def test_a_stale_git_index_lock_is_a_clear_error_and_changes_nothing(store: Store) -> None:
    index_lock = store.root / ".git" / "index.lock"
    index_lock.write_text("")
    with pytest.raises(StoreError, match=r"index\.lock") as err:
        store.add(mem())
    assert "nothing was changed" in err.value.hint
    index_lock.unlink()
    assert list(store.iter_paths()) == []
    assert porcelain(store) == ""


WRITER = """
import sys
from pathlib import Path
from aidermem.models import Memory
from aidermem.store.store import Store
store = Store.open(Path(sys.argv[1]))
for i in range(200):
    store.add(Memory(title=f"killed writer note {i}", body="x" * 5000))
    print(i, flush=True)
"""


def test_a_killed_writer_loses_nothing_committed_and_leaves_a_usable_store(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(store.root)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    for _ in range(3):  # let it land a few commits, then kill it mid-stride
        assert proc.stdout.readline()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # The kernel released its flock; whatever git child it left finishes on its own.
    after = Store.open(store.root, lock_timeout=10)
    late = after.add(mem(title="after the crash"))
    git(store.root, "fsck", "--no-progress")
    committed = {p for p in git(store.root, "ls-files").splitlines() if is_memory_path(p)}
    assert late in committed
    assert len(committed) >= 4
    for relpath, result in after.iter_memories():
        assert isinstance(result, Memory), relpath  # atomic writes: never half a file
    assert set(dirty_memory_paths(after.root)) <= set(after.iter_paths())


def test_changed_paths_reports_a_rename_as_delete_and_add(store: Store) -> None:
    old = store.add(mem(title="Old name"))
    since = store.head()
    assert since is not None
    new = old.replace("old-name", "renamed-by-hand")
    git(store.root, "mv", old, new)
    git(store.root, "commit", "-q", "-m", "rename by hand")
    assert sorted(store.changed_paths(since[:12]) or []) == sorted([old, new])
    assert store.changed_paths(store.head() or "") == []
