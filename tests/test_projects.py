"""Project identity across remotes and moves, `aidermem projects`, and unknown --project names."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from test_cli_support import (
    OTHER_ID,
    SHOP_ID,
    SHOP_REMOTE,
    make_repo,
    memory,
    put,
    run,
    store,
)

from aidermem.models import Memory

NO_SUCH = ("aidermem: error: no such project 'nosuch' — `aidermem projects` lists the projects "
           "with memories\n")


@pytest.fixture
def shop(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "shop")
    monkeypatch.chdir(repo)
    return repo


# -- --project names a project that does not exist --------------------------------------


@pytest.mark.parametrize("argv", [
    ("list", "--project", "nosuch"),
    ("search", "postgres", "--project", "nosuch"),
    ("digest", "--project", "nosuch"),
    ("digest", "postgres", "--project", "nosuch", "--json"),
])
def test_an_unknown_project_is_an_error_not_an_empty_answer(shop, capsys, argv):
    put(memory("AAAA", "Use Postgres"), memory("BBBB", "Billing on Postgres", project=OTHER_ID))
    r = run(capsys, *argv)
    assert (r.code, r.out, r.err) == (1, "", NO_SUCH)


def test_a_known_project_with_nothing_matching_is_not_an_error(shop, capsys):
    put(memory("AAAA", "Use Postgres"), memory("BBBB", "Billing on Postgres", project=OTHER_ID))
    assert run(capsys, "search", "kubernetes", "--project", "billing").code == 0
    assert run(capsys, "list", "--project", OTHER_ID, "--kind", "bug").code == 0
    # the current project exists before its first memory, and "" is the global memories
    assert run(capsys, "list", "--project", "").code == 0
    put(memory("CCCC", "Billing uses Stripe", project=OTHER_ID))
    assert run(capsys, "list", "--project", SHOP_ID, "--kind", "bug").code == 0
    assert run(capsys, "list", "--project", "shop", "--kind", "bug").code == 0


# -- identity survives a new remote, a changed remote, a moved folder --------------------


def git_in(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


def titles(capsys, *argv: str) -> list[str]:
    r = run(capsys, "list", "--json", *argv)
    assert r.code == 0, r.err
    return sorted(m["title"] for m in json.loads(r.out)["memories"])


def at_path(repo: Path, tag: str, title: str) -> Memory:
    """A memory as an earlier aidermem stored it in a repo without a remote: under its path."""
    m = memory(tag, title, project="")
    m.project, m.project_name = str(repo.resolve()), repo.name
    return m


def test_adding_a_remote_keeps_memories_stored_under_the_folder_path(tmp_path, monkeypatch,
                                                                     capsys):
    repo = make_repo(tmp_path / "shop", remote=None)
    monkeypatch.chdir(repo)
    put(at_path(repo, "PATH", "Checkout needs row locks"), memory("GLOB", "A global tip",
                                                                   project=""))
    git_in(repo, "remote", "add", "origin", SHOP_REMOTE)
    assert titles(capsys) == ["A global tip", "Checkout needs row locks"]
    assert run(capsys, "search", "row", "locks").out.startswith("01JQPATH")
    assert titles(capsys, "--project", SHOP_ID) == ["Checkout needs row locks"]
    assert titles(capsys, "--project", "shop") == ["Checkout needs row locks"]


def test_changing_the_remote_keeps_the_memories_of_the_old_one(shop, capsys):
    assert run(capsys, "add", "Orders use Postgres").code == 0
    git_in(shop, "remote", "set-url", "origin", "https://gitlab.com/acme/shop-renamed.git")
    assert titles(capsys) == ["Orders use Postgres"]
    assert run(capsys, "add", "Invoices are PDFs").code == 0
    assert titles(capsys) == ["Invoices are PDFs", "Orders use Postgres"]
    added = [m for _, m in store().iter_memories() if m.title == "Invoices are PDFs"]
    assert [m.project for m in added] == ["gitlab.com/acme/shop-renamed"]
    # and back: both ids are this checkout's
    git_in(shop, "remote", "set-url", "origin", SHOP_REMOTE)
    assert titles(capsys) == ["Invoices are PDFs", "Orders use Postgres"]


def test_a_moved_folder_keeps_its_memories(tmp_path, monkeypatch, capsys):
    repo = make_repo(tmp_path / "shop", remote=None)
    monkeypatch.chdir(repo)
    assert run(capsys, "add", "Run migrations before tests").code == 0
    moved = tmp_path / "elsewhere" / "shop-app"
    moved.parent.mkdir()
    repo.rename(moved)
    monkeypatch.chdir(moved)
    assert titles(capsys) == ["Run migrations before tests"]
    # a remote added after the move as well
    git_in(moved, "remote", "add", "origin", SHOP_REMOTE)
    assert titles(capsys) == ["Run migrations before tests"]


def test_a_worktree_shares_the_memories_of_its_repository(tmp_path, monkeypatch, capsys):
    repo = make_repo(tmp_path / "shop", remote=None)
    git_in(repo, "commit", "-q", "--allow-empty", "-m", "first")
    monkeypatch.chdir(repo)
    assert run(capsys, "add", "Feature flags live in flags.py").code == 0
    git_in(repo, "worktree", "add", "-q", str(tmp_path / "shop-wt"))
    monkeypatch.chdir(tmp_path / "shop-wt")
    assert titles(capsys) == ["Feature flags live in flags.py"]
    assert run(capsys, "add", "The worktree's note").code == 0
    monkeypatch.chdir(repo)
    assert titles(capsys) == ["Feature flags live in flags.py", "The worktree's note"]


def test_a_clone_repointed_at_a_fork_does_not_take_the_originals_memories(
        tmp_path, monkeypatch, capsys):
    upstream = make_repo(tmp_path / "shop")
    git_in(upstream, "commit", "-q", "--allow-empty", "-m", "first")
    monkeypatch.chdir(upstream)
    assert run(capsys, "add", "Upstream's own decision").code == 0
    fork = tmp_path / "my-fork"
    subprocess.run(["git", "clone", "-q", str(upstream), str(fork)], check=True)
    git_in(fork, "remote", "set-url", "origin", "git@github.com:me/shop.git")
    monkeypatch.chdir(fork)
    assert titles(capsys) == []
    assert run(capsys, "add", "The fork's decision").code == 0
    monkeypatch.chdir(upstream)
    assert titles(capsys) == ["Upstream's own decision"]
