"""`aidermem show ID`: one memory in full, as Markdown with a metadata header.

Reads the store only (never the index), so it works while the index is busy
or missing. `--raw` prints the file exactly as stored.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from aidermem.app import App
from aidermem.errors import UsageError
from aidermem.models import Memory
from aidermem.output import Result, Style, day, where
from aidermem.payloads import MemoryPayload, Payload

HELP = "show one memory in full (an id or a unique prefix of one)"


class RawFile(Payload):
    """`show --raw`: the file's text as stored. Text only; --raw refuses --json."""

    path: str
    text: str


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
    return Result(MemoryPayload(store=str(app.store.root), path=relpath, memory=memory))


def render(payload: MemoryPayload | RawFile, style: Style) -> str:
    if isinstance(payload, RawFile):
        return payload.text
    return render_memory(payload.memory, str(Path(payload.store) / payload.path), style)


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
