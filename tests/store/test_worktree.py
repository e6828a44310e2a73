"""The cheap "what differs from HEAD" check must give git status's answer.

Each case changes a real git work tree the way a person or git would, then
compares the incremental check (from the previous snapshot) with a fresh full
`git status`. Stat-only changes are the one allowed difference: diff-files
reports them, status re-reads the file and does not; the index compares stats,
so re-reading such a file is harmless.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from aidermem.store import worktree
from aidermem.store.worktree import Snapshot


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def age_dirs(root: Path) -> None:
    """Make every directory look untouched for an hour, as in a store used yesterday
    (a directory changed within worktree.RACY_NS is listed again on every check anyway)."""
    old = (root.stat().st_mtime_ns - 3_600_000_000_000,) * 2
    for path in [root, *(p for p in root.rglob("*") if p.is_dir() and ".git" not in p.parts)]:
        os.utime(path, ns=old)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "store"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    for rel in ("README.md", "p1/2025/01/a-one.md", "p1/2025/01/b-two.md",
                "p1/2025/02/c-three.md", "p2/2024/12/d-four.md"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(f"{rel}\n")
    (root / ".gitignore").write_text("ignored/\n")
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "seed")
    return root


def edit_in_place(root: Path) -> None:
    path = root / "p1/2025/01/a-one.md"
    with path.open("a") as handle:  # no rename: the directory's mtime does not move
        handle.write("more\n")


def new_file_in_existing_dir(root: Path) -> None:
    (root / "p1/2025/02/e-new.md").write_text("new\n")


def new_file_in_new_dirs(root: Path) -> None:
    (root / "p3/2026/03").mkdir(parents=True)
    (root / "p3/2026/03/f-deep.md").write_text("deep\n")


def delete_tracked(root: Path) -> None:
    (root / "p2/2024/12/d-four.md").unlink()


def rename_tracked(root: Path) -> None:
    (root / "p1/2025/01/b-two.md").rename(root / "p1/2025/02/b-moved.md")


def stage_an_edit(root: Path) -> None:
    (root / "p1/2025/02/c-three.md").write_text("staged\n")
    git(root, "add", "p1/2025/02/c-three.md")


def commit_everything(root: Path) -> None:
    edit_in_place(root)
    new_file_in_new_dirs(root)
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "more")


def remove_a_whole_project(root: Path) -> None:
    for path in sorted((root / "p2").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    (root / "p2").rmdir()


def file_in_ignored_dir(root: Path) -> None:
    (root / "ignored").mkdir()
    (root / "ignored/x.md").write_text("x\n")


def change_gitignore(root: Path) -> None:
    file_in_ignored_dir(root)
    with (root / ".gitignore").open("w") as handle:  # in place: only diff-files sees it
        handle.write("# nothing ignored now\n")


CHANGES: dict[str, Callable[[Path], None]] = {
    "edit in place": edit_in_place,
    "new file, existing dir": new_file_in_existing_dir,
    "new file, new dirs": new_file_in_new_dirs,
    "delete tracked": delete_tracked,
    "rename tracked": rename_tracked,
    "stage an edit": stage_an_edit,
    "commit": commit_everything,
    "remove a project": remove_a_whole_project,
    "file in an ignored dir": file_in_ignored_dir,
    "gitignore edited": change_gitignore,
}


def answer(snap: Snapshot) -> tuple[set[str], set[str], set[str]]:
    return set(snap.modified), set(snap.staged), set(snap.untracked)


@pytest.mark.parametrize("name", list(CHANGES))
def test_incremental_check_agrees_with_git_status(repo: Path, name: str) -> None:
    age_dirs(repo)
    before = worktree.full(repo)
    assert before.paths() == set()
    assert set(before.dirs) == {"", "p1", "p1/2025", "p1/2025/01", "p1/2025/02", "p2",
                                "p2/2024", "p2/2024/12"}
    assert worktree.UNSETTLED not in before.dirs.values()
    CHANGES[name](repo)
    after = worktree.check(repo, before)
    assert answer(after) == answer(worktree.full(repo))
    assert after.head == git(repo, "rev-parse", "HEAD").strip()
    # ...and the check after that, with nothing new, gives the same answer again.
    again = worktree.check(repo, after)
    assert answer(again) == answer(after)


def test_what_each_change_reports(repo: Path) -> None:
    age_dirs(repo)
    before = worktree.full(repo)
    edit_in_place(repo)
    new_file_in_new_dirs(repo)
    delete_tracked(repo)
    after = worktree.check(repo, before)
    assert set(after.modified) == {"p1/2025/01/a-one.md", "p2/2024/12/d-four.md"}
    assert after.untracked == ["p3/2026/03/f-deep.md"]
    assert after.staged == []
    assert {"p3", "p3/2026", "p3/2026/03"} <= set(after.dirs)


def test_untracked_files_elsewhere_are_kept_when_one_dir_moves(repo: Path) -> None:
    (repo / "p2/2024/12/u-old.md").write_text("u\n")
    age_dirs(repo)
    before = worktree.full(repo)
    assert before.untracked == ["p2/2024/12/u-old.md"]
    new_file_in_existing_dir(repo)
    after = worktree.check(repo, before)
    assert sorted(after.untracked) == ["p1/2025/02/e-new.md", "p2/2024/12/u-old.md"]


def test_directory_names_with_glob_characters_are_listed_literally(repo: Path) -> None:
    odd = repo / "we[ir]d*?" / "2025"
    odd.mkdir(parents=True)
    (odd / "a.md").write_text("a\n")
    (repo / "wei" / "2025").mkdir(parents=True)  # what "we[ir]d" would match as a glob
    (repo / "wei" / "2025" / "b.md").write_text("b\n")
    age_dirs(repo)
    before = worktree.full(repo)
    (odd / "c.md").write_text("c\n")
    after = worktree.check(repo, before)
    assert sorted(after.untracked) == ["we[ir]d*?/2025/a.md", "we[ir]d*?/2025/c.md",
                                       "wei/2025/b.md"]
    assert answer(after) == answer(worktree.full(repo))


def test_many_stat_only_changes_refresh_gits_index(repo: Path) -> None:
    folder = repo / "p1/2025/03"
    folder.mkdir()
    for i in range(worktree.REFRESH_AT + 5):
        (folder / f"m{i:03}.md").write_text(f"{i}\n")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "many")
    before = worktree.full(repo)
    for path in folder.iterdir():  # touched, not changed: as after a plain `cp -r`
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    after = worktree.check(repo, before)
    assert after.modified == []
    assert git(repo, "diff-files", "--name-only") == ""  # refreshed: later checks stay cheap


def test_a_directory_changed_just_before_a_check_is_listed_again(repo: Path) -> None:
    before = worktree.full(repo)  # the fixture just wrote every directory
    assert set(before.dirs.values()) == {worktree.UNSETTLED}
    # A file added within the same mtime tick leaves the directory's mtime as it was...
    folder = repo / "p1/2025/02"
    st = folder.stat()
    (folder / "e-same-tick.md").write_text("x\n")
    os.utime(folder, ns=(st.st_atime_ns, st.st_mtime_ns))
    # ...and is found all the same, because that directory was not settled.
    assert "p1/2025/02/e-same-tick.md" in worktree.check(repo, before).untracked


def test_a_damaged_snapshot_is_no_snapshot() -> None:
    assert Snapshot.from_json(None) is None
    assert Snapshot.from_json({"head": "x"}) is None
    assert Snapshot.from_json({"head": None, "git_index": None, "dirs": {}, "modified": "a"}
                              ) is None
    snap = Snapshot("abc", [1, 2, 3], {"": 5}, ["m"], ["s"], ["u"])
    assert Snapshot.from_json(snap.to_json()) == snap


def test_no_snapshot_or_no_commits_takes_the_full_path(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    git(root, "init", "-q")
    (root / "x.md").write_text("x\n")
    snap = worktree.check(root, None)
    assert snap.head is None and snap.untracked == ["x.md"]
    again = worktree.check(root, snap)  # no HEAD to compare with: full again, same answer
    assert answer(again) == answer(snap)


def test_the_full_check_and_changed_files_read_git_status_with_one_parser(repo: Path) -> None:
    """worktree.full and gitutil.changed_files both read `git status` through
    gitutil.status_entries: the same paths, each sorted into staged, modified, untracked."""
    from aidermem import gitutil

    (repo / "p1/2025/01/a-one.md").write_text("edited, then staged, then edited again\n")
    git(repo, "add", "p1/2025/01/a-one.md")
    (repo / "p1/2025/01/a-one.md").write_text("edited once more\n")
    (repo / "p1/2025/01/b-two.md").unlink()
    (repo / "p2/new name with spaces.md").write_text("new\n")
    out = git(repo, *gitutil.STATUS_ARGS)
    assert {path: xy for xy, path in gitutil.status_entries(out)} == {
        "p1/2025/01/a-one.md": "MM", "p1/2025/01/b-two.md": " D",
        "p2/new name with spaces.md": "??"}
    snap = worktree.full(repo)
    assert answer(snap) == ({"p1/2025/01/a-one.md", "p1/2025/01/b-two.md"},
                            {"p1/2025/01/a-one.md"}, {"p2/new name with spaces.md"})
    assert snap.paths() == set(gitutil.changed_files(repo))
