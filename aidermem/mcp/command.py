"""`aidermem mcp`: serve the memory store to MCP clients; `mcp install CLIENT` registers it.

    aidermem mcp [--project NAME_OR_ID] [--cwd DIR]     the stdio server (clients start it)
    aidermem mcp install claude-code|cursor|codex [--project] [--print]

The server's project is that of its working directory (or --cwd; every worktree
of a repository is one project), unless --project or AIDERMEM_PROJECT names
another. The SDK is imported only when the server starts (aidermem/mcp/server.py),
so no other command pays for it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from aidermem.commands.app import App
from aidermem.commands.output import Result, Style
from aidermem.commands.payloads import McpPayload
from aidermem.errors import AidermemError, UsageError
from aidermem.mcp import install as mcp_install

HELP = "serve memories to Claude Code, Cursor, Codex (MCP on stdio); `install CLIENT`"
ENV_PROJECT = "AIDERMEM_PROJECT"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=["serve", "install"], default="serve",
                        help="serve (default): run the server on stdio; install: register it")
    parser.add_argument("client", nargs="?", choices=mcp_install.CLIENTS,
                        help="install: the client to register with")
    parser.add_argument("--project", nargs="?", const=True, default=None,
                        metavar="NAME_OR_ID",
                        help="serve: the project to serve (default: $AIDERMEM_PROJECT, else "
                             "the working directory's); install: write the repository's "
                             "config instead of the user's")
    parser.add_argument("--cwd", metavar="DIR", help="serve: the directory to serve for")
    parser.add_argument("--print", dest="print_only", action="store_true",
                        help="install: show the config instead of writing it")


def run(args: argparse.Namespace, app: App) -> Result:
    if args.action == "install":
        return Result(_install(args, app))
    if args.client is not None:
        raise UsageError(f"unexpected argument {args.client!r}",
                         "use `aidermem mcp install CLIENT` to register a client")
    if args.project is True:
        raise UsageError("--project needs a project name or id to serve",
                         "give one, or leave --project out to serve the current project")
    cwd = app.cwd
    if args.cwd and "${" not in args.cwd:  # a client that did not fill its variable in
        cwd = Path(args.cwd).expanduser()
        if not cwd.is_dir():
            raise UsageError(f"--cwd {args.cwd!r} is not a directory",
                             "give the project's folder")
    override = args.project if args.project is not None else os.environ.get(ENV_PROJECT)
    if sys.stdin.isatty():
        app.warn("aidermem mcp talks MCP on stdin/stdout to a client that starts it; to set one "
                 "up, see `aidermem mcp install --help` (Ctrl-C to stop)")
    from aidermem.mcp import server as mcp_server  # the SDK's import: only when serving

    mcp_server.serve(cwd.resolve(), override)
    return Result(McpPayload(action="served"))


def _install(args: argparse.Namespace, app: App) -> McpPayload:
    if args.client is None and args.project in mcp_install.CLIENTS:
        args.client, args.project = args.project, True  # `install --project cursor`
    if args.client is None:
        raise UsageError("which client?",
                         f"use `aidermem mcp install {'|'.join(mcp_install.CLIENTS)}`")
    if args.cwd is not None or args.project not in (None, True):
        raise UsageError("install takes --project without a value, and no --cwd",
                         "use `aidermem mcp install CLIENT [--project] [--print]`")
    project = args.project is True
    root = app.project.root if project else None
    path = mcp_install.config_path(args.client, project_root=root, project=project,
                                   env=mcp_install.environ())
    plan = mcp_install.plan(args.client, path, mcp_install.server_command(args.client),
                            mcp_install.read_current(path))
    shown = str(path) if path else None
    if args.print_only:
        return McpPayload(action="printed", client=args.client, path=shown, text=plan.text)
    if plan.action == "run":
        _run_claude(plan.text)
    else:
        mcp_install.apply(plan)
    return McpPayload(action=plan.action, client=args.client, path=shown, text=plan.text)


def _run_claude(command: str) -> None:
    import shlex
    import shutil

    argv = shlex.split(command)
    if shutil.which(argv[0]) is None:
        raise AidermemError("the `claude` command is not on PATH",
                            f"install Claude Code, or run it yourself: {command}; or use "
                            "--project for the repository's .mcp.json")
    subprocess.run([*argv[:2], "remove", "--scope", "user", mcp_install.NAME], check=False,
                   capture_output=True)  # idempotent: an earlier registration is replaced
    done = subprocess.run(argv, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise AidermemError(f"`claude mcp add-json` failed: {done.stderr.strip()}",
                            f"run it yourself: {command}")


def render(payload: McpPayload, style: Style) -> str:
    if payload.action == "served":
        return ""
    if payload.action == "printed":
        where = f"# {payload.path}\n" if payload.path else "# run:\n"
        return where + payload.text
    if payload.action == "run":
        return f"registered {style.bold('aidermem')} with Claude Code (user scope)"
    if payload.action == "unchanged":
        return f"{payload.path} already registers aidermem; nothing changed"
    return f"{payload.action} aidermem in {style.bold(str(payload.path))}; restart the client"
