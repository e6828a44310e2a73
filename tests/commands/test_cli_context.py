"""`aidermem context [AIDER ARGS…]`: the context a launch would hand aider, printed.

The proof that it cannot drift: the real launch's context file (read while the
real aider runs) is byte for byte the preview's text for the same arguments.
The preview itself starts nothing and creates no file.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from aider_harness import AIDERMEM, aider_flags
from e2e_support import Sessions, read_flags, wait_until
from e2e_support import sessions as sessions
from fakellm import FakeLLM
from test_cli_support import Kind, make_repo, memory, put, run, run_process

import aidermem
from aidermem import paths
from aidermem.launch import context_file
from aidermem.retrieve import launch_context, tokens
from aidermem.retrieve import render as context


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = make_repo(tmp_path / "shop")
    monkeypatch.chdir(repo)
    put(
        memory("AAAA", "Use Redis for sessions", kind=Kind.DECISION,
               body="Redis, because we run 3 web workers.\n"),
        memory("BBBB", "Cart totals round half-even", kind=Kind.CONVENTION,
               body="Money is rounded half-even, in cents.\n"),
    )
    return repo


def test_prints_the_context_with_its_token_count(shop: Path, capsys) -> None:
    ran = run(capsys, "context", "--json", "cart.py")
    assert ran.code == 0, ran.err
    data = json.loads(ran.out)
    assert data["context_file"] is True and data["reason"] is None
    assert data["text"].startswith("# Project memory from earlier sessions (aidermem)")
    assert data["tokens"] == tokens.count(data["text"]) <= data["budget"] == 1500
    # The convention comes along always; the Redis decision does not match "cart".
    assert data["memory_ids"] == [memory("BBBB", "x").id]
    assert "cart" in data["query"].split()

    text = run(capsys, "context", "cart.py")
    assert text.code == 0, text.err
    head, rule, body = text.out.split("\n", 2)
    assert head == f"memory context for shop: {data['tokens']} of 1500 tokens (cl100k_base), " \
                   "1 memory"
    assert rule == f"query: {data['query']}"
    assert body.split("\n", 1)[1] == data["text"]


def test_takes_a_launchs_own_flags_and_aiders_options(shop: Path, capsys) -> None:
    small = json.loads(run(capsys, "context", "--json", "--mem-budget", "120",
                           "--model", "gpt-4o", "-m", "fix the cart totals").out)
    assert small["budget"] == 120 and small["tokens"] <= 120
    assert small["query"].split()[:4] == ["fix", "the", "cart", "totals"]
    off = run(capsys, "context", "--mem-off", "cart.py")
    assert off.code == 0
    assert off.out == ("aider would start with no memory context for shop: memory is off for "
                       "this launch (--mem-off or `enabled = false`)\n")
    bad = run(capsys, "context", "--mem-budget", "lots")
    assert bad.code == 2 and bad.err.startswith("aidermem: error: ")


def test_no_memories_means_no_context_file(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(make_repo(tmp_path / "empty"))
    ran = run(capsys, "context")
    assert ran.code == 0, ran.err
    assert ran.out == ("aider would start with no memory context for shop: no memories for "
                       "this project yet\n")
    assert not paths.default_store_dir().exists()  # a preview creates no store


def test_the_preview_creates_no_file(shop: Path, tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    status = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=shop,
                            capture_output=True, text=True, check=True).stdout
    ran = run_process("context", "app.py", cwd=shop, env={"TMPDIR": str(temp)})
    assert ran.code == 0, ran.err
    assert "Use Redis for sessions" in ran.out
    assert list(temp.iterdir()) == []
    assert not (shop / "app.py").exists()
    assert not paths.journal_dir().exists() or not list(paths.journal_dir().glob("*.json"))
    assert subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=shop,
                          capture_output=True, text=True, check=True).stdout == status


@pytest.mark.e2e
def test_the_launch_sends_exactly_what_the_preview_showed(sessions: Sessions,
                                                          fake_llm: FakeLLM) -> None:
    added = sessions.cli("add", "--kind", "decision",
                         stdin="Queue workers\n\nJob workers take pg_advisory_xact_lock.\n")
    assert added.returncode == 0, added.stderr
    (sessions.repo / ".aidermem.toml").write_text(
        '[profiles.small]\nbudget_tokens = 300\nquery_words = ["queue"]\n')
    args = ["--mem-profile", "small", *aider_flags(fake_llm), "worker.py"]
    preview = sessions.cli("context", "--json", *args)
    assert preview.returncode == 0, preview.stderr
    shown = json.loads(preview.stdout)
    assert shown["budget"] == 300 and "queue" in shown["query"].split()

    run = sessions.start(*args, flags=[])
    (path,) = map(Path, read_flags(run.aider_argv))
    wait_until(lambda: path.read_text() != context_file.PLACEHOLDER, "the context file")
    assert path.read_text() == shown["text"]
    assert run.exit() == 0


@pytest.mark.parametrize(("argv", "json_out"), [
    (["context", "--json", "checkout.py"], True),
    (["context", "--json", "--model", "gpt-4o", "checkout.py"], True),
    (["context", "--json", "--", "checkout.py"], True),
    (["context", "--json", "--mem-budget", "900", "--read", "x.md", "checkout.py"], True),
    (["context", "checkout.py", "--json"], False),  # after aider's args: aider's, as at launch
])
def test_every_placement_of_aiders_args(shop: Path, capsys, argv: list[str],
                                        json_out: bool) -> None:
    ran = run(capsys, *argv)
    assert ran.code == 0, ran.err
    if json_out:
        assert "checkout" in json.loads(ran.out)["query"].split()
    else:
        assert ran.out.startswith("memory context for shop: ")
        assert "query: checkout" in ran.out


def test_help_is_the_commands_own(shop: Path, capsys) -> None:
    ran = run(capsys, "context", "--help")
    assert ran.code == 0
    assert ran.out.startswith("usage: aidermem context [-h] [--json] ...")


def _hint(text: str) -> str:
    """The command the footer tells the model to `/run` (before ` show <id>`)."""
    footer = text.split("`/run ", 1)[1]
    return footer.split(" show <id>`", 1)[0]


def test_the_hint_runs_inside_aider_without_aidermem_on_path(shop: Path) -> None:
    # A venv that was never activated: aider's /run gets a PATH without aidermem on it.
    bare = {**os.environ, "PATH": "/usr/bin:/bin"}
    done = subprocess.run([AIDERMEM, "context", "--json"], cwd=shop, env=bare,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    hint = _hint(json.loads(done.stdout)["text"])
    assert hint == AIDERMEM
    shown = subprocess.run(f"{hint} show 01JQAAAA", shell=True, cwd=shop, env=bare,
                           capture_output=True, text=True, timeout=120, check=False)
    assert shown.returncode == 0, shown.stderr
    assert "Use Redis for sessions" in shown.stdout


def test_a_path_with_spaces_is_quoted_for_the_shell(tmp_path: Path) -> None:
    script = tmp_path / "my tools" / "bin" / "aidermem"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\necho \"ran: $*\"\n")
    script.chmod(0o755)
    hint = launch_context.command_hint(str(script))
    assert hint == f"'{script}'"
    ran = subprocess.run(f"{hint} show 01ABC", shell=True, capture_output=True, text=True,
                         check=True)
    assert ran.stdout == "ran: show 01ABC\n"
    text = context.render(context.Frame("shop", "p", command=hint), last_session=None,
                          memories=[memory("AAAA", "A note")], budget=1500)
    assert text is not None and f"`/run {hint} show <id>`" in text
    assert f"`/run {hint} search \"<words>\"`" in text


def test_run_as_a_module_the_hint_is_the_interpreter(tmp_path: Path) -> None:
    main = Path(aidermem.__file__).parent / "__main__.py"
    python = tmp_path / "py env" / "python"
    assert launch_context.command_hint(str(main), str(python)) == f"'{python}' -m aidermem"


def test_a_60_token_budget_still_shows_a_memory(shop: Path, capsys) -> None:
    data = json.loads(run(capsys, "context", "--json", "--mem-budget", "60").out)
    assert data["tokens"] <= 60
    assert data["memory_ids"] and data["memory_ids"][0] in data["text"]
    assert "No relevant memories found" not in data["text"]


def test_a_captured_session_says_each_fact_once_in_the_launch_context(
        tmp_path: Path, monkeypatch, capsys) -> None:
    # The memories capture stores for one session (extractive notes, then the model's
    # summary with its own decision and bug), in the real store and index.
    from context_samples import _captured_session

    monkeypatch.chdir(make_repo(tmp_path / "shop"))
    made = _captured_session()  # filed under github.com/acme/shop, this repo's project
    put(*made)
    data = json.loads(run(capsys, "context", "--json").out)
    text = data["text"]
    assert made[0].id in text  # where the last session stopped
    assert text.lower().count("json file storage") == 1
    assert text.count("staging database is reset every night") == 1
    assert text.count("off by one cent") == 1
    assert "Noted during the session" not in text
    assert "check refunds for the same rounding" in text


def test_a_budget_too_small_for_any_memory_says_so(shop: Path, capsys) -> None:
    data = json.loads(run(capsys, "context", "--json", "--mem-budget", "20").out)
    assert data["memory_ids"] == []
    assert "No relevant memories found" not in data["text"]
    assert "none fits in 20 tokens" in data["text"] and "--mem-budget" in data["text"]
