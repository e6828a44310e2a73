"""Where `aidermem ARGS` goes: to aider, or to a management command.

`route` is pure, so every placement of `--`, `run` and command names is
checked without starting aider.
"""

from __future__ import annotations

import pytest

from aidermem import __version__
from aidermem.cli import main as cli
from aidermem.cli.main import COMMANDS, Route, route


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
        (["--help"], Route("help", ())),
        (["-h"], Route("help", ())),
        (["--version"], Route("version", ())),
        (["search", "--", "x"], Route("command", ("search", "--", "x"))),
        (["search", "run"], Route("command", ("search", "run"))),
        (["app.py", "search"], Route("launch", ("app.py", "search"))),
        (["./search"], Route("launch", ("./search",))),
    ],
)
def test_route(argv, expected):
    assert route(argv, exists=lambda _path: False) == expected


# One rule for aidermem's own words: only the first word is read. There, a command name,
# help / -h / --help and version / --version are aidermem's; anywhere else they are aider's.
@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--help"], Route("help")),
        (["-h"], Route("help")),
        (["help"], Route("help")),
        (["help", "search"], Route("help", ("search",))),
        (["--help", "app.py"], Route("help")),
        (["-h", "--model", "sonnet"], Route("help")),
        (["--version"], Route("version")),
        (["version"], Route("version")),
        (["--version", "--verbose"], Route("version")),
        (["search", "--help"], Route("command", ("search", "--help"))),
        (["--model", "sonnet", "--help"], Route("launch", ("--model", "sonnet", "--help"))),
        (["app.py", "-h"], Route("launch", ("app.py", "-h"))),
        (["--mem-off", "--help"], Route("launch", ("--mem-off", "--help"))),
        (["--model", "sonnet", "--version"], Route("launch", ("--model", "sonnet", "--version"))),
        (["--", "--help"], Route("launch", ("--help",))),
        (["run", "--version"], Route("launch", ("--version",))),
        (["--", "help"], Route("launch", ("help",))),
        (["run", "version"], Route("launch", ("version",))),
    ],
)
def test_help_and_version_are_ours_only_as_the_first_word(argv, expected):
    assert route(argv, exists=lambda _path: False) == expected


@pytest.mark.parametrize(
    ("first", "suggestion"),
    [("serch", "search"), ("seach", "search"), ("lsit", "list"), ("improt", "import"),
     ("stat", "stats"), ("status", "stats"), ("Search", "search"), ("LIST", "list"),
     ("ADD", "add"), ("dcotor", "doctor"), ("profile", "profiles"), ("hlep", "help"),
     ("verison", "version"), ("reindx", "reindex")],
)
def test_a_first_word_like_a_command_that_is_no_path_is_a_typo(first, suggestion):
    assert route([first, "sqlite"], exists=lambda _path: False) == Route(
        "typo", (first, suggestion))
    # The same word naming an existing file or directory goes to aider.
    assert route([first, "sqlite"], exists=lambda path: path == first) == Route(
        "launch", (first, "sqlite"))


@pytest.mark.parametrize(
    "argv",
    [["src"], ["app"], ["ad"], ["rnu"], ["docs"], ["tests"], ["setup.py"], ["search.py"],
     ["serch.md"], ["./serch"], ["src/serch"], ["--", "serch"], ["run", "serch"],
     ["--model", "sonnet", "serch"], ["-m", "serch"], ["readme"]],
)
def test_words_not_close_to_a_command_or_not_first_or_path_like_go_to_aider(argv):
    assert route(argv, exists=lambda _path: False).action == "launch"


def test_typo_check_asks_the_file_system_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert route(["serch"]).action == "typo"
    (tmp_path / "serch").mkdir()
    assert route(["serch"]) == Route("launch", ("serch",))


def test_a_typo_stops_with_did_you_mean_and_creates_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["serch", "sqlite"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "aidermem: error: serch is not a command, nor a file or directory here — did you mean "
        "`aidermem search`? To start aider with a new file named serch: `aidermem -- serch "
        "sqlite`\n")
    assert list(tmp_path.iterdir()) == []


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
    from aidermem.launch.aider_args import MEM_FLAGS

    cli.main(["--help"])
    flag_lines = [line.split()[0] for line in capsys.readouterr().out.splitlines()
                  if line.startswith("  --mem-")]
    assert sorted(flag_lines) == sorted(MEM_FLAGS)


@pytest.mark.parametrize("argv", [["--version"], ["version"]])
def test_version(capsys, argv):
    assert cli.main(argv) == 0
    assert capsys.readouterr().out == f"aidermem {__version__}\n"


def test_version_takes_no_arguments(capsys):
    assert cli.main(["version", "--json"]) == 2
    assert capsys.readouterr().err == (
        "aidermem: error: version takes no arguments — see `aidermem help`\n")


@pytest.mark.parametrize("argv", [["help"], ["-h"], ["--help", "app.py"]])
def test_help_command_and_flag_show_the_top_help(capsys, argv):
    assert cli.main(argv) == 0
    assert capsys.readouterr().out == cli.top_help()


def test_help_for_a_command_is_that_commands_help(capsys):
    assert cli.main(["help", "search"]) == 0
    by_help = capsys.readouterr().out
    assert cli.main(["search", "--help"]) == 0
    assert by_help == capsys.readouterr().out
    assert by_help.startswith("usage: aidermem search")


def test_help_for_an_unknown_command_suggests_one(capsys):
    assert cli.main(["help", "serch"]) == 2
    assert capsys.readouterr().err == (
        "aidermem: error: no command named serch — did you mean `aidermem help search`?"
        " `aidermem help` lists the commands\n")


def test_top_help_states_the_first_word_rule(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "  help      " in out and "  version   " in out
    assert "Only the first word is aidermem's" in out


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
