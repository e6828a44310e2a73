"""Project identity: which project a directory belongs to, and where its memories live.

A project's id must be the same on every clone and every machine, so it comes
from the `origin` remote, normalized (`git@github.com:Acme/Shop.git` and
`https://github.com/acme/shop` are one project). Without a remote the id is the
repository's absolute path. `normalize_remote` and `project_dirname` are pure;
`identify` asks git (through gitutil) and never raises for "not a repo".
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from aidermem import gitutil

GLOBAL_DIRNAME = "_global"
_MAX_READABLE = 60
_HASH_LEN = 10

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# scp-like syntax: [user@]host:path  (no "://"; a slash before the colon makes it a path)
_SCP = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>.*)$")
_WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]")


@dataclass(frozen=True)
class Project:
    id: str  # stable identity, e.g. github.com/acme/shop or /home/me/code/shop
    name: str  # readable name, e.g. shop
    root: Path | None  # work tree root, None outside git


def normalize_remote(url: str) -> str:
    """A remote URL reduced to `host/path`, lowercase, without credentials, port or `.git`.

    Local remotes (`/srv/git/x.git`, `file:///srv/git/x.git`) become their
    path without `.git`, case kept (file systems are case-sensitive).
    """
    url = url.strip()
    if not url:
        return ""
    if _WINDOWS_PATH.match(url):
        return _local_id(url.replace("\\", "/"))
    if _URL.match(url):
        parts = urlsplit(url)
        if parts.scheme.lower() == "file":
            return _local_id(unquote(parts.path))
        host = (parts.hostname or "").lower()  # hostname drops user:password@ and :port
        return _join(host, parts.path)
    m = _SCP.match(url)
    if m and not url.startswith((".", "~")):
        return _join(m.group("host").lower(), m.group("path"))
    return _local_id(url)


def _join(host: str, path: str) -> str:
    path = _strip_git(path.strip("/")).lower()
    return f"{host}/{path}" if host and path else host or path


def _strip_git(path: str) -> str:
    path = path.rstrip("/")
    if path.endswith(".git"):
        path = path[: -len(".git")]
    return path.rstrip("/")


def _local_id(path: str) -> str:
    return _strip_git(posixpath.normpath(path)) or path


def _remote_name(url: str) -> str:
    """The last path component of a remote, case kept: 'git@h:Acme/MyShop.git' -> 'MyShop'."""
    tail = _strip_git(url.strip().replace("\\", "/"))
    tail = tail.rsplit("/", 1)[-1]
    return tail.rsplit(":", 1)[-1] if "/" not in url else tail


def identify(cwd: Path) -> Project:
    """The project `cwd` belongs to (see the module docstring for the rules)."""
    cwd = Path(cwd).resolve()
    # Both questions at once (the remote is the same asked from anywhere in the repo).
    asked_url = gitutil.start_git(["config", "--get", "remote.origin.url"], cwd)
    root = gitutil.git_root(cwd)
    code, out = asked_url.result()
    if root is None:
        return Project(id=str(cwd), name=cwd.name or str(cwd), root=None)
    root = root.resolve()
    url = out.strip() if code == 0 else None
    if url:
        url = url.strip()
        if _is_relative_local(url):
            # A relative remote is relative to the repo; make it absolute so clones agree.
            url = os.path.normpath(root / url)
        pid = normalize_remote(url)
        name = _remote_name(url)
        if pid:
            return Project(id=pid, name=name or root.name, root=root)
    return Project(id=str(root), name=root.name or str(root), root=root)


def _is_relative_local(url: str) -> bool:
    return url.startswith(("./", "../")) or url in (".", "..")


def project_dirname(project_id: str) -> str:
    """The store folder for a project: readable, filesystem safe and injective.

    `github.com/acme/shop` -> `github.com-acme-shop`. When the readable form
    cannot be turned back into the id (uppercase, `-` or `_` in the id, a
    leading `/`, truncation), `_<hash>` is appended. Readable-only names never
    contain `_`, so the two forms cannot collide; "" (global) is `_global`.
    """
    if not project_id:
        return GLOBAL_DIRNAME
    # No leading dot (a hidden folder would be skipped) and no trailing dot (Windows).
    readable = re.sub(r"[^a-z0-9.]+", "-", project_id.lower()).strip("-.")
    if readable.replace("-", "/") == project_id and len(readable) <= _MAX_READABLE:
        return readable
    digest = hashlib.sha256(project_id.encode("utf-8", "surrogatepass")).hexdigest()
    short = readable[:_MAX_READABLE].rstrip("-.") or "project"
    return f"{short}_{digest[:_HASH_LEN]}"
