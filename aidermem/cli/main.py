"""The `aidermem` command: route argv to aider or to a management command.

    aidermem [AIDER ARGS…]        launch aider with memory (anything not a command)
    aidermem COMMAND [ARGS…]      manage memories (add, search, show, …)
    aidermem help [COMMAND]       help (also -h, --help); `aidermem version` (--version)
    aidermem -- AIDER ARGS…       launch aider; use when an argument looks like a command
    aidermem run AIDER ARGS…      the same as `--`

Only the first word is ours to read: there a command name, help or version is
aidermem's, and a word that is no existing path but a likely typo of one
(`serch`) stops with "did you mean"; anything else launches aider with every
word, so `aidermem --model x --help` is aider's help.

Exit codes:
    0    success (also: a search that found nothing)
    1    an error aidermem could describe; the message is on stderr
    2    the command line was wrong (unknown option, missing or bad value)
    130  interrupted with Ctrl-C
    When aidermem launched aider, it exits with aider's own exit status.

Errors are printed as `aidermem: error: <what happened> — <what to do>`; set
AIDERMEM_DEBUG=1 for the full traceback. This module only routes, parses and
renders: what a command does lives in aidermem/commands/<name>.py, which
returns data (an output.Result) and never prints. Routing looks at argv[0]
alone, and each argv is parsed exactly once.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn, Protocol

from aidermem import __version__
from aidermem.errors import EXIT_ERROR, EXIT_INTERRUPTED, AidermemError, UsageError

if TYPE_CHECKING:
    from aidermem.commands.app import App
    from aidermem.commands.output import Result, Style


class Command(Protocol):
    """What every module under aidermem/commands/ provides."""

    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace, app: App) -> Result: ...

    def render(self, payload: Any, style: Style) -> str: ...


# The one place a command name meets its code: no lookups by attribute name.
# Modules are imported only when their command runs, so launching aider (the
# hot path) never pays for every command's imports.
COMMANDS: dict[str, str] = {
    "add": "aidermem.commands.add",
    "search": "aidermem.commands.search",
    "show": "aidermem.commands.show",
    "list": "aidermem.commands.list_memories",
    "edit": "aidermem.commands.edit",
    "forget": "aidermem.commands.forget",
    "digest": "aidermem.commands.digest",
    "reindex": "aidermem.commands.reindex",
    "stats": "aidermem.commands.stats",
    "doctor": "aidermem.commands.doctor",
    "import": "aidermem.commands.import_history",
    "capture": "aidermem.commands.capture",
    "profiles": "aidermem.commands.profiles",
    "projects": "aidermem.commands.projects",
    "context": "aidermem.commands.context",
    "mcp": "aidermem.mcp.command",
    "stale": "aidermem.commands.stale",
    "verify": "aidermem.commands.verify",
}
# Commands whose arguments, after the command's own options, are a launch's
# (`aidermem context --model x app.py`). argparse's REMAINDER stops at an option it does
# not know, so a `--` goes before the first argument that is not the command's own.
TAKES_LAUNCH_ARGS: dict[str, frozenset[str]] = {
    "context": frozenset({"--json", "-h", "--help"}),
}
# Commands that only read memories: a config key they do not know is a warning, not an
# error. Not doctor and profiles: showing what is wrong with the config is their job.
READ_ONLY = frozenset({"search", "show", "list", "digest", "stats"})


def command(name: str) -> Command:
    """The module implementing command `name` (a key of COMMANDS)."""
    module: Command = importlib.import_module(COMMANDS[name])
    return module

PASS_THROUGH = ("--", "run")
# Words of ours that are not modules under commands/: their one-line help.
BUILTINS: dict[str, str] = {
    "help": "this help, or a command's options: aidermem help COMMAND",
    "version": "print aidermem's version",
}


@dataclass(frozen=True)
class Route:
    action: Literal["launch", "command", "help", "version", "typo"]
    # launch: aider's argv; command: (name, *its args); help: () or (COMMAND, …);
    # version: what followed `version`; typo: (the word, the command it is close to)
    args: tuple[str, ...] = ()


def route(argv: Sequence[str], exists: Callable[[str], bool] = os.path.lexists) -> Route:
    """Where argv goes. Only argv[0] decides, so aider's own flags never collide.

    `exists(path)` tells a file aider should open from a mistyped command; it is
    asked only about a first word that is close to a command name.
    """
    if not argv:
        return Route("launch")
    first = argv[0]
    if first in ("-h", "--help"):
        return Route("help")
    if first == "--version":
        return Route("version")
    if first == "help":
        return Route("help", tuple(argv[1:]))
    if first == "version":
        return Route("version", tuple(argv[1:]))
    if first in PASS_THROUGH:
        return Route("launch", tuple(argv[1:]))
    if first in COMMANDS:
        return Route("command", tuple(argv))
    if not first.startswith("-"):  # most launches start with an option: no import for them
        from aidermem.cli import typos

        meant = typos.closest(first, [*COMMANDS, *BUILTINS, "run"])
        if meant is not None and not exists(first):
            return Route("typo", (first, meant))
    return Route("launch", tuple(argv))


def top_help() -> str:
    lines = {name: command(name).HELP for name in COMMANDS} | BUILTINS
    width = max(len(name) for name in lines) + 2
    commands = "\n".join(f"  {name:<{width}}{text}" for name, text in lines.items())
    return f"""\
