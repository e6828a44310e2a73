"""aidermem's own flags vs aider's argv, and reading aider's argv as aider does.

The reading is cross-checked against aider's real parser (tests may import
aider): for every argv in CORPUS, each option's value, the FILE arguments, the
unrecognized leftovers and "does aider stop with a usage error" must agree.
"""

from __future__ import annotations

from typing import Any

import pytest

from aidermem.errors import UsageError
from aidermem.launch.aider_args import (
    MEM_FLAGS,
    LaunchArgs,
    parse_aider_argv,
    split_launch_argv,
)
from aidermem.launch.aider_options import OPTIONS

# -- our flags and every placement of "--" -----------------------------------

PLACEMENTS = [
    # argv, aider argv, mem_off
    ([], (), False),
    (["--mem-off"], (), True),
    (["--"], ("--",), False),
    (["--mem-off", "--"], ("--",), True),
    (["--mem-off", "--", "a.py"], ("--", "a.py"), True),
    (["--", "--mem-off"], ("--", "--mem-off"), False),
    (["a.py", "--mem-off", "--", "b.py"], ("a.py", "--", "b.py"), True),
    (["a.py", "--", "--mem-off", "--", "x"], ("a.py", "--", "--mem-off", "--", "x"), False),
    (["--", "--", "--mem-off"], ("--", "--", "--mem-off"), False),
    (["--model", "x", "--mem-off", "--", "--mem-off"], ("--model", "x", "--", "--mem-off"), True),
    (["--mem-off", "--mem-off"], (), True),
]


@pytest.mark.parametrize(("argv", "aider_argv", "mem_off"), PLACEMENTS)
def test_double_dash_placements(argv: list[str], aider_argv: tuple[str, ...], mem_off: bool):
    launch = split_launch_argv(argv)
    assert launch.aider_argv == aider_argv
    assert launch.mem_off is mem_off


BASE = ["--model", "openai/x", "main.py", "--read", "CONVENTIONS.md", "-m", "fix it"]
OURS = [["--mem-off"], ["--mem-no-capture"], ["--mem-profile", "work"],
        ["--mem-profile=work"], ["--mem-budget", "1500"], ["--mem-budget=1500"]]


# Every gap of BASE except between an aider option and its value.
GAPS = [i for i in range(len(BASE) + 1) if i == 0 or BASE[i - 1] not in ("--model", "--read", "-m")]


@pytest.mark.parametrize("flag", OURS, ids=" ".join)
@pytest.mark.parametrize("at", GAPS)
def test_our_flags_are_taken_out_anywhere_and_aider_argv_kept_in_order(flag: list[str], at: int):
    launch = split_launch_argv([*BASE[:at], *flag, *BASE[at:]])
    assert list(launch.aider_argv) == BASE
    assert (launch.mem_off, launch.mem_no_capture) == ("--mem-off" in flag,
                                                       "--mem-no-capture" in flag)
    if "profile" in flag[0]:
        assert launch.mem_profile == "work"
    if "budget" in flag[0]:
        assert launch.mem_budget == 1500


def test_all_flags_together_and_the_typed_view():
    launch = split_launch_argv(["--mem-profile", "work", "--mem-budget=800", "--mem-no-capture",
                                "--model", "openai/x", "a.py"])
    assert launch == LaunchArgs(("--model", "openai/x", "a.py"), mem_no_capture=True,
                                mem_profile="work", mem_budget=800)
    assert launch.aider.model == "openai/x"
    assert launch.aider.files == ("a.py",)


@pytest.mark.parametrize(("argv", "message"), [
    (["--mem-budget"], "--mem-budget needs a value"),
    (["--mem-budget", "--"], "--mem-budget needs a value"),
    (["--mem-budget", "lots"], "invalid --mem-budget 'lots'"),
    (["--mem-budget=0"], "invalid --mem-budget '0'"),
    (["--mem-budget", "-5"], "invalid --mem-budget '-5'"),
    (["--mem-profile"], "--mem-profile needs a value"),
    (["--mem-profile="], "invalid --mem-profile ''"),
    (["--mem-profile", "-m"], "invalid --mem-profile '-m'"),
    (["--mem-off=yes"], "--mem-off takes no value"),
    (["--mem-of"], "unknown aidermem option --mem-of"),
    (["--mem"], "unknown aidermem option --mem"),
    (["a.py", "--mem-offline=1"], "unknown aidermem option --mem-offline"),
])
def test_bad_own_flags_are_usage_errors(argv: list[str], message: str):
    with pytest.raises(UsageError) as err:
        split_launch_argv(argv)
    assert err.value.message == message
    assert err.value.exit_code == 2
    assert err.value.hint


@pytest.mark.parametrize("token", ["--mem-off is great", "--message=--mem-off", "-m--mem-off"])
def test_tokens_merely_containing_our_names_go_to_aider(token: str):
    assert split_launch_argv(["-m", token] if " " in token else [token]).mem_off is False


def test_mem_flags_table_is_what_split_understands():
    assert set(MEM_FLAGS) == {"--mem-off", "--mem-no-capture", "--mem-profile", "--mem-budget"}


# -- reading aider's argv ------------------------------------------------------

