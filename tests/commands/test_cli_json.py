"""The --json shapes are a contract: exact keys and types, pinned here by hand.

These specs are the documentation (the README copies them); a change to a
payload model that is not made here too fails, on purpose. Adding a key is
allowed by the schema_version rules, but it must be added here as well.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from capture_world import HISTORY, World
from capture_world import SUMMARY as SESSION_SUMMARY
from e2e_support import is_summary_request
from fakellm import Request
from test_cli_support import (
    CREATED,
    Kind,
    make_repo,
    memory,
    put,
    run,
    run_process,
    write_editor,
)

DT = "datetime"  # an ISO 8601 string with a time zone
KINDS = {"session", "decision", "bug", "convention", "note"}
STATUSES = {"active", "archived"}
_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


class Opt:
    """A value that may also be null."""

    def __init__(self, spec: object) -> None:
        self.spec = spec


class OneOf:
    def __init__(self, *values: str) -> None:
        self.values = set(values)


class AnyOf:
    """A value that matches at least one of these specs."""

    def __init__(self, *specs: object) -> None:
        self.specs = specs


def matches(value: object, spec: object) -> bool:
    try:
        check(value, spec)
    except AssertionError:
        return False
    return True


def check(value: object, spec: object, where: str = "$") -> None:
    if isinstance(spec, Opt):
        if value is not None:
            check(value, spec.spec, where)
    elif isinstance(spec, AnyOf):
        assert any(matches(value, sub) for sub in spec.specs), f"{where}: {value!r} fits none"
    elif isinstance(spec, OneOf):
        assert isinstance(value, str) and value in spec.values, (
            f"{where}: {value!r} not in {sorted(spec.values)}")
    elif spec == DT:
        assert isinstance(value, str) and _ISO.match(value), f"{where}: {value!r} is no datetime"
    elif isinstance(spec, dict):
        assert isinstance(value, dict), f"{where}: not an object"
        assert set(value) == set(spec), f"{where}: keys {sorted(value)} != {sorted(spec)}"
        for key, sub in spec.items():
            check(value[key], sub, f"{where}.{key}")
    elif isinstance(spec, list):
        assert isinstance(value, list), f"{where}: not a list"
        for i, item in enumerate(value):
            check(item, spec[0], f"{where}[{i}]")
    elif isinstance(spec, tuple):  # a fixed-length array
        assert isinstance(value, list) and len(value) == len(spec), f"{where}: not {spec}"
        for i, (item, sub) in enumerate(zip(value, spec, strict=True)):
            check(item, sub, f"{where}[{i}]")
    elif spec is float:
        assert isinstance(value, float | int) and not isinstance(value, bool), where
    else:
        assert type(value) is spec, f"{where}: {value!r} is not {spec.__name__}"


KIND = OneOf(*KINDS)
STATUS = OneOf(*STATUSES)
# A link as front matter holds it: `symbol` and the fingerprints only for a symbol link.
LINK = {"path": str, "symbol": str, "commit": str, "blob": str, "body": str, "shape": str,
        "signature": str}
FILE_LINK = {"path": str, "commit": str, "blob": str}
LINK_STATE = {"path": str, "symbol": Opt(str), "commit": str,
              "state": OneOf("fresh", "moved", "renamed", "changed", "gone", "unchecked"),
              "reason": str, "now": Opt(str)}
MEMORY = {
    "id": str, "title": str, "kind": KIND, "body": str, "project": str, "project_name": str,
    "topics": [str], "created": DT, "updated": DT, "files": [str], "symbols": [str],
    "commits": [str], "supersedes": [str], "related": [str], "status": STATUS,
    "author": Opt(str),
    "source": {"tool": OneOf("aider", "cli", "mcp", "import"), "session_id": Opt(str),
               "conversation_id": Opt(str), "transcript": Opt(str), "session_start": Opt(DT),
               "method": OneOf("manual", "llm", "extractive"), "client": Opt(str)},
}
LINKED_MEMORY = {**MEMORY, "links": [LINK]}  # `links` is absent when a memory has none
SUMMARY = {
    "id": str, "short_id": str, "path": str, "title": str, "kind": KIND, "status": STATUS,
    "project": str, "project_name": str, "topics": [str], "files": [str], "created": DT,
}
SHAPES = {
    "add": {"schema_version": int, "store": str, "path": str, "memory": MEMORY,
            "redactions": int, "redaction_kinds": [str]},
    "show": {"schema_version": int, "store": str, "path": str, "memory": MEMORY,
             "links": [LINK_STATE]},
    "stale": {"schema_version": int, "head": Opt(str), "memories": [{
        "id": str, "short_id": str, "path": str, "title": str, "links": [LINK_STATE]}]},
    "verify": {"schema_version": int, "store": str, "path": str, "head": str,
               "commit": Opt(str), "dropped": [str], "memory": LINKED_MEMORY},
    "edit": {"schema_version": int, "store": str, "path": str, "changed": bool,
             "redactions": int, "memory": MEMORY},
    "forget": {"schema_version": int, "store": str, "path": str,
               "action": OneOf("archived", "deleted", "unchanged"), "commit": Opt(str),
               "recover": str, "memory": SUMMARY},
    "search": {"schema_version": int, "query": str, "projects": Opt([str]), "count": int,
               "hits": [{
                   "id": str, "short_id": str, "path": str, "score": float, "title": str,
                   "kind": KIND, "status": STATUS, "project": str, "project_name": str,
                   "topics": [str], "files": [str], "created": DT, "snippet": str,
                   "highlights": [(int, int)], "links": [LINK_STATE],
               }]},
    "list": {"schema_version": int, "projects": Opt([str]), "count": int,
             "memories": [SUMMARY]},
    "digest": {"schema_version": int, "scope": str, "query": Opt(str), "generated": DT,
               "markdown": str,
               "sections": [{"kind": KIND, "heading": str, "items": [{
                   "id": str, "short_id": str, "path": str, "title": str, "kind": KIND,
                   "created": DT, "project": str, "project_name": str, "topics": [str],
                   "summary": str, "details": [{"label": str, "text": str}],
               }]}]},
    "reindex": {"schema_version": int, "count": int, "seconds": float, "rate": float,
                "skipped": [{"path": str, "reason": str}]},
    "stats": {"schema_version": int, "store": str, "index": str, "store_files": int,
              "index_docs": int, "malformed": int, "total": int,
              "by_project": [{"project": str, "project_name": str, "count": int}],
              "by_kind": dict.fromkeys(KINDS, int),
              "by_status": dict.fromkeys(STATUSES, int)},
    "context": {"schema_version": int, "project": str, "project_name": str, "store": str,
                "context_file": bool, "reason": Opt(str), "query": str, "budget": int,
                "tokens": int, "tokens_exact": bool, "memory_ids": [str], "text": str},
    "doctor": {"schema_version": int, "ok": bool,
               "checks": [{"name": str, "status": OneOf("ok", "warn", "fail"),
                           "detail": str}]},
    "projects": {"schema_version": int, "action": OneOf("list"), "current": str,
                 "projects": [{"id": str, "name": str, "memories": int, "archived": int,
                               "current": bool, "alias_of": Opt(str), "aliases": [str],
                               "folder_gone": bool}]},
}
SHAPES |= {
    # files[] and sessions[] carry schema_version too, as they always have
    "import": {"schema_version": int, "files": [{
        "schema_version": int, "path": str, "project": str, "project_name": str,
        "sessions": int, "imported": int, "trivial": int, "duplicates": int, "unsaved": int,
        "memories": int, "summarized": int, "summarize_errors": [str], "redactions": int}]},
    "capture": {"schema_version": int, "sessions": [{
        "schema_version": int, "session_id": str, "saved": [str], "titles": [str],
        "summarized": bool, "error": Opt(str), "skipped": Opt(str), "retry": bool}],
        "waiting": [str]},
    # `profiles` (list); `profiles show` is PROFILE_SHOW
    "profiles": {"schema_version": int, "action": OneOf("list"), "data": {"profiles": [{
        "name": str, "description": Opt(str), "sources": [str], "active": bool}]}},
    # `mcp install` (the server itself prints nothing)
    "mcp": {"schema_version": int,
            "action": OneOf("added", "updated", "unchanged", "run", "printed"),
            "client": str, "path": Opt(str), "text": str},
}
LAYER = OneOf("default", "user", "project", "env", "cli")
SETTING_VALUES = {
    "enabled": bool, "aider_args": [str], "read": [str],
    "scope": AnyOf(OneOf("project", "all"), [str]), "topics_prefer": [str],
    "topics_require": [str], "query_words": [str], "budget_tokens": int,
    "summary_model": Opt(str), "capture": OneOf("on", "ask", "off"), "store": str,
    "summarize": OneOf("background", "foreground"), "llm_timeout": float,
    "semantic": AnyOf(bool, OneOf("auto")),
    "live": OneOf("on", "off"), "live_budget": float,
}
PROFILE_SHOW = {"schema_version": int, "action": OneOf("show"), "data": {
    "profile": str, "selected_by": str, "description": Opt(str), "files": [str],
    "settings": {key: {"value": value, "source": str, "layer": LAYER}
                 for key, value in SETTING_VALUES.items()}}}
# `projects merge` and `projects rename`
PROJECT_CHANGE = {"schema_version": int, "action": OneOf("merge", "rename"), "project": str,
                  "target": str, "name": str, "changed": int, "commit": Opt(str),
                  "recover": str}


@pytest.fixture
def shop(tmp_path, monkeypatch):
    monkeypatch.chdir(make_repo(tmp_path / "shop"))
    put(
        memory("AAAA", "Use Postgres", kind=Kind.DECISION, topics=["db"],
               body="Orders in Postgres.\n\n**Why:** row locks.\n", files=["db.py"]),
        memory("BBBB", "Checkout session", kind=Kind.SESSION,
               body="## Summary\n\nPostgres work.\n\n## Open threads\n\n- migrate\n",
               created=CREATED + timedelta(days=1)),
        memory("CCCC", "Global postgres tip", project=""),
    )
    return tmp_path


def payload(capsys, *argv: str) -> dict:
    r = run(capsys, *argv, "--json")
    assert r.code in (0, 1), r.err
    data = json.loads(r.out)
    assert data["schema_version"] == 1
    return data


def test_add_shape(shop, capsys):
    data = payload(capsys, "add", "A title\n\ntoken ghp_" + "A1b2C3d4E5" * 4, "--topics", "x")
    check(data, SHAPES["add"])
    assert data["redactions"] == 1 and data["memory"]["topics"] == ["x"]


def test_show_shape(shop, capsys):
    data = payload(capsys, "show", "01JQAAAA")
    check(data, SHAPES["show"])
    assert data["memory"]["body"] == "Orders in Postgres.\n\n**Why:** row locks."


@pytest.fixture
def linked(shop, capsys):
    """The shop with code at HEAD and a memory linked to it, the code changed since."""
    repo = shop / "shop"
    (repo / "a.py").write_text("def f():\n    return 1\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e.x"]
    subprocess.run([*git, "add", "a.py"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "code"], check=True)
    added = payload(capsys, "add", "About f", "--symbols", "a.py::f")
    (repo / "a.py").write_text("def f():\n    return 2\n")
    subprocess.run([*git, "commit", "-qam", "change"], check=True)
    return added["memory"]["id"]


def test_show_shape_of_a_linked_memory(linked, capsys):
    data = payload(capsys, "show", linked)
    check(data, {**SHAPES["show"], "memory": LINKED_MEMORY})
    assert [link["state"] for link in data["links"]] == ["changed"]


def test_search_shape_of_a_linked_memory(linked, capsys):
    data = payload(capsys, "search", "about")
    check(data, SHAPES["search"])
    assert [link["state"] for link in data["hits"][0]["links"]] == ["changed"]


def test_stale_shape(linked, capsys):
    data = payload(capsys, "stale")
    check(data, SHAPES["stale"])
    assert [m["id"] for m in data["memories"]] == [linked]


def test_verify_shape(linked, capsys):
    data = payload(capsys, "verify", linked)
    check(data, SHAPES["verify"])
    assert data["commit"] is not None and data["dropped"] == []


def test_edit_shape(shop, capsys, monkeypatch):
    editor = write_editor(shop / "ed.py", "p.write_text(p.read_text() + 'more\\n')\n")
    monkeypatch.setenv("EDITOR", editor)
    data = payload(capsys, "edit", "01JQAAAA")
    check(data, SHAPES["edit"])
    assert data["changed"] is True


def test_forget_shape(shop, capsys):
    data = payload(capsys, "forget", "01JQCCCC")
    check(data, SHAPES["forget"])
    assert data["action"] == "archived" and data["commit"]
    again = payload(capsys, "forget", "01JQCCCC")
    check(again, SHAPES["forget"])
    assert (again["action"], again["commit"]) == ("unchanged", None)


def test_search_shape(shop, capsys):
    data = payload(capsys, "search", "postgres")
    check(data, SHAPES["search"])
    assert data["count"] == len(data["hits"]) == 3
    # the checkout's folder is an alias of its project: memories from before its remote count
    assert data["projects"] == ["github.com/acme/shop", str(Path.cwd().resolve()), ""]
    assert any(hit["highlights"] for hit in data["hits"])
    for hit in data["hits"]:
        for start, end in hit["highlights"]:
            assert hit["snippet"][start:end].lower() == "postgres"
    empty = payload(capsys, "search", "nothing-matches-this", "--all-projects")
    check(empty, SHAPES["search"])
    assert (empty["count"], empty["projects"]) == (0, None)


def test_list_shape(shop, capsys):
    data = payload(capsys, "list")
    check(data, SHAPES["list"])
    short = [m["short_id"] for m in data["memories"]]
    assert short[0] == "01JQBBBB"  # newest first; the other two share a creation time
    assert sorted(short[1:]) == ["01JQAAAA", "01JQCCCC"]


def test_digest_shape(shop, capsys):
    data = payload(capsys, "digest", "postgres")
    check(data, SHAPES["digest"])
    kinds = [s["kind"] for s in data["sections"]]
    assert kinds == ["decision", "convention", "bug", "session", "note"]
    decision = data["sections"][0]["items"][0]
    assert decision["details"] == [{"label": "Why", "text": "row locks."}]
    assert data["query"] == "postgres"
    assert data["markdown"].startswith("# Briefing: shop\n")


def test_reindex_shape(shop, capsys):
    check(payload(capsys, "reindex"), SHAPES["reindex"])


def test_stats_shape(shop, capsys):
    data = payload(capsys, "stats")
    check(data, SHAPES["stats"])
    assert (data["total"], data["by_kind"]["decision"], data["by_status"]["active"]) == (3, 1, 3)


def test_doctor_shape(shop, capsys):
    data = payload(capsys, "doctor")
    check(data, SHAPES["doctor"])
    assert data["ok"] is True


def test_projects_shapes(shop, capsys):
    data = payload(capsys, "projects")
    check(data, SHAPES["projects"])
    assert [(p["id"], p["memories"], p["current"]) for p in data["projects"]] == [
        ("github.com/acme/shop", 2, True), ("", 1, False)]
    assert data["projects"][0]["aliases"] == [str(Path.cwd().resolve())]
    renamed = payload(capsys, "projects", "rename", "shop", "Shop")
    check(renamed, PROJECT_CHANGE)
    assert (renamed["action"], renamed["changed"], renamed["name"]) == ("rename", 2, "Shop")
    assert renamed["commit"]
    put(memory("DDDD", "Billing note", project="github.com/acme/billing"))
    merged = payload(capsys, "projects", "merge", "billing", "github.com/acme/shop")
    check(merged, PROJECT_CHANGE)
    assert (merged["action"], merged["target"], merged["changed"]) == (
        "merge", "github.com/acme/shop", 1)


def test_context_shape(shop, capsys):
    data = payload(capsys, "context")
    check(data, SHAPES["context"])
    assert data["context_file"] is True and data["tokens"] <= data["budget"]
    assert "01JQAAAA" in data["text"] and data["memory_ids"][0].startswith("01JQ")


def test_import_shape(shop, capsys):
    history = shop / "shop" / ".aider.chat.history.md"
    history.write_text(HISTORY.replace("lock each job", "lock each job with ghp_"
                                       + "A1b2C3d4E5" * 4), encoding="utf-8")
    data = payload(capsys, "import", str(history))
    check(data, SHAPES["import"])
    (report,) = data["files"]
    assert (report["project"], report["imported"], report["redactions"]) == (
        "github.com/acme/shop", 1, 1)
    assert payload(capsys, "import", str(history))["files"][0]["duplicates"] == 1


def test_capture_shape(shop, capsys, fake_llm, monkeypatch):
    """A journaled session the model summarizes, then one whose summary fails (kept for a
    retry); an entry another process holds is `waiting`."""
    world = World(shop, fake_llm)

    def respond(request: Request) -> str | None:
        if not is_summary_request(request):
            return None
        return "{not json" if "flaky" in request.text else SESSION_SUMMARY

    fake_llm.responder = respond
    monkeypatch.setenv("OPENAI_API_KEY", "x")
    summarized = world.entry(world.history())
    data = payload(capsys, "capture", "--pending")
    check(data, SHAPES["capture"])
    (done,) = data["sessions"]
    assert (done["session_id"], done["summarized"], done["error"], done["retry"]) == (
        summarized.session_id, True, None, False)
    assert done["titles"][0] == "Job locking for workers" and len(done["saved"]) == 2

    failed = world.entry(world.history(HISTORY.replace("lock each job", "lock each flaky job"),
                                       name="flaky.md"))
    data = payload(capsys, "capture", "--pending")
    check(data, SHAPES["capture"])
    (kept,) = data["sessions"]
    assert (kept["session_id"], kept["summarized"], kept["retry"]) == (
        failed.session_id, False, True)
    assert "unusable summary" in kept["error"] and data["waiting"] == []
    with world.journal.claim(failed.session_id):  # as another capture process would
        busy = payload(capsys, "capture", "--pending")
    check(busy, SHAPES["capture"])
    assert (busy["sessions"], busy["waiting"]) == ([], [failed.session_id])


def test_profiles_shapes(shop, capsys):
    (shop / "shop" / ".aidermem.toml").write_text(
        '[profiles.backend]\ndescription = "API work"\nscope = ["github.com/acme/shop"]\n'
        'summary_model = "openai/fake-small"\nread = ["CONVENTIONS.md"]\n')
    listed = payload(capsys, "profiles")
    check(listed, SHAPES["profiles"])
    assert [(p["name"], p["active"]) for p in listed["data"]["profiles"]] == [
        ("default", True), ("backend", False)]
    shown = payload(capsys, "profiles", "show", "backend")
    check(shown, PROFILE_SHOW)
    settings = shown["data"]["settings"]
    assert settings["scope"] == {"value": ["github.com/acme/shop"], "layer": "project",
                                 "source": str(shop / "shop" / ".aidermem.toml")
                                 + ": profiles.backend.scope"}
    assert settings["summary_model"]["value"] == "openai/fake-small"
    default = payload(capsys, "profiles", "show")
    check(default, PROFILE_SHOW)
    assert default["data"]["settings"]["scope"]["value"] == "project"


def test_mcp_install_shape(shop, capsys, isolated_home):
    printed = payload(capsys, "mcp", "install", "codex", "--print")
    check(printed, SHAPES["mcp"])
    assert (printed["action"], printed["path"]) == (
        "printed", str(isolated_home / ".codex" / "config.toml"))
    added = payload(capsys, "mcp", "install", "cursor", "--project")
    check(added, SHAPES["mcp"])
    assert (added["action"], added["path"]) == (
        "added", str(shop / "shop" / ".cursor" / "mcp.json"))
    again = payload(capsys, "mcp", "install", "cursor", "--project")
    check(again, SHAPES["mcp"])
    assert again["action"] == "unchanged"


def test_the_mcp_server_prints_no_json(shop):
    """stdout is the MCP channel: with --json too, the server leaves nothing after it."""
    done = run_process("mcp", "--json", cwd=shop / "shop", stdin="")
    assert (done.code, done.out) == (0, ""), done.err


def test_every_management_command_has_a_pinned_shape():
    from aidermem.cli.main import COMMANDS

    mine = {"add", "search", "show", "list", "edit", "forget", "digest", "reindex", "stats",
            "doctor", "projects", "context", "stale", "verify", "import", "capture", "profiles",
            "mcp"}
    assert set(SHAPES) == mine == set(COMMANDS)  # a new command needs its shape pinned here


def test_the_checker_itself_rejects_drift():
    with pytest.raises(AssertionError):
        check({"a": 1, "b": 2}, {"a": int})
    with pytest.raises(AssertionError):
        check({"a": "1"}, {"a": int})
    with pytest.raises(AssertionError):
        check({"a": None}, {"a": str})
    with pytest.raises(AssertionError):
        check({"when": "yesterday"}, {"when": DT})
    with pytest.raises(AssertionError):
        check({"k": "idea"}, {"k": KIND})
    with pytest.raises(AssertionError):
        check({"scope": 3}, {"scope": AnyOf(OneOf("project"), [str])})
    check({"a": None, "b": [[1, 2]]}, {"a": Opt(str), "b": [(int, int)]})
    check([["x"], "project"], [AnyOf(OneOf("project"), [str])])
