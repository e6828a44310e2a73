"""Where aidermem keeps things on disk.

`AIDERMEM_HOME` puts everything (store, journal, index cache, user config)
under one directory, which is what tests and portable setups want. Without
it the platform's user data, cache and config dirs are used. This module only
computes paths (and tells whether any config file exists); it never creates
or writes anything.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import TypeVar

APP = "aidermem"
PROJECT_FILE = ".aidermem.toml"
# The settings' names outside config.py, which the read path must not import (pydantic):
# the variables that override single settings, the one that picks a profile, its default.
STORE_ENV = "AIDERMEM_STORE"
SETTING_ENV: dict[str, str] = {
    STORE_ENV: "store",
    "AIDERMEM_BUDGET": "budget_tokens",
    "AIDERMEM_CAPTURE": "capture",
    "AIDERMEM_SUMMARY_MODEL": "summary_model",
}
PROFILE_ENV = "AIDERMEM_PROFILE"
DEFAULT_PROFILE = "default"
CONFIG_ENV = (PROFILE_ENV, *SETTING_ENV)  # every variable that changes settings
F = TypeVar("F")
T = TypeVar("T")


def home() -> Path | None:
    value = os.environ.get("AIDERMEM_HOME")
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    h = home()
    return h if h else Path(_platformdirs().user_data_dir(APP))


def cache_dir() -> Path:
    value = os.environ.get("AIDERMEM_CACHE_DIR")
    if value:
        return Path(value).expanduser()
    h = home()
    return h / "cache" if h else Path(_platformdirs().user_cache_dir(APP))


def config_dir() -> Path:
    h = home()
    return h if h else Path(_platformdirs().user_config_dir(APP))


def named_tops() -> list[Path]:
    """The data and cache dirs that aidermem named (the platform's, or `cache` under
    AIDERMEM_HOME), not the ones a variable names: only those may have their own mode
    changed (AIDERMEM_HOME=/tmp must never make /tmp private)."""
    tops = [] if home() else [data_dir()]
    if not os.environ.get("AIDERMEM_CACHE_DIR"):
        tops.append(cache_dir())
    return tops


def default_store_dir() -> Path:
    return data_dir() / "store"


def journal_dir() -> Path:
    return data_dir() / "journal"


def user_config_file() -> Path:
    return config_dir() / "config.toml"


def index_dir_for(store_root: Path) -> Path:
    """Each store gets its own index, keyed by the store's resolved path."""
    key = hashlib.sha256(str(store_root.resolve()).encode()).hexdigest()[:16]
    return cache_dir() / "index" / key


def config_files(project_root: Path | None) -> list[Path]:
    """Where config files may be, lowest precedence first: the user's, then the project's."""
    return [user_config_file(), *([project_root / PROJECT_FILE] if project_root else [])]


def selected_profile(given: str | None, env: Mapping[str, str]) -> tuple[str, str]:
    """The profile in force and what selected it: the command line, else PROFILE_ENV, else
    the default profile."""
    if given:
        return given, "command line"
    if env.get(PROFILE_ENV, "").strip():
        return env[PROFILE_ENV].strip(), f"env {PROFILE_ENV}"
    return DEFAULT_PROFILE, "default"


def config_layers(files: Sequence[tuple[F, Mapping[str, T]]], profile: str) -> list[tuple[F, T]]:
    """The tables of config files that apply under `profile`, lowest precedence first.

    This is config's precedence, kept here so the cheap read path follows the same
    rules: the top level, then `[profiles.default]`, then `[profiles.<profile>]`, and
    at each level the files in the order given (config_files: user before project).
    `files` pairs each file with its tables by section ("" for the top level).
    """
    sections = dict.fromkeys(["", DEFAULT_PROFILE, profile])
    return [(file, tables[section]) for section in sections for file, tables in files
            if section in tables]


def unconfigured(project_root: Path | None, env: Mapping[str, str]) -> bool:
    """True when no config file or setting variable applies: every setting is its default
    (so callers on a hot path can skip reading config, which costs pydantic's import)."""
    if any(env.get(name, "").strip() for name in CONFIG_ENV):
        return False
    return not any(path.exists() for path in config_files(project_root))


def guess_store(project_root: Path | None, env: Mapping[str, str], cwd: Path) -> Path:
    """The store the settings most likely name, read from the config files without
    validating them: config.resolve is the authority (and reports bad files); this only
    lets a command start work on the store before that import-heavy resolution runs.
    The files' tables are taken in config's order (config_layers); STORE_ENV beats them."""
    value = env.get(STORE_ENV, "").strip()
    if value:
        return (cwd / Path(value).expanduser()).resolve()
    files = [(path, _sections(_toml_table(path))) for path in config_files(project_root)]
    found = default_store_dir()
    for path, table in config_layers(files, selected_profile(None, env)[0]):
        store = table.get("store")
        if isinstance(store, str):
            found = (path.parent.resolve() / Path(store).expanduser()).resolve()
    return found


def _sections(table: dict[str, object]) -> dict[str, dict[str, object]]:
    """A config file's tables by section: "" the top level, each profile's name its own."""
    profiles = table.get("profiles")
    named = {name: t for name, t in profiles.items() if name and isinstance(t, dict)} \
        if isinstance(profiles, dict) else {}
    return {"": table, **named}


def _toml_table(path: Path) -> dict[str, object]:
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}  # missing or broken: config.resolve says what is wrong


def _platformdirs() -> ModuleType:
    import platformdirs  # ~7 ms; not needed when AIDERMEM_HOME is set

    return platformdirs
