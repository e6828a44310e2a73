"""Where memories live in the store: the file layout, and listing it without parsing.

`<project_dirname>/<YYYY>/<MM>/<id>-<slug>.md`, one memory per file, a README.md and a
.gitignore at the top. Pure names and directory listings: nothing here reads a memory's
content, writes, takes a lock or runs git (store.py does). Never follows a linked folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING

from aidermem.errors import StoreError
from aidermem.kinds import slugify
from aidermem.project import project_dirname

if TYPE_CHECKING:
    from aidermem.models import Memory

# Ids start the file name and end at the first '-', so they may not contain one.
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]*$")
_YEAR, _MONTH = re.compile(r"[0-9]{4}"), re.compile(r"[0-9]{2}")
_MEMORY_PATH = re.compile(r"^[^./][^/]*/[0-9]{4}/[0-9]{2}/[^./][^/]*\.md$")

README = """\
# aidermem memory store

The memories aidermem keeps for Aider sessions, as plain Markdown files with YAML
front matter: read them, grep them, edit them, push them. Layout:

    <project>/<YYYY>/<MM>/<id>-<slug>.md

`<project>` is the project's id as a folder name (`github.com-acme-shop`; `_global`
for memories of no project), `<YYYY>/<MM>` the creation month (UTC). Every change
aidermem makes is one commit, so `git log` is the history of your memories and
anything forgotten can be restored from it. Hand edits are fine: aidermem re-reads
files that differ from HEAD. The search index is a cache rebuilt from these files.
"""

GITIGNORE = "# temporary files of interrupted atomic writes\n.*.tmp\n"


def is_memory_path(relpath: str) -> bool:
    """Whether a store-relative posix path has the shape of a memory file."""
    return bool(_MEMORY_PATH.match(relpath))


def relpath_for(memory: Memory) -> str:
    """The file a memory belongs in, from its project, creation month, id and title."""
    if not _SAFE_ID.match(memory.id):
        raise StoreError(f"memory id {memory.id!r} cannot be used as a file name",
                         "ids must be letters, digits or '_'")
    created = memory.created.astimezone(UTC)
    return (f"{project_dirname(memory.project)}/{created:%Y}/{created:%m}/"
            f"{memory.id}-{slugify(memory.title)}.md")


def iter_paths(root: Path) -> Iterator[str]:
    """Every memory file under `root` as a posix relpath, walking only <project>/<YYYY>/<MM>/."""
    for project in _scan_dirs(root, lambda n: not n.startswith(".")):
        for year in _scan_dirs(project.path, _YEAR.fullmatch):
            for month in _scan_dirs(year.path, _MONTH.fullmatch):
                prefix = f"{project.name}/{year.name}/{month.name}/"
                for name in sorted(memory_names(month.path)):
                    yield prefix + name


def _scan_dirs(path: Path | str, keep: Callable[[str], object]) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as it:  # a linked folder is never walked: it may lead anywhere
            entries = [e for e in it if keep(e.name) and e.is_dir(follow_symlinks=False)]
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(entries, key=lambda e: e.name)


def memory_names(folder: Path | str) -> list[str]:
    """The memory file names in one month folder (linked files included, to be refused)."""
    try:
        with os.scandir(folder) as it:
            # Linked files are listed, so that reading them says why they are refused.
            return [e.name for e in it
                    if e.name.endswith(".md") and not e.name.startswith(".")
                    and (e.is_file(follow_symlinks=False) or e.is_symlink())]
    except (FileNotFoundError, NotADirectoryError):
        return []


def id_of_path(relpath: str) -> str:
    """The id part of a memory file name (ids never contain '-' when made by aidermem)."""
    name = relpath.rsplit("/", 1)[-1].removesuffix(".md")
    return name.split("-", 1)[0]


