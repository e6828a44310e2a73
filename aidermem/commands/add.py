"""`aidermem add [TEXT]`: write a memory by hand.

The text comes from the argument, else from stdin when it is not a terminal,
else from $EDITOR. Secrets are redacted before anything is written; the
memory is committed to the store first and indexed second, so a busy index
never loses a memory (the next command's sync picks it up).
"""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import dataclass, field

from aidermem.commands import _editor
from aidermem.commands._filters import resolve_project, split_words, topics_of
from aidermem.commands.app import App
from aidermem.commands.output import Result, Style
from aidermem.commands.payloads import AddPayload
from aidermem.errors import UsageError
from aidermem.models import Kind, Memory, Source, Tool
from aidermem.redaction.redact import redact
from aidermem.store import plaintext
from aidermem.text import PUNCTUATION, clip

HELP = "add a memory (text from the argument, stdin, or $EDITOR)"
TITLE_CHARS = 80

TEMPLATE = f"""

{_editor.SCISSORS}
# Write the memory above this line; everything below it is ignored.
# The first line becomes the title (unless --title was given), the rest the body.
# Markdown is fine. Save an empty memory to cancel.
# kind: {{kind}} · project: {{project}}
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="?", metavar="TEXT",
                        help="the memory's text; omit to read stdin or open $EDITOR")
    parser.add_argument("--title", help="title (default: the first line of the text)")
    parser.add_argument("--kind", choices=[k.value for k in Kind], default=Kind.NOTE.value,
                        help="what sort of memory this is (default: note)")
    parser.add_argument("--topics", action="append", metavar="A,B",
                        help="topics, comma-separated or repeated")
    parser.add_argument("--files", action="append", metavar="PATH,…",
                        help="files it is about, comma-separated or repeated (committed "
                        "files are linked: see `aidermem stale`)")
    parser.add_argument("--symbols", action="append", metavar="PATH::NAME,…",
                        help="symbols it is about (auth.py::Auth.login or auth.Auth.login), "
                        "linked at HEAD, comma-separated or repeated")
    parser.add_argument("-e", "--edit", action="store_true",
                        help="open $EDITOR even when stdin is not a terminal")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--project", metavar="NAME_OR_ID",
                       help="the project it belongs to (default: the current project)")
    where.add_argument("--global", dest="is_global", action="store_true",
                       help="belongs to no project (shown in every project)")


@dataclass(frozen=True, kw_only=True)
class NewMemory:
    """What one new memory is made of, as given (before cleaning and redaction): what `add`
    and the MCP server hand to store_memory.

    `title` None takes it from the text's first line; `project` is (id, name); `topics`
    and `files` may be comma-separated; `symbols` are `path::Name` or dotted."""

    text: str
    title: str | None
    kind: Kind
    project: tuple[str, str]
    source: Source
    topics: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)


def split_title(text: str) -> tuple[str, str]:
    """(title, body) from text whose first line is the title.

    A first line that fits becomes the title and leaves the body; a longer one
    is shortened for the title and the body keeps the whole text.
    """
    first, _, rest = text.strip().partition("\n")
    first = first.strip().lstrip("#").strip() or "untitled"
    if len(first) <= TITLE_CHARS:
        return first, rest.strip()
    return clip(first, TITLE_CHARS, trim=PUNCTUATION), text.strip()


def _read_text(args: argparse.Namespace, project_label: str) -> str:
    if args.text is not None and not args.edit:
        return str(args.text)
    if not args.edit and not sys.stdin.isatty():
        if isinstance(sys.stdin, io.TextIOWrapper):
            # Bytes that are not UTF-8 stay surrogates, for plaintext.clean to count and replace.
            sys.stdin.reconfigure(errors="surrogateescape")
        return sys.stdin.read()
    initial = (args.text or "") + TEMPLATE.format(kind=args.kind, project=project_label)
    return _editor.strip_scissors(_editor.edit_text(initial, name="add"))


def run(args: argparse.Namespace, app: App) -> Result:
    if args.is_global:
        project_id, project_name = "", ""
    elif args.project is not None:
        project_id, project_name = resolve_project(app, args.project)
    else:
        project_id, project_name = app.project.id, app.project.name
    if args.title is not None and not args.title.strip():
        raise UsageError("--title is empty", "give a title, or leave --title out")
    text = _read_text(args, project_name or project_id or "(global)")
    if not plaintext.clean(text).text.strip():
        raise UsageError("the memory is empty; nothing was added",
                         "give the text as an argument, on stdin, or write it in the editor")
    payload = store_memory(app, NewMemory(
        text=text, title=args.title, kind=Kind(args.kind), project=(project_id, project_name),
        topics=args.topics or [], files=args.files or [], source=Source(tool=Tool.CLI),
        symbols=split_words(args.symbols)))
    return Result(payload)


def store_memory(app: App, new: NewMemory) -> AddPayload:
    """Clean, redact, commit and index one new memory: what `add` and the MCP server share.

    `new.symbols` and the committed `new.files` are linked to the code at HEAD (links.py).
    Text no file can hold (NUL bytes, undecodable bytes) is dropped or replaced with a
    warning, secrets are redacted with one."""
    found: list[plaintext.Cleaned] = []

    def storable(value: str) -> str:
        found.append(plaintext.clean(value))
        return found[-1].text

    text = storable(new.text)
    title = None if new.title is None else storable(new.title)
    topics = topics_of([storable(v) for v in new.topics])
    files = split_words([storable(v) for v in new.files])
    symbols = [storable(v) for v in new.symbols]
    kind, project, source = new.kind, new.project, new.source
    cleaned = redact(text)
    count, kinds = cleaned.count, set(cleaned.kinds)
    if title is None:
        title, body = split_title(cleaned.text)
    else:
        given = redact(title)
        title, body = given.text, cleaned.text.strip()
        count, kinds = count + given.count, kinds | set(given.kinds)
    memory = Memory(
        title=title, kind=kind, body=body, project=project[0], project_name=project[1],
        topics=topics, files=files, source=source,
    )
    if symbols or memory.files:  # links taken at HEAD; the labels become `symbols`
        memory = _linked(memory, symbols, app)
    relpath = app.store.add(memory)
    nul, invalid = sum(c.nul for c in found), sum(c.invalid for c in found)
    if nul or invalid:
        app.warn(f"{plaintext.describe(nul, invalid)} before storing")
    if count:
        app.warn(f"redacted {count} secret{'s' * (count > 1)} ({', '.join(sorted(kinds))}) before "
                 "storing; the memory holds [REDACTED:<kind>] in their place")
    app.index_after_write({relpath: memory})
    return AddPayload(store=str(app.store.root), path=relpath, memory=memory,
                      redactions=count, redaction_kinds=sorted(kinds))


def _linked(memory: Memory, symbols: list[str], app: App) -> Memory:
    """The memory with links taken at HEAD: every symbol (an error when one cannot be), and
    every --files path committed in this checkout (others stay plain `files` entries)."""
    from aidermem.links.check import Repo, resolve, take

    root = app.project.root
    if memory.project not in app.project.ids or not memory.project:
        # Links are checked against this checkout, and only for its own project's memories.
        if symbols:
            raise UsageError("--symbols links code of this checkout, so the memory must be "
                             "this project's", "leave out --global/--project, or --symbols")
        return memory
    if root is None:
        if symbols:
            raise UsageError("--symbols needs a git repository",
                             "run aidermem add in the checkout the symbols live in")
        return memory
    repo = Repo(root)
    links = [take(repo, *resolve(repo, spec)) for spec in symbols]
    links += [take(repo, path) for path in memory.files
              if path.strip().replace("\\", "/").removeprefix("./") in repo.tree]
    files = list(dict.fromkeys([*memory.files, *(link.path for link in links)]))
    labels = [link.label() for link in links if link.symbol]
    return memory.model_copy(update={"links": links, "files": files, "symbols": labels})


def render(payload: AddPayload, style: Style) -> str:
    return f"{payload.memory.id} {style.bold(payload.memory.title)}"
