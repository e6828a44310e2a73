"""The real command line in a child process: stdin, a terminal, exit codes, tracebacks."""

from __future__ import annotations

import json
import os
import sys

import pexpect
import pytest
from test_cli_support import Kind, make_repo, memory, put, run_process, store, write_editor

from aidermem import __version__


@pytest.fixture
def shop(tmp_path):
    return make_repo(tmp_path / "shop")


def test_version_and_help(shop):
    r = run_process("--version", cwd=shop)
    assert (r.code, r.out, r.err) == (0, f"aidermem {__version__}\n", "")
    r = run_process("--help", cwd=shop)
    assert r.code == 0 and "commands:" in r.out


def test_add_from_stdin_then_search_json(shop):
    r = run_process("add", "--kind", "convention", cwd=shop,
                    stdin="Tabs, not spaces\n\nIn every Makefile.\n")
    assert (r.code, r.err) == (0, "")
    (relpath, m), = store().iter_memories()
    assert r.out == f"{m.id} Tabs, not spaces\n"
    assert (m.kind, m.body) == (Kind.CONVENTION, "In every Makefile.")
    r = run_process("search", "makefile", "--json", cwd=shop)
    data = json.loads(r.out)
    assert [h["id"] for h in data["hits"]] == [m.id]
    assert data["hits"][0]["path"] == relpath


def test_add_from_empty_stdin_is_a_usage_error(shop):
    r = run_process("add", cwd=shop, stdin="")
    assert (r.code, r.out) == (2, "")
    assert r.err.startswith("aidermem: error: the memory is empty; nothing was added — ")


def test_exit_codes_and_error_format(shop):
    r = run_process("search", "--bogus", "x", cwd=shop)
    assert (r.code, r.out, r.err) == (
        2, "", "aidermem: error: unrecognized arguments: --bogus — see `aidermem search --help`\n")
    r = run_process("show", "01XXXXXX", cwd=shop)
    assert (r.code, r.out, r.err) == (
        1, "", "aidermem: error: no memory with id '01XXXXXX' — check the id with "
               "`aidermem list`\n")
    assert "Traceback" not in r.err


def test_debug_shows_the_traceback(shop):
    r = run_process("show", "01XXXXXX", cwd=shop, env={"AIDERMEM_DEBUG": "1"})
    assert r.code == 1
    assert r.err.startswith("Traceback (most recent call last):")
    assert r.err.endswith("aidermem: error: no memory with id '01XXXXXX' — check the id with "
                          "`aidermem list`\n")


def spawn(shop, *argv: str, env: dict[str, str] | None = None) -> pexpect.spawn:
    """aidermem on a real terminal, as a person runs it."""
    return pexpect.spawn(sys.executable, ["-m", "aidermem", *argv], cwd=str(shop),
                         env={**os.environ, **(env or {})}, encoding="utf-8", timeout=60,
                         dimensions=(40, 200))


def test_add_on_a_terminal_opens_the_editor(shop, tmp_path):
    editor = write_editor(tmp_path / "ed.py", (
        "assert 'Write the memory above this line' in p.read_text()\n"
        "p.write_text('Typed in the editor\\n\\nwith a body\\n' + p.read_text())\n"))
    child = spawn(shop, "add", "--kind", "bug", env={"VISUAL": editor})
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    (_, m), = store().iter_memories()
    assert (m.title, m.body, m.kind) == ("Typed in the editor", "with a body", Kind.BUG)
    assert f"{m.id} \x1b[1mTyped in the editor\x1b[0m" in child.before


def test_search_on_a_terminal_is_bold_and_piped_is_plain(shop):
    put(memory("AAAA", "Locks", body="We need row locks."))
    child = spawn(shop, "search", "locks")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert "We need row \x1b[1mlocks\x1b[0m." in child.before
    child = spawn(shop, "search", "locks", env={"NO_COLOR": "1"})
    child.expect(pexpect.EOF)
    assert "We need row **locks**." in child.before
    piped = run_process("search", "locks", cwd=shop)
    assert "\x1b" not in piped.out
    assert "    We need row **locks**.\n" in piped.out


def test_control_characters_never_reach_the_terminal(shop):
    put(memory("AAAA", "Evil \x1b]0;pwned\x07 title", body="body \x1b[2J cleared \r over"))
    child = spawn(shop, "list")
    child.expect(pexpect.EOF)
    assert "\x1b]0;" not in child.before and "\x07" not in child.before
    assert "Evil \ufffd]0;pwned\ufffd title" in child.before
    child = spawn(shop, "show", "01JQAAAA")
    child.expect(pexpect.EOF)
    assert "\x1b[2J" not in child.before
    assert "body \ufffd[2J cleared \ufffd over" in child.before
    piped = run_process("show", "--raw", "01JQAAAA", cwd=shop)
    assert "body \x1b[2J cleared" in piped.out  # piped output is the file, exactly
