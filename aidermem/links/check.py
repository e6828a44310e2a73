"""Memories' links to code: taking them at HEAD and checking them at every use.

A link (models.Link) records a file, optionally a symbol in it, the commit and blob it
was taken at and the symbol's fingerprints (fingerprint.py). Checked against a
repository's HEAD, it is in one of these states:

- fresh: the same code (the file's blob did not change, or the symbol's tokens did not);
- moved: the same code at another path: the link follows it silently;
- renamed: the same code under another name (the name-blanked fingerprint matches);
- changed: the code is not what it was when the note was written: the note is stale;
- gone: the file or the symbol is no longer there;
- unchecked: nothing to check against (no commits yet, not a repository, a path
  outside the repository).

Cheap by construction: a link whose file still has its blob is fresh without reading
the file; other files are parsed once per blob (linkcache), read from the work tree when
it holds that very blob (no git process) and from git otherwise. Other files are searched
for a moved symbol only when it left its own file, and only among the files changed
since the link's commit (all files of the language when that commit is not in the
clone, as in a shallow one). Git is reached through gitutil only.
"""

from __future__ import annotations

import hashlib
import stat
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol

from aidermem import gitutil
from aidermem.errors import UsageError
from aidermem.links import fingerprint
from aidermem.links.cache import FingerprintCache
from aidermem.links.fingerprint import Definition

if TYPE_CHECKING:
    from aidermem.models import Link

_MAX_BLOB = 2_000_000  # bytes; a bigger file is data, not code anyone wrote a note about


class LinkLike(Protocol):
    """What a check reads of a link: models.Link, or LinkData on the pydantic-free search path."""

    @property
    def path(self) -> str: ...
    @property
    def symbol(self) -> str | None: ...
    @property
    def commit(self) -> str: ...
    @property
    def blob(self) -> str: ...
    @property
    def body(self) -> str | None: ...
    @property
    def shape(self) -> str | None: ...
    @property
    def signature(self) -> str | None: ...

    def label(self) -> str: ...


@dataclass(frozen=True)
class LinkData:
    """A link as plain data (an index document's), so `search` never imports pydantic."""

    path: str
    symbol: str | None = None
    commit: str = ""
    blob: str = ""
    body: str | None = None
    shape: str | None = None
    signature: str | None = None

    @classmethod
    def of(cls, link: LinkLike | dict[str, Any]) -> LinkData:
        if isinstance(link, dict):
            return cls(**{k: link[k] for k in _FIELDS if k in link})
        return cls(**{k: getattr(link, k) for k in _FIELDS})

    def label(self) -> str:
        return f"{self.path}::{self.symbol}" if self.symbol else self.path


_FIELDS = ("path", "symbol", "commit", "blob", "body", "shape", "signature")


class State(StrEnum):
    FRESH = "fresh"
    MOVED = "moved"
    RENAMED = "renamed"
    CHANGED = "changed"
    GONE = "gone"
    UNCHECKED = "unchecked"


@dataclass(frozen=True)
class LinkState:
    link: LinkLike
    state: State
    reason: str = ""  # why, in words; "" when fresh
    now: LinkData | None = None  # moved or renamed: the link as it stands at HEAD

    @property
    def stale(self) -> bool:
        return self.state in (State.CHANGED, State.GONE)

    def as_json(self) -> dict[str, Any]:
        return {"path": self.link.path, "symbol": self.link.symbol, "commit": self.link.commit,
                "state": str(self.state), "reason": self.reason,
                "now": self.now.label() if self.now else None}


