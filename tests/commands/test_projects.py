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
    Status,
    git,
    make_repo,
    memory,
    put,
    run,
    store,
)

from aidermem.models import Memory
from aidermem.project import project_dirname

NO_SUCH_HINT = "`aidermem projects` lists the projects with memories"
NO_SUCH = f"aidermem: error: no such project 'nosuch' — {NO_SUCH_HINT}\n"


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


# -- aidermem projects: see, merge, rename -----------------------------------------------


@pytest.fixture
def renamed_shop(tmp_path, monkeypatch):
    """A checkout whose memories are under three ids: its folder (from before its remote),
    its remote, and another project's; plus a global one."""
    repo = make_repo(tmp_path / "shop", remote=None)
    monkeypatch.chdir(repo)
    archived = memory("BBBB", "Old checkout flow")
    archived.status = Status.ARCHIVED
    put(at_path(repo, "PATH", "Checkout needs row locks"), memory("AAAA", "Use Postgres"),
        archived, memory("CCCC", "Billing on Stripe", project=OTHER_ID),
        memory("GGGG", "A global tip", project=""))
    git_in(repo, "remote", "add", "origin", SHOP_REMOTE)
    return repo


def test_projects_lists_ids_names_counts_and_which_is_current(renamed_shop, capsys):
    path = str(renamed_shop.resolve())
    r = run(capsys, "projects")
    assert (r.code, r.err) == (0, "")
    width = len(path)
    assert r.out == (
        f"* shop      {SHOP_ID:<{width}}  1 memory, 1 archived\n"
        f"  shop      {path}  1 memory  (an earlier id of {SHOP_ID})\n"
        f"  billing   {OTHER_ID:<{width}}  1 memory\n"
        f"  (global)  {'':<{width}}  1 memory\n"
        "* the current project\n"
        "to file an earlier id's memories under the current one: "
        f"aidermem projects merge {path} {SHOP_ID}\n")


def test_projects_merge_moves_every_memory_in_one_revertable_commit(renamed_shop, capsys):
    path = str(renamed_shop.resolve())
    log_before = git("log", "--format=%s")
    r = run(capsys, "projects", "merge", path, "shop", "--json")
    assert r.code == 0, r.err
    done = json.loads(r.out)
    assert (done["project"], done["target"], done["name"], done["changed"]) == (
        path, SHOP_ID, "shop", 1)
    assert git("log", "--format=%s") == (
        f"projects: merge {path} into {SHOP_ID} (1 memories)\n" + log_before)
    moved = [m for _, m in store().iter_memories() if m.title == "Checkout needs row locks"]
    assert [(m.project, m.project_name) for m in moved] == [(SHOP_ID, "shop")]
    assert next(p for p in store().iter_paths() if "PATH" in p).startswith(
        project_dirname(SHOP_ID) + "/")
    # the index followed: the old id has nothing left, the current one has it
    listing = json.loads(run(capsys, "projects", "--json").out)["projects"]
    assert [(p["id"], p["memories"]) for p in listing] == [
        (SHOP_ID, 2), (OTHER_ID, 1), ("", 1)]
    assert [h["project"] for h in json.loads(
        run(capsys, "search", "row locks", "--json").out)["hits"]] == [SHOP_ID]

    subprocess.run(done["recover"], shell=True, check=True, capture_output=True)
    listing = json.loads(run(capsys, "projects", "--json").out)["projects"]
    assert [(p["id"], p["memories"]) for p in listing] == [
        (SHOP_ID, 1), (path, 1), (OTHER_ID, 1), ("", 1)]


def test_projects_rename_changes_the_readable_name_only(renamed_shop, capsys):
    r = run(capsys, "projects", "rename", "billing", "Billing API")
    assert (r.code, r.err) == (0, "")
    assert r.out.startswith(f"renamed {OTHER_ID} to Billing API (1 memory)\nto undo: git -C ")
    (billing,) = [m for _, m in store().iter_memories() if m.project == OTHER_ID]
    assert billing.project_name == "Billing API"
    assert git("log", "-1", "--format=%s").strip() == (
        f"projects: rename {OTHER_ID} to 'Billing API' (1 memories)")
    assert titles(capsys, "--project", "billing api") == ["Billing on Stripe"]


@pytest.mark.parametrize(("argv", "code", "err"), [
    (("merge", "nosuch", "shop"), 1, "no such project 'nosuch' — " + NO_SUCH_HINT),
    (("merge", "billing", "nosuch"), 1, "no such project 'nosuch' — " + NO_SUCH_HINT),
    (("merge", "billing", OTHER_ID), 2,
     f"'billing' and '{OTHER_ID}' are the same project ({OTHER_ID}) — name two different "
     "projects"),
    (("merge", "", "shop"), 2, "global memories (\"\") cannot be merged — name two projects by "
     "id or name"),
    (("rename", "billing", "  "), 2,
     "the new name is empty — give the name the project should show"),
    (("merge", "billing"), 2,
     "`merge` takes 2 arguments, not 1 — use `aidermem projects merge OLD NEW`"),
    (("shop",), 2, "argument action: invalid choice: 'shop' (choose from 'list', 'merge', "
     "'rename') — see `aidermem projects --help`"),
])
def test_projects_bad_input_is_a_clear_error_and_changes_nothing(renamed_shop, capsys, argv,
                                                                 code, err):
    log_before = git("log", "--format=%H")
    r = run(capsys, "projects", *argv)
    assert (r.code, r.out, r.err) == (code, "", f"aidermem: error: {err}\n")
    assert git("log", "--format=%H") == log_before


def test_a_name_two_projects_share_must_be_given_as_an_id(renamed_shop, capsys):
    put(memory("DDDD", "Another billing", project=OTHER_ID))
    other = memory("EEEE", "A second billing project", project="")
    other.project, other.project_name = "gitlab.com/else/billing", "billing"
    put(other)
    r = run(capsys, "projects", "rename", "billing", "x")
    assert (r.code, r.err) == (1, "aidermem: error: several projects are named 'billing': "
                                  f"{OTHER_ID}, gitlab.com/else/billing — give the id\n")


def test_renaming_the_current_project_names_its_next_memories_too(renamed_shop, capsys):
    assert run(capsys, "projects", "rename", "shop", "Shop frontend").code == 0
    assert run(capsys, "add", "Buttons are blue").code == 0
    names = {m.title: m.project_name for _, m in store().iter_memories() if m.project == SHOP_ID}
    assert names == {"Use Postgres": "Shop frontend", "Old checkout flow": "Shop frontend",
                     "Buttons are blue": "Shop frontend"}
    # an earlier id keeps its own name until it is merged
    assert [m.project_name for _, m in store().iter_memories() if m.title.startswith("Check")
            ] == ["shop"]


def test_a_folder_moved_before_its_id_was_remembered_is_pointed_out(tmp_path, monkeypatch,
                                                                   capsys):
    gone = tmp_path / "old-place" / "shop"
    put(at_path(gone, "GONE", "Checkout needs row locks"))
    repo = make_repo(tmp_path / "shop", remote=None)
    monkeypatch.chdir(repo)
    listing = json.loads(run(capsys, "projects", "--json").out)["projects"]
    assert [(p["id"], p["folder_gone"]) for p in listing] == [
        (str(repo.resolve()), False), (str(gone), True)]
    assert run(capsys, "projects").out.splitlines()[1].endswith(
        "1 memory  (its folder is gone: moved? merge it into the project's new id)")
    assert run(capsys, "projects", "merge", str(gone), str(repo.resolve())).code == 0
    assert titles(capsys) == ["Checkout needs row locks"]
