"""Resolve the settings aider will actually use, with aider's own precedence.

aider (0.86) builds its settings with configargparse, in three passes
(aider/main.py). This module reproduces that, for any option in the table:

1. Command line (any spelling: `--opt v`, `--opt=v`, abbreviations).
2. Environment `AIDER_*` variables, including those set by the `.env` files
   aider loads *over* the real environment (`load_dotenv(override=True)`):
   ~/.aider/oauth-keys.env, ~/.env, <git root>/.env, ./.env, --env-file, later
   ones winning (duplicates keep their last position, so with the default
   --env-file the git root's .env beats the cwd's).
3. `.aider.conf.yml`: the file named by --config/-c beats ./.aider.conf.yml,
   which beats <git root>/.aider.conf.yml, which beats ~/.aider.conf.yml.
   --config adds a file on top of the search; it does not replace it.
4. Defaults: chat/input history and --env-file live in the git root (as found
   from the cwd), or in the cwd outside git.

A setting is taken from a lower layer only if no higher layer *names the option
exactly* (configargparse's test): so `--read` on the command line replaces the
`read:` list of the config and AIDER_READ instead of adding to it. Relative
paths are relative to the cwd aider runs in (not to the config file). If files
named on the command line live in another repository, aider restarts with that
repository as git root; so do we.

Edges: reads YAML/.env files and asks git for the work-tree root. Never imports
aider, never writes anything, never changes os.environ.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aidermem import gitutil
from aidermem.errors import ConfigError
from aidermem.launch.aider_args import AiderArgs, LaunchArgs, parse_aider_argv
from aidermem.launch.aider_options import DEPRECATED_MODEL_FLAGS, OPTIONS, AiderOption

CONF_NAME = ".aider.conf.yml"
CHAT_HISTORY_NAME = ".aider.chat.history.md"
INPUT_HISTORY_NAME = ".aider.input.history"

_CONFIG_KEYS: dict[str, AiderOption] = {k: o for o in OPTIONS for k in o.config_keys}
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


@dataclass(frozen=True)
class AiderValues:
    cwd: Path
    git_root: Path | None  # the repository aider will treat as the project
    config_files: tuple[Path, ...]  # .aider.conf.yml files read, highest precedence first
    dotenv_files: tuple[Path, ...]  # .env files loaded, in load order (later wins)
    args: AiderArgs  # the merged command line aider ends up parsing
    environ: Mapping[str, str]  # aider's environment after .env, --set-env, --api-key, …
    read: tuple[str, ...]  # absolute paths, in order (directories not expanded)
    read_configured: tuple[str, ...]  # the part of `read` from env/.env/config files
    chat_history_file: Path  # absolute
    input_history_file: Path  # absolute
    env_file: Path  # absolute
    model: str | None  # None: aider picks a default from the API keys it finds
    weak_model: str | None  # None: aider derives it from the model
    openai_api_base: str | None
    openai_api_key: str | None
    restore_chat_history: bool
    problems: tuple[str, ...]  # what will make aider refuse to start

    def value(self, dest: str, default: Any = None) -> Any:
        """Any other option's resolved value (not its aider default)."""
        return self.args.values.get(dest, default)


_ASK_GIT = Path("/nonexistent/ask git")  # resolve_values' "no root known" marker


def resolve_values(launch_args: LaunchArgs, cwd: Path | str, env: Mapping[str, str], *,
                   cwd_root: Path | None = _ASK_GIT) -> AiderValues:
    """What aider, started as `aider <launch_args.aider_argv>` in `cwd` with `env`, will use
    (its command line as `launch_args` already parsed it).

    `cwd_root`: the git work-tree root of `cwd` (None: not in git) when the caller
    already asked git; saves asking again. Raises ConfigError for an aider config
    file aider itself would refuse (unreadable, not YAML, not a mapping, a bad
    boolean or list value).
    """
    return _resolve_parsed(launch_args.aider_argv, launch_args.aider, cwd, env, cwd_root)


