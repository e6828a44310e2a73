"""`aidermem edit ID`: change a memory in $EDITOR, front matter and all.

The editor works on a temporary copy. The result is parsed and checked
before anything is written; when it is not a valid memory the user's text is
kept in a rescue file, its path is printed, and the store is left untouched.
Secrets pasted in while editing are redacted like everywhere else.
"""

from __future__ import annotations

import argparse

from aidermem.commands import _editor
from aidermem.commands.app import App
from aidermem.commands.output import Result, Style
from aidermem.commands.payloads import EditPayload
from aidermem.errors import AidermemError, MemoryFileError
from aidermem.models import Memory
from aidermem.redaction.redact import redact
from aidermem.store import memfile, plaintext

HELP = "edit a memory in $EDITOR (validated before it is saved)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", metavar="ID", help="memory id or unique prefix")


def run(args: argparse.Namespace, app: App) -> Result:
    store = app.store
    relpath, memory = store.find(args.id)
    original = (store.root / relpath).read_text(encoding="utf-8")
    unstorable = plaintext.clean(_editor.edit_text(original, name=memory.id))
    edited = unstorable.text
    if edited == original:
        return Result(EditPayload(store=str(store.root), path=relpath, changed=False,
                                  redactions=0, memory=memory))
    updated, problem = _parse(edited, relpath, memory.id)
    if updated is None:
        kept = _editor.rescue(edited, memory.id)
        raise AidermemError(
            f"{relpath} was not changed: {problem}",
            f"your edit is kept in {kept}; fix it there, then run "
            f"`aidermem edit {memory.id}` again and paste it in",
        )
    title, body = redact(updated.title), redact(updated.body)
    updated.title, updated.body = title.text, body.text
    relpath = store.update(updated, f"edit {updated.kind}: {updated.title}")
    count = title.count + body.count
    if unstorable:
        app.warn(f"{plaintext.describe(unstorable.nul, unstorable.invalid)} before storing")
    if count:
        app.warn(f"redacted {count} secret{'s' * (count > 1)} from your edit before storing")
    app.index_after_write({relpath: updated})
    return Result(EditPayload(store=str(store.root), path=relpath, changed=True,
                              redactions=count, memory=updated))


def _parse(text: str, relpath: str, memory_id: str) -> tuple[Memory | None, str]:
    """The edited memory, or None and why it cannot be saved."""
    try:
        # Fresh from the editor: a `<<<<<<< SEARCH` line the user pasted is text, not a
        # conflict; the store keeps it escaped so that it reads back.
        updated = memfile.parse(text, relpath, markers_are_text=True)
    except MemoryFileError as exc:
        return None, exc.reason
    if updated.id != memory_id:
        # The id names the file and is what other memories link to.
        return None, f"the id changed from {memory_id} to {updated.id}; ids cannot be edited"
    return updated, ""


def render(payload: EditPayload, style: Style) -> str:
    m = payload.memory
    if not payload.changed:
        return f"no changes to {m.id} {style.bold(m.title)}"
    return f"updated {m.id} {style.bold(m.title)}"
