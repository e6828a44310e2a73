"""Checking memories' links where they are used: commands, the context file, search.

The one place that knows which repository a memory's links are checked against:
the current checkout, and only for memories of the current project (a global memory's
or another project's links name files of some other tree: they stay `unchecked`).
Everything here is lazy: a memory without links costs nothing, and tree-sitter is
loaded only when a linked file's blob changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aidermem import paths

if TYPE_CHECKING:
    from aidermem.links.check import LinkLike, LinkState, Repo

# The context file's words for a changed link (the sentence).
STALE_WORDS = "changed since this note was written at {commit} — verify before relying on it"


@dataclass
class Checker:
    """Link states for memories of one project in one checkout, one HEAD read for all."""

    project_ids: tuple[str, ...]
    root: Path | None
    store_root: Path | None = None
    _repo: Repo | None = None

    def repo(self) -> Repo | None:
        if self.root is None:
            return None
        if self._repo is None:
            from aidermem.links.cache import FILE_NAME, FingerprintCache
            from aidermem.links.check import Repo

            cache = (FingerprintCache(paths.index_dir_for(self.store_root) / FILE_NAME)
                     if self.store_root is not None else FingerprintCache(None))
            self._repo = Repo(self.root, cache)
        return self._repo

    def states(self, project: str, links: Sequence[LinkLike]) -> list[LinkState]:
        from aidermem.links.check import LinkState, State, check

        if not links:
            return []
        repo = self.repo() if project in self.project_ids and project else None
        if repo is None:
            return [LinkState(link, State.UNCHECKED, "not a link into this checkout")
                    for link in links]
        return [check(link, repo) for link in links]

    def states_of_docs(self, project: str, raw: Iterable[dict[str, Any]]) -> list[LinkState]:
        """States of links as an index document holds them (plain mappings)."""
        from aidermem.links.check import LinkData

        return self.states(project, [LinkData.of(r) for r in raw])

    def save(self) -> None:
        if self._repo is not None:
            self._repo.cache.save()


def stale_line(state: LinkState) -> str:
    """The context file's warning for one stale link (issue #13's sentence)."""
    link = state.link
    name = link.symbol.rsplit(".", 1)[-1] if link.symbol else link.path
    commit = link.commit[:7] or "an unknown commit"
    if state.state == "gone":
        return f"`{name}` is gone since this note was written at {commit} ({state.reason}) — " \
               "verify before relying on it"
    return f"`{name}` " + STALE_WORDS.format(commit=commit)
