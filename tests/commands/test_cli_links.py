"""add --symbols/--files, show, stale and verify through the real CLI on a real repo (#13)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from test_cli_support import make_repo, run, store

SERVICE = "class Auth:\n    def authenticate_user(self, name):\n        return self.check(name)\n"


def commit(repo: Path, files: dict[str, str | None]) -> str:
    for rel, text in files.items():
        if text is None:
            subprocess.run(["git", "-C", str(repo), "rm", "-q", rel], check=True)
            continue
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
        subprocess.run(["git", "-C", str(repo), "add", rel], check=True)
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e.x",
                    "commit", "-q", "-m", "code"], check=True)
    return subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture
def shop(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "shop")
    commit(repo, {"auth/service.py": SERVICE, "docs/auth.md": "# auth\n"})
    monkeypatch.chdir(repo)
    return repo


def only_memory():
    memories = [m for _, m in store().iter_memories()]
    assert len(memories) == 1
    return memories[0]


def test_add_links_symbols_and_files_at_head(shop, capsys):
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    r = run(capsys, "add", "Login checks the name only", "--symbols",
            "auth.service.Auth.authenticate_user", "--files", "docs/auth.md,notyet.py")
    assert (r.code, r.err) == (0, "")
    m = only_memory()
    assert [(link.path, link.symbol, link.commit) for link in m.links] == [
        ("auth/service.py", "Auth.authenticate_user", head), ("docs/auth.md", None, head)]
    assert m.files == ["docs/auth.md", "notyet.py", "auth/service.py"]
    assert m.symbols == ["auth/service.py::Auth.authenticate_user"]
    raw = run(capsys, "show", m.id, "--raw").out
    assert "links:\n- path: auth/service.py\n  symbol: Auth.authenticate_user\n" in raw


def test_add_with_a_bad_symbol_says_so_and_stores_nothing(shop, capsys):
    r = run(capsys, "add", "note", "--symbols", "auth/service.py::nope")
    assert r.code == 2
    assert r.err == ("aidermem: error: no symbol nope in auth/service.py at HEAD — name one of "
                     "its definitions (Auth, Auth.authenticate_user)\n")
    assert list(store().iter_memories()) == []


def test_show_stale_and_verify(shop, capsys):
    run(capsys, "add", "Login checks the name only", "--symbols",
        "auth/service.py::Auth.authenticate_user")
    m = only_memory()
    first = m.links[0].commit
    shown = run(capsys, "show", m.id).out
    assert "- link: auth/service.py::Auth.authenticate_user (fresh)\n" in shown
    assert run(capsys, "stale").out == "every linked memory is fresh\n"

    commit(shop, {"auth/service.py": SERVICE.replace("check(name)", "check(name, otp)")})
    short = m.id[:8]
    stale = run(capsys, "stale")
    assert stale.out == (
        f"{short}  Login checks the name only\n"
        f"    auth/service.py::Auth.authenticate_user: changed — authenticate_user body "
        f"changed since {first[:7]}\n"
        "after checking one: aidermem verify ID (or aidermem forget ID)\n")
    data = json.loads(run(capsys, "stale", "--json").out)
    assert data["memories"][0]["links"] == [{
        "path": "auth/service.py", "symbol": "Auth.authenticate_user", "commit": first,
        "state": "changed", "reason": f"authenticate_user body changed since {first[:7]}",
        "now": None}]
    shown = json.loads(run(capsys, "show", m.id, "--json").out)
    assert [link["state"] for link in shown["links"]] == ["changed"]

    verified = run(capsys, "verify", short)
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert verified.out == (f"verified {m.id} Login checks the name only: 1 link fresh at "
                            f"{head[:7]}\n")
    assert only_memory().links[0].commit == head
    assert run(capsys, "stale").out == "every linked memory is fresh\n"


def test_verify_follows_a_rename_and_drops_gone_links(shop, capsys):
    run(capsys, "add", "Auth notes", "--symbols", "auth/service.py::Auth.authenticate_user",
        "--files", "docs/auth.md")
    m = only_memory()
    commit(shop, {"auth/service.py": SERVICE.replace("authenticate_user", "login"),
                  "docs/auth.md": None})
    lines = run(capsys, "stale").out.splitlines()
    assert lines[1:3] == [
        "    auth/service.py::Auth.authenticate_user: renamed — Auth.authenticate_user is now "
        "auth/service.py::Auth.login",
        f"    docs/auth.md: gone — docs/auth.md was deleted since {m.links[0].commit[:7]}"]
    out = run(capsys, "verify", m.id).out
    assert out.splitlines()[1] == (f"dropped docs/auth.md (docs/auth.md was deleted since "
                                   f"{m.links[0].commit[:7]})")
    after = only_memory()
    assert [link.label() for link in after.links] == ["auth/service.py::Auth.login"]


def test_verify_without_links_is_an_error(shop, capsys):
    run(capsys, "add", "plain")
    r = run(capsys, "verify", only_memory().id)
    assert (r.code, r.err) == (2, f"aidermem: error: memory {only_memory().id} is not linked "
                                  "to any code — link it with `aidermem add --symbols` or by "
                                  "editing its `links:`\n")


def test_search_shows_links_that_are_not_fresh(shop, capsys):
    run(capsys, "add", "Login checks the name only", "--symbols",
        "auth/service.py::Auth.authenticate_user")
    m = only_memory()
    fresh = run(capsys, "search", "login").out
    assert fresh.splitlines()[1:] == []
    commit(shop, {"auth/service.py": SERVICE.replace("(self, name)", "(self, name, otp)")})
    lines = run(capsys, "search", "login").out.splitlines()
    assert lines[0].startswith(m.id[:8])
    assert lines[1:] == [f"    auth/service.py::Auth.authenticate_user: changed — "
                         f"authenticate_user signature changed since {m.links[0].commit[:7]}"]


def test_context_marks_a_stale_memory_and_ranks_it_below_a_fresh_one(shop, capsys):
    commit(shop, {"auth/tokens.py": "def issue_token(user):\n    return sign(user)\n"})
    run(capsys, "add", "Login session notes: authenticate_user checks the name", "--kind",
        "decision", "--symbols", "auth/service.py::Auth.authenticate_user")
    run(capsys, "add", "Login session notes: issue_token signs the user", "--kind",
        "decision", "--symbols", "auth/tokens.py::issue_token")
    ids = {m.title.split(": ")[1].split()[0]: m.id for _, m in store().iter_memories()}
    first = json.loads(run(capsys, "context", "--json", "--message", "login session notes")
                       .out)
    assert "Stale" not in first["text"]
    link_commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                 check=True).stdout.strip()
    order = first["memory_ids"]
    assert sorted(order) == sorted(ids.values())
    changed = ids["authenticate_user"] if order[0] == ids["authenticate_user"] else (
        ids["issue_token"])
    if changed == ids["authenticate_user"]:
        commit(shop, {"auth/service.py": SERVICE.replace("check(name)", "check(name, otp)")})
        name = "authenticate_user"
    else:
        commit(shop, {"auth/tokens.py": "def issue_token(user):\n    return sign(user, 1)\n"})
        name = "issue_token"
    after = json.loads(run(capsys, "context", "--json", "--message", "login session notes")
                       .out)
    assert after["memory_ids"] == order[::-1]  # the stale one now comes second
    assert (f"> **Stale:** `{name}` changed since this note was written at {link_commit[:7]} — "
            "verify before relying on it\n") in after["text"]
    run(capsys, "verify", changed)
    again = json.loads(run(capsys, "context", "--json", "--message", "login session notes")
                       .out)
    assert "Stale" not in again["text"]


def test_a_hand_written_link_is_unchecked_until_verified(shop, capsys):
    run(capsys, "add", "Auth notes")
    m = only_memory()
    path = store().root / store().path_of(m.id)
    text = path.read_text()
    path.write_text(text.replace("commits: []", "links:\n- path: auth/service.py\n"
                                 "  symbol: Auth.authenticate_user\n- path: nowhere.py\n"
                                 "commits: []"))
    lines = run(capsys, "stale").out.splitlines()
    assert lines[1:3] == [
        "    auth/service.py::Auth.authenticate_user: unchecked — not fingerprinted yet "
        "(aidermem verify takes it)",
        "    nowhere.py: unchecked — not fingerprinted yet (aidermem verify takes it); "
        "nowhere.py is not at HEAD"]
    out = run(capsys, "verify", m.id).out.splitlines()
    assert out[1] == "dropped nowhere.py (cannot link nowhere.py: no such file at HEAD)"
    assert [link.label() for link in only_memory().links] == [
        "auth/service.py::Auth.authenticate_user"]
    assert run(capsys, "stale").out == "every linked memory is fresh\n"


def test_search_ranks_a_stale_memory_below_an_equal_fresh_one(shop, capsys):
    commit(shop, {"auth/tokens.py": "def issue_token(user):\n    return sign(user)\n"})
    run(capsys, "add", "Login flow notes: authenticate_user", "--symbols",
        "auth/service.py::Auth.authenticate_user")
    run(capsys, "add", "Login flow notes: issue_token", "--symbols",
        "auth/tokens.py::issue_token")
    before = json.loads(run(capsys, "search", "login", "flow", "notes", "--json").out)["hits"]
    assert len(before) == 2
    path = before[0]["links"][0]["path"]
    text = (shop / path).read_text()
    commit(shop, {path: text.replace("(name)", "(name, 1)").replace("(user)", "(user, 1)")})
    after = json.loads(run(capsys, "search", "login", "flow", "notes", "--json").out)["hits"]
    assert [h["id"] for h in after] == [before[1]["id"], before[0]["id"]]
    assert after[1]["links"][0]["state"] == "changed"
    assert after[1]["score"] == pytest.approx(before[0]["score"] * 0.5, abs=1e-4)


def test_symbols_of_this_checkout_cannot_go_to_a_global_memory(shop, capsys):
    r = run(capsys, "add", "note", "--global", "--symbols", "auth/service.py::Auth")
    assert (r.code, r.err) == (2, "aidermem: error: --symbols links code of this checkout, so "
                                  "the memory must be this project's — leave out "
                                  "--global/--project, or --symbols\n")
    assert list(store().iter_memories()) == []
    assert run(capsys, "add", "note", "--global", "--files", "docs/auth.md").code == 0
    assert only_memory().links == []


def test_a_note_that_joins_mid_session_says_when_its_code_changed(shop, capsys, tmp_path):
    # Live retrieval checks a joining note's links as the launch does (#13: states at every
    # use), so a note about code changed since, even during the session, comes marked.
    from aidermem import config
    from aidermem.launch import context_file
    from aidermem.project import identify
    from aidermem.retrieve.live_context import LiveContext

    run(capsys, "add", "Login: authenticate_user checks the name only", "--kind", "decision",
        "--symbols", "auth/service.py::Auth.authenticate_user")
    link_commit = only_memory().links[0].commit
    commit(shop, {"auth/service.py": SERVICE.replace("check(name)", "check(name, otp)")})
    settings = config.resolve(cwd=shop, project_root=shop, profile=None, env={},
                              cli={}).settings
    path = tmp_path / context_file.NAME
    context_file.write(path, "# Project memory (aidermem)\n")
    live = LiveContext(path, identify(shop), settings, "# Project memory (aidermem)\n", ())
    assert live.add("how does login authenticate the user?").joined == [only_memory().id]
    assert (f"> **Stale:** `authenticate_user` changed since this note was written at "
            f"{link_commit[:7]} — verify before relying on it\n") in path.read_text()
