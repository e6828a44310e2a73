"""Which memories' links may not be fresh, answered from the index instead of the memory files.

Each linked memory's index document holds one raw term per link (`FIELD`):
`project NUL path NUL blob`, the blob left empty for a link that cannot be compared yet
(written by hand, a symbol without fingerprints). A link whose blob is its file's blob at
HEAD is fresh by construction (links.check never reads such a file), so a memory can be
anything but fresh only when one of its terms names a blob that HEAD does not have.
`changed_keys` finds those terms in the term dictionary (no document is read) and
`suspects` reads just the documents holding one, so `aidermem stale` costs about a
search, however many memories are linked, and the launch's warm-up (linkwarm) learns
whether any linked file changed without reading a memory.

The index is a cache of the store: callers sync it first (MemoryIndex.refresh), so a
memory edited by hand since the last sync is seen as it is now. The terms of a deleted
or archived document may linger in the dictionary until tantivy merges segments; they
only add a candidate that the document query then drops. Nothing here writes anything,
reads a memory file, runs git or imports pydantic or tree-sitter.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import tantivy

    from aidermem.links.check import LinkLike

FIELD = "link_keys"
SEP = "\0"  # in no git path and no project id
ACTIVE = "active"  # models.Status.ACTIVE, spelled here so this module needs no pydantic


def keys(project: str, links: Iterable[LinkLike]) -> list[str]:
    """The index terms of a memory's links (one per distinct file and blob)."""
    return list(dict.fromkeys(
        SEP.join((project, link.path, _comparable_blob(link))) for link in links))


def _comparable_blob(link: LinkLike) -> str:
    # The same test as links.check: without these, a link is `unchecked`, never fresh.
    if not link.blob or (link.symbol is not None and link.body is None):
        return ""
    return link.blob


def changed_keys(searcher: tantivy.Searcher, project_ids: Sequence[str],
                 tree: Mapping[str, str]) -> list[str]:
    """The link terms of these projects whose file is not at that blob in `tree`
    (path -> blob at HEAD; empty when there is no HEAD to compare with)."""
    out = []
    for project in dict.fromkeys(project_ids):
        for term, _count in searcher.terms_with_prefix(FIELD, project + SEP):
            _, path, blob = term.split(SEP, 2)
            if not blob or tree.get(path) != blob:
                out.append(term)
    return out


@dataclass(frozen=True)
class Suspect:
    """An active memory of the project with a link that may not be fresh (plain data)."""

    id: str
    relpath: str
    title: str
    project: str
    links: tuple[dict[str, Any], ...]  # models.Link as plain data, as the document holds it


def suspects(searcher: tantivy.Searcher, schema: tantivy.Schema, project_ids: Sequence[str],
             tree: Mapping[str, str]) -> list[Suspect]:
    """The project's active memories holding a changed key, in the store's file order (from
    a searcher of the index, so this module, which documents.py uses, needs no index)."""
    import tantivy

    wanted = changed_keys(searcher, project_ids, tree)
    if not wanted:
        return []
    Q, Occur = tantivy.Query, tantivy.Occur

    def any_of(field: str, values: Iterable[str]) -> tantivy.Query:
        return Q.boolean_query([(Occur.Should, Q.term_query(schema, field, v))
                                for v in values])

    query = Q.boolean_query([
        (Occur.Must, any_of("project", dict.fromkeys(project_ids))),
        (Occur.Must, Q.term_query(schema, "status", ACTIVE)),
        (Occur.Must, any_of(FIELD, wanted)),
    ])
    limit = max(int(searcher.num_docs), 1)
    found = []
    for _score, address in searcher.search(query, limit, count=False).hits:
        doc = searcher.doc(address)
        display = json.loads(doc.get_first("doc") or b"{}")
        found.append(Suspect(id=display["id"], relpath=str(doc.get_first("relpath")),
                             title=display["title"], project=display["project"],
                             links=tuple(display.get("links", ()))))
    return sorted(found, key=lambda s: s.relpath)
