"""Definitions of a source text and their fingerprints, via tree-sitter. Pure: no I/O but resources.

A memory linked to `auth/service.py::authenticate_user` must learn when that code changed.
This module finds every definition in one source text with the parsers aider itself uses
(`tree-sitter-language-pack`'s grammars, chosen by grep-ast's file-name table; languages.py
loads only the grammar needed) and the definition queries aider ships as
package data (`aider/queries/tree-sitter-language-pack/*-tags.scm`, falling back to
`tree-sitter-languages/`). The query files are read as files located through the import
system; aider's Python API is never imported (it is unsupported and slow to import).

Each definition carries three fingerprints, all hashes of its token stream (tree-sitter
leaves) with comments and whitespace left out, so reformatting or re-commenting keeps a
link fresh:

- `body`: every token of the definition;
- `shape`: the same with the symbol's own name blanked, wherever it occurs (a recursive call
  too), so a rename keeps the shape and can be told from a change;
- `signature`: the tokens before the definition's body (the whole definition when it has none).

Docstrings are treated like comments (decided for issue #13): a docstring edit changes what
the code says about itself, not what it does, and a note about behaviour stays true. Python
is the language with docstrings in the tree; the others document in comments, already left out.

It must never touch git, the store or the index; `links` does that.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from aidermem.links import languages

_QUERY_DIRS = ("tree-sitter-language-pack", "tree-sitter-languages")
_BLANK = "\u2400"  # stands for the symbol's own name in the shape fingerprint
# Nodes whose own names qualify the definitions inside them although the tags queries do
# not capture them as definitions: Rust `impl Type { fn m() }` gives `Type.m`.
_QUALIFYING_CONTAINERS = {"impl_item": "type"}
_SKIPPED_KINDS = {"module"}  # Go's `package main`: a file, not a symbol


@dataclass(frozen=True)
class Fingerprints:
    """Hashes of one definition: all tokens, name blanked, signature alone."""

    body: str
    shape: str
    signature: str


@dataclass(frozen=True)
class Definition:
    """One definition found in a source text."""

    name: str  # qualified with its enclosing definitions: `Class.method`
    kind: str  # the tags query's word: function, method, class, ...
    line: int  # 1-based first line
    fingerprints: Fingerprints


def language_for(path: str) -> str | None:
    """The tree-sitter language of a file by its name, or None when aidermem has no grammar."""
    lang = languages.lang_of(PurePosixPath(path).name)
    if lang is None or _query(lang) is None:
        return None
    return lang


def definitions(source: bytes, lang: str) -> list[Definition]:
    """Every definition in `source`, in order of appearance; one symbol may appear twice.

    Raises ValueError for a language without a grammar or tags query (see `language_for`).
    """
    query = _query(lang)
    if query is None:
        raise ValueError(f"no tags query for {lang}")
    from tree_sitter import QueryCursor

    tree = _parser(lang).parse(source)
    found: dict[int, tuple[Any, Any, str]] = {}
    for _pattern, captures in QueryCursor(query).matches(tree.root_node):
        for cap_name, nodes in captures.items():
            if not cap_name.startswith("name.definition."):
                continue
            kind = cap_name.removeprefix("name.definition.")
            name_node = nodes[0]
            defs = captures.get(f"definition.{kind}")
            def_node = defs[0] if defs else name_node.parent or name_node
            if kind in _SKIPPED_KINDS and def_node.type == "package_clause":
                continue
            found.setdefault(def_node.id, (def_node, name_node, kind))
    containers = {def_node.id: name_node for def_node, name_node, _ in found.values()}
    out = []
    for def_node, name_node, kind in sorted(found.values(), key=lambda t: t[0].start_byte):
        own = _text(name_node)
        out.append(Definition(
            name=".".join([*_qualifiers(def_node, containers), own]),
            kind=kind,
            line=def_node.start_point[0] + 1,
            fingerprints=_fingerprints(def_node, own),
        ))
    return out


def _qualifiers(node: Any, containers: dict[int, Any]) -> list[str]:
    names: list[str] = []
    receiver = _go_receiver(node)
    if receiver:
        names.append(receiver)
    parent = node.parent
    while parent is not None:
        if parent.id in containers:
            names.append(_text(containers[parent.id]))
        elif parent.type in _QUALIFYING_CONTAINERS:
            typ = parent.child_by_field_name(_QUALIFYING_CONTAINERS[parent.type])
            if typ is not None:
                names.append(_base_type(typ))
        parent = parent.parent
    return names[::-1]


def _go_receiver(node: Any) -> str | None:
    """`func (s *Server) Handle()` is `Server.Handle`."""
    if node.type != "method_declaration":
        return None
    receiver = node.child_by_field_name("receiver")
    if receiver is None:
        return None
    stack = [receiver]
    while stack:
        cur = stack.pop()
        if cur.type == "type_identifier":
            return _text(cur)
        stack.extend(reversed(cur.children))
    return None


def _base_type(node: Any) -> str:
    """`Foo<T>` and `crate::Foo` qualify as `Foo`."""
    if node.type == "type_identifier":
        return _text(node)
    for child in node.children:
        if child.type == "type_identifier":
            return _text(child)
    name = node.child_by_field_name("name") or node.child_by_field_name("type")
    return _text(name) if name is not None else _text(node)


def _fingerprints(node: Any, own_name: str) -> Fingerprints:
    body_node = node.child_by_field_name("body")
    tokens: list[str] = []
    signature: list[str] = []
    skipped = _docstring_ids(body_node)
    for leaf, start in _leaves(node, skipped):
        tokens.append(leaf)
        if body_node is None or start < body_node.start_byte:
            signature.append(leaf)
    shape = [_BLANK if t == own_name else t for t in tokens]
    return Fingerprints(body=_hash(tokens), shape=_hash(shape), signature=_hash(signature))


def _leaves(node: Any, skipped: set[int]) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    stack = [node]
    while stack:
        cur = stack.pop()
        if cur.id in skipped or "comment" in cur.type:
            continue
        if cur.child_count == 0:
            text = _text(cur).strip()
            if text:
                out.append((text, cur.start_byte))
            continue
        stack.extend(reversed(cur.children))
    return out


def _docstring_ids(body: Any) -> set[int]:
    """A Python body's leading string statement: text about the code, not the code."""
    if body is None or body.type != "block" or body.named_child_count == 0:
        return set()
    first = body.named_children[0]
    if first.type == "string":  # this grammar version puts the docstring in the block bare
        return {first.id}
    if (first.type == "expression_statement" and first.named_child_count == 1
            and first.named_children[0].type == "string"):
        return {first.id}
    return set()


def _text(node: Any) -> str:
    return bytes(node.text or b"").decode("utf-8", "replace")


def _hash(tokens: list[str]) -> str:
    return hashlib.sha1("\x1f".join(tokens).encode("utf-8")).hexdigest()[:16]


@cache
def _query_text(lang: str) -> str | None:
    spec = importlib.util.find_spec("aider")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        for sub in _QUERY_DIRS:
            path = Path(root) / "queries" / sub / f"{lang}-tags.scm"
            if path.is_file():
                return path.read_text(encoding="utf-8")
    return None


@cache
def _query(lang: str) -> Any:
    text = _query_text(lang)
    if text is None:
        return None
    from tree_sitter import Query, QueryError

    try:
        return Query(languages.language(lang), text)
    except (QueryError, LookupError):
        # A query written for another build of the grammar (julia's, in 0.13.0): a file
        # of that language is treated as one without a grammar, never as a crash.
        return None


@cache
def _parser(lang: str) -> Any:
    from tree_sitter import Parser

    return Parser(languages.language(lang))
