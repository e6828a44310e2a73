"""`aidermem show ID`: one memory in full, as Markdown with a metadata header.

Reads the store only (never the index), so it works while the index is busy
or missing. `--raw` prints the file exactly as stored.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from aidermem.commands.app import App
from aidermem.commands.output import Result, Style, where
from aidermem.commands.payloads import LinkStateOut, MemoryPayload, RawFile
from aidermem.errors import UsageError
from aidermem.kinds import day
from aidermem.models import Memory

HELP = "show one memory in full (an id or a unique prefix of one)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", metavar="ID", help="memory id or unique prefix")
    parser.add_argument("--raw", action="store_true",
                        help="print the memory file exactly as stored")


def run(args: argparse.Namespace, app: App) -> Result:
    if args.raw and args.json:
        raise UsageError("--raw and --json cannot be combined",
                         "--json already includes every field of the memory")
    relpath, memory = app.store.find(args.id)
    if args.raw:
        raw = (app.store.root / relpath).read_bytes()
        return Result(RawFile(path=relpath, text=raw.decode("utf-8", errors="replace")))
    return Result(MemoryPayload(store=str(app.store.root), path=relpath, memory=memory,
                                links=_link_states(memory, app)))


def _link_states(memory: Memory, app: App) -> list[LinkStateOut]:
    if not memory.links:
        return []
    from aidermem.links.use import Checker

    checker = Checker(app.project.ids, app.project.root, app.store_root)
    states = checker.states(memory.project, memory.links)
    checker.save()
    return [LinkStateOut(**state.as_json()) for state in states]


def render(payload: MemoryPayload | RawFile, style: Style) -> str:
    if isinstance(payload, RawFile):
        return payload.text
    text = render_memory(payload.memory, str(Path(payload.store) / payload.path), style)
    if not payload.links:
        return text
    return _with_links(text, [f"- link: {_link_text(link)}" for link in payload.links])


def _with_links(text: str, rows: list[str]) -> str:
    """The link rows go at the end of the metadata list, after `- path:` (before the body)."""
    lines = text.split("\n")
    last = next(i for i, line in enumerate(lines) if line.startswith("- path: "))
    return "\n".join([*lines[: last + 1], *rows, *lines[last + 1 :]])


def _link_text(link: LinkStateOut) -> str:
    label = f"{link.path}::{link.symbol}" if link.symbol else link.path
    return f"{label} ({link.state}" + (f": {link.reason})" if link.reason else ")")


def render_memory(m: Memory, path: str, style: Style) -> str:
    """The memory as Markdown: title, a metadata list, then the body."""
    project = where(m.project_name, m.project, full=True)
    created = m.created.astimezone().strftime("%Y-%m-%d %H:%M")
    dates = f"{created} · updated: {day(m.updated)}" if m.updated != m.created else created
    source = f"{m.source.tool.value}, {m.source.method.value}"
    if m.source.session_id:
        source += f", session {m.source.session_id}"
    rows = [
        ("id", m.id),
        ("kind", f"{m.kind.value} · status: {m.status.value}"),
        ("project", project),
        ("topics", ", ".join(m.topics)),
        ("created", dates),
        ("author", m.author or ""),
        ("source", source),
        ("files", ", ".join(m.files)),
        ("commits", "; ".join(m.commits)),
        ("related", ", ".join(m.related)),
        ("supersedes", ", ".join(m.supersedes)),
        ("path", path),
    ]
    head = [f"# {style.bold(m.title)}", ""]
    head += [f"- {name}: {value}" for name, value in rows if value]
    body = m.body.strip()
    return "\n".join(head) + ("\n\n" + body if body else "") + "\n"
