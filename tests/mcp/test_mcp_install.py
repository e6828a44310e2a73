"""`aidermem mcp install claude-code|cursor|codex`: the clients' real config files, written
idempotently and never at the cost of other servers' entries or other settings."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest
from aider_harness import AIDERMEM, make_git_repo

SERVER = {"type": "stdio", "command": AIDERMEM, "args": ["mcp"]}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_git_repo(tmp_path / "shop")


def install(cwd: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([AIDERMEM, "mcp", "install", *args], cwd=cwd, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60, check=False)
    assert (done.returncode == 0) is ok, done.stderr
    return done


def test_claude_code_project_config_keeps_other_servers_and_is_idempotent(repo):
    config = repo / ".mcp.json"
    config.write_text(json.dumps({"mcpServers": {"github": {"command": "gh-mcp"}}}))
    first = install(repo, "claude-code", "--project")
    assert f"added aidermem in {config}" not in first.stdout  # the file existed: updated
    assert first.stdout.startswith("updated aidermem in")
    data = json.loads(config.read_text())
    assert data == {"mcpServers": {"github": {"command": "gh-mcp"}, "aidermem": SERVER}}
    written = config.read_bytes()
    again = install(repo, "claude-code", "--project")
    assert "nothing changed" in again.stdout and config.read_bytes() == written
    # Another aidermem's entry is replaced; keys the user added to it stay.
    data["mcpServers"]["aidermem"] = {**SERVER, "command": "/old/aidermem", "env": {"A": "1"}}
    config.write_text(json.dumps(data))
    install(repo, "claude-code", "--project")
    assert json.loads(config.read_text())["mcpServers"]["aidermem"] == {**SERVER,
                                                                          "env": {"A": "1"}}


def test_claude_code_user_scope_runs_claude_mcp_add_or_says_how(repo):
    shown = install(repo, "claude-code", "--print")
    assert shown.stdout.startswith("# run:\nclaude mcp add-json --scope user aidermem ")
    entry = json.loads(shown.stdout.split(" aidermem ", 1)[1].strip().strip("'"))
    assert entry == SERVER
    missing = install(repo, "claude-code", ok=False)  # no `claude` on this PATH
    assert missing.stderr.startswith("aidermem: error: the `claude` command is not on PATH — ")
    assert not (repo / ".mcp.json").exists()


def test_cursor_gets_the_workspace_folder_in_project_and_user_config(repo, isolated_home):
    install(repo, "--project", "cursor")  # the flag before the client works too
    install(repo, "cursor")
    cursor = {"command": AIDERMEM, "args": ["mcp", "--cwd", "${workspaceFolder}"]}
    for path in (repo / ".cursor" / "mcp.json", isolated_home / ".cursor" / "mcp.json"):
        assert json.loads(path.read_text()) == {"mcpServers": {"aidermem": cursor}}


def test_codex_config_keeps_every_other_line_byte_for_byte(repo, isolated_home):
    config = isolated_home / ".codex" / "config.toml"
    config.parent.mkdir()
    before = ('model = "o4-mini"  # my default\n\n[mcp_servers.docs]\ncommand = "docs-mcp"\n'
              'args = ["--stdio"]\n\n[profiles.fast]\nmodel = "gpt-5-mini"\n')
    config.write_text(before)
    install(repo, "codex")
    after = config.read_text()
    assert after.startswith(before)
    data = tomllib.loads(after)
    assert data["mcp_servers"]["aidermem"] == {"command": AIDERMEM, "args": ["mcp"]}
    assert data["mcp_servers"]["docs"] == {"command": "docs-mcp", "args": ["--stdio"]}
    assert "nothing changed" in install(repo, "codex").stdout and config.read_text() == after

    # An older registration is replaced in place; the user's own keys and what follows stay.
    stale = (after.replace(json.dumps(AIDERMEM), '"/old/venv/bin/aidermem"')
             + "startup_timeout_sec = 20\n\n[tail]\nx = 1\n")
    config.write_text(stale)
    assert install(repo, "codex").stdout.startswith("updated aidermem in")
    assert config.read_text() == after + "startup_timeout_sec = 20\n\n[tail]\nx = 1\n"


def test_a_config_aidermem_cannot_read_is_left_alone(repo, isolated_home):
    config = repo / ".mcp.json"
    config.write_text('{"mcpServers": {"github": ')
    failed = install(repo, "claude-code", "--project", ok=False)
    assert failed.stderr.startswith(f"aidermem: error: {config} is not valid JSON")
    assert config.read_text() == '{"mcpServers": {"github": '
    codex = isolated_home / ".codex" / "config.toml"
    codex.parent.mkdir()
    codex.write_text("[broken\n")
    assert "is not valid TOML" in install(repo, "codex", ok=False).stderr
    assert codex.read_text() == "[broken\n"


def test_print_shows_the_config_without_writing_it(repo, isolated_home):
    shown = install(repo, "codex", "--print")
    assert shown.stdout.startswith(f"# {isolated_home / '.codex' / 'config.toml'}\n")
    assert tomllib.loads(shown.stdout)["mcp_servers"]["aidermem"]["args"] == ["mcp"]
    assert not (isolated_home / ".codex").exists()
    assert "codex reads MCP servers from its user config only" in install(
        repo, "codex", "--project", ok=False).stderr


def test_json_output_has_a_pinned_shape(repo, isolated_home):
    shown = json.loads(install(repo, "codex", "--print", "--json").stdout)
    assert set(shown) == {"schema_version", "action", "client", "path", "text"}
    assert (shown["action"], shown["client"]) == ("printed", "codex")
    assert shown["path"] == str(isolated_home / ".codex" / "config.toml")
    done = json.loads(install(repo, "claude-code", "--project", "--json").stdout)
    assert (done["action"], done["path"]) == ("added", str(repo / ".mcp.json"))
    assert json.loads(done["text"]) == {"mcpServers": {"aidermem": SERVER}}