def _resolve_parsed(aider_argv: Sequence[str], cli_args: AiderArgs, cwd: Path | str,
                    env: Mapping[str, str], cwd_root: Path | None) -> AiderValues:
    # The command line is parsed once (cli_args); the later passes parse what configargparse
    # would hand aider's argparse, as aider itself does (_resolve).
    cwd = Path(cwd).resolve()
    found = gitutil.git_root(cwd) if cwd_root is _ASK_GIT else cwd_root
    guess = found.resolve() if found else None
    config = _resolve(aider_argv, cli_args, cwd, env, guess)
    if config.args.values.get("git", True) is not False:
        actual = _repo_of_files(config.args.files, cwd)
        if actual is not None and actual != guess:
            config = _resolve(aider_argv, cli_args, cwd, env, actual)
    return config


def configured_reads(launch_args: LaunchArgs, values: AiderValues) -> list[str]:
    """The read-only files aider would load with no extra --read, to pass again.

    Adding `--read ctx.md` on the command line makes aider drop the `read:` list of
    .aider.conf.yml and AIDER_READ, so the launcher passes these along with its context
    file. Empty when the user's own argv names `--read`: those reads stay in the argv and
    aider was already ignoring the configured ones.
    """
    return [] if "read" in launch_args.aider.exact else list(values.read_configured)


# ---------------------------------------------------------------------------


def _resolve(cli: Sequence[str], cli_args: AiderArgs, cwd: Path, env: Mapping[str, str],
             git_root: Path | None) -> AiderValues:
    home = _home(env)
    configs = _load_configs(cli_args, cwd, home, git_root)
    # Pass 2 of aider: which .env files, read with which encoding.
    first = parse_aider_argv(_merge(cli, cli_args, env, configs))
    env_file = _path(first.env_file, cwd, home) if first.env_file else _default(
        ".env", cwd, git_root)
    encoding = str(first.values.get("encoding") or "utf-8")
    dotenvs = _dotenv_search(cwd, home, git_root, env_file)
    environ = dict(env)
    loaded = tuple(p for p in dotenvs if _load_dotenv(p, encoding, environ))
    # Pass 3: the same merge, with the .env values visible as environment.
    args = parse_aider_argv(_merge(cli, cli_args, environ, configs))
    problems = list(args.errors)
    if args.unknown:
        problems.append("unrecognized arguments: " + " ".join(args.unknown))
    problems += _apply_env_options(args, environ)
    reads = tuple(_read_path(r, cwd, home) for r in args.read)
    return AiderValues(
        cwd=cwd,
        git_root=git_root,
        config_files=tuple(p for p, _ in reversed(configs)),
        dotenv_files=loaded,
        args=args,
        environ=environ,
        read=reads,
        # Command-line reads come first: configargparse appends list settings after them.
        read_configured=reads[len(cli_args.read):],
        chat_history_file=_history(args.chat_history_file, CHAT_HISTORY_NAME, cwd, git_root),
        input_history_file=_history(args.input_history_file, INPUT_HISTORY_NAME, cwd,
                                    git_root),
        env_file=env_file,
        model=args.model or _deprecated_model(args),
        weak_model=args.weak_model,
        openai_api_base=environ.get("OPENAI_API_BASE"),
        openai_api_key=environ.get("OPENAI_API_KEY"),
        restore_chat_history=bool(args.restore_chat_history),
        problems=tuple(problems),
    )


def _home(env: Mapping[str, str]) -> Path:
    return Path(env["HOME"]) if env.get("HOME") else Path.home()


def _expanduser(value: str, home: Path) -> str:
    if value == "~" or value.startswith("~/"):
        return str(home) + value[1:]
    return str(Path(value).expanduser())


def _path(value: str, cwd: Path, home: Path) -> Path:
    """expanduser + resolve against the cwd: how aider treats --read, --config, --env-file."""
    return (cwd / _expanduser(value, home)).resolve()


def _read_path(value: str, cwd: Path, home: Path) -> str:
    return str(_path(value, cwd, home))


def _default(name: str, cwd: Path, git_root: Path | None) -> Path:
    return (git_root or cwd) / name


