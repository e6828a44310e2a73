"""Project identity: which project a directory belongs to, and where its memories live.

A project's id must be the same on every clone and every machine, so it comes
from the `origin` remote, normalized (`git@github.com:Acme/Shop.git` and
`https://github.com/acme/shop` are one project). Without a remote the id is the
repository's absolute path: its main work tree's, for each of its linked
worktrees (`git worktree add`), so all worktrees of a repository are one
project. `normalize_remote` and `project_dirname` are pure;
`identify` asks git (through gitutil) and never raises for "not a repo".

An id can change under a checkout: a remote is added or changed, the folder
moves. So each checkout remembers every id it has had, in its own git config
(`aidermem.project`, one value per id, in `.git/config`: shared by its
worktrees, moved with the folder, never cloned or pushed), and those ids are
the project's `aliases`: its memories stay in scope under any of them. The
repository's own path is always an alias, so memories from before a remote
was added are found even if no id was remembered then. A fresh clone (of a
fork, say) starts with no aliases and takes no other checkout's memories.
A name given with `aidermem projects rename` is kept the same way
(`aidermem.name`), so the checkout's new memories carry it too. `remember`
and `name_checkout` write these records; nothing else here writes.
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
CONFIG_KEY = "aidermem.project"  # in the checkout's git config: every id it has had
NAME_KEY = "aidermem.name"  # in the checkout's git config: the name `projects rename` gave
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
    aliases: tuple[str, ...] = ()  # earlier ids of this checkout (see the module docstring)
    remembered: bool = True  # whether the checkout's git config already records `id`

    @property
    def ids(self) -> tuple[str, ...]:
        """Every id this project's memories may be stored under, its own first."""
        return (self.id, *self.aliases)


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
    asked = gitutil.start_git(["config", "--show-scope", "--get-regexp", _CONFIG_KEYS], cwd)
    root = gitutil.git_root(cwd)
    code, out = asked.result()
    if root is None:
        return Project(id=str(cwd), name=cwd.name or str(cwd), root=None)
    root = root.resolve()
    url, recorded, named = _read_config(out if code == 0 else "")
    main = main_worktree(root) or root  # every worktree of a repo is one project
    project = Project(id=str(main), name=main.name or str(main), root=root)
    if url:
        if _is_relative_local(url):
            # A relative remote is relative to the repo; make it absolute so clones agree.
            url = os.path.normpath(root / url)
        pid = normalize_remote(url)
        if pid:
            project = Project(id=pid, name=_remote_name(url) or root.name, root=root)
    aliases = tuple(i for i in dict.fromkeys([*recorded, str(root)]) if i and i != project.id)
    return Project(id=project.id, name=named or project.name, root=root, aliases=aliases,
                   remembered=project.id in recorded)


def main_worktree(root: Path) -> Path | None:
    """The main work tree of the repository whose linked worktree is `root`, read from
    the files git keeps (`.git` is a file naming `<common>/worktrees/<name>`, whose
    `commondir` names the common git dir), without starting git. None when `root` is
    not a linked worktree, or its common dir is a bare repository's."""
    try:
        pointer = (root / ".git").read_text(encoding="utf-8").strip()
    except (IsADirectoryError, FileNotFoundError, NotADirectoryError, PermissionError,
            UnicodeDecodeError):
        return None
    if not pointer.startswith("gitdir:"):
        return None
    gitdir = (root / pointer.removeprefix("gitdir:").strip()).resolve()
    try:
        common = (gitdir / (gitdir / "commondir").read_text(encoding="utf-8").strip()).resolve()
    except (OSError, UnicodeDecodeError):
        return None  # a submodule's .git file: its own repository, not a worktree
    return common.parent if common.name == ".git" else None


_CONFIG_KEYS = r"^(remote\.origin\.url|aidermem\.project|aidermem\.name)$"


def _read_config(out: str) -> tuple[str | None, list[str], str | None]:
    """(origin's url, the ids recorded, the name given) from `git config --show-scope
    --get-regexp` output.

    Ids and names count only from the repository's own config: one in the user's global
    config would make every repository an alias of every other."""
    url: str | None = None
    named: str | None = None
    recorded: list[str] = []
    for line in out.splitlines():
        scope, _, entry = line.partition("\t")
        key, _, value = entry.partition(" ")
        value = value.strip()
        if key == "remote.origin.url" and value:
            url = value  # the last one wins, as with `git config --get`
        elif key == CONFIG_KEY and value and scope in ("local", "worktree"):
            recorded.append(value)
        elif key == NAME_KEY and value and scope in ("local", "worktree"):
            named = value
    return url, recorded, named


def remember(project: Project) -> None:
    """Record the project's id in its checkout's git config, once per id, so the
    checkout still finds these memories after its remote changes or its folder moves.
    Best effort: a config that cannot be written (read-only, locked) only means the
    record waits for the next command."""
    if project.root is None or project.remembered:
        return
    gitutil.run_git_full(["config", "--local", "--add", CONFIG_KEY, project.id], project.root,
                         check=False, retries=0)


def name_checkout(project: Project, name: str) -> bool:
    """Make `name` the name this checkout gives its project's new memories; False when
    its git config could not be written."""
    if project.root is None:
        return False
    code, _, _ = gitutil.run_git_full(["config", "--local", NAME_KEY, name], project.root,
                                      check=False, retries=0)
    return code == 0


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
