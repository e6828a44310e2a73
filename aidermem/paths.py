"""Where aidermem keeps things on disk.

`AIDERMEM_HOME` puts everything (store, journal, index cache, user config)
under one directory, which is what tests and portable setups want. Without
it the platform's user data, cache and config dirs are used. This module only
computes paths; it never creates or writes anything.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import platformdirs

APP = "aidermem"


def home() -> Path | None:
    value = os.environ.get("AIDERMEM_HOME")
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    h = home()
    return h if h else Path(platformdirs.user_data_dir(APP))


def cache_dir() -> Path:
    value = os.environ.get("AIDERMEM_CACHE_DIR")
    if value:
        return Path(value).expanduser()
    h = home()
    return h / "cache" if h else Path(platformdirs.user_cache_dir(APP))


def config_dir() -> Path:
    h = home()
    return h if h else Path(platformdirs.user_config_dir(APP))


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
