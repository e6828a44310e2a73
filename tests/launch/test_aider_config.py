"""aider_config: the values aider really uses, cross-checked against aider itself.

The oracle runs aider/main.py's own sequence with aider's own functions
(get_git_root, get_parser, load_dotenv_files) in a chdir'd, re-environed
process; a subprocess runs aider's real main() for the repository switch; and
an end-to-end test shows the fake LLM receiving both the configured read file
and the launcher's extra one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aider_harness import (
    AIDER,
    aider_flags,
    exit_aider,
    make_git_repo,
    send_message,
    spawn,
    wait_prompt,
)
from fakellm import FakeLLM

from aidermem.errors import ConfigError
from aidermem.launch.aider_args import LaunchArgs, split_launch_argv
from aidermem.launch.aider_config import configured_reads, resolve_values
from aidermem.launch.aider_options import OPTIONS


def aider_oracle(argv: list[str], cwd: Path, env: dict[str, str],
                 monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, dict[str, str]] | None:
    """(args, parser, environ) as aider's main() computes them; None if aider exits."""
    from aider.args import get_parser
    from aider.main import get_git_root, load_dotenv_files

    monkeypatch.chdir(cwd)
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        git_root = get_git_root()
        conf = Path(".aider.conf.yml")
        files = [conf.resolve()]
        if git_root and Path(git_root) / conf not in files:
            files.append(Path(git_root) / conf)
        files.append(Path.home() / conf)
        parser = get_parser([str(f) for f in reversed(files)], git_root)
        try:
            args, _ = parser.parse_known_args(argv)
            load_dotenv_files(git_root, args.env_file, args.encoding)
            args = parser.parse_args(argv)
        except SystemExit:
            return None
        return args, parser, dict(os.environ)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def assert_same_as_aider(argv: list[str], cwd: Path, env: dict[str, str],
                         monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Any:
    ours = resolve_argv(argv, cwd, env)
    seen = aider_oracle(argv, cwd, env, monkeypatch)
    capsys.readouterr()
    if seen is None:
        assert ours.problems, "aider refuses this setup and we did not notice"
        return ours
    args, parser, environ = seen
    assert not ours.problems
    for opt in OPTIONS:
        if opt.kind not in ("help", "version"):
            got = ours.args.values.get(opt.dest, parser.get_default(opt.dest))
            assert got == getattr(args, opt.dest), opt.dest
    assert list(ours.read) == [str((cwd / Path(r).expanduser()).resolve())
                               for r in args.read or []]
    assert ours.chat_history_file == Path(os.path.normpath(cwd / args.chat_history_file))
    assert ours.input_history_file == Path(os.path.normpath(cwd / args.input_history_file))
    assert ours.env_file == (cwd / args.env_file).resolve()
    assert (ours.model, ours.weak_model) == (args.model, args.weak_model)
    assert ours.restore_chat_history == args.restore_chat_history
    from_dotenv = {k: v for k, v in environ.items() if env.get(k) != v}
    assert {k: ours.environ.get(k) for k in from_dotenv} == from_dotenv
    return ours


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_git_repo(tmp_path / "repo")


@pytest.fixture
def home(isolated_home: Path) -> Path:
    return isolated_home


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


Setup = Callable[[Path, Path], tuple[list[str], Path, dict[str, str]]]


def config_read(repo: Path, home: Path):
    write(repo / ".aider.conf.yml", "read: [CONVENTIONS.md, docs/style.md]\n")
    return [], repo, {}


def env_read_replaces_config(repo: Path, home: Path):
    write(repo / ".aider.conf.yml", "read: [CONVENTIONS.md]\n")
    return [], repo, {"AIDER_READ": "[a.md, b.md]"}


def env_read_single(repo: Path, home: Path):
    return [], repo, {"AIDER_READ": "only.md"}


def cli_read_replaces_both(repo: Path, home: Path):
    write(repo / ".aider.conf.yml", "read: [CONVENTIONS.md]\n")
    return ["--read", "x.md", "--read=y.md"], repo, {"AIDER_READ": "[a.md]"}


def config_layers(repo: Path, home: Path):
    write(home / ".aider.conf.yml",
          "model: home-model\nweak-model: home-weak\nchat-history-file: home.md\n")
    write(repo / ".aider.conf.yml", "model: root-model\nweak-model: root-weak\n")
    write(repo / "sub" / ".aider.conf.yml", "model: sub-model\n")
    return [], repo / "sub", {}


def config_flag_on_top(repo: Path, home: Path):
    config_layers(repo, home)
    write(repo / "sub" / "extra.yml", "model: extra-model\nread: ~/notes.md\n")
    return ["-c", "extra.yml"], repo / "sub", {}


def dotenv_layers(repo: Path, home: Path):
    write(home / ".env", "AIDER_MODEL=home-env\n")
    write(repo / ".env", "AIDER_MODEL=root-env\n")
    write(repo / "sub" / ".env", "AIDER_MODEL=sub-env\nAIDER_WEAK_MODEL=sub-weak\n")
    # .env files override the real environment; with the default --env-file the
    # git root's .env is loaded last, so it beats the cwd's.
    return [], repo / "sub", {"AIDER_MODEL": "real-env"}


def env_file_flag(repo: Path, home: Path):
    dotenv_layers(repo, home)
    write(repo / "sub" / "custom.env", "AIDER_MODEL=custom\n")
    return ["--env-file", "custom.env"], repo / "sub", {}


def env_file_from_config(repo: Path, home: Path):
    write(repo / ".aider.conf.yml", "env-file: other.env\n")
    write(repo / "other.env", "AIDER_CHAT_HISTORY_FILE=from-other-env.md\n")
    return [], repo, {}


def dotenv_interpolation_and_oauth(repo: Path, home: Path):
    write(home / ".aider" / "oauth-keys.env", "OPENROUTER_API_KEY=or-key\n")
    write(repo / ".env", "BASE=http://fake\nAIDER_OPENAI_API_BASE=${BASE}/v1\nEMPTY\n")
    return [], repo, {}


def no_git(repo: Path, home: Path):
    plain = repo.parent / "plain"
    write(plain / ".aider.conf.yml", "chat-history-file: logs/chat.md\n")
    return [], plain, {}


def abbreviation_and_list_quirk(repo: Path, home: Path):
    # `--weak` is an abbreviation, so configargparse still merges weak-model from
    # the file; the file also sets a list, so its settings go after ours and win.
    write(repo / ".aider.conf.yml", "read: [c.md]\nweak-model: conf-weak\n")
    return ["--weak", "cli-weak", "--chat-h", "cli.md"], repo, {}


def booleans(repo: Path, home: Path):
    write(repo / ".aider.conf.yml", "restore-chat-history: true\npretty: no\nmsg: hi\n")
    return [], repo, {"AIDER_RESTORE_CHAT_HISTORY": "false"}


def unknown_config_key(repo: Path, home: Path):
    write(repo / ".aider.conf.yml", "colour: red\n")
    return [], repo, {}


def scalar_read_and_home_read(repo: Path, home: Path):
    write(home / ".aider.conf.yml", "read: ~/global-notes.md\n")
    return ["--model", "m"], repo / "sub", {}


SETUPS: list[Setup] = [
    config_read, env_read_replaces_config, env_read_single, cli_read_replaces_both,
    config_layers, config_flag_on_top, dotenv_layers, env_file_flag, env_file_from_config,
    dotenv_interpolation_and_oauth, no_git, abbreviation_and_list_quirk, booleans,
    unknown_config_key, scalar_read_and_home_read,
]


@pytest.mark.parametrize("setup", SETUPS, ids=lambda f: f.__name__)
def test_resolution_matches_aider(setup: Setup, repo, home, monkeypatch, capsys):
    argv, cwd, extra = setup(repo, home)
    cwd.mkdir(parents=True, exist_ok=True)
    assert_same_as_aider(argv, cwd, {**os.environ, **extra}, monkeypatch, capsys)


def test_the_documented_outcomes(repo, home, monkeypatch, capsys):
    """Spot values, so a shared misunderstanding of aider cannot pass unnoticed."""
    env = dict(os.environ)
    argv, cwd, extra = config_layers(repo, home)
    got = resolve_argv(argv, cwd, {**env, **extra})
    assert (got.model, got.weak_model) == ("sub-model", "root-weak")
    assert got.chat_history_file == cwd / "home.md"  # relative to the cwd, not the file
    assert got.config_files == (cwd / ".aider.conf.yml", repo / ".aider.conf.yml",
                                home / ".aider.conf.yml")
    argv, cwd, extra = dotenv_layers(repo, home)
    got = resolve_argv(argv, cwd, {**env, **extra})
    assert (got.model, got.weak_model) == ("root-env", "sub-weak")
    assert got.dotenv_files == (home / ".env", cwd / ".env", repo / ".env")
    argv, cwd, extra = dotenv_interpolation_and_oauth(repo, home)
    got = resolve_argv(argv, cwd, {**env, **extra})
    assert got.openai_api_base == "http://fake/v1"
    assert got.environ["OPENROUTER_API_KEY"] == "or-key"
    (home / ".aider.conf.yml").unlink()  # drop chat-history-file: home.md
    got = resolve_argv([], repo / "sub", env)
    assert got.chat_history_file == repo / ".aider.chat.history.md"  # default: git root


def test_options_that_set_the_environment(repo):
    got = resolve_argv(["--set-env", "OPENAI_API_BASE=http://set/v1", "--api-key", "openai=sk",
                        "--api-key", "bad"], repo, dict(os.environ))
    assert got.openai_api_base == "http://set/v1"
    assert got.openai_api_key == got.environ["OPENAI_API_KEY"] == "sk"
    assert got.problems == ("invalid --api-key 'bad' (want provider=key)",)
    got = resolve_argv(["--openai-api-base", "http://cli/v1", "--openai-api-key", "k"], repo,
                       {**os.environ, "OPENAI_API_BASE": "http://env/v1"})
    assert (got.openai_api_base, got.openai_api_key) == ("http://cli/v1", "k")


def test_deprecated_model_flags_and_resolve_values(repo):
    got = resolve_values(split_launch_argv(["--mem-off", "--4o"]), repo, dict(os.environ))
    assert got.model == "gpt-4o"
    got = resolve_argv(["--sonnet", "--model", "mine"], repo, dict(os.environ))
    assert got.model == "mine"


@pytest.mark.parametrize(("text", "says"), [
    ("model: [a, b]\n", "cannot be a list"),
    ("pretty: maybe\n", "unexpected value 'maybe'"),
    ("- just\n- a list\n", "is not a YAML mapping"),
    ("model: [unclosed\n", "cannot read aider config"),
])
def test_a_config_aider_would_refuse_is_a_config_error(repo, text: str, says: str):
    write(repo / ".aider.conf.yml", text)
    with pytest.raises(ConfigError) as err:
        resolve_argv([], repo, dict(os.environ))
    assert says in err.value.message
    assert str(repo / ".aider.conf.yml") in err.value.message or "model" in err.value.message


def test_a_missing_config_flag_file_is_a_config_error(repo):
    with pytest.raises(ConfigError, match=r"cannot open aider config file nope\.yml"):
        resolve_argv(["--config", "nope.yml"], repo, dict(os.environ))


def resolve_argv(argv, cwd, env):
    """What aider started as `aider ARGV` in `cwd` with `env` will use."""
    return resolve_values(LaunchArgs(aider_argv=tuple(argv)), cwd, env)


# -- reads_to_pass ------------------------------------------------------------


def reads_to_pass(launch, cwd, env):
    """The read-only files aider would load with no extra --read: the launcher passes them
    again with its context file (launch/plan.py build_argv)."""
    return configured_reads(launch, resolve_values(launch, cwd, env))


@pytest.mark.parametrize("setup", [config_read, env_read_replaces_config, env_read_single,
                                   cli_read_replaces_both, scalar_read_and_home_read,
                                   config_flag_on_top],
                         ids=lambda f: f.__name__)
def test_passing_the_reads_again_keeps_aiders_reads(setup: Setup, repo, home, monkeypatch,
                                                    capsys):
    """aider's reads with our extra --read == its reads without it, plus ours."""
    argv, cwd, extra = setup(repo, home)
    cwd.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **extra}
    launch = split_launch_argv(argv)
    again = reads_to_pass(launch, cwd, env)
    ctx = str(cwd / "ctx.md")
    before = aider_oracle(argv, cwd, env, monkeypatch)
    after = aider_oracle([*(f"--read={r}" for r in again), f"--read={ctx}", *argv], cwd, env,
                         monkeypatch)
    capsys.readouterr()
    assert before is not None and after is not None

    def resolved(args: Any) -> set[str]:
        return {str((cwd / Path(r).expanduser()).resolve()) for r in args.read or []}

    assert resolved(after[0]) == resolved(before[0]) | {ctx}
    if "read" in launch.aider.exact:
        assert again == []


