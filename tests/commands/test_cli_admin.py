"""digest, reindex, stats and doctor; malformed files reported, never fatal."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from test_cli_support import (
    CREATED,
    OTHER_ID,
    Kind,
    git,
    make_repo,
    memory,
    put,
    run,
    store,
)

from aidermem import paths

DECISION = memory("AAAA", "Use Postgres for orders", kind=Kind.DECISION,
                  body="Orders move to Postgres.\n\n**Why:** we need row locks.\n",
                  topics=["db"], created=CREATED + timedelta(hours=5))
OLD_DECISION = memory("AAAB", "Cache with Redis", kind=Kind.DECISION,
                      body="Sessions are cached in Redis.\n\n**Why:** speed.\n")
BUG = memory("BBBB", "Login loop", kind=Kind.BUG,
             body="**Symptom:** redirect loop\n\n**Root cause:** cookie path /api\n\n"
                  "**Fix:** path=/\n")
SESSION = memory("CCCC", "Checkout caching", kind=Kind.SESSION,
                 body="## Summary\n\nAdded a cache.\n\n## Open threads / next steps\n\n"
                      "- wire it into checkout\n")
CONVENTION = memory("DDDD", "Tests use real git", kind=Kind.CONVENTION,
                    body="Never mock git.\n", project="")
NOTE = memory("EEEE", "Staging URL", body="staging.example.com")
ELSEWHERE = memory("FFFF", "Billing decision", kind=Kind.DECISION, body="Stripe.",
                   project=OTHER_ID)


@pytest.fixture
def shop(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "shop")
    monkeypatch.chdir(repo)
    put(DECISION, OLD_DECISION, BUG, SESSION, CONVENTION, NOTE, ELSEWHERE)
    return repo


def section(markdown: str, heading: str) -> str:
    """The text under one `## heading`, up to the next one."""
    part = markdown.split(f"\n## {heading}\n", 1)[1]
    return part.split("\n## ", 1)[0]


def test_digest_sections_hold_the_right_memories(shop, capsys):
    r = run(capsys, "digest")
    assert (r.code, r.err) == (0, "")
    md = r.out
    assert md.startswith("# Briefing: shop\n")
    decisions = section(md, "Decisions")
    assert decisions.index("Use Postgres for orders") < decisions.index("Cache with Redis")
    assert "  - Why: we need row locks." in decisions
    assert "Billing decision" not in md  # another project
    assert "Tests use real git" in section(md, "Conventions")  # global counts
    bugs = section(md, "Bugs and root causes")
    assert "  - Root cause: cookie path /api" in bugs and "  - Fix: path=/" in bugs
    sessions = section(md, "Recent sessions — where they stopped")
    assert "**Checkout caching**" in sessions
    assert "  - Open threads: wire it into checkout" in sessions
    assert "**Staging URL**" in section(md, "Notes")
    assert "`01JQAAAA`" in decisions  # short ids to follow up with `show`


def test_digest_query_limit_and_scope(shop, capsys):
    md = run(capsys, "digest", "redis", "--limit", "1").out
    assert "Cache with Redis" in md and "Use Postgres" not in md
    assert "most relevant to “redis”" in md
    md = run(capsys, "digest", "--limit", "1").out
    assert "Use Postgres" in md and "Cache with Redis" not in md  # most recent
    md = run(capsys, "digest", "--all-projects").out
    assert md.startswith("# Briefing: all projects\n") and "Billing decision" in md
    md = run(capsys, "digest", "--kind", "bug").out
    assert "## Bugs and root causes" in md and "## Decisions" not in md


def test_reindex(shop, capsys):
    r = run(capsys, "reindex")
    assert r.code == 0
    assert re.fullmatch(r"indexed 7 memories in \d+\.\d\d s \([\d,]+/s\)\n", r.out), r.out
    # The index is a cache: deleting it loses nothing.
    index_dir = paths.index_dir_for(store().root)
    for child in sorted(index_dir.rglob("*"), reverse=True):
        child.unlink() if child.is_file() else child.rmdir()
    assert run(capsys, "reindex").out.startswith("indexed 7 memories")
    assert len(run(capsys, "list", "--all-projects").out.splitlines()) == 7


def break_file(memory_) -> str:
    relpath = store().relpath_for(memory_)
    (store().root / relpath).write_text("---\ntitle: [unclosed\n---\nbody\n")
    return relpath


def test_malformed_files_are_skipped_and_reported(shop, capsys):
    relpath = break_file(NOTE)
    r = run(capsys, "list")
    assert r.code == 0
    assert "Staging URL" not in r.out and "Use Postgres" in r.out
    assert r.err.startswith(f"aidermem: warning: skipped {relpath}: invalid YAML front matter")
    assert r.err.count("\n") == 1
    r = run(capsys, "reindex")
    assert r.out.splitlines()[1:] == [
        "skipped 1 malformed file (fix or delete them by hand):",
        r.out.splitlines()[2],
    ]
    assert r.out.splitlines()[2].startswith(f"  {relpath}: invalid YAML front matter")
    stats = json.loads(run(capsys, "stats", "--json").out)
    assert (stats["store_files"], stats["index_docs"], stats["malformed"]) == (7, 6, 1)
    # A write command indexes just what it wrote, and still says what stays skipped.
    r = run(capsys, "add", "--title", "Another note", "plain body")
    assert r.code == 0
    assert r.err.startswith(f"aidermem: warning: skipped {relpath}: invalid YAML front matter")
    assert r.err.count("\n") == 1


def test_stats_text(shop, capsys):
    r = run(capsys, "stats")
    root = store().root
    index_dir = paths.index_dir_for(root)
    assert r.out == (
        "memories: 7 (7 active, 0 archived)\n"
        f"store:    {root} (7 files)\n"
        f"index:    {index_dir} (7 documents)\n"
        "\n"
        "by kind:\n"
        "  session          1\n"
        "  decision         3\n"
        "  bug              1\n"
        "  convention       1\n"
        "  note             1\n"
        "\n"
        "by project:\n"
        "       5  shop (github.com/acme/shop)\n"
        "       1  (global)\n"
        "       1  billing (github.com/acme/billing)\n"
    )


def test_doctor_all_ok(shop, capsys):
    r = run(capsys, "doctor")
    assert r.code == 0, r.out
    lines = r.out.splitlines()
    names = [line.split()[1].rstrip(":") for line in lines[:-1]]
    assert names == ["config", "store", "index", "memory", "semantic", "aider", "versions",
                     "journal"]
    assert all(line.startswith("ok  ") for line in lines[:-1])
    assert lines[-1] == "all checks passed"
    assert re.search(r"aider: \S+aider \(aider \d+\.\d+\.\d+\)", r.out)
    assert "7 documents, in sync" in r.out
    assert re.search(r"ok    semantic: wordllama l2_supercat 256, from \S+ \(offline\); "
                     r"7 vectors cached", r.out)  # on by default


def test_doctor_warns_on_hand_edits_and_malformed_files(shop, capsys):
    relpath = break_file(NOTE)
    r = run(capsys, "doctor")
    assert r.code == 0  # warnings are not failures
    assert f"warn  store: {store().root}: 1 uncommitted change(s): {relpath};" in r.out
    assert f"warn  memory files: 1 malformed, skipped until fixed: {relpath}: " in r.out
    assert r.out.splitlines()[-1] == "all checks passed (2 warning(s))"


def test_doctor_fails_when_the_store_is_not_a_repository(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(make_repo(tmp_path / "shop"))
    root = paths.default_store_dir()
    root.mkdir(parents=True)
    (root / "stray.txt").write_text("not a store")
    r = run(capsys, "doctor")
    assert r.code == 1
    # The wording after the dash is the store's; doctor passes its error through whole.
    assert f"FAIL  store: memory store {root} exists but is not a git repository — " in r.out
    assert r.out.splitlines()[-1] == "1 check(s) failed"
    # Every other command says the same, as an error.
    r = run(capsys, "list")
    assert r.code == 1
    assert r.err.startswith(f"aidermem: error: memory store {root} exists but is not a git")


def test_doctor_on_a_fresh_install_does_not_create_the_store(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(make_repo(tmp_path / "shop"))
    r = run(capsys, "doctor")
    assert r.code == 0
    assert f"warn  store: no store yet at {paths.default_store_dir()}" in r.out
    assert not paths.default_store_dir().exists()


def test_doctor_reports_a_broken_config_file(shop, capsys):
    (shop / ".aidermem.toml").write_text("budget_tokens = 'lots'\n")
    r = run(capsys, "doctor")
    assert r.code == 1
    assert "FAIL  config: " in r.out and "budget_tokens" in r.out


def test_store_history_has_one_commit_per_change(shop, capsys):
    before = len(git("log", "--format=%H").split())
    run(capsys, "add", "one more")
    run(capsys, "forget", "01JQEEEE")
    assert len(git("log", "--format=%H").split()) == before + 2