def _history(value: str | None, name: str, cwd: Path, git_root: Path | None) -> Path:
    # aider opens history files with Path(value): relative to the cwd, no "~" expansion.
    if value is None:
        return _default(name, cwd, git_root)
    return Path(os.path.normpath(cwd / value))


def _deprecated_model(args: AiderArgs) -> str | None:
    for dest, model in DEPRECATED_MODEL_FLAGS:
        if args.values.get(dest):
            return model
    return None


def _repo_of_files(files: Sequence[str], cwd: Path) -> Path | None:
    """The one repository holding the files named on the command line, as aider checks."""
    if not files:
        return None
    candidates = [cwd / f for f in files]
    if len(candidates) == 1 and candidates[0].is_dir():
        candidates = [candidates[0].resolve()]
    roots = set()
    for path in candidates:
        path = path.resolve()
        if not path.exists() and path.parent.exists():
            path = path.parent
        if path.exists():
            root = gitutil.git_root(path)
            if root is not None:
                roots.add(root.resolve())
    return roots.pop() if len(roots) == 1 else None


# -- .aider.conf.yml -------------------------------------------------------

Config = tuple[Path, dict[str, Any]]


def _load_configs(cli: AiderArgs, cwd: Path, home: Path, git_root: Path | None) -> list[Config]:
    """Config files in configargparse's list order: lowest precedence first."""
    search = [home / CONF_NAME]
    if git_root is not None:
        search.append(git_root / CONF_NAME)
    search.append(cwd / CONF_NAME)
    paths: list[Path] = []
    for path in search:
        if path.is_file() and path.resolve() not in paths:
            paths.append(path.resolve())
    if cli.config:
        named = _path(cli.config, cwd, home)
        if not named.is_file():
            raise ConfigError(f"cannot open aider config file {cli.config}",
                              "check the path given to --config/-c")
        paths = [p for p in paths if p != named] + [named]
    return [(p, _read_config(p)) for p in paths]


def _read_config(path: Path) -> dict[str, Any]:
    import yaml  # ~8 ms: only when a config file exists

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read aider config {path}: {' '.join(str(exc).split())}",
                          "fix the file; aider will not start with it either") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"aider config {path} is not a YAML mapping of key: value",
                          "fix the file; aider will not start with it either")
    # configargparse keeps lists, drops nulls and turns every other scalar into str.
    return {str(k): v if isinstance(v, list) else str(v)
            for k, v in data.items() if v is not None}


# -- merging, as configargparse does ----------------------------------------


def _merge(cli: Sequence[str], cli_args: AiderArgs, env: Mapping[str, str],
           configs: Sequence[Config]) -> list[str]:
    """The argv configargparse hands to argparse: env and config settings added.

    Settings become `--opt=value` tokens, skipped when an exact spelling of the
    option is already present. A batch that sets any list option is appended
    after the existing tokens, otherwise prepended (so later tokens win).
    """
    args = list(cli)
    batch: list[str] = []
    has_list = False
    on_cli = cli_args.exact
    for opt in OPTIONS:
        if opt.env_var is None or opt.env_var not in env or opt.dest in on_cli:
            continue
        raw = env[opt.env_var]
        has_list = has_list or opt.kind == "append"
        value = _env_list(raw) if opt.kind == "append" else raw
        batch += _setting_args(opt, opt.env_var, value, f"environment variable {opt.env_var}")
    args = args + batch if has_list else batch + args
    for path, items in reversed(configs):  # highest precedence first
        present = parse_aider_argv(args).exact
        batch, has_list = [], False
        for key, setting in items.items():
            target = _CONFIG_KEYS.get(key)
            if target is None:  # aider will reject the unknown key; keep it so we see that too
                if not any(a.split("=", 1)[0] == f"--{key}" for a in args):
                    batch += [f"--{key}={v}" for v in (setting if isinstance(setting, list)
                                                       else [setting])]
                continue
            if target.dest in present:
                continue
            batch += _setting_args(target, key, setting, f"{path}: {key}")
            has_list = has_list or target.kind == "append"
        args = args + batch if has_list else batch + args
    return args


