"""search and list: scopes, filters, odd queries, and the text they print."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from test_cli_support import (
    CREATED,
    OTHER_ID,
    Kind,
    day,
    make_repo,
    memory,
    put,
    run,
    store,
)

from aidermem.commands._filters import parse_since
from aidermem.errors import UsageError
from aidermem.models import Status, now
from aidermem.store import memfile

OLD = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
NEW = CREATED + timedelta(days=1)
NEWER = CREATED + timedelta(days=2)


@pytest.fixture
def shop(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "shop")
    monkeypatch.chdir(repo)
    put(
        memory("AAAA", "Use Postgres for orders", kind=Kind.DECISION,
               body="We need row locks for concurrent checkout.", topics=["db"], created=NEWER),
        memory("BBBB", "Login loop", kind=Kind.BUG, body="The cookie path was /api.",
               topics=["auth"], created=OLD),
        memory("CCCC", "Global tip", body="Postgres: use EXPLAIN ANALYZE.", project="",
               created=NEW),
        memory("DDDD", "Billing uses Postgres too", body="postgres everywhere",
               project=OTHER_ID),
        memory("EEEE", "Old archived", body="postgres archived", status=Status.ARCHIVED),
        memory("FFFF", "中文笔记", body="数据库迁移使用 Postgres"),
    )
    return repo


def ids(out: str) -> list[str]:
    return [line.split()[0] for line in out.splitlines() if line and not line.startswith(" ")]


def test_search_text_exact(shop, capsys):
    r = run(capsys, "search", "row", "locks")
    assert (r.code, r.err) == (0, "")
    assert r.out == (
        f"01JQAAAA  {day(NEWER)}  decision  shop  Use Postgres for orders\n"
        "    We need **row** **locks** for concurrent checkout.\n"
    )


def test_search_default_scope_is_project_and_global(shop, capsys):
    r = run(capsys, "search", "postgres")
    assert sorted(ids(r.out)) == ["01JQAAAA", "01JQCCCC", "01JQFFFF"]
    assert "(global)  Global tip" in r.out


def test_search_all_projects_and_named_project(shop, capsys):
    everywhere = ids(run(capsys, "search", "postgres", "--all-projects").out)
    assert sorted(everywhere) == ["01JQAAAA", "01JQCCCC", "01JQDDDD", "01JQFFFF"]
    assert ids(run(capsys, "search", "postgres", "--project", "billing").out) == ["01JQDDDD"]
    assert ids(run(capsys, "search", "postgres", "--project", OTHER_ID).out) == ["01JQDDDD"]
    r = run(capsys, "search", "postgres", "--project", "x", "--all-projects")
    assert r.code == 2


def test_search_filters(shop, capsys):
    assert ids(run(capsys, "search", "postgres", "--kind", "decision").out) == ["01JQAAAA"]
    assert ids(run(capsys, "search", "cookie", "--topics", "auth").out) == ["01JQBBBB"]
    assert run(capsys, "search", "cookie", "--topics", "db").out.startswith("no memories")
    assert run(capsys, "search", "cookie", "--since", "2024-12-01").out.startswith("no memories")
    assert ids(run(capsys, "search", "cookie", "--since", "2024-05-01").out) == ["01JQBBBB"]
    assert len(ids(run(capsys, "search", "postgres", "--limit", "1").out)) == 1
    archived = ids(run(capsys, "search", "archived", "--archived").out)
    assert archived == ["01JQEEEE"]


def test_search_chinese(shop, capsys):
    r = run(capsys, "search", "数据库")
    assert ids(r.out) == ["01JQFFFF"]
    assert "**数据库**" in r.out


def test_search_no_hits_message(shop, capsys):
    r = run(capsys, "search", "kubernetes")
    assert (r.code, r.out, r.err) == (
        0, "no memories match “kubernetes” in this project or global memories; "
           "try --all-projects\n", "")
    r = run(capsys, "search", "kubernetes", "--all-projects")
    assert r.out == "no memories match “kubernetes” in any project\n"


@pytest.mark.parametrize("query", [
    "foo(bar)?", "C++ -> std::vector<int>", "a:b", '"unbalanced', "'", "中文", "*", "AND",
    "OR NOT", "title:x", "[1 TO 2]", "\\", "-", "~2", "^3", "{}", "😀", "x" * 5000, "a\x00b",
])
def test_odd_queries_exit_0(shop, capsys, query):
    r = run(capsys, "search", query)
    assert r.code == 0, r.err
    assert r.err == ""


def test_search_empty_query_is_usage_error(shop, capsys):
    r = run(capsys, "search", " ")
    assert r.code == 2
    assert r.err == ("aidermem: error: the query is empty — give words to search for, "
                     "or use `aidermem list`\n")


def test_list_newest_first_and_aligned(shop, capsys):
    r = run(capsys, "list")
    assert (r.code, r.err) == (0, "")
    assert r.out == (
        f"01JQAAAA  {day(NEWER)}  decision  shop      Use Postgres for orders\n"
        f"01JQCCCC  {day(NEW)}  note      (global)  Global tip\n"
        f"01JQFFFF  {day(CREATED)}  note      shop      中文笔记\n"
        f"01JQBBBB  {day(OLD)}  bug       shop      Login loop\n"
    )


def test_list_filters(shop, capsys):
    assert ids(run(capsys, "list", "--kind", "bug,decision").out) == ["01JQAAAA", "01JQBBBB"]
    assert ids(run(capsys, "list", "--topics", "DB").out) == ["01JQAAAA"]
    assert ids(run(capsys, "list", "--since", "2024-12-31").out) == ids(
        run(capsys, "list").out)[:3]
    assert ids(run(capsys, "list", "--project", "billing").out) == ["01JQDDDD"]
    assert "01JQEEEE" in ids(run(capsys, "list", "--archived").out)
    assert "01JQEEEE" not in ids(run(capsys, "list", "--all-projects").out)
    assert len(ids(run(capsys, "list", "--all-projects", "--limit", "2").out)) == 2
    r = run(capsys, "list", "--topics", "nothing")
    assert r.out == "no memories match in this project or global memories; try --all-projects\n"


def test_bad_filters_are_usage_errors(shop, capsys):
    r = run(capsys, "list", "--since", "yesterday")
    assert (r.code, r.err) == (2, "aidermem: error: cannot read --since 'yesterday' — give a "
                                  "date such as 2024-05-01 or an age such as 30m (minutes), "
                                  "12h, 7d, 2w, 3mo (months) or 1y\n")
    r = run(capsys, "list", "--kind", "idea")
    assert (r.code, r.err) == (2, "aidermem: error: unknown kind 'idea' — use one of: session, "
                                  "decision, bug, convention, note\n")
    r = run(capsys, "list", "--limit", "0")
    assert r.code == 2
    assert r.err.startswith("aidermem: error: argument --limit: must be 1 or more, not 0")


@pytest.mark.parametrize(("text", "delta"), [
    ("12h", timedelta(hours=12)), ("7d", timedelta(days=7)), ("2w", timedelta(days=14)),
    ("1y", timedelta(days=365)), (" 7D ", timedelta(days=7)),
    # `m` is minutes, as in most CLIs (`sleep`, `timeout`, `journalctl`); months are `mo`.
    ("30m", timedelta(minutes=30)), ("30min", timedelta(minutes=30)),
    ("3mo", timedelta(days=90)), ("3MO", timedelta(days=90)),
])
def test_parse_since_ages(text, delta):
    current = now()
    assert parse_since(text, current) == current - delta


def test_parse_since_date_is_local_midnight():
    got = parse_since("2024-05-01", now())
    assert (got.year, got.month, got.day, got.hour, got.minute) == (2024, 5, 1, 0, 0)
    assert got.tzinfo is not None


@pytest.mark.parametrize("text", ["", "7", "d", "-7d", "7x", "2024-13-01", "soon", "3mon", "5mi"])
def test_parse_since_rejects(text):
    with pytest.raises(UsageError):
        parse_since(text, now())


def test_empty_project_means_global_memories_only(shop, capsys):
    assert ids(run(capsys, "list", "--project", "").out) == ["01JQCCCC"]


@pytest.mark.parametrize("configured", [False, True], ids=["default-store", "store-setting"])
def test_search_and_list_see_hand_changes_made_since_the_last_command(
        shop, capsys, monkeypatch, configured):
    """search answers from the index while git checks the store; when the check finds hand
    edits, additions or deletions, the answer is worked out again from the synced index."""
    if configured:  # the store named by a setting: config is read, the probe guessed
        monkeypatch.setenv("AIDERMEM_STORE", str(store().root))
    assert ids(run(capsys, "search", "postgres").out)  # builds the index
    root = store().root
    edited = next(root.rglob("01JQAAAA*.md"))
    with edited.open("a", encoding="utf-8") as handle:  # in place: no directory changes
        handle.write("\nAlso: zanzibar sharding.\n")
    next(root.rglob("01JQBBBB*.md")).unlink()
    added = memory("GGGG", "Zanzibar plan", body="zanzibar rollout")
    (edited.parent / f"{added.id}-zanzibar-plan.md").write_text(
        memfile.dump(added), encoding="utf-8")
    r = run(capsys, "search", "zanzibar")
    assert (r.code, r.err) == (0, "")
    assert sorted(ids(r.out)) == ["01JQAAAA", "01JQGGGG"]
    listed = run(capsys, "list", "--json")
    assert "01JQBBBB" not in listed.out and "01JQGGGG" in listed.out
    again = run(capsys, "search", "zanzibar", "--json")  # nothing new: the same answer
    assert [h["short_id"] for h in json.loads(again.out)["hits"]] == ids(r.out)
