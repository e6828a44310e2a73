"""aidermem's flags and subcommands never collide with aider's options.

Also: aidermem/launch/aider_options.py is exactly what tools/gen_aider_options.py
produces from the installed aider (rerun the tool after upgrading aider).

Passing a file named like a subcommand: the CLI decides on argv[0] only, and
`aidermem -- FILE` / `aidermem run FILE` hand FILE to aider, e.g.
`aidermem -- search` makes aider edit a file named `search`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from aidermem.launch import aider_options
from aidermem.launch.aider_args import MEM_FLAGS, parse_aider_argv, split_launch_argv
from aidermem.launch.aider_options import OPTIONS

ROOT = Path(__file__).resolve().parents[2]
AIDER_STRINGS = [s for opt in OPTIONS for s in opt.strings]
VALUE = {"--mem-profile": ["work"], "--mem-budget": ["500"]}  # flags without a value: []


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("gen_aider_options",
                                                  ROOT / "tools" / "gen_aider_options.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def aider_parser() -> Any:
    from aider.args import get_parser

    return get_parser([], None)


def test_option_table_matches_the_installed_aider():
    import aider

    assert aider.__version__ == aider_options.AIDER_VERSION, (
        "aider was upgraded: run tools/gen_aider_options.py")
    regenerated = _generator().render()
    assert regenerated == Path(aider_options.__file__).read_text(encoding="utf-8"), (
        "aidermem/launch/aider_options.py is stale: run tools/gen_aider_options.py")


def test_table_knows_the_options_the_launcher_relies_on():
    kinds = {s: opt.kind for opt in OPTIONS for s in opt.strings}
    assert kinds["--read"] == kinds["--file"] == kinds["--api-key"] == "append"
    assert kinds["--model"] == kinds["--chat-history-file"] == kinds["-m"] == "value"
    assert kinds["-c"] == "config"
    assert kinds["--restore-chat-history"] == "bool"


def test_no_aider_option_lives_in_our_namespace():
    assert [s for s in AIDER_STRINGS if s.startswith("--mem")] == []


@pytest.mark.parametrize("flag", list(MEM_FLAGS))
def test_our_flag_is_neither_an_aider_option_nor_a_prefix_of_one(flag: str):
    assert flag not in AIDER_STRINGS
    # If ours were a prefix of theirs, argparse would read ours as their abbreviation.
    assert [s for s in AIDER_STRINGS if s.startswith(flag)] == []


@pytest.mark.parametrize("flag", list(MEM_FLAGS))
def test_aiders_parser_does_not_accept_our_flag(aider_parser: Any, flag: str):
    argv = [flag, *VALUE.get(flag, [])]
    _namespace, extras = aider_parser.parse_known_args(argv, env_vars={})
    assert extras[0] == flag  # unrecognized, not taken as an abbreviation of anything
    assert parse_aider_argv(argv).unknown[0] == flag


@pytest.mark.parametrize("flag", list(MEM_FLAGS))
def test_with_our_flags_removed_aider_sees_a_clean_argv(aider_parser: Any, flag: str):
    argv = ["--model", "openai/x", flag, *VALUE.get(flag, []), "a.py"]
    aider_argv = list(split_launch_argv(argv).aider_argv)
    namespace, extras = aider_parser.parse_known_args(aider_argv, env_vars={})
    assert extras == []
    assert (namespace.model, namespace.files) == ("openai/x", ["a.py"])


# cli.py belongs to another module owner: imported inside the tests, so a broken
# cli fails these two tests instead of the whole file.


def test_a_file_named_like_a_subcommand_reaches_aider(aider_parser: Any):
    from aidermem.cli.main import COMMANDS, Route, route

    assert COMMANDS
    for name in COMMANDS:
        assert not name.startswith("-")
        assert route([name]).action == "command"
        for pass_through in (["--"], ["run"]):
            where = route([*pass_through, name])
            assert where == Route("launch", (name,))
            aider_argv = list(split_launch_argv(list(where.args)).aider_argv)
            assert aider_argv == [name]
            assert aider_parser.parse_known_args(aider_argv, env_vars={})[0].files == [name]


def test_a_subcommand_name_as_an_option_value_is_a_launch():
    from aidermem.cli.main import COMMANDS, route

    for name in COMMANDS:
        where = route(["--model", name, "-m", name])  # only argv[0] decides
        assert where.action == "launch"
        aider = split_launch_argv(list(where.args)).aider
        assert (aider.model, aider.message, aider.files) == (name, name, ())
