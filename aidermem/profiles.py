"""What `aidermem profiles` and `aidermem profiles show NAME` print as text.

Pure rendering over the plain data that `aidermem.config` returns: no files
are read here, nothing is resolved, and nothing is printed (the CLI prints).

Text shapes (columns separated by two spaces, no trailing blanks):

    `profiles`:        PROFILE ("* " marks the active one), DESCRIPTION, DEFINED IN
    `profiles show`:   a header (profile, description, files), a blank line,
                       then KEY, VALUE, SOURCE for every setting

The `--json` shapes are commands/payloads.py's ProfileListOut and ProfileShowOut,
with every other command's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from aidermem.config import ProfileInfo, ResolvedSettings

# What a setting left at None means, so the table never shows a bare "none".
_NONE_TEXT = {"summary_model": "none (aider's weak model)"}


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join(
            [*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]
        ).rstrip()
        for row in rows
    ]


def _sources_text(sources: Sequence[Path]) -> str:
    return ", ".join(str(p) for p in sources) if sources else "(built in)"


def render_list(infos: Sequence[ProfileInfo], active: str | None = None) -> str:
    """One line per profile; `active` (the profile a launch would use) is marked '*'."""
    rows = [["  PROFILE", "DESCRIPTION", "DEFINED IN"]]
    for info in infos:
        mark = "* " if info.name == active else "  "
        rows.append([mark + info.name, info.description or "-", _sources_text(info.sources)])
    return "\n".join(_table(rows)) + "\n"


def value_text(key: str, value: object) -> str:
    """A setting's value as one line: TOML-like scalars, JSON arrays for lists."""
    if value is None:
        return _NONE_TEXT.get(key, "none")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return json.dumps([str(v) for v in value], ensure_ascii=False)
    return str(value)


def render_show(resolved: ResolvedSettings) -> str:
    """The header, then every setting with its value and where that value came from."""
    header = [
        f"profile: {resolved.profile} (selected by {resolved.profile_source})",
        f"description: {resolved.description or '-'}",
        f"files: {', '.join(str(p) for p in resolved.files) or 'none (built-in defaults only)'}",
        "",
    ]
    rows = [["KEY", "VALUE", "SOURCE"]]
    for key, origin in resolved.origins.items():
        rows.append([key, value_text(key, getattr(resolved.settings, key)), origin.label])
    return "\n".join(header + _table(rows)) + "\n"

