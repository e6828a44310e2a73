"""Configuration and launch profiles: which settings apply to this launch, and why.

Two TOML files feed it: the project's `.aidermem.toml` at the repository root
(committed, shared with the team) and the user's `paths.user_config_file()`.
Top-level keys are the base; `[profiles.NAME]` tables layer on top of it.

Precedence, lowest to highest (every key is decided on its own, and a list
replaces a list whole, never appends to it):

1. built-in defaults
2. top-level keys: user file, then project file
3. `[profiles.default]`: user file, then project file
4. `[profiles.NAME]` when a profile is named: user file, then project file
5. environment: AIDERMEM_STORE, AIDERMEM_BUDGET, AIDERMEM_CAPTURE, AIDERMEM_SUMMARY_MODEL
6. the launcher's own flags: `--mem-budget`, `--mem-no-capture`, `--mem-off`

So the project file beats the user file at the same level, and a more specific
profile beats a less specific one. Every resolved key carries its `Origin`. The order
of files and tables (1-4) is `paths.config_layers`, which the read path's cheap guess of
the store (`paths.guess_store`) follows too, without this module's imports.

This module reads the two files and nothing else: it never writes, never
creates directories, never runs aider, and never checks whether `read` files
or the store exist (the launcher and the store do that). Problems are raised
as ConfigError (files, environment) or UsageError (command line), never
swallowed.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from aidermem import paths
from aidermem.errors import AidermemError, ConfigError, UsageError
from aidermem.models import normalize_topic

PROJECT_FILE = paths.PROJECT_FILE
DEFAULT_PROFILE = paths.DEFAULT_PROFILE
PROFILE_ENV = paths.PROFILE_ENV
MAX_BUDGET_TOKENS = 32_000
MAX_LLM_TIMEOUT = 3_600.0

# The environment overrides single values; the list is kept short on purpose.
ENV_VARS: dict[str, str] = paths.SETTING_ENV
# How a command-line override is named in provenance; other keys say "command line".
CLI_FLAGS: dict[str, str] = {
    "budget_tokens": "--mem-budget",
    "enabled": "--mem-off",
    "capture": "--mem-no-capture",
}

Capture = Literal["on", "ask", "off"]
SummarizeMode = Literal["background", "foreground"]
LayerName = Literal["default", "user", "project", "env", "cli"]
_Text = Annotated[str, StringConstraints(min_length=1)]
_Budget = Annotated[int, Field(ge=1, le=MAX_BUDGET_TOKENS)]
_Timeout = Annotated[float, Field(gt=0, le=MAX_LLM_TIMEOUT)]
_Share = Annotated[float, Field(ge=0, le=1)]
_Scope = Literal["project", "all"] | Annotated[list[_Text], Field(min_length=1)]
_ProfileName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+$")]
# A flag and its value typed as one list item: "--model gpt-4o" instead of two items.
_GLUED_FLAG = re.compile(r"^(-{1,2}[A-Za-z][\w-]*)\s+(\S.*)$")
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)$")
Warn = Callable[[str], None] | None  # where warnings go; None: a problem is an error


class _Layer(BaseModel):
    """One table of settings as written in a file: every key optional, types strict."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    # Each description is the "expected ..." text shown when a value is rejected.
    enabled: bool | None = Field(None, description="true or false")
    aider_args: list[str] | None = Field(
        None, description='a list of strings, one per word, e.g. ["--model", "openai/gpt-4o"]'
    )
    read: list[_Text] | None = Field(None, description='a list of paths, e.g. ["CONVENTIONS.md"]')
    scope: _Scope | None = Field(
        None, description='"project", "all", or a non-empty list of project ids or names'
    )
    topics_prefer: list[_Text] | None = Field(None, description="a list of topics")
    topics_require: list[_Text] | None = Field(None, description="a list of topics")
    query_words: list[_Text] | None = Field(None, description="a list of words")
    budget_tokens: _Budget | None = Field(
        None, description=f"an integer from 1 to {MAX_BUDGET_TOKENS}"
    )
    summary_model: str | None = Field(
        None, description='a model name, or "" for aider\'s weak model'
    )
    capture: Capture | None = Field(None, description='"on", "ask" or "off"')
    store: _Text | None = Field(None, description="a directory path")
    summarize: SummarizeMode | None = Field(None, description='"background" or "foreground"')
    llm_timeout: _Timeout | None = Field(
        None, description=f"a number of seconds above 0, at most {MAX_LLM_TIMEOUT:g}"
    )
    semantic: bool | Literal["auto"] | None = Field(None, description='true, false or "auto"')
    live: Literal["on", "off"] | None = Field(None, description='"on" or "off"')
    live_budget: _Share | None = Field(None, description="a share of budget_tokens, 0 to 1")

    @field_validator("aider_args")
    @classmethod
    def _one_word_per_item(cls, value: list[str] | None) -> list[str] | None:
        for item in value or []:
            glued = _GLUED_FLAG.match(item)
            if glued:
                flag, rest = glued.groups()
                raise ValueError(
                    f"{item!r} holds a flag and its value in one string; "
                    f"write them as two items: {json.dumps([flag, rest])}"
                )
        return value

    @field_validator("topics_prefer", "topics_require")
    @classmethod
    def _normalize_topics(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        topics = [normalize_topic(t) for t in value]
        return list(dict.fromkeys(t for t in topics if t))

    @field_validator("summary_model")
    @classmethod
    def _blank_is_weak_model(cls, value: str | None) -> str | None:
        # TOML has no null: "" is how a profile says "back to aider's weak model".
        if value is None:
            return None
        return value.strip() or None


class _ProfileTable(_Layer):
    description: str | None = Field(None, description="a string")


class _FileModel(_Layer):
    profiles: dict[_ProfileName, _ProfileTable] = Field(
        default_factory=dict, description="tables such as [profiles.backend]"
    )


_SETTING_KEYS: tuple[str, ...] = tuple(_Layer.model_fields)


def _expected(key: str) -> str:
    info = _FileModel.model_fields.get(key) or _ProfileTable.model_fields[key]
    return f"expected {info.description}"


class Settings(BaseModel):
    """The effective settings for one launch; paths are absolute."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    aider_args: list[str] = Field(default_factory=list)
    read: list[Path] = Field(default_factory=list)
    scope: Literal["project", "all"] | list[str] = "project"
    topics_prefer: list[str] = Field(default_factory=list)
    topics_require: list[str] = Field(default_factory=list)
    query_words: list[str] = Field(default_factory=list)
    budget_tokens: int = 1500
    summary_model: str | None = None
    capture: Capture = "on"
    store: Path = Field(default_factory=paths.default_store_dir)
    summarize: SummarizeMode = "background"
    llm_timeout: float = 60.0
    # search fuses in vectors (fusion.py); "auto": while the index holds few enough memories
    semantic: bool | Literal["auto"] = "auto"
    live: Literal["on", "off"] = "on"  # memories join during the session (live_session.py)
    live_budget: float = 0.5  # the joined memories' own tokens, a share of budget_tokens


@dataclass(frozen=True)
class Origin:
    """Where one setting's value came from."""

    layer: LayerName
    location: str = ""  # file path, environment variable, or command-line flag
    key: str = ""  # dotted key inside a file, e.g. profiles.backend.budget_tokens

    @property
    def label(self) -> str:
        if self.layer == "default":
            return "default"
        if self.layer == "env":
            return f"env {self.location}"
        if self.layer == "cli":
            return f"command line {self.location}".rstrip()
        return f"{self.location}: {self.key}"


_Table = dict[str, tuple[Any, Origin]]  # one table's settings, each value with its Origin


@dataclass(frozen=True)
class ConfigFile:
    """One parsed, validated config file; relative paths already resolved."""

    path: Path
    layer: Literal["user", "project"]
    tables: dict[str, _Table]  # "" is the top level, other keys are profile names
    descriptions: dict[str, str]


@dataclass(frozen=True)
class ResolvedSettings:
    settings: Settings
    origins: dict[str, Origin]  # one per Settings field
    profile: str
    profile_source: str  # "default", "env AIDERMEM_PROFILE" or "command line"
    description: str | None = None
    files: list[Path] = field(default_factory=list)  # files read, highest precedence first


@dataclass(frozen=True)
class ProfileInfo:
    name: str
    sources: list[Path]  # files defining it, highest precedence first
    description: str | None = None


def project_file(project_root: Path) -> Path:
    return project_root / PROJECT_FILE


def _file_paths(project_root: Path | None) -> list[tuple[Path, Literal["user", "project"]]]:
    """Where config files may be, lowest precedence first."""
    layers: tuple[Literal["user", "project"], ...] = ("user", "project")
    return list(zip(paths.config_files(project_root), layers, strict=False))


def _show(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _suggest(word: str, choices: list[str]) -> str:
    begun_by_word = sorted((c for c in choices if len(word) >= 3 and c.startswith(word)), key=len)
    close = begun_by_word[:1] or difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def _allowed_keys(key_loc: tuple[str, ...]) -> list[str]:
    return [*_SETTING_KEYS, "description" if len(key_loc) == 3 else "profiles"]


def _key_loc(loc: tuple[str, ...]) -> tuple[str, ...]:
    """The part of a pydantic error location that is a TOML key (drop union/index parts)."""
    return loc[:3] if loc[0] == "profiles" and len(loc) > 2 else loc[:1]


def _file_error(exc: ValidationError, raw: dict[str, Any], where: str) -> ConfigError:
    """Turn pydantic's first complaint into one sentence naming file, key and what is allowed."""

    def file_order(error: Any) -> list[int]:  # report the problem that comes first in the file
        table: Any = raw
        order: list[int] = []
        for part in _key_loc(tuple(str(p) for p in error["loc"])):
            keys = list(table) if isinstance(table, dict) else []
            order.append(keys.index(part) if part in keys else len(keys))
            table = table.get(part) if isinstance(table, dict) else None
        return order

    errors = sorted(exc.errors(), key=file_order)
    first, loc = errors[0], tuple(str(p) for p in errors[0]["loc"])
    key_loc = _key_loc(loc)
    others = len({_key_loc(tuple(str(p) for p in e["loc"])) for e in errors} - {key_loc})
    more = f" (and {others} more problem{'s' * (others > 1)})" if others else ""
    if len(key_loc) == 3 and key_loc[2] == "[key]":
        return ConfigError(
            f"{where}: invalid profile name {loc[1]!r}{more}",
            "profile names may use letters, digits, '-' and '_'",
        )
    fld, dotted = key_loc[-1], ".".join(key_loc)
    if first["type"] == "extra_forbidden":
        allowed = _allowed_keys(key_loc)
        return ConfigError(
            f"{where}: unknown key {dotted}{more}",
            f"{_suggest(fld, allowed)}allowed keys: {', '.join(sorted(allowed))}",
        )
    value: object = raw
    for part in key_loc:
        value = value.get(part) if isinstance(value, dict) else None
    hint = str(first["ctx"]["error"]) if first["type"] == "value_error" else _expected(fld)
    return ConfigError(f"{where}: invalid value for {dotted}: {_show(value)}{more}", hint)


def _toml_error(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> ConfigError:
    reason = str(exc)
    pos = _TOML_POSITION.search(reason)
    if pos:
        line, column = int(pos.group(1)), int(pos.group(2))
    else:  # "(at end of document)": point at the last character
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
    reason = re.sub(r"\s*\(at [^)]*\)$", "", reason)
    return ConfigError(
        f"{path}: invalid TOML at line {line}, column {column}: {reason}",
        "fix the syntax (see https://toml.io)",
    )


def _absolute(value: str, base_dir: Path) -> Path:
    return (base_dir / Path(value).expanduser()).resolve()


def _in_file(layer: LayerName, where: str, prefix: str, key: str) -> Origin:
    return Origin(layer, where, prefix + key)


def _table(
    layer: _Layer, base_dir: Path, origin: Callable[[str], Origin], skip: str = ""
) -> _Table:
    """The keys a table actually sets, relative paths made absolute, each with its origin."""
    values = {k: getattr(layer, k) for k in layer.model_fields_set if k != skip}
    if "read" in values:
        values["read"] = [_absolute(p, base_dir) for p in values["read"]]
    if "store" in values:
        values["store"] = _absolute(values["store"], base_dir)
    return {k: (v, origin(k)) for k, v in values.items()}


def _without_unknown_keys(exc: ValidationError, raw: dict[str, Any], where: str,
                          warn: Callable[[str], None]) -> _FileModel:
    """The file validated without the keys we do not know, each one warned about."""
    unknown = [_key_loc(tuple(str(p) for p in e["loc"]))
               for e in exc.errors() if e["type"] == "extra_forbidden"]
    unknown.sort(key=len)  # file order: top-level keys come before any [profiles.x] table
    if not unknown:
        raise _file_error(exc, raw, where) from exc
    for key_loc in unknown:  # `raw` is the caller's fresh parse: changed in place
        table = raw if len(key_loc) == 1 else raw["profiles"][key_loc[1]]
        table.pop(key_loc[-1], None)
        close = _suggest(key_loc[-1], _allowed_keys(key_loc)).strip()
        warn(f"{where}: unknown key {'.'.join(key_loc)} ignored{f' ({close})' if close else ''}"
             " — fix it: launching aider refuses this file until then")
    try:
        return _FileModel.model_validate(raw)
    except ValidationError as again:  # a wrong value is an error even here
        raise _file_error(again, raw, where) from again


def load_file(path: Path, layer: Literal["user", "project"], *,
              unknown_keys: Warn = None) -> ConfigFile | None:
    """One config file, read and validated; None if it does not exist (unknown_keys: resolve)."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # editors on Windows add a BOM
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text", "save the file as UTF-8") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", "check the file") from exc
    try:
        raw = tomllib.loads(text)
        model = _FileModel.model_validate(raw)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(path, text, exc) from exc
    except ValidationError as exc:
        if unknown_keys is None:
            raise _file_error(exc, raw, str(path)) from exc
        model = _without_unknown_keys(exc, raw, str(path), unknown_keys)
    base_dir, where = path.parent.resolve(), str(path)
    tables = {"": _table(model, base_dir, partial(_in_file, layer, where, ""), "profiles")}
    for name, t in model.profiles.items():
        origin = partial(_in_file, layer, where, f"profiles.{name}.")
        tables[name] = _table(t, base_dir, origin, "description")
    descriptions = {n: t.description for n, t in model.profiles.items() if t.description}
    return ConfigFile(path, layer, tables, descriptions)


def load_files(project_root: Path | None, *, unknown_keys: Warn = None) -> list[ConfigFile]:
    """The config files that exist, lowest precedence first (user, then project)."""
    found = [load_file(path, layer, unknown_keys=unknown_keys)
             for path, layer in _file_paths(project_root)]
    return [f for f in found if f is not None]


def _override(
    key: str, value: object, cwd: Path, origin: Origin, error: type[AidermemError]
) -> _Table:
    """One environment or command-line value, checked with the same rules as the files."""
    if isinstance(value, Path):
        value = str(value)
    elif isinstance(value, list | tuple):
        value = [str(v) if isinstance(v, Path) else v for v in value]
    try:
        layer = _Layer.model_validate({key: value})
    except ValidationError as exc:
        first = exc.errors()[0]
        hint = str(first["ctx"]["error"]) if first["type"] == "value_error" else _expected(key)
        raise error(f"{origin.label}: invalid value {_show(value)}", hint) from exc
    return _table(layer, cwd, lambda _k: origin)


def _overrides(env: Mapping[str, str], cli: Mapping[str, object], cwd: Path) -> list[_Table]:
    from_env: _Table = {}
    for var, key in ENV_VARS.items():
        raw = env.get(var, "").strip()
        if raw:  # an empty variable counts as unset
            value = int(raw) if key == "budget_tokens" and re.fullmatch(r"[+-]?\d+", raw) else raw
            from_env |= _override(key, value, cwd, Origin("env", var), ConfigError)
    from_cli: _Table = {}
    for key, given in cli.items():
        if key not in _SETTING_KEYS:
            raise ValueError(f"unknown command-line override {key!r}")  # a programming error
        origin = Origin("cli", CLI_FLAGS.get(key, ""))
        from_cli |= _override(key, given, cwd, origin, UsageError)
    return [from_env, from_cli]


def cli_overrides(*, mem_off: bool = False, mem_no_capture: bool = False,
                  mem_budget: int | None = None) -> dict[str, object]:
    """The `cli` mapping for `resolve` from the launcher's flags (`--mem-profile` is separate)."""
    given = {"enabled": False if mem_off else None, "capture": "off" if mem_no_capture else None}
    return {k: v for k, v in (given | {"budget_tokens": mem_budget}).items() if v is not None}


def _profile_names(files: list[ConfigFile]) -> list[str]:
    names = {n for f in files for n in f.tables if n} - {DEFAULT_PROFILE}
    return [DEFAULT_PROFILE, *sorted(names)]


def resolve(
    *,
    cwd: Path,
    project_root: Path | None,
    profile: str | None,
    env: Mapping[str, str],
    cli: Mapping[str, object],
    unknown_keys: Warn = None,
) -> ResolvedSettings:
    """The effective settings for a launch, each with the layer it came from.

    `profile` is the name given on the command line (None when not given);
    `cli` maps Settings keys to the launcher's flag values, e.g.
    {"budget_tokens": 800, "enabled": False}. Relative paths from the
    environment or command line are taken relative to `cwd`. Given `unknown_keys`
    (read-only commands), keys this version does not know are warned about through it
    and ignored; else they are an error, as for a launch.
    """
    files = load_files(project_root, unknown_keys=unknown_keys)
    name, selected_by = paths.selected_profile(profile, env)
    names = _profile_names(files)
    if name not in names:
        searched = ", ".join(str(p) for p, _ in reversed(_file_paths(project_root)))
        raise ConfigError(
            f"profile {name!r} is not defined (selected by {selected_by}; searched {searched})",
            f"{_suggest(name, names)}available profiles: {', '.join(names)}",
        )
    layers = [table for _, table in paths.config_layers([(f, f.tables) for f in files], name)]
    merged: _Table = {k: (None, Origin("default")) for k in _SETTING_KEYS}
    for layer in [*layers, *_overrides(env, cli, cwd)]:
        merged |= layer
    values = {k: v for k, (v, origin) in merged.items() if origin.layer != "default"}
    return ResolvedSettings(
        settings=Settings(**values),
        origins={k: origin for k, (_, origin) in merged.items()},
        profile=name,
        profile_source=selected_by,
        description=_description(files, name),
        files=[f.path for f in reversed(files)],
    )


def _description(files: list[ConfigFile], name: str) -> str | None:
    return next((f.descriptions[name] for f in reversed(files) if name in f.descriptions), None)


def list_profiles(*, project_root: Path | None, unknown_keys: Warn = None) -> list[ProfileInfo]:
    """Every profile defined for this project, `default` first, then by name.

    `default` is always listed: it is the top level plus `[profiles.default]`.
    A profile defined in both files takes its description from the project file.
    """
    files = load_files(project_root, unknown_keys=unknown_keys)
    infos = []
    for name in _profile_names(files):
        holders = [f.path for f in reversed(files)
                   if name in f.tables or (name == DEFAULT_PROFILE and f.tables[""])]
        infos.append(ProfileInfo(name, holders, _description(files, name)))
    return infos