CORPUS = [
    [],
    ["a.py", "b.py"],
    ["--model", "gpt-4o", "a.py"],
    ["--model=gpt-4o", "--weak-model", "w", "a.py"],
    ["--read", "CONVENTIONS.md", "--read=docs/x.md", "main.py"],
    ["--read", "a b.md"],
    ["--read=-notes.md"],
    ["--read", "-notes.md"],  # a value that looks like an option: aider refuses
    ["--file", "a.py", "--file=b.py", "c.py"],
    ["--msg", "fix main.py please", "main.py"],
    ["-m", "hello"], ["-mhello"], ["-m=hello"], ["-vmhello"], ["-v", "-f", "msg.txt"],
    ["--message", "-x y"],
    ["--message", "--", "x"],
    ["--chat-h", "h.md"], ["--chat-history=h.md"], ["--weak", "w"], ["--input-h", "i.txt"],
    ["--mod", "x"],  # ambiguous: --model, --models, --model-settings-file, ...
    ["--rea", "x"],  # ambiguous: --read, --reasoning-effort
    ["--read"], ["--read", "--model", "x"],
    ["--no-pretty", "--pretty"], ["--no-auto-commits"], ["--no-auto"], ["--pretty=yes"],
    ["--4o"], ["-4"], ["--3"], ["-3"], ["--35"],
    ["--", "--model", "x"], ["a.py", "--", "-weird.py"], ["--", "a", "--", "b"],
    ["a.py", "--model", "x", "b.py"],  # argparse takes FILEs from the first run only
    ["--model", "x", "a.py", "b.py", "--yes-always"],
    ["--verbose", "--", "a"], ["--model", "x", "--", "a", "--", "b"],
    ["--set-env", "A=1", "--api-key", "openai=sk", "--api-key=anthropic=k"],
    ["--bogus"], ["--bogus", "value"], ["-5"], ["-"], [""], ["-q"],
    ["--restore-chat-history"], ["--no-restore"],
    ["--architect", "--edit-format", "diff"], ["--edit-format", "diff", "--architect"],
    ["--env-file", ".env.local", "--openai-api-base", "http://x/v1", "--openai-api-key", "k"],
    ["--input-history-file", "in.txt", "--llm-history-file", "l.txt"],
    ["--alias", "fast:gpt-4o-mini", "--model", "fast"],
    ["--timeout", "-1"], ["--list-models", "gpt"], ["--test-cmd", "pytest -q"],
    ["--no-git", "sub/dir"], ["--gui"], ["--browser"], ["--no-browser"],
]


@pytest.fixture(scope="module")
def aider_parser() -> Any:
    from aider.args import get_parser

    return get_parser([], None)


def aiders_reading(parser: Any, argv: list[str]) -> tuple[Any, list[str]] | None:
    """aider's own parse (no env, no config files), or None if it stops with an error."""
    try:
        return parser.parse_known_args(argv, env_vars={})
    except SystemExit:
        return None


@pytest.mark.parametrize("argv", CORPUS, ids=repr)
def test_reading_matches_aiders_own_parser(aider_parser: Any, argv: list[str], capsys):
    ours = parse_aider_argv(argv)
    theirs = aiders_reading(aider_parser, argv)
    capsys.readouterr()  # argparse's usage text on errors
    if theirs is None:
        assert ours.errors, f"aider rejects {argv}, we did not notice"
        return
    assert not ours.errors, ours.errors
    namespace, extras = theirs
    assert list(ours.unknown) == extras
    assert list(ours.positionals) == namespace.files
    for opt in OPTIONS:
        if opt.kind in ("help", "version"):
            continue
        expected = getattr(namespace, opt.dest)
        got = ours.values.get(opt.dest, aider_parser.get_default(opt.dest))
        assert got == expected, f"{opt.dest}: ours {got!r}, aider's {expected!r}"


def test_values_that_look_like_files_are_values():
    args = parse_aider_argv(["--model", "main.py", "--message-file", "task.md",
                             "--chat-history-file", "notes.md", "--env-file", "x.env",
                             "real.py", "--file", "other.py"])
    assert args.files == ("real.py", "other.py")
    assert (args.model, args.message_file, args.chat_history_file, args.env_file) == (
        "main.py", "task.md", "notes.md", "x.env")


def test_typed_view_of_everything_the_launcher_reads():
    args = parse_aider_argv([
        "--read", "a.md", "--read=b.md", "--weak", "w", "-mhi", "-c", "conf.yml",
        "--openai-api-base=http://h/v1", "--openai-api-key", "k", "--api-key", "x=1",
        "--set-env", "A=1", "--no-restore-chat-history", "--input-history-file", "in",
        "--chat-history-file=h.md", "--model", "m", "-f", "task.txt", "--env-file", "e",
    ])
    assert args.ok
    assert args.read == ("a.md", "b.md")
    assert (args.weak_model, args.message, args.config, args.model) == ("w", "hi", "conf.yml", "m")
    assert (args.openai_api_base, args.openai_api_key) == ("http://h/v1", "k")
    assert (args.api_key, args.set_env) == (("x=1",), ("A=1",))
    assert args.restore_chat_history is False
    assert (args.input_history_file, args.chat_history_file) == ("in", "h.md")
    assert (args.message_file, args.env_file) == ("task.txt", "e")


def test_exact_spellings_are_what_configargparse_counts():
    # `--weak` is an abbreviation: a config file's weak-model would still be merged in.
    args = parse_aider_argv(["--weak", "w", "--read=x", "--", "--model"])
    assert args.exact == frozenset({"read", "model"})
    assert args.given("weak_model") and not args.given("model")


def test_help_and_version_are_seen():
    assert parse_aider_argv(["--help"]).given("help")
    assert parse_aider_argv(["--vers"]).given("version")


@pytest.mark.parametrize(("token", "dest"), [
    ("--read", "read"), ("--read=x", "read"), ("--chat-hist", "chat_history_file"),
    ("-m", "message"), ("-mfoo", "message"), ("--msg", "message"), ("--mod", None),
    ("--nope", None), ("plain", None),
])
def test_the_option_a_token_names(token: str, dest: str | None):
    # Abbreviations name their option; an ambiguous one, an unknown one or a FILE none.
    args = parse_aider_argv([token, "v"])
    assert list(args.values) == ([dest] if dest else [])
