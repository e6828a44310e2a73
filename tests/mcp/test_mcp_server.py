"""`aidermem mcp` driven over stdio by the MCP SDK's own client, against a real store,
a real Tantivy index and real git repositories (worktrees included)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from aider_harness import AIDERMEM, git, make_git_repo
from mcp import ClientSession
from mcp_support import CLIENT, call, connect, ok
from store_status import dirty_memory_paths

from aidermem import paths
from aidermem.mcp import server as mcp_server
from aidermem.mcp import tools as mcp_tools
from aidermem.models import Kind, Status, Tool
from aidermem.retrieve import tokens
from aidermem.store.store import Store

READ_ONLY = {"search_memories", "get_memories", "memory_digest", "list_projects"}
WRITES = {"add_memory", "update_memory", "forget_memory"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_git_repo(tmp_path / "shop")


def store() -> Store:
    return Store.open(paths.default_store_dir())


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([AIDERMEM, *args], cwd=cwd, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done


def test_every_tool_is_listed_with_its_hints_and_a_description(repo):
    async def work(s: ClientSession):
        return (await s.list_tools()).tools

    tools = {t.name: t for t in connect(repo, work)}
    assert set(tools) == READ_ONLY | WRITES
    for name, tool in tools.items():
        assert tool.description and len(tool.description) > 60, name
        assert tool.annotations is not None
        assert tool.annotations.readOnlyHint is (name in READ_ONLY), name
    assert tools["forget_memory"].annotations.destructiveHint is True
    assert tools["update_memory"].annotations.destructiveHint is True
    assert tools["add_memory"].annotations.destructiveHint is False
    assert mcp_server.MAX_PAGE == mcp_tools.MAX_PAGE  # the description says the real limit
    assert f"1 to {mcp_tools.MAX_PAGE}" in json.dumps(tools["search_memories"].inputSchema)


PRICE = "class Price:\n    def cents(self, amount):\n        return round(amount * 100)\n"


def commit_file(repo: Path, rel: str, text: str, message: str) -> None:
    (repo / rel).parent.mkdir(parents=True, exist_ok=True)
    (repo / rel).write_text(text)
    git(repo, "add", rel)
    git(repo, "commit", "-q", "-m", message)


def test_a_memory_added_over_mcp_is_stored_like_the_clis_and_found(repo):
    secret = "sk-" + "a1B2c3D4" * 6
    commit_file(repo, "shop/price.py", PRICE, "prices")

    async def work(s: ClientSession):
        added = await ok(s, "add_memory", title="Money is integer cents",
                         body=f"Store prices as integer cents, never floats. key {secret}",
                         kind="convention", topics=["Money", "pricing"], files=["shop/price.py"],
                         symbols=["shop/price.py::Price.cents"])
        found = await ok(s, "search_memories", query="prices floats")
        as_text = await ok(s, "search_memories", query="prices", kinds="convention,bug",
                           topics="money")
        assert [r["id"] for r in as_text["results"]] == [added["id"]]
        got = await ok(s, "get_memories", ids=[added["id"]])
        return added, found, got

    added, found, got = connect(repo, work)
    cli(repo, "add", "--title", "Money is integer cents", "--kind", "convention",
        "--topics", "money,pricing", "--files", "shop/price.py",
        f"Store prices as integer cents, never floats. key {secret}")
    by_mcp, by_cli = sorted((m for _, m in store().iter_memories()),
                            key=lambda m: m.source.tool != Tool.MCP)
    assert by_mcp.source.tool == Tool.MCP and by_mcp.source.client == CLIENT
    assert by_cli.source.tool == Tool.CLI and by_cli.source.client is None
    # Both link the committed file; MCP's symbol is linked to its code too, like --symbols.
    assert by_mcp.symbols == ["shop/price.py::Price.cents"]
    assert [(ln.path, ln.symbol) for ln in by_mcp.links] == [
        ("shop/price.py", "Price.cents"), ("shop/price.py", None)]
    assert [(ln.path, ln.symbol) for ln in by_cli.links] == [("shop/price.py", None)]
    same = {"id", "created", "updated", "source", "symbols", "links"}
    assert by_mcp.model_dump(exclude=same) == by_cli.model_dump(exclude=same)
    assert secret not in by_mcp.body and "[REDACTED:" in by_mcp.body
    assert added["redactions"] == 1 and added["id"] == by_mcp.id
    assert added["project"] == "shop"

    (hit,) = found["results"]
    assert hit["id"] == by_mcp.id and hit["kind"] == "convention" and hit["project"] == "shop"
    assert set(hit) == {"id", "title", "kind", "project", "date", "snippet", "link_state"}
    assert hit["link_state"] == "fresh"
    assert "cents" in hit["snippet"] and found["next_cursor"] is None
    (memory,) = got["memories"]
    assert memory["body"] == by_mcp.body and memory["topics"] == ["money", "pricing"]
    assert memory["source"] == {"tool": "mcp", "method": "manual", "client": CLIENT}
    # ... and the CLI sees the MCP memory as its own.
    shown = json.loads(cli(repo, "show", by_mcp.id, "--json").stdout)
    assert shown["memory"]["source"]["client"] == CLIENT


def test_search_pages_through_every_result_once(repo):
    for n in range(7):
        cli(repo, "add", "--title", f"cache note {n}", f"the cache layer detail number {n}")

    async def work(s: ClientSession):
        pages, cursors = [], [None]
        while True:
            page = await ok(s, "search_memories", query="cache", limit=3, cursor=cursors[-1])
            pages.append([r["title"] for r in page["results"]])
            if page["next_cursor"] is None:
                return pages, await call(s, "search_memories", query="other", cursor=cursors[1])
            cursors.append(page["next_cursor"])

    pages, (stale, failed) = connect(repo, work)
    assert [len(p) for p in pages] == [3, 3, 1]
    titles = [t for p in pages for t in p]
    assert sorted(titles) == sorted(f"cache note {n}" for n in range(7))
    assert failed and "belongs to another search" in stale


@pytest.mark.parametrize("config, by_meaning", [(None, True), ("semantic = false\n", False)])
def test_search_ranks_by_meaning_as_the_cli_does(repo, config, by_meaning):
    """Another agent asks in its own words: with the default (`semantic = "auto"`) the memory
    that shares no word with the question is found, as by `aidermem search`."""
    if config is not None:
        (repo / ".aidermem.toml").write_text(config)
    refunds = "Refunds are issued from the Stripe dashboard"
    cli(repo, "add", "--title", refunds, "The finance team issues them there.")
    cli(repo, "add", "--title", "Pin the Postgres image", "16.3 broke the locale; stay on 16.2.")
    question = "how do customers get their money returned"

    async def work(s: ClientSession):
        return await ok(s, "search_memories", query=question)

    titles = [r["title"] for r in connect(repo, work)["results"]]
    searched = json.loads(cli(repo, "search", "--json", question).stdout)
    by_cli = [h["title"] for h in searched["hits"]]
    assert titles == by_cli
    assert (refunds in titles) is by_meaning


def test_a_long_memory_comes_in_bounded_parts_that_join_up(repo):
    body = "".join(f"line {n}: the retry policy backs off exponentially.\n" for n in range(1000))
    body += "重试策略按指数退避。" * 2000  # ~1.3 tokens a character
    assert len(body) > 2 * mcp_tools.MAX_CHARS

    async def work(s: ClientSession):
        added = await ok(s, "add_memory", title="Retry policy", body=body, kind="decision")
        short = await ok(s, "add_memory", title="Short one", body="tiny", kind="note")
        parts, cursor = [], None
        while True:
            got = await ok(s, "get_memories", ids=[added["id"], short["id"]], cursor=cursor)
            parts.append(got["memories"])
            cursor = got["next_cursor"]
            if cursor is None:
                return parts

    parts = connect(repo, work)
    assert len(parts) >= 3
    assert all(sum(len(m["body"]) for m in part) <= mcp_tools.MAX_CHARS for part in parts)
    assert max(tokens.count(json.dumps(part, ensure_ascii=False)) for part in parts) < 16_000
    stored = next(m for _, m in store().iter_memories() if m.title == "Retry policy").body
    joined = "".join(m["body"] for part in parts for m in part if m["title"] == "Retry policy")
    assert joined == stored
    assert parts[0][0]["body_range"] == [0, mcp_tools.MAX_CHARS, len(stored)]
    assert parts[-1][-1]["title"] == "Short one" and "body_range" not in parts[-1][-1]


def test_wrong_arguments_are_tool_errors_and_the_server_lives_on(repo):
    async def work(s: ClientSession):
        answers = [
            await call(s, "search_memories", query="x", limit="many"),
            await call(s, "search_memories", query="x", limit=500),
            await call(s, "search_memories", query="x", kinds=["bogus"]),
            await call(s, "search_memories", query="x", cursor="garbage"),
            await call(s, "get_memories", ids=["ZZZZZZZZ"]),
            await call(s, "get_memories", ids=[]),
            await call(s, "add_memory", title=" ", body="text"),
            await call(s, "add_memory", title="t", body="b", kind="opinion"),
            await call(s, "add_memory", body="no title"),
            await call(s, "update_memory", id="ZZZZZZZZ", title="x"),
            await call(s, "forget_memory", id="ZZZZZZZZ"),
        ]
        added = await ok(s, "add_memory", title="still here", body="the server lives on")
        nothing = await call(s, "update_memory", id=added["id"])
        return answers, nothing, await ok(s, "search_memories", query="lives")

    answers, nothing, after = connect(repo, work)
    assert all(failed for _, failed in answers), answers
    texts = [text for text, _ in answers]
    assert "unknown kind 'bogus'" in texts[2] and "limit must be 1 to 25" in texts[1]
    assert "cannot read cursor" in texts[3] and "no memory with id 'ZZZZZZZZ'" in texts[4]
    assert "the title is empty" in texts[6] and "unknown kind 'opinion'" in texts[7]
    assert nothing[1] and "nothing to change" in nothing[0]
    assert [r["title"] for r in after["results"]] == ["still here"]
    assert [m.title for _, m in store().iter_memories()] == ["still here"]


def test_update_changes_only_the_given_fields_and_forget_archives(repo):
    async def work(s: ClientSession):
        added = await ok(s, "add_memory", title="Queue uses Redis", body="jobs go to Redis",
                         kind="decision", topics=["queue"])
        updated = await ok(s, "update_memory", id=added["id"][:8], title="Queue uses\n Postgres",
                           body="jobs go to Postgres (SKIP LOCKED)", topics=["queue", "postgres"])
        found = await ok(s, "search_memories", query="postgres")
        gone = await ok(s, "forget_memory", id=added["id"])
        after = await ok(s, "search_memories", query="postgres")
        return added, updated, found, gone, after

    added, updated, found, gone, after = connect(repo, work)
    assert updated["changed"] == ["body", "title", "topics"]
    assert [r["id"] for r in found["results"]] == [added["id"]]
    assert gone["action"] == "archived" and "revert" in gone["recover"]
    assert after["results"] == []
    (memory,) = [m for _, m in store().iter_memories()]
    assert memory.title == "Queue uses Postgres" and memory.kind == Kind.DECISION
    assert memory.topics == ["queue", "postgres"] and memory.status == Status.ARCHIVED
    subprocess.run(gone["recover"], shell=True, check=True, capture_output=True)
    assert next(m for _, m in store().iter_memories()).status == Status.ACTIVE


def test_digest_and_projects_describe_the_servers_project(repo, tmp_path):
    other = make_git_repo(tmp_path / "billing")
    cli(other, "add", "--kind", "decision", "--title", "Invoices are immutable", "never edit")
    cli(repo, "add", "--kind", "decision", "--title", "Carts expire after a day", "a cron job")

    async def work(s: ClientSession):
        return await ok(s, "memory_digest"), await ok(s, "list_projects")

    digest, projects = connect(repo, work)
    assert "Carts expire after a day" in digest and "Invoices" not in digest
    names = {p["name"]: p for p in projects["projects"]}
    assert names["shop"]["current"] and names["shop"]["memories"] == 1
    assert names["billing"]["memories"] == 1 and not names["billing"]["current"]
    assert projects["current"] == str(repo.resolve())


def test_worktrees_of_one_repository_are_one_project(repo, tmp_path):
    second = tmp_path / "shop-feature"
    git(repo, "worktree", "add", "-q", "-b", "feature", str(second))

    async def add(s: ClientSession):
        return await ok(s, "add_memory", title="Feature flags live in flags.toml",
                        body="read once at start", kind="convention")

    async def search(s: ClientSession):
        return await ok(s, "search_memories", query="feature flags")

    added = connect(second, add)
    found = connect(repo, search)
    assert [r["id"] for r in found["results"]] == [added["id"]]
    assert found["results"][0]["project"] == "shop"
    (memory,) = [m for _, m in store().iter_memories()]
    assert memory.project == str(repo.resolve())  # the main work tree's id, not the worktree's
    hits = json.loads(cli(second, "search", "feature flags", "--json").stdout)["hits"]
    assert [h["id"] for h in hits] == [added["id"]]


def test_a_project_override_scopes_reads_and_writes_alike(repo, tmp_path):
    other = make_git_repo(tmp_path / "billing")
    cli(other, "add", "--title", "Billing runs nightly", "the nightly billing job")

    async def add_and_search(s: ClientSession):
        added = await ok(s, "add_memory", title="Billing retries twice", body="then pages")
        return added, await ok(s, "search_memories", query="billing")

    async def search(s: ClientSession):
        return await ok(s, "search_memories", query="billing")

    billing = str(other.resolve())
    added, found = connect(repo, add_and_search, env={"AIDERMEM_PROJECT": "billing"})
    assert added["project"] == "billing"
    assert {r["title"] for r in found["results"]} == {"Billing retries twice",
                                                      "Billing runs nightly"}
    assert {m.project for _, m in store().iter_memories()} == {billing}
    assert connect(repo, search)["results"] == []  # the shop's own server sees neither
    by_flag = connect(repo, search, args=("--project", billing))
    assert len(by_flag["results"]) == 2


def test_the_server_and_concurrent_cli_writers_lose_nothing(repo):
    count = 6

    async def work(s: ClientSession):
        writers = [subprocess.Popen([AIDERMEM, "add", "--title", f"cli memory {n}",
                                     f"written by the cli, number {n}"], cwd=repo,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
                   for n in range(count)]
        ids = [(await ok(s, "add_memory", title=f"mcp memory {n}",
                         body=f"written over mcp, number {n}"))["id"] for n in range(count)]
        codes = [await anyio.to_thread.run_sync(w.wait) for w in writers]
        found = await ok(s, "search_memories", query="written number", limit=25)
        return ids, codes, found

    ids, codes, found = connect(repo, work)
    assert codes == [0] * count
    titles = sorted(m.title for _, m in store().iter_memories())
    assert titles == sorted([f"cli memory {n}" for n in range(count)]
                            + [f"mcp memory {n}" for n in range(count)])
    assert len({r["id"] for r in found["results"]}) == 2 * count
    assert set(ids) <= {r["id"] for r in found["results"]}
    assert dirty_memory_paths(store().root) == []


def test_other_commands_never_import_the_sdk(repo):
    probe = ("import sys; from aidermem.cli import main as cli; cli.main(['search', 'anything']); "
             "cli.main(['list']); print(sorted(m for m in sys.modules if m.split('.')[0] == 'mcp'"
             " or m.startswith('aidermem.mcp')))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=repo, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_search_and_get_say_when_a_memorys_code_changed(repo):
    # #13's link states reach other agents: a memory whose function changed since it was
    # written is marked (and ranked) as stale, and get_memories gives each link's state.
    commit_file(repo, "shop/price.py", PRICE, "prices")

    async def add(s: ClientSession):
        return await ok(s, "add_memory", title="Prices round to cents",
                        body="Price.cents rounds the amount to whole cents.", kind="convention",
                        symbols=["shop/price.py::Price.cents"])

    added = connect(repo, add)
    commit_file(repo, "shop/price.py", PRICE.replace("round(amount * 100)", "int(amount * 100)"),
                "truncate")

    async def look(s: ClientSession):
        return (await ok(s, "search_memories", query="prices cents"),
                await ok(s, "get_memories", ids=[added["id"]]))

    found, got = connect(repo, look)
    (hit,) = found["results"]
    assert hit["id"] == added["id"] and hit["link_state"] == "changed"
    assert any(line.startswith("shop/price.py::Price.cents: changed")
               for line in hit["stale_links"])
    (memory,) = got["memories"]
    states = {(ln["path"], ln["symbol"]): ln["state"] for ln in memory["links"]}
    assert states[("shop/price.py", "Price.cents")] == "changed"
