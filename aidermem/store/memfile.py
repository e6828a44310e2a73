"""One memory <-> one Markdown file with YAML front matter.

Pure text transformation: no disk or git access here. Parsing never raises
anything but MemoryFileError, whatever the input (merge markers, binary junk,
a hand edit that broke the YAML), so callers can report and skip.
"""

from __future__ import annotations

import re
from typing import Any

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler
from pydantic import ValidationError

from aidermem.errors import MemoryFileError
from aidermem.models import Memory
from aidermem.store import frontfast, plaintext
from aidermem.text import one_line

_BOUNDARY = YAMLHandler.FM_BOUNDARY  # how python-frontmatter finds the `---` lines

# libyaml's dumper is ~10x faster than the pure-Python one; same output.
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# A body line that starts like git's conflict markers (`<<<<<<< SEARCH`, `>>>>>>> REPLACE`:
# aider's own edit blocks) is stored with one more backslash in front (`\<<<<<<< SEARCH`),
# the way mbox quotes `From ` lines, and read back without it. So any body round-trips, and
# a raw marker line still means a real, unresolved `git merge` conflict.
_MARKER = re.compile(r"^(?=\\*(?:<{7}|>{7}))", re.MULTILINE)
_ESCAPED_MARKER = re.compile(r"^\\(?=\\*(?:<{7}|>{7}))", re.MULTILINE)

# Front matter keys in the order people want to read them.
_KEY_ORDER = (
    "id", "title", "kind", "status", "project", "project_name", "topics", "created",
    "updated", "author", "files", "symbols", "links", "commits", "supersedes", "related", "source",
    "expansion",
)


def dump(memory: Memory) -> str:
    """The file text; parse() reads it back as `memory`. Text no file can hold (NUL bytes,
    lone surrogates from undecodable input) is dropped or becomes U+FFFD here at the latest;
    callers that take user text clean it first (plaintext.clean) and say so."""
    data = _storable(memory.model_dump(mode="json", exclude={"body"}))
    if data["source"]["client"] is None:  # only MCP's memories name a client
        del data["source"]["client"]
    ordered: dict[str, Any] = {k: data[k] for k in _KEY_ORDER if k in data}
    front = yaml.dump(
        ordered, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000
    )
    # Stripped as parse() strips it, so a line the escape looks at starts where parse sees it.
    body = escape_body(plaintext.clean(memory.body).text.strip())
    return f"---\n{front}---\n\n{body}\n"


def escape_body(body: str) -> str:
    """`body` as the file holds it: conflict-marker-like lines get one more backslash."""
    if "<<<<<<<" not in body and ">>>>>>>" not in body:
        return body
    return _MARKER.sub("\\\\", body)


def unescape_body(body: str) -> str:
    """The inverse of escape_body."""
    if "\\<<<<<<<" not in body and "\\>>>>>>>" not in body:
        return body
    return _ESCAPED_MARKER.sub("", body)


def parse(text: str, path: str = "<memory>", *, markers_are_text: bool = False) -> Memory:
    """The memory in a file's text. `markers_are_text`: the text is fresh from the user's
    editor, not from git, so a raw `<<<<<<< SEARCH` line is content (escaped when stored)."""
    if "\x00" in text:
        raise MemoryFileError(path, "binary content (NUL bytes)")
    if not text.startswith("---"):
        raise MemoryFileError(path, "no YAML front matter (file must start with '---')")
    if not markers_are_text and ("\n<<<<<<< " in text or "\n>>>>>>> " in text):
        raise MemoryFileError(path, "unresolved git merge conflict markers")
    meta = _read_fast(text) or _read_yaml(text, path)
    meta["body"] = unescape_body(meta["body"])
    try:
        return Memory.model_validate(meta)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'front matter'}: {err['msg']}"
            for err in exc.errors()
        )
        raise MemoryFileError(path, problems) from exc


def _read_fast(text: str) -> dict[str, Any] | None:
    """Front matter and body as python-frontmatter splits them, read by frontfast; None
    when frontfast declines (then PyYAML reads it)."""
    parts = _BOUNDARY.split(text.strip(), 2)
    if len(parts) != 3:
        return None
    meta = frontfast.read(parts[1])
    if not meta:
        return None
    meta["body"] = parts[2].strip()
    return meta


def _read_yaml(text: str, path: str) -> dict[str, Any]:
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as exc:
        raise MemoryFileError(path, f"invalid YAML front matter: {one_line(str(exc))}") from exc
    except ValueError as exc:
        raise MemoryFileError(path, f"unreadable front matter: {one_line(str(exc))}") from exc
    if text.count("\n---", 3) == 0 and not text.startswith("---\n---"):
        raise MemoryFileError(path, "front matter is never closed (no second '---' line)")
    meta = dict(post.metadata)
    if not meta:
        raise MemoryFileError(
            path, "empty front matter, or front matter that is not key: value pairs"
        )
    meta["body"] = post.content.strip("\n")
    return meta


def parse_bytes(raw: bytes, path: str = "<memory>") -> Memory:
    try:
        text = raw.decode("utf-8-sig")  # editors on Windows may add a BOM
    except UnicodeDecodeError as exc:
        raise MemoryFileError(path, f"not UTF-8 text ({exc.reason})") from exc
    return parse(text, path)


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return plaintext.clean(value).text
    if isinstance(value, list):
        return [_storable(v) for v in value]
    if isinstance(value, dict):
        return {k: _storable(v) for k, v in value.items()}
    return value