@dataclass
class Repo:
    """One repository's HEAD, read once per command; all link checks go through it."""

    root: Path
    cache: FingerprintCache = field(default_factory=lambda: FingerprintCache(None))
    _head: str | bool | None = False
    _tree: dict[str, str] | None = None
    _changed: dict[str, list[str] | None] = field(default_factory=dict)

    @property
    def head(self) -> str | None:
        if self._head is False:
            self._head = gitutil.head(self.root)
        return self._head if isinstance(self._head, str) else None

    @property
    def tree(self) -> dict[str, str]:
        """path -> blob of every file at HEAD ({} with no commits)."""
        if self._tree is None:
            self._tree = {}
            if self.head:
                out = gitutil.run_git(["ls-tree", "-r", "-z", "--full-tree", self.head],
                                      self.root, check=False)
                for entry in out.split("\0"):
                    meta, _, path = entry.partition("\t")
                    parts = meta.split()
                    if len(parts) == 3 and parts[1] == "blob":
                        self._tree[path] = parts[2]
        return self._tree

    def definitions(self, path: str, blob: str) -> list[Definition] | None:
        """What tree-sitter finds in this blob; None: no grammar, binary or too big."""
        # Keyed by file name, which decides the language: a cache hit never loads the
        # grammar tables (importing grep_ast and the language pack costs ~0.3 s).
        key = f"{PurePosixPath(path).name}:{blob}"
        cached = self.cache.get(key)
        if cached is not False:
            return cached if isinstance(cached, list) else None
        lang = fingerprint.language_for(path)
        if lang is None:
            self.cache.put(key, None)
            return None
        data = self._blob_bytes(path, blob)
        defs = None if (not data or b"\0" in data or len(data) > _MAX_BLOB) else (
            fingerprint.definitions(data, lang))
        self.cache.put(key, defs)
        return defs

    def _blob_bytes(self, path: str, blob: str) -> bytes:
        """The blob's bytes: the work tree's file when it hashes to the blob (after a pull it
        nearly always does), so no `git cat-file` process is started; git's copy otherwise."""
        data = _work_tree_copy(self.root / path, blob)
        if data is not None:
            return data
        raw = gitutil.run_git(["cat-file", "blob", blob], self.root, check=False)
        return raw.encode("utf-8", "surrogateescape")

    def changed_since(self, commit: str) -> list[str] | None:
        """Files changed from `commit` to HEAD; None when the commit is not in this clone."""
        if commit not in self._changed:
            known = bool(commit) and gitutil.is_commit(self.root, commit)
            self._changed[commit] = (
                gitutil.files_changed_between(self.root, commit, self.head or "HEAD")
                if known else None)
        return self._changed[commit]


def _work_tree_copy(file: Path, blob: str) -> bytes | None:
    """`file`'s bytes if git would store them as `blob` (the blob id is the hash of its
    header and bytes, so a match is the same content); None for anything else: a symlink,
    a local edit, a line-ending or clean filter's rewrite, a missing or unreadable file."""
    algorithm = {40: "sha1", 64: "sha256"}.get(len(blob))
    try:
        info = file.lstat()
        if algorithm is None or not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_BLOB:
            return None
        data = file.read_bytes()
    except OSError:
        return None
    digest = hashlib.new(algorithm, b"blob %d\0" % len(data))
    digest.update(data)
    return data if digest.hexdigest() == blob else None


def check(link: LinkLike, repo: Repo) -> LinkState:
    """The state of one link at the repository's HEAD."""
    if _outside(link.path):
        return LinkState(link, State.UNCHECKED, f"{link.path} is outside the repository")
    if repo.head is None:
        return LinkState(link, State.UNCHECKED, "the repository has no commits yet")
    blob = repo.tree.get(link.path)
    if not link.blob or (link.symbol is not None and link.body is None):
        # Written by hand with only a path (and symbol): nothing to compare with yet.
        where = "" if blob is not None else f"; {link.path} is not at HEAD"
        return LinkState(link, State.UNCHECKED,
                         f"not fingerprinted yet (aidermem verify takes it){where}")
    if link.symbol is None:
        return _check_file(link, repo, blob)
    if blob is not None and blob == link.blob:
        return LinkState(link, State.FRESH)
    return _check_symbol(link, repo, blob)


def _check_file(link: LinkLike, repo: Repo, blob: str | None) -> LinkState:
    if blob is not None:
        if blob == link.blob:
            return LinkState(link, State.FRESH)
        return LinkState(link, State.CHANGED, f"{link.path} changed since {_short(link)}")
    for path, other in repo.tree.items():
        if link.blob and other == link.blob:
            moved = replace(LinkData.of(link), path=path)
            return LinkState(link, State.MOVED, f"{link.path} moved to {path}", moved)
    return LinkState(link, State.GONE, f"{link.path} was deleted since {_short(link)}")


def _check_symbol(link: LinkLike, repo: Repo, blob: str | None) -> LinkState:
    name = link.symbol or ""
    short = name.rsplit(".", 1)[-1]
    if blob is not None:
        defs = repo.definitions(link.path, blob)
        if defs is None:
            return LinkState(link, State.CHANGED,
                             f"{link.path} changed and cannot be read for symbols")
        same = [d for d in defs if d.name == name]
        if any(d.fingerprints.body == link.body for d in same):
            return LinkState(link, State.FRESH)
        if same:
            why = ("signature" if same[0].fingerprints.signature != link.signature
                   else "body")
            twice = f" (defined {len(same)} times)" if len(same) > 1 else ""
            return LinkState(link, State.CHANGED,
                             f"{short} {why} changed since {_short(link)}{twice}")
        found = _find(link, defs, link.path)
        if found is not None:
            return found
    for path in _candidates(link, repo):
        other = repo.tree.get(path)
        defs = repo.definitions(path, other) if other else None
        found = _find(link, defs or [], path)
        if found is not None:
            return found
    where = f"{link.path} was deleted" if blob is None else f"{short} is no longer in {link.path}"
    return LinkState(link, State.GONE, f"{where} since {_short(link)}")


def _find(link: LinkLike, defs: list[Definition], path: str) -> LinkState | None:
    """The symbol under another path or name, by its fingerprints."""
    for d in defs:
        fp = d.fingerprints
        if fp.body == link.body and (d.name == link.symbol or path != link.path):
            now = replace(LinkData.of(link), path=path, symbol=d.name)
            if d.name != link.symbol:
                return LinkState(link, State.RENAMED, f"{link.symbol} is now {now.label()}", now)
            return LinkState(link, State.MOVED, f"{link.symbol} moved to {path}", now)
    for d in defs:
        if d.fingerprints.shape == link.shape and d.name != link.symbol:
            now = replace(LinkData.of(link), path=path, symbol=d.name)
            return LinkState(link, State.RENAMED, f"{link.symbol} is now {now.label()}", now)
    return None


def _candidates(link: LinkLike, repo: Repo) -> list[str]:
    lang = fingerprint.language_for(link.path)
    changed = repo.changed_since(link.commit)
    pool = repo.tree if changed is None else changed
    return [p for p in pool if p != link.path and p in repo.tree
            and fingerprint.language_for(p) == lang]


def take(repo: Repo, path: str, symbol: str | None = None) -> Link:
    """A link to `path` (and `symbol` in it) as it is at HEAD. Raises UsageError."""
    from aidermem.models import Link
    path = path.strip().replace("\\", "/").removeprefix("./")
    if _outside(path):
        raise UsageError(f"cannot link {path}: it is outside the repository",
                         "give a path relative to the repository root")
    head = repo.head
    if head is None:
        raise UsageError("cannot link code: the repository has no commits yet",
                         "commit the code first, so the link has a commit to point at")
    blob = repo.tree.get(path)
    if blob is None:
        raise UsageError(f"cannot link {path}: no such file at HEAD",
                         "give a path relative to the repository root, committed")
    if symbol is None:
        return Link(path=path, commit=head, blob=blob)
    defs = repo.definitions(path, blob)
    if defs is None:
        raise UsageError(f"cannot link {path}::{symbol}: no grammar for {path}",
                         f"link the file instead: --files {path}")
    same = [d for d in defs if d.name == symbol]
    if not same:
        names = ", ".join(d.name for d in defs[:8]) or "none"
        raise UsageError(f"no symbol {symbol} in {path} at HEAD",
                         f"name one of its definitions ({names})")
    # A symbol defined twice (an overload, a redefinition): the first is the one linked,
    # and the check accepts either as fresh.
    fp = same[0].fingerprints
    return Link(path=path, symbol=symbol, commit=head, blob=blob, body=fp.body,
                shape=fp.shape, signature=fp.signature)


def resolve(repo: Repo, spec: str) -> tuple[str, str]:
    """`path::Qualified.name`, or the dotted `pkg.module.name`, as (path, symbol)."""
    spec = spec.strip()
    if "::" in spec:
        path, _, symbol = spec.partition("::")
        if not path or not symbol:
            raise UsageError(f"bad symbol {spec!r}", "write path::Name, e.g. auth.py::login")
        return path, symbol
    parts = spec.split(".")
    by_stem: dict[str, list[str]] = {}
    for path in repo.tree:
        if fingerprint.language_for(path):
            stem = str(PurePosixPath(path).with_suffix(""))
            by_stem.setdefault(stem, []).append(path)
    for cut in range(len(parts) - 1, 0, -1):
        for path in by_stem.get("/".join(parts[:cut]), []):
            symbol = ".".join(parts[cut:])
            defs = repo.definitions(path, repo.tree[path]) or []
            if any(d.name == symbol for d in defs):
                return path, symbol
    raise UsageError(f"cannot find {spec} in the repository at HEAD",
                     "write path::Name, e.g. auth/service.py::authenticate_user")


def _outside(path: str) -> bool:
    p = PurePosixPath(path)
    return p.is_absolute() or ".." in p.parts or (len(path) > 1 and path[1] == ":")


def _short(link: LinkLike) -> str:
    return link.commit[:7] if link.commit else "the link was taken"
