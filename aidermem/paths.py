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
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

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


def unconfigured(project_root: Path | None, env: Mapping[str, str]) -> bool:
    """True when no config file or setting variable applies: every setting is its default
    (so callers on a hot path can skip reading config, which costs pydantic's import)."""
    if any(env.get(name, "").strip() for name in CONFIG_ENV):
        return False
    if project_root is not None and (project_root / PROJECT_FILE).exists():
        return False
    return not user_config_file().exists()


def guess_store(project_root: Path | None, env: Mapping[str, str], cwd: Path) -> Path:
    """The store the settings most likely name, read from the config files without
    validating them: config.resolve is the authority (and reports bad files); this only
    lets a command start work on the store before that import-heavy resolution runs.
    Follows config's precedence for `store`: AIDERMEM_STORE, then the selected profile,
    `[profiles.default]` and the top level, project file over user file at each level."""
    value = env.get(STORE_ENV, "").strip()
    if value:
        return (cwd / Path(value).expanduser()).resolve()
    files = [user_config_file(), *([project_root / PROJECT_FILE] if project_root else [])]
    tables = [_toml_table(path) for path in files]
    profile = env.get(PROFILE_ENV, "").strip() or DEFAULT_PROFILE
    found = default_store_dir()
    for section in dict.fromkeys(["", DEFAULT_PROFILE, profile]):  # lowest precedence first
        for path, table in zip(files, tables, strict=True):
            profiles = table.get("profiles")
            layer = table if not section else (
                profiles.get(section) if isinstance(profiles, dict) else None)
            store = layer.get("store") if isinstance(layer, dict) else None
            if isinstance(store, str):
                found = (path.parent.resolve() / Path(store).expanduser()).resolve()
    return found


def _toml_table(path: Path) -> dict[str, object]:
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}  # missing or broken: config.resolve says what is wrong


def _platformdirs() -> ModuleType:
    import platformdirs  # ~7 ms; not needed when AIDERMEM_HOME is set

    return platformdirs
