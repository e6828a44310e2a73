"""Project identity (remotes, identify(), store folder names) and the gitutil queries it uses."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from aidermem import gitutil
from aidermem.errors import StoreError
from aidermem.project import (
    CONFIG_KEY,
    Project,
    identify,
    normalize_remote,
    project_dirname,
    remember,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("git@github.com:Owner/Repo.git", "github.com/owner/repo"),
        ("https://user:tok@github.com/Owner/Repo.git", "github.com/owner/repo"),
        ("ssh://git@github.com:22/Owner/Repo", "github.com/owner/repo"),
        ("https://github.com/owner/repo/", "github.com/owner/repo"),
        ("https://github.com/owner/repo.git/", "github.com/owner/repo"),
        ("http://GitHub.COM/Owner/Repo", "github.com/owner/repo"),
        ("git://github.com/owner/repo.git", "github.com/owner/repo"),
        ("git+ssh://git@github.com/owner/repo.git", "github.com/owner/repo"),
        ("ssh://git@gitlab.example.com:2222/grp/sub/proj.git", "gitlab.example.com/grp/sub/proj"),
        ("https://oauth2:glpat-XYZ@gitlab.com/Group/Proj.git", "gitlab.com/group/proj"),
        ("https://github.com/owner/repo?tab=readme#top", "github.com/owner/repo"),
        ("gitea@host.example:repo.git", "host.example/repo"),
        ("  git@github.com:owner/repo.git\n", "github.com/owner/repo"),
        ("/srv/git/x.git", "/srv/git/x"),
        ("/srv/git/x.git/", "/srv/git/x"),
        ("file:///srv/git/x.git", "/srv/git/x"),
        ("file:///srv/git/My%20Repo.git", "/srv/git/My Repo"),
        ("/srv/Git/CaseKept", "/srv/Git/CaseKept"),
        ("/srv/git/../git/x.git", "/srv/git/x"),
    ],
)
def test_normalize_remote(url: str, expected: str) -> None:
    assert normalize_remote(url) == expected


def test_normalize_remote_strips_credentials_everywhere() -> None:
    for url in ("https://alice:s3cret@github.com/a/b.git", "ssh://alice:s3cret@github.com/a/b"):
        result = normalize_remote(url)
        assert "s3cret" not in result
        assert "alice" not in result
        assert result == "github.com/a/b"


def test_normalize_remote_same_project_many_spellings() -> None:
    spellings = [
        "git@github.com:Acme/Shop.git",
        "https://github.com/acme/shop",
        "https://x:y@github.com/ACME/SHOP.git/",
        "ssh://git@github.com:22/acme/shop.git",
    ]
    assert {normalize_remote(u) for u in spellings} == {"github.com/acme/shop"}


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def test_identify_with_origin(tmp_path: Path) -> None:
    repo = tmp_path / "checkout-dir"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "remote", "add", "origin", "git@github.com:Acme/MyShop.git")
    sub = repo / "src" / "pkg"
    sub.mkdir(parents=True)
    project = identify(sub)
    # the checkout's folder is always an alias: memories stored before the remote was added
    assert project == Project(id="github.com/acme/myshop", name="MyShop", root=repo.resolve(),
                              aliases=(str(repo.resolve()),), remembered=False)


def test_identify_lists_every_id_the_checkout_remembered(tmp_path: Path) -> None:
    repo = tmp_path / "shop"
    repo.mkdir()
    _git(repo, "init", "-q")
    first = identify(repo)
    assert (first.id, first.aliases, first.remembered) == (str(repo.resolve()), (), False)
    remember(first)
    assert identify(repo).remembered
    _git(repo, "remote", "add", "origin", "git@github.com:acme/shop.git")
    second = identify(repo)
    assert (second.id, second.aliases) == ("github.com/acme/shop", (str(repo.resolve()),))
    remember(second)
    remember(identify(repo))  # once per id
    _git(repo, "remote", "set-url", "origin", "https://gitlab.com/acme/shop")
    third = identify(repo)
    assert third.ids == ("gitlab.com/acme/shop", str(repo.resolve()), "github.com/acme/shop")
    assert _git(repo, "config", "--local", "--get-all", CONFIG_KEY).split() == [
        str(repo.resolve()), "github.com/acme/shop"]


def test_identify_ignores_ids_recorded_outside_the_repository(tmp_path: Path) -> None:
    repo = tmp_path / "shop"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "--global", "--add", CONFIG_KEY, "github.com/acme/everything")
    assert identify(repo).aliases == ()


def test_identify_without_origin_uses_root_path(tmp_path: Path) -> None:
    repo = tmp_path / "local-only"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "remote", "add", "upstream", "https://github.com/other/thing")
    project = identify(repo / ".")
    assert project.id == str(repo.resolve())
    assert project.name == "local-only"
    assert project.root == repo.resolve()


def test_identify_relative_local_origin_is_made_absolute(tmp_path: Path) -> None:
    bare = tmp_path / "remotes" / "proj.git"
    _git(tmp_path, "init", "-q", "--bare", str(bare))
    repo = tmp_path / "work"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "remote", "add", "origin", "../remotes/proj.git")
    project = identify(repo)
    assert project.id == str((tmp_path / "remotes" / "proj").resolve())
    assert project.name == "proj"


def test_identify_two_clones_agree(tmp_path: Path) -> None:
    ids = set()
    for name, url in (("a", "git@github.com:acme/shop.git"), ("b", "https://github.com/Acme/Shop")):
        repo = tmp_path / name
        repo.mkdir()
        _git(repo, "init", "-q")
        _git(repo, "remote", "add", "origin", url)
        ids.add(identify(repo).id)
    assert ids == {"github.com/acme/shop"}


def test_identify_outside_git(tmp_path: Path) -> None:
    plain = tmp_path / "not a repo"
    plain.mkdir()
    assert identify(plain) == Project(id=str(plain.resolve()), name="not a repo", root=None)


@pytest.mark.parametrize(
    ("project_id", "expected"),
    [
        ("", "_global"),
        ("github.com/acme/shop", "github.com-acme-shop"),
        ("gitlab.com/group/sub/proj", "gitlab.com-group-sub-proj"),
    ],
)
def test_project_dirname_readable(project_id: str, expected: str) -> None:
    assert project_dirname(project_id) == expected


SAMPLE_IDS = [
    "github.com/acme/shop",
    "github.com/acme/my-shop",
    "github.com/acme-my/shop",
    "github.com/acme/my_shop",
    "github.com/Acme/shop",
    "/srv/git/x",
    "/srv/Git/x",
    "/srv/git/x y",
    "/home/me/.hidden",
    ".",
    "..",
    "/",
    "C:/Users/me/proj",
    "/home/me/東京プロジェクト",
    "github.com/" + "a" * 200,
    "github.com/" + "a" * 199 + "b",
    "host/" + "x/" * 50 + "end",
]


def test_project_dirname_is_safe() -> None:
    for pid in SAMPLE_IDS:
        name = project_dirname(pid)
        assert re.fullmatch(r"[a-z0-9._-]+", name), (pid, name)
        assert not name.startswith("."), pid
        assert not name.endswith("."), pid
        assert name not in (".", "..")
        assert len(name) <= 80, pid


def test_project_dirname_is_injective() -> None:
    names = [project_dirname(pid) for pid in SAMPLE_IDS]
    assert len(set(names)) == len(names)
    assert "_global" not in names


def test_project_dirname_is_stable_and_hashes_lossy_ids() -> None:
    assert project_dirname("/srv/git/x") == project_dirname("/srv/git/x")
    lossy = project_dirname("/srv/git/x")
    assert lossy.startswith("srv-git-x_")
    assert re.fullmatch(r"srv-git-x_[0-9a-f]{10}", lossy)
    long = project_dirname("github.com/" + "a" * 200)
    assert long.startswith("github.com-aaaa")
    assert re.search(r"_[0-9a-f]{10}$", long)


# ---- gitutil: the git queries identify() and the launcher rely on --------------------------


def _commit(repo: Path, name: str, text: str, message: str) -> str:
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_text(text)
    _git(repo, "add", name)
    _git(repo, "commit", "-q", "-m", message)
    return _git(repo, "rev-parse", "HEAD").strip()


def test_gitutil_outside_a_repo_answers_none(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert gitutil.git_root(plain) is None
    assert gitutil.head(plain) is None
    assert gitutil.current_branch(plain) is None
    assert identify(plain).id == str(plain.resolve())  # no origin remote read outside a repo
    assert gitutil.recent_commit_subjects(plain, 5) == []
    assert gitutil.changed_files(plain) == []
    assert gitutil.commits_between(plain, None, "HEAD") == []
    assert gitutil.files_changed_between(plain, None, "HEAD") == []
    assert gitutil.head(tmp_path / "missing") is None
    # The user's global identity is still readable outside any repo.
    assert gitutil.commit_identity(plain)[1] == "Test User <test@example.com>"


def test_gitutil_in_a_repo_without_commits(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "trunk")
    (repo / "new.txt").write_text("x")
    assert gitutil.git_root(repo / ".") == repo.resolve()
    assert gitutil.head(repo) is None
    assert gitutil.current_branch(repo) == "trunk"
    assert gitutil.recent_commit_subjects(repo, 3) == []
    assert gitutil.changed_files(repo) == ["new.txt"]
    assert gitutil.commits_between(repo, None, "HEAD") == []
    assert gitutil.files_changed_between(repo, None, "HEAD") == []


def test_gitutil_history_queries(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    _git(repo, "init", "-q")
    first = _commit(repo, "a.py", "a = 1\n", "add a")
    second = _commit(repo, "pkg/b.py", "b = 2\n", "add b")
    third = _commit(repo, "a.py", "a = 3\n", "change a: größer")
    assert gitutil.head(repo) == third
    assert gitutil.current_branch(repo) == "main"
    assert gitutil.recent_commit_subjects(repo, 2) == ["change a: größer", "add b"]
    assert gitutil.commits_between(repo, first, third) == [
        (second, "add b"), (third, "change a: größer")]
    assert gitutil.commits_between(repo, None, third)[0] == (first, "add a")
    assert gitutil.commits_between(repo, third, third) == []
    assert gitutil.commits_between(repo, "f" * 40, third) == []
    assert sorted(gitutil.files_changed_between(repo, first, third)) == ["a.py", "pkg/b.py"]
    assert sorted(gitutil.files_changed_between(repo, None, second)) == ["a.py", "pkg/b.py"]
    assert gitutil.files_changed_between(repo, "nope", third) == []
    assert gitutil.is_commit(repo, first[:10])
    assert not gitutil.is_commit(repo, "--all")


def test_gitutil_changed_files_sees_every_kind_of_change(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    _git(repo, "init", "-q")
    _commit(repo, "keep.txt", "k", "keep")
    _commit(repo, "edit.txt", "e", "edit")
    _commit(repo, "gone.txt", "g", "gone")
    _commit(repo, "old name.txt", "o", "rename me")
    (repo / "edit.txt").write_text("edited")
    (repo / "gone.txt").unlink()
    _git(repo, "mv", "old name.txt", "new name.txt")
    (repo / "dir").mkdir()
    (repo / "dir" / "ünïcode.txt").write_text("u")
    (repo / "staged.txt").write_text("s")
    _git(repo, "add", "staged.txt")
    assert sorted(gitutil.changed_files(repo)) == sorted([
        "edit.txt", "gone.txt", "old name.txt", "new name.txt", "dir/ünïcode.txt", "staged.txt"])


def test_gitutil_user_identity_variants(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.name", "Repo Person")
    _git(repo, "config", "user.email", "repo@example.com")
    assert gitutil.commit_identity(repo)[1] == "Repo Person <repo@example.com>"
    _git(repo, "config", "user.name", "")
    assert gitutil.commit_identity(repo)[1] == "<repo@example.com>"


def test_gitutil_run_git_errors_are_store_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="rev-parse"):
        gitutil.run_git(["rev-parse", "--verify", "HEAD"], tmp_path)
    with pytest.raises(StoreError, match="not a directory"):
        gitutil.run_git(["status"], tmp_path / "missing")
    assert gitutil.run_git(["rev-parse", "--verify", "HEAD"], tmp_path, check=False) == ""


def test_gitutil_ignores_git_dir_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _git(elsewhere, "init", "-q")
    plain = tmp_path / "plain"
    plain.mkdir()
    # As when aidermem is started from a git hook of another repository.
    monkeypatch.setenv("GIT_DIR", str(elsewhere / ".git"))
    assert gitutil.git_root(plain) is None


def test_every_worktree_of_a_repository_is_one_project(tmp_path: Path) -> None:
    main = tmp_path / "shop"
    main.mkdir()
    for args in (["init", "-q"], ["commit", "-q", "--allow-empty", "-m", "first"],
                 ["worktree", "add", "-q", "-b", "topic", str(tmp_path / "shop-topic")]):
        subprocess.run(["git", *args], cwd=main, check=True, capture_output=True)
    linked = identify(tmp_path / "shop-topic")
    assert identify(main).id == linked.id == str(main.resolve())
    assert linked.name == "shop" and linked.root == (tmp_path / "shop-topic").resolve()
    # Memories made there before worktrees were one project stay in scope.
    assert str((tmp_path / "shop-topic").resolve()) in linked.aliases
    # A submodule's .git file points at a repository of its own, not a worktree.
    sub = tmp_path / "sub"
    (main / ".git" / "modules" / "sub").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "--separate-git-dir",
                    str(main / ".git" / "modules" / "sub"), str(sub)], check=True)
    assert identify(sub).id == str(sub.resolve())