def test_reads_to_pass_values(repo, home):
    write(repo / ".aider.conf.yml", "read: [CONVENTIONS.md]\n")
    env = dict(os.environ)
    assert reads_to_pass(split_launch_argv([]), repo, env) == [str(repo / "CONVENTIONS.md")]
    assert reads_to_pass(split_launch_argv(["--read", "mine.md"]), repo, env) == []
    (repo / "x").mkdir()
    assert reads_to_pass(split_launch_argv(["--mem-off", "-m", "hi"]), repo / "x", env) == [
        str(repo / "x" / "CONVENTIONS.md")]  # relative to the cwd aider runs in


# -- against the real aider ---------------------------------------------------------

REAL_MAIN = """
import json, sys
from aider.main import main
coder = main(sys.argv[1:], return_coder=True)
print("RESULT=" + json.dumps({"history": str(coder.io.chat_history_file),
                              "root": coder.repo.root if coder.repo else None,
                              "model": coder.main_model.name}))
"""


@pytest.mark.e2e
def test_files_in_another_repository_move_the_history_there(tmp_path, aider_env, fake_llm):
    here, there = make_git_repo(tmp_path / "here"), make_git_repo(tmp_path / "there")
    write(there / "app.py", "print('hi')\n")
    argv = [*aider_flags(fake_llm), "--no-auto-commits", "--no-git-commit-verify",
            str(Path("..") / "there" / "app.py")]
    ours = resolve_argv(argv, here, aider_env)
    done = subprocess.run([sys.executable, "-c", REAL_MAIN, *argv], cwd=here, env=aider_env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    line = [x for x in done.stdout.splitlines() if x.startswith("RESULT=")]
    assert line, done.stdout + done.stderr
    real = json.loads(line[0].removeprefix("RESULT="))
    assert ours.git_root == there.resolve() == Path(real["root"])
    assert ours.chat_history_file == Path(real["history"]) == there / ".aider.chat.history.md"
    assert ours.model == real["model"] == "openai/fake"


@pytest.mark.e2e
def test_configured_and_extra_reads_both_reach_the_llm(git_repo, aider_env, fake_llm: FakeLLM,
                                                       tmp_path):
    write(git_repo / ".aider.conf.yml", "read: [CONVENTIONS.md]\n")
    write(git_repo / "CONVENTIONS.md", "Always use tabs, said CONVENTIONS-7f3a.\n")
    ctx = write(tmp_path / "ctx" / "aidermem-context.md", "Remembered: CONTEXT-91bd.\n")
    launch = split_launch_argv(aider_flags(fake_llm))
    again = reads_to_pass(launch, git_repo, aider_env)
    assert again == [str(git_repo / "CONVENTIONS.md")]

    # Without passing them again, aider drops the configured read: the reason for reads_to_pass.
    alone = subprocess.run([AIDER, *launch.aider_argv, f"--read={ctx}", "-m", "first"],
                           cwd=git_repo, env=aider_env, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=60)
    assert alone.returncode == 0, alone.stdout + alone.stderr
    (first,) = fake_llm.chat_requests()
    assert "CONTEXT-91bd" in first.text
    assert "CONVENTIONS-7f3a" not in first.text

    cmd = [AIDER, *(f"--read={r}" for r in again), f"--read={ctx}", *launch.aider_argv]
    child = spawn(cmd, cwd=git_repo, env=aider_env)
    wait_prompt(child)
    send_message(child, "what do you remember?")
    second = fake_llm.chat_requests()[-1]
    assert "what do you remember?" in second.last_user_text
    assert "CONVENTIONS-7f3a" in second.text
    assert "CONTEXT-91bd" in second.text
    assert exit_aider(child) == 0


def test_a_known_root_gives_the_same_answer_as_asking_git(repo, tmp_path):
    """The launcher passes the root it already asked git for; nothing may change."""
    from aidermem.project import identify

    write(repo / ".aider.conf.yml", "read: [CONVENTIONS.md]\nmodel: from-config\n")
    write(repo / "sub" / "x.py", "")
    outside = tmp_path / "plain"
    outside.mkdir()
    for cwd in (repo, repo / "sub", outside):
        args = split_launch_argv(["--model", "m", "--no-git"] if cwd == outside else [])
        asked = resolve_values(args, cwd, dict(os.environ))
        assert resolve_values(args, cwd, dict(os.environ), cwd_root=identify(cwd).root) == asked
    assert asked.git_root is None
    assert resolve_values(split_launch_argv([]), repo, {}).read_configured == (
        str(repo.resolve() / "CONVENTIONS.md"),)