def _env_list(value: str) -> str | list[Any]:
    """configargparse reads AIDER_READ='[a, b]' (JSON, or loosely comma-split) as a list."""
    if not (value.startswith("[") and value.endswith("]")):
        return value
    try:
        return list(json.loads(value))
    except (ValueError, TypeError):
        return [item.strip() for item in value[1:-1].split(",")]


def _setting_args(opt: AiderOption, key: str, value: str | list[Any], where: str) -> list[str]:
    cli_key = opt.strings[-1]
    if opt.kind in ("flag", "bool"):
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be true or false, not a list",
                              "aider will not start with this setting")
        if value.lower() in _TRUE:
            return [opt.strings[0] if opt.kind == "bool" else cli_key]
        if value.lower() in _FALSE:
            return [opt.strings[1]] if opt.kind == "bool" else []
        raise ConfigError(f"{where} has unexpected value {value!r}",
                          "use true/false, yes/no, on/off or 1/0")
    if isinstance(value, list):
        if opt.kind != "append":
            raise ConfigError(f"{where} cannot be a list", f"give {key} a single value")
        return [f"{cli_key}={item}" for item in value]
    return [f"{cli_key}={value}"]


# -- .env files ---------------------------------------------------------------


def _dotenv_search(cwd: Path, home: Path, git_root: Path | None, env_file: Path) -> list[Path]:
    candidates = [home / ".env"]
    if git_root is not None:
        candidates.append(git_root / ".env")
    candidates += [cwd / ".env", env_file]
    resolved = [p.resolve() for p in candidates]
    # A path listed twice keeps its last position.
    ordered = [p for i, p in enumerate(resolved) if p not in resolved[i + 1:]]
    oauth = home / ".aider" / "oauth-keys.env"
    if oauth.exists():
        ordered = [oauth.resolve(), *[p for p in ordered if p != oauth.resolve()]]
    return ordered


def _load_dotenv(path: Path, encoding: str, environ: dict[str, str]) -> bool:
    """Apply one .env file over `environ` (override, with ${VAR} interpolation)."""
    if not path.is_file():
        return False
    from dotenv import dotenv_values  # small, but only needed here
    from dotenv.variables import parse_variables

    try:
        raw = dotenv_values(path, interpolate=False, encoding=encoding)
    except (OSError, ValueError, LookupError):
        return False  # aider prints the error and carries on without the file
    resolved: dict[str, str | None] = {}
    for name, value in raw.items():
        if value is not None:
            scope: dict[str, str | None] = {**environ, **resolved}
            value = "".join(atom.resolve(scope) for atom in parse_variables(value))
        resolved[name] = value
    environ.update({k: v for k, v in resolved.items() if v is not None})
    return True


def _apply_env_options(args: AiderArgs, environ: dict[str, str]) -> list[str]:
    """The environment changes aider makes from its options, in aider's order."""
    problems = []
    for setting in args.set_env:
        name, eq, value = setting.partition("=")
        if not eq:
            problems.append(f"invalid --set-env {setting!r} (want NAME=value)")
            continue
        environ[name.strip()] = value.strip()
    for setting in args.api_key:
        provider, eq, key = setting.partition("=")
        if not eq:
            problems.append(f"invalid --api-key {setting!r} (want provider=key)")
            continue
        environ[f"{provider.strip().upper()}_API_KEY"] = key.strip()
    for dest, var in (("anthropic_api_key", "ANTHROPIC_API_KEY"),
                      ("openai_api_key", "OPENAI_API_KEY"),
                      ("openai_api_base", "OPENAI_API_BASE"),
                      ("openai_api_version", "OPENAI_API_VERSION"),
                      ("openai_api_type", "OPENAI_API_TYPE"),
                      ("openai_organization_id", "OPENAI_ORGANIZATION")):
        given = args.values.get(dest)
        if isinstance(given, str) and given:
            environ[var] = given
    return problems