usage: aidermem [AIDER ARGS…]      launch aider with memory
       aidermem COMMAND [ARGS…]    manage memories
       aidermem help [COMMAND]     this help, or a command's (also -h, --help)
       aidermem -- AIDER ARGS…     launch aider (when an argument is named like a command)
       aidermem run AIDER ARGS…    the same as --

Persistent, searchable memory for Aider. Launching retrieves the memories that
matter for this project and hands them to aider as a read-only file; when aider
exits, the session is summarized into the memory store (a git repository).

commands:
{commands}

Only the first word is aidermem's to read: there, a command name, help (-h,
--help) or version (--version) is ours. Otherwise every argument goes to aider
unchanged: `aidermem --model sonnet app.py` runs aider with those arguments,
`aidermem -- --help` shows aider's own help, and so does
`aidermem --model sonnet --help`. A first word that is no file here but close
to a command (`serch`) stops with "did you mean"; `aidermem -- serch` hands it
to aider.

launch flags (aidermem's own; taken out before aider sees the rest):
  --mem-off              run plain aider: no memory context, no capture
  --mem-no-capture       use memories, but do not save this session
  --mem-profile NAME     use a profile from .aidermem.toml or the user config
  --mem-budget TOKENS    token budget for the memory context file

exit codes: 0 ok, 1 error, 2 usage error, 130 interrupted; after launching
aider, aider's own exit status.
"""


class _Exit(Exception):
    """argparse finished early (--help): leave main with this status, not SystemExit."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in aidermem's one error format."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, f"see `{self.prog} --help`")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stderr.write(message)
        raise _Exit(status)


def build_parser(name: str) -> argparse.ArgumentParser:
    module = command(name)
    parser = _Parser(prog=f"aidermem {name}", description=module.HELP)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    module.add_arguments(parser)
    return parser


def run_command(name: str, argv: Sequence[str], app: App) -> int:
    argv = list(argv)
    if name in TAKES_LAUNCH_ARGS:
        own = 0
        while own < len(argv) and argv[own] in TAKES_LAUNCH_ARGS[name]:
            own += 1
        argv.insert(own, "--")
    args = build_parser(name).parse_args(argv)
    from aidermem.commands.output import terminal_safe, to_json

    module = command(name)
    result = module.run(args, app)
    if args.json:
        text = to_json(result.payload)
    else:
        text = module.render(result.payload, app.style)
        if app.stdout_isatty:  # piped output stays exact; a terminal never gets raw controls
            text = terminal_safe(text)
    if text:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()
    return result.exit_code


def launch(argv: Sequence[str]) -> int:
    """Run aider with memory; returns aider's own exit status."""
    # Imported here so management commands never pay for the launcher's imports.
    from aidermem import session as launcher

    return launcher.launch(list(argv))


def show_help(args: Sequence[str]) -> int:
    """`aidermem help [COMMAND]`: the top help, or that command's own `--help`."""
    if not args or args[0] in (*BUILTINS, *PASS_THROUGH):
        if len(args) > 1:
            raise UsageError("help takes one command name", "e.g. `aidermem help search`")
        sys.stdout.write(top_help())
        return 0
    name, *rest = args
    if name not in COMMANDS:
        from aidermem.cli import typos

        meant = typos.closest(name, COMMANDS)
        guess = f"did you mean `aidermem help {meant}`? " if meant else ""
        raise UsageError(f"no command named {name}", f"{guess}`aidermem help` lists the commands")
    if rest:
        raise UsageError("help takes one command name", f"e.g. `aidermem help {name}`")
    build_parser(name).print_help()
    return 0


def typo_error(argv: Sequence[str], meant: str) -> UsageError:
    import shlex

    word = shlex.quote(argv[0])
    return UsageError(
        f"{word} is not a command, nor a file or directory here",
        f"did you mean `aidermem {meant}`? To start aider with a new file named {word}: "
        f"`{shlex.join(['aidermem', '--', *argv])}`",
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    where = route(argv)
    try:
        if where.action == "help":
            return show_help(where.args)
        if where.action == "version":
            if where.args:
                raise UsageError("version takes no arguments", "see `aidermem help`")
            sys.stdout.write(f"aidermem {__version__}\n")
            return 0
        if where.action == "typo":
            raise typo_error(argv, where.args[1])
        if where.action == "launch":
            return launch(where.args)
        name, *rest = where.args
        from aidermem.commands.fastpath import early_probe

        probe = early_probe(name, rest, Path.cwd())  # git works while we import the rest
        from aidermem.commands.app import App

        app = App(cwd=Path.cwd(), stdout_isatty=sys.stdout.isatty(), probe=probe,
                  read_only=name in READ_ONLY)
        return run_command(name, rest, app)
    except _Exit as done:
        return done.status
    except AidermemError as exc:
        if os.environ.get("AIDERMEM_DEBUG") == "1":
            import traceback

            traceback.print_exc()
        sys.stderr.write(exc.render() + "\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("aidermem: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`aidermem list | head`): stop quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR
