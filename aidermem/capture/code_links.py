"""The links a captured session's memory gets: the code the session edited and talked about.

At the session's end (the extractive step runs as aider exits) every file the session
edited that is committed at HEAD is linked, and so is each symbol defined in those files
whose name the user or the model mentions (not aider's own output, such as a lint report
that lists the lines around an edit): the functions they talked about while changing
them. Symbols only mentioned, in files the session did not touch, are left out: naming
a function is not writing a note about it, and finding every name of a transcript in a
whole repository would cost a parse of every file. Linking never fails a capture: a
repository that cannot be read gives a memory without links.
"""

from __future__ import annotations

import re
from pathlib import Path

from aidermem import paths
from aidermem.errors import AidermemError
from aidermem.links.cache import FILE_NAME, FingerprintCache
from aidermem.links.check import Repo, take
from aidermem.models import Link

MAX_LINKS = 24  # front matter stays readable; the first files and their named symbols win
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MIN_NAME = 3  # `f`, `id`, `db`: names this short are words in any transcript


def session_links(repo_root: Path | None, edited: list[str], text: str,
                  store_root: Path | None = None) -> list[Link]:
    """File links for `edited` and symbol links for their definitions `text` names."""
    if repo_root is None or not edited:
        return []
    cache = FingerprintCache(paths.index_dir_for(store_root) / FILE_NAME if store_root else None)
    repo = Repo(Path(repo_root), cache)
    try:
        links = _links(repo, edited, set(_WORD.findall(text)))
    except (AidermemError, OSError):
        return []
    cache.save()
    return links[:MAX_LINKS]


def _links(repo: Repo, edited: list[str], words: set[str]) -> list[Link]:
    if repo.head is None:
        return []
    files: list[Link] = []
    symbols: list[Link] = []
    for path in dict.fromkeys(edited):
        blob = repo.tree.get(path)
        if blob is None:
            continue  # deleted, never committed, or outside the repository
        files.append(take(repo, path))
        seen: set[str] = set()
        for d in repo.definitions(path, blob) or []:
            short = d.name.rsplit(".", 1)[-1]
            if d.name in seen or len(short) < _MIN_NAME or short not in words:
                continue
            seen.add(d.name)  # defined twice: the first one is linked
            fp = d.fingerprints
            symbols.append(Link(path=path, symbol=d.name, commit=repo.head, blob=blob,
                                body=fp.body, shape=fp.shape, signature=fp.signature))
    return [*symbols, *files]
