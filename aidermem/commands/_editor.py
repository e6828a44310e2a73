"""Open the user's editor on a temporary file and hand back what they saved.

The edge for `add` and `edit`: the only place aidermem starts an editor.
It never decides what the text means, and it never deletes text the user
wrote that a caller could not use: `rescue` keeps it in a file.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from aidermem import paths, private
from aidermem.atomic import write_atomic
from aidermem.errors import AidermemError, UsageError
from aidermem.models import now

SCISSORS = "# ------------------------ >8 ------------------------"


def editor_command() -> list[str]:
    """$VISUAL, else $EDITOR, else vi, split like a shell would (`code --wait`)."""
    value = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        words = shlex.split(value)
    except ValueError as exc:
        raise UsageError(f"cannot parse the editor command {value!r}: {exc}",
                         "fix $VISUAL or $EDITOR") from exc
    if not words:
        raise UsageError("the editor command is empty", "set $VISUAL or $EDITOR")
    return words


def edit_text(initial: str, *, name: str = "memory") -> str:
    """Run the editor on a temp file holding `initial`; return the saved text."""
    command = editor_command()
    fd, tmp = tempfile.mkstemp(prefix=f"aidermem-{name}-", suffix=".md")
    path = Path(tmp)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(initial)
        try:
            done = subprocess.run([*command, str(path)], check=False)
        except OSError as exc:
            raise AidermemError(f"cannot start the editor {command[0]!r}: {exc.strerror or exc}",
                                "set $VISUAL or $EDITOR to an editor that is installed") from exc
        if done.returncode != 0:
            raise AidermemError(f"the editor {command[0]!r} exited with status {done.returncode}",
                                "nothing was saved; run the command again")
        return path.read_text(encoding="utf-8", errors="replace")
    finally:
        path.unlink(missing_ok=True)


def strip_scissors(text: str) -> str:
    """The text above the scissors line (the instructions below it are dropped)."""
    above, _, _ = text.partition(SCISSORS)
    return above.strip()


def rescue(text: str, name: str) -> Path:
    """Keep text the user wrote but aidermem could not use; returns where it went. Private
    (0600 in a 0700 folder) and redacted like anything else aidermem keeps."""
    from aidermem.redaction.redact import redact

    folder = paths.data_dir() / "rescue"
    private.make_dirs(folder)
    private.restrict(folder)
    target = folder / f"{now():%Y%m%d-%H%M%S}-{name}.md"
    n = 1
    while target.exists():
        n += 1
        target = folder / f"{now():%Y%m%d-%H%M%S}-{name}-{n}.md"
    write_atomic(target, redact(text).text.encode("utf-8"))
    return target
