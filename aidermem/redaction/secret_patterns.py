"""detect-secrets' token patterns, without importing detect-secrets on every run.

redact.py scans with the regex denylists of detect-secrets' plugins (the
maintained list of token shapes). Importing detect-secrets costs ~80 ms, most of
an `aidermem add`, so the patterns are read from it once per installed version
and kept in the user cache dir; deleting that file only costs the import again.

Never: let a missing, damaged or unwritable cache change what is redacted. The
cache is used only when it names exactly this detect-secrets (its files' stats)
and this plugin list; anything else reads the library.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
from pathlib import Path

from aidermem import paths, private
from aidermem.atomic import write_atomic

# (kind, module, class) of each detect-secrets plugin whose denylist redact uses.
PLUGINS: tuple[tuple[str, str, str], ...] = (
    ("aws", "aws", "AWSKeyDetector"),
    ("azure", "azure_storage_key", "AzureStorageKeyDetector"),
    ("discord", "discord", "DiscordBotTokenDetector"),
    ("github", "github_token", "GitHubTokenDetector"),
    ("gitlab", "gitlab_token", "GitLabTokenDetector"),
    ("mailchimp", "mailchimp", "MailchimpDetector"),
    ("pypi", "pypi_token", "PypiTokenDetector"),
    ("sendgrid", "sendgrid", "SendGridDetector"),
    ("slack", "slack", "SlackDetector"),
    ("square", "square_oauth", "SquareOAuthDetector"),
    ("stripe", "stripe", "StripeDetector"),
    ("telegram", "telegram_token", "TelegramBotTokenDetector"),
    ("twilio", "twilio", "TwilioKeyDetector"),
)
CACHE_NAME = "detect-secrets-patterns.json"

Pattern = tuple[str, str, int]  # kind, regex source, re flags


def library_patterns() -> list[Pattern]:
    """(kind, pattern, flags) of every denylist regex of PLUGINS, as detect-secrets has them."""
    key = _installed_key()
    cache = paths.cache_dir() / CACHE_NAME
    if key is not None:
        cached = _read(cache, key)
        if cached is not None:
            return cached
    patterns = read_library()
    if key is not None:
        try:
            private.make_dirs(cache.parent)
            write_atomic(cache, json.dumps({"key": key, "patterns": patterns}).encode())
        except OSError:
            pass  # no cache: the next run reads the library again
    return patterns


def read_library() -> list[Pattern]:
    out: list[Pattern] = []
    for kind, module, name in PLUGINS:
        plugin = getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), name)
        out.extend((kind, p.pattern, int(p.flags)) for p in plugin().denylist)
    return out


def _installed_key() -> str | None:
    """What the cache must match: the plugin files' stats (a reinstall or upgrade rewrites
    them) and PLUGINS. None when detect-secrets cannot be located without importing it."""
    try:
        spec = importlib.util.find_spec("detect_secrets")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    plugins = Path(spec.origin).parent / "plugins"
    digest = hashlib.sha256(repr(PLUGINS).encode())
    try:
        for _, module, _ in PLUGINS:
            st = (plugins / f"{module}.py").stat()
            digest.update(f"{module}:{st.st_size}:{st.st_mtime_ns}:{st.st_ino}".encode())
    except OSError:
        return None
    return f"{plugins}:{digest.hexdigest()}"


def _read(cache: Path, key: str) -> list[Pattern] | None:
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data["key"] != key:
            return None
        patterns = [(str(k), str(p), int(f)) for k, p, f in data["patterns"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return patterns or None
