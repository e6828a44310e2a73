"""Register `aidermem mcp` with an MCP client: Claude Code, Cursor or Codex.

    claude-code --project   <repo>/.mcp.json              {"mcpServers": {"aidermem": …}}
    claude-code             `claude mcp add --scope user …` (Claude Code owns ~/.claude.json)
    cursor [--project]      <repo>/.cursor/mcp.json, else ~/.cursor/mcp.json (same shape)
    codex                   $CODEX_HOME/config.toml (~/.codex): [mcp_servers.aidermem]

Writing is idempotent and touches only aidermem's own entry: other servers and
settings stay, and in config.toml every other line stays byte for byte. A file
that cannot be read as JSON/TOML is left alone with an error. `plan` is pure;
`apply` writes (atomically).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from aidermem.atomic import write_atomic
from aidermem.errors import AidermemError, UsageError

CLIENTS = ("claude-code", "cursor", "codex")
NAME = "aidermem"
_TABLE = f"[mcp_servers.{NAME}]"
_OURS = re.compile(r"\s*(command|args)\s*=")


@dataclass(frozen=True)
class Plan:
    client: str
    path: Path | None  # None: nothing to write (a command to run instead)
    text: str  # the file's new content, or the command to run
    action: Literal["added", "updated", "unchanged", "run"]


def server_command(client: str) -> list[str]:
    """How `client` starts this aidermem's server: absolute paths, since a venv's
    aidermem is not on the client's PATH. Cursor may start servers outside the
    project, so it is given the workspace (it fills in ${workspaceFolder})."""
    script = Path(sys.argv[0])
    if script.name == "aidermem" and script.exists():
        command = [str(script.absolute()), "mcp"]
    else:
        command = [sys.executable, "-m", "aidermem", "mcp"]
    return [*command, "--cwd", "${workspaceFolder}"] if client == "cursor" else command


def config_path(client: str, *, project_root: Path | None, project: bool,
                env: dict[str, str]) -> Path | None:
    home = Path(env.get("HOME") or Path.home())
    if client == "codex":
        if project:
            raise UsageError("codex reads MCP servers from its user config only",
                             "run `aidermem mcp install codex` without --project")
        return Path(env.get("CODEX_HOME") or home / ".codex") / "config.toml"
    if project:
        if project_root is None:
            raise UsageError("--project needs a git repository",
                             "run it inside the repository, or leave --project out")
        return project_root / (".mcp.json" if client == "claude-code" else ".cursor/mcp.json")
    return None if client == "claude-code" else home / ".cursor" / "mcp.json"


def plan(client: str, path: Path | None, command: list[str], current: str | None) -> Plan:
    """What registering means for `client`, given the config file's current text."""
    if path is None:  # Claude Code, user scope: its own CLI edits its config
        entry = json.dumps({"type": "stdio", "command": command[0], "args": command[1:]})
        text = shlex.join(["claude", "mcp", "add-json", "--scope", "user", NAME, entry])
        return Plan(client, None, text, "run")
    if client == "codex":
        text = _toml(current or "", command)
    else:  # Claude Code's .mcp.json names the transport; Cursor's examples never do
        server: dict[str, Any] = {"command": command[0], "args": command[1:]}
        if client == "claude-code":
            server = {"type": "stdio", **server}
        text = _json(current, server, path)
    if current is None:
        return Plan(client, path, text, "added")
    return Plan(client, path, text, "unchanged" if text == current else "updated")


def _json(current: str | None, entry: dict[str, Any], path: Path) -> str:
    data: Any = {}
    if current is not None and current.strip():
        try:
            data = json.loads(current)
        except json.JSONDecodeError as exc:
            raise AidermemError(f"{path} is not valid JSON ({exc.msg}, line {exc.lineno})",
                                "fix or move the file, then run this again") from None
    if not isinstance(data, dict) or not isinstance(data.get("mcpServers", {}), dict):
        raise AidermemError(f"{path} does not hold an mcpServers object",
                            "fix or move the file, then run this again")
    servers = data.setdefault("mcpServers", {})
    before = servers.get(NAME)
    merged = {**before, **entry} if isinstance(before, dict) else entry  # the user's env stays
    if merged == before and current is not None:
        return current  # byte for byte: nothing to write
    servers[NAME] = merged
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _toml(current: str, command: list[str]) -> str:
    try:
        data = tomllib.loads(current)
    except tomllib.TOMLDecodeError as exc:
        raise AidermemError(f"config.toml is not valid TOML ({exc})",
                            "fix the file, then run this again") from None
    table = (f"{_TABLE}\ncommand = {json.dumps(command[0])}\n"
             f"args = {json.dumps(command[1:])}\n")
    existing = data.get("mcp_servers", {}).get(NAME)
    if isinstance(existing, dict) and (existing.get("command"), existing.get("args")) == (
            command[0], command[1:]):
        return current
    lines = current.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.strip() == _TABLE), None)
    if start is None:
        if existing is not None:  # written some other way (inline or dotted): do not guess
            raise AidermemError(f"config.toml defines mcp_servers.{NAME} in a form aidermem "
                                "does not edit", f"replace it by hand with:\n{table}")
        sep = "" if not current or current.endswith("\n\n") else (
            "\n" if current.endswith("\n") else "\n\n")
        return current + sep + table
    end = next((i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")),
               len(lines))
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # keep the blank lines before the next table
    # The user's own keys in the table (env, startup_timeout_sec, …) stay.
    kept = [line for line in lines[start + 1:end] if not _OURS.match(line)]
    updated = "".join([*lines[:start], table, *kept, *lines[end:]])
    try:
        tomllib.loads(updated)
    except tomllib.TOMLDecodeError:  # e.g. an args array over several lines
        raise AidermemError(f"config.toml's [mcp_servers.{NAME}] is laid out in a way aidermem "
                            "does not edit", f"replace it by hand with:\n{table}") from None
    return updated


def apply(done: Plan) -> None:
    if done.path is None or done.action == "unchanged":
        return
    done.path.parent.mkdir(parents=True, exist_ok=True)
    mode = done.path.stat().st_mode & 0o777 if done.path.exists() else 0o644
    write_atomic(done.path, done.text.encode("utf-8"), mode=mode)


def read_current(path: Path | None) -> str | None:
    if path is None or not path.exists():
        return None
    return path.read_text(encoding="utf-8")


def environ() -> dict[str, str]:
    return dict(os.environ)
