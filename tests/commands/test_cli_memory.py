"""add, show, edit and forget, through the real CLI against a real store and index."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from test_cli_support import (
    OTHER_ID,
    SHOP_ID,
    Kind,
    Status,
    git,
    make_repo,
    memory,
    put,
    run,
    store,
    write_editor,
)

ULID = re.compile(r"^[0-9A-Z]{26}$")


@pytest.fixture
def shop(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "shop")
    monkeypatch.chdir(repo)
    return repo


def only_memory():
    memories = [m for _, m in store().iter_memories()]
    assert len(memories) == 1
    return memories[0]


# -- add -------------------------------------------------------------------------------


def test_add_from_argument_prints_id_and_title(shop, capsys):
    r = run(capsys, "add", "Use Postgres for orders\n\nWe need row locks.", "--kind", "decision",
            "--topics", "db,Storage", "--topics", "orders", "--files", "a.py,b.py")
    assert (r.code, r.err) == (0, "")
    m = only_memory()
    assert r.out == f"{m.id} Use Postgres for orders\n"
    assert ULID.match(m.id)
    assert (m.title, m.body, m.kind) == ("Use Postgres for orders", "We need row locks.",
                                         Kind.DECISION)
    assert m.topics == ["db", "storage", "orders"]
    assert m.files == ["a.py", "b.py"]
    assert (m.project, m.project_name) == (SHOP_ID, "shop")
    assert git("log", "-1", "--format=%s").strip() == "add decision: Use Postgres for orders"
    # Indexed at once: search finds it.
    assert run(capsys, "search", "row", "locks").out.startswith(m.id[:8])


def test_add_title_option_keeps_the_whole_text_as_body(shop, capsys):
    assert run(capsys, "add", "line one\nline two", "--title", "Custom").code == 0
    m = only_memory()
    assert (m.title, m.body, m.kind) == ("Custom", "line one\nline two", Kind.NOTE)


def test_add_long_first_line_is_shortened_for_the_title(shop, capsys):
    text = "word " * 40
    assert run(capsys, "add", text).code == 0
    m = only_memory()
    assert m.title.endswith("…") and len(m.title) <= 80
    assert m.body == text.strip()


def test_add_global_and_other_projects(shop, capsys):
    put(memory("BBBB", "billing note", project=OTHER_ID))
    assert run(capsys, "add", "global thing", "--global").code == 0
    assert run(capsys, "add", "billing thing", "--project", "billing").code == 0
    assert run(capsys, "add", "shop thing", "--project", "SHOP").code == 0
    assert run(capsys, "add", "new thing", "--project", "gitlab.com/x/newproj").code == 0
    got = {m.title: (m.project, m.project_name) for _, m in store().iter_memories()}
    assert got == {
        "billing note": (OTHER_ID, "billing"),
        "global thing": ("", ""),
        "billing thing": (OTHER_ID, "billing"),
        "shop thing": (SHOP_ID, "shop"),
        "new thing": ("gitlab.com/x/newproj", "newproj"),
    }


def test_add_redacts_secrets_and_says_so(shop, capsys):
    secret = "sk-proj-" + "a1B2c3D4e5" * 4
    r = run(capsys, "add", f"Deploy key\nexport OPENAI_API_KEY={secret}")
    assert r.code == 0
    assert r.err.startswith("aidermem: warning: redacted 1 secret (")
    m = only_memory()
    assert secret not in m.body and "[REDACTED:" in m.body
    assert secret not in git("log", "-p")


def test_add_empty_text_is_a_usage_error(shop, capsys):
    r = run(capsys, "add", "  \n ")
    assert (r.code, r.out) == (2, "")
    assert r.err == ("aidermem: error: the memory is empty; nothing was added — give the text "
                     "as an argument, on stdin, or write it in the editor\n")
    assert list(store().iter_paths()) == []


def test_add_empty_title_or_project_is_a_usage_error(shop, capsys, monkeypatch):
    monkeypatch.setenv("EDITOR", "false")  # must not be reached
    r = run(capsys, "add", "--edit", "--title", " ")
    assert (r.code, r.err) == (2, "aidermem: error: --title is empty — give a title, "
                                  "or leave --title out\n")
    r = run(capsys, "add", "text", "--project", "")
    assert (r.code, r.err) == (2, "aidermem: error: --project is empty — give a project name "
                                  "or id, or use --global\n")
    r = run(capsys, "add", "text", "--project", "x", "--global")
    assert r.code == 2
    assert list(store().iter_paths()) == []


def test_add_in_editor(shop, capsys, tmp_path, monkeypatch):
    editor = write_editor(tmp_path / "ed.py",
                          "p.write_text('From the editor\\n\\nbody text\\n' + p.read_text())\n")
    monkeypatch.setenv("VISUAL", editor)
    r = run(capsys, "add", "--edit", "--kind", "bug")
    assert r.code == 0
    m = only_memory()
    assert (m.title, m.body, m.kind) == ("From the editor", "body text", Kind.BUG)
    assert r.out == f"{m.id} From the editor\n"


def test_add_editor_saved_empty_cancels(shop, capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("EDITOR", write_editor(tmp_path / "ed.py", "pass\n"))
    r = run(capsys, "add", "--edit")
    assert r.code == 2
    assert r.err.startswith("aidermem: error: the memory is empty; nothing was added")


def test_add_editor_failing_keeps_store_unchanged(shop, capsys, monkeypatch):
    monkeypatch.setenv("EDITOR", "false")
    r = run(capsys, "add", "--edit")
    assert r.code == 1
    assert r.err == ("aidermem: error: the editor 'false' exited with status 1 — "
                     "nothing was saved; run the command again\n")


# -- show --------------------------------------------------------------------------------


@pytest.fixture
def two(shop):
    a = memory("AAAA", "Use Postgres", kind=Kind.DECISION, body="We need **row locks**.",
               topics=["db"])
    b = memory("AAAB", "Other note", body="text")
    put(a, b)
    return a, b


def test_show_by_prefix(two, capsys):
    a, _ = two
    r = run(capsys, "show", "01jqaaaa")  # prefixes are case-insensitive
    assert r.code == 0
    path = store().root / store().relpath_for(a)
    assert r.out == (
        "# Use Postgres\n\n"
        f"- id: {a.id}\n"
        "- kind: decision · status: active\n"
        f"- project: shop ({SHOP_ID})\n"
        "- topics: db\n"
        f"- created: {a.created.astimezone():%Y-%m-%d %H:%M}\n"
        "- author: Test User <test@example.com>\n"
        "- source: cli, manual\n"
        f"- path: {path}\n\n"
        "We need **row locks**.\n"
    )


def test_show_ambiguous_prefix(two, capsys):
    a, b = two
    r = run(capsys, "show", "01JQAAA")
    assert (r.code, r.out) == (1, "")
    assert r.err == (f"aidermem: error: id prefix '01JQAAA' is ambiguous: {a.id}, {b.id}"
                     " — use more characters of the id\n")


def test_show_missing(two, capsys):
    r = run(capsys, "show", "01JQZZZZ")
    assert (r.code, r.out) == (1, "")
    assert r.err == ("aidermem: error: no memory with id '01JQZZZZ' — "
                     "check the id with `aidermem list`\n")


def test_show_raw_is_the_file(two, capsys):
    a, _ = two
    r = run(capsys, "show", "--raw", a.id)
    assert r.out == (store().root / store().relpath_for(a)).read_text()
    r = run(capsys, "show", "--raw", "--json", a.id)
    assert r.code == 2
    assert r.err.startswith("aidermem: error: --raw and --json cannot be combined — ")


# -- edit -------------------------------------------------------------------------------


def test_edit_valid(two, capsys, tmp_path, monkeypatch):
    a, _ = two
    editor = write_editor(tmp_path / "ed.py", (
        "t = p.read_text().replace('title: Use Postgres', 'title: Use Postgres 16')\n"
        "p.write_text(t.replace('We need', 'We really need'))\n"))
    monkeypatch.setenv("EDITOR", editor)
    r = run(capsys, "edit", "01JQAAAA")
    assert (r.code, r.out, r.err) == (0, f"updated {a.id} Use Postgres 16\n", "")
    relpath, m = store().find(a.id)
    assert relpath == store().relpath_for(a)  # the file keeps its path
    assert (m.title, m.body) == ("Use Postgres 16", "We really need **row locks**.")
    assert m.updated > a.updated
    assert git("log", "-1", "--format=%s").strip() == "edit decision: Use Postgres 16"
    assert run(capsys, "search", "really").out.startswith("01JQAAAA  ")


def test_edit_unchanged(two, capsys, monkeypatch):
    a, _ = two
    monkeypatch.setenv("EDITOR", "true")
    head = git("rev-parse", "HEAD")
    r = run(capsys, "edit", a.id)
    assert (r.code, r.out) == (0, f"no changes to {a.id} Use Postgres\n")
    assert git("rev-parse", "HEAD") == head


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("p.write_text(p.read_text().replace('kind: decision', 'kind: [oops'))\n",
         "invalid YAML front matter"),
        ("p.write_text(p.read_text().replace('kind: decision', 'kind: idea'))\n", "kind: "),
        ("p.write_text('no front matter at all')\n", "no YAML front matter"),
        ("p.write_text(p.read_text().replace('id: 01JQAAAA', 'id: 01JQCCCC'))\n",
         "the id changed from"),
    ],
)
def test_edit_invalid_keeps_the_text_and_changes_nothing(two, capsys, tmp_path, monkeypatch,
                                                        script, reason):
    a, _ = two
    monkeypatch.setenv("EDITOR", write_editor(tmp_path / "ed.py", script))
    path = store().root / store().relpath_for(a)
    before, head = path.read_text(), git("rev-parse", "HEAD")
    r = run(capsys, "edit", a.id)
    assert (r.code, r.out) == (1, "")
    match = re.fullmatch(
        r"aidermem: error: (\S+) was not changed: (.*) — your edit is kept in (\S+); fix it "
        r"there, then run `aidermem edit (\S+)` again and paste it in\n", r.err)
    assert match, r.err
    assert match.group(1) == store().relpath_for(a)
    assert reason in match.group(2)
    assert match.group(4) == a.id
    rescued = match.group(3)
    edited = Path(rescued).read_text()
    assert edited and edited != before
    assert path.read_text() == before
    assert git("rev-parse", "HEAD") == head
    assert git("status", "--porcelain") == ""


# -- forget -----------------------------------------------------------------------------


def test_forget_archives_and_git_revert_brings_it_back(two, capsys):
    a, _ = two
    r = run(capsys, "forget", "01JQAAAA")
    assert r.code == 0
    commit = git("rev-parse", "HEAD").strip()
    root = shlex.quote(str(store().root))
    assert r.out == (
        f"archived {a.id} Use Postgres\n"
        "it no longer shows in search, list or aider's context "
        "(see it with `aidermem list --archived`)\n"
        f"to undo: git -C {root} revert --no-edit {commit}\n"
    )
    assert store().find(a.id)[1].status == Status.ARCHIVED
    assert run(capsys, "search", "postgres").out.startswith("no memories match")
    assert [line.split()[0] for line in run(capsys, "list").out.splitlines()] == ["01JQAAAB"]
    assert "[archived]" in run(capsys, "list", "--archived").out
    # Forgetting again changes nothing and says so.
    again = run(capsys, "forget", a.id)
    assert again.out.startswith(f"{a.id} Use Postgres was already archived\n")
    assert git("rev-parse", "HEAD").strip() == commit
    # The printed command restores it; the next command's sync notices.
    subprocess.run(shlex.split(r.out.splitlines()[-1].removeprefix("to undo: ")), check=True,
                   capture_output=True)
    assert store().find(a.id)[1].status == Status.ACTIVE
    assert run(capsys, "search", "postgres").out.startswith("01JQAAAA  ")


def test_forget_delete_and_recover(two, capsys):
    a, _ = two
    relpath = store().relpath_for(a)
    r = run(capsys, "forget", "--delete", a.id, "--json")
    assert r.code == 0
    data = json.loads(r.out)
    assert (data["action"], data["path"]) == ("deleted", relpath)
    assert not (store().root / relpath).exists()
    assert run(capsys, "search", "postgres", "--archived").out.startswith("no memories match")
    assert run(capsys, "show", a.id).code == 1
    subprocess.run(shlex.split(data["recover"]), check=True, capture_output=True)
    assert run(capsys, "show", a.id).code == 0
    assert run(capsys, "search", "postgres").out.startswith("01JQAAAA  ")


def test_forget_text_for_delete(two, capsys):
    _, b = two
    r = run(capsys, "forget", "--delete", b.id)
    lines = r.out.splitlines()
    assert lines[:2] == [f"deleted {b.id} Other note",
                         f"the file {store().relpath_for(b)} is gone from the store"]
    assert lines[2].startswith(f"to undo: git -C {shlex.quote(str(store().root))} revert")


@pytest.mark.slow
def test_add_while_the_index_is_busy_loses_nothing(shop, capsys):
    import sys

    from aidermem import paths

    run(capsys, "list")  # create the store and its index
    lock = paths.index_dir_for(store().root) / "index.lock"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import filelock, sys, time\n"
         f"l = filelock.FileLock({str(lock)!r}); l.acquire(); print('held', flush=True)\n"
         "sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        r = run(capsys, "add", "Written while busy")
        assert r.code == 0
        assert r.err == ("aidermem: warning: the search index is busy; the change is stored "
                         "and the next aidermem command will index it\n")
        assert only_memory().title == "Written while busy"
    finally:
        holder.communicate("")
    assert run(capsys, "search", "busy").out.startswith(only_memory().id[:8])
