"""Where `aidermem ARGS` goes: to aider, or to a management command.

`route` is pure, so every placement of `--`, `run` and command names is
checked without starting aider.
"""

from __future__ import annotations

import pytest

from aidermem import __version__, cli
from aidermem.cli import COMMANDS, Route, route


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], Route("launch", ())),
        (["app.py"], Route("launch", ("app.py",))),
        (["--model", "sonnet", "search"], Route("launch", ("--model", "sonnet", "search"))),
        (["--", "search"], Route("launch", ("search",))),
        (["run", "search"], Route("launch", ("search",))),
        (["run", "--", "x.py"], Route("launch", ("--", "x.py"))),
        (["--", "--", "a"], Route("launch", ("--", "a"))),
        (["--"], Route("launch", ())),
        (["run"], Route("launch", ())),
        (["--", "--help"], Route("launch", ("--help",))),
        (["run", "--version"], Route("launch", ("--version",))),
        (["--help", "app.py"], Route("launch", ("--help", "app.py"))),
        (["--version", "--verbose"], Route("launch", ("--version", "--verbose"))),
        (["--help"], Route("help", ())),
        (["-h"], Route("help", ())),
        (["--version"], Route("version", ())),
        (["search", "--", "x"], Route("command", ("search", "--", "x"))),
        (["search", "run"], Route("command", ("search", "run"))),
        (["app.py", "search"], Route("launch", ("app.py", "search"))),
        (["Search"], Route("launch", ("Search",))),
        (["./search"], Route("launch", ("./search",))),
    ],
)
def test_route(argv, expected):
    assert route(argv) == expected


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_routes_to_itself(name):
    assert route([name, "x"]) == Route("command", (name, "x"))
    assert route(["--", name]) == Route("launch", (name,))
    assert route(["run", name]) == Route("launch", (name,))


def test_command_table_is_the_documented_set():
    assert set(COMMANDS) >= {
        "add", "search", "show", "list", "edit", "forget", "digest", "reindex", "stats", "doctor",
    }


def test_top_help_lists_every_command_and_launching(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: aidermem [AIDER ARGS…]")
    for name in COMMANDS:
        assert f"  {name}" in out
        assert cli.command(name).HELP in out
    assert "aidermem -- --help` shows aider's own help" in out
    assert "exit codes: 0 ok, 1 error, 2 usage error" in out


def test_top_help_documents_every_launch_flag(capsys):
    from aidermem.aider_args import MEM_FLAGS

    cli.main(["--help"])
    flag_lines = [line.split()[0] for line in capsys.readouterr().out.splitlines()
                  if line.startswith("  --mem-")]
    assert sorted(flag_lines) == sorted(MEM_FLAGS)


def test_version(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"aidermem {__version__}\n"


def test_command_help_exits_0(capsys):
    assert cli.main(["search", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: aidermem search")
    assert "--all-projects" in out


def test_unknown_option_is_a_usage_error(capsys):
    assert cli.main(["search", "--bogus", "x"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "aidermem: error: unrecognized arguments: --bogus — see `aidermem search --help`\n"
    )


def test_missing_argument_is_a_usage_error(capsys):
    assert cli.main(["show"]) == 2
    assert capsys.readouterr().err == (
        "aidermem: error: the following arguments are required: ID"
        " — see `aidermem show --help`\n"
    )


def test_bad_choice_is_a_usage_error(capsys):
    assert cli.main(["add", "--kind", "idea", "text"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("aidermem: error: argument --kind: invalid choice: 'idea'")
    assert err.endswith(" — see `aidermem add --help`\n")
