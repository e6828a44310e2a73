"""The filter options `search`, `list` and `digest` share, and their parsing.

`parse_since` and `split_words` are pure. `add_filter_arguments` declares the
options once and `request_for` reads them, so the three commands cannot drift
apart. Nothing here writes; only `resolve_project` and `check_project` ask the index.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from aidermem.errors import NotFoundError, UsageError
from aidermem.index.search import SearchRequest, find
from aidermem.kinds import Kind, normalize_topic, now

if TYPE_CHECKING:
    from aidermem.commands.app import App
    from aidermem.index.memory_index import MemoryIndex

_RELATIVE = re.compile(r"^(\d{1,5})\s*(min|mo|[mhdwy])$")
# `m` is minutes, as in most command-line tools (sleep, timeout, journalctl); a month
# (30 days) is `mo`, so `--since 30m` never silently reaches back 30 months.
_UNITS = {
    "m": timedelta(minutes=1), "min": timedelta(minutes=1), "h": timedelta(hours=1),
    "d": timedelta(days=1), "w": timedelta(days=7), "mo": timedelta(days=30),
    "y": timedelta(days=365),
}


def parse_since(text: str, current: datetime) -> datetime:
    """`2024-05-01` (local midnight) or an age: `30m`/`30min` (minutes), `12h`, `7d`, `2w`,
    `3mo` (months of 30 days), `1y`."""
    value = text.strip().lower()
    match = _RELATIVE.match(value)
    if match:
        return current - int(match.group(1)) * _UNITS[match.group(2)]
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"cannot read --since {text!r}",
            "give a date such as 2024-05-01 or an age such as 30m (minutes), 12h, 7d, 2w, "
            "3mo (months) or 1y",
        ) from None
    return datetime(day.year, day.month, day.day).astimezone()


def split_words(values: Iterable[str] | None) -> list[str]:
    """Repeatable, comma-separated option values as one flat list, blanks dropped."""
    out: list[str] = []
    for value in values or []:
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return out


def topics_of(values: Iterable[str] | None) -> list[str]:
    return list(dict.fromkeys(t for t in map(normalize_topic, split_words(values)) if t))


def kinds_of(values: Iterable[str] | None) -> list[Kind]:
    kinds: list[Kind] = []
    for word in split_words(values):
        try:
            kind = Kind(word.lower())
        except ValueError:
            raise UsageError(f"unknown kind {word!r}",
                             f"use one of: {', '.join(k.value for k in Kind)}") from None
        if kind not in kinds:
            kinds.append(kind)
    return kinds


def _since(text: str) -> datetime:
    return parse_since(text, now())


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def add_filter_arguments(parser: argparse.ArgumentParser, *, limit: int, limit_help: str) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--project", metavar="NAME_OR_ID",
                       help="only this project (its name or id; \"\" for global memories); "
                            "default: the current project and global memories")
    where.add_argument("--all-projects", action="store_true", help="every project")
    parser.add_argument("--topics", action="append", metavar="A,B",
                        help="only memories with all these topics (repeatable)")
    parser.add_argument("--kind", action="append", metavar="KIND",
                        help=f"only these kinds ({', '.join(k.value for k in Kind)}; repeatable)")
    parser.add_argument("--since", type=_since, metavar="WHEN",
                        help="only memories created since a date (2024-05-01) or an age "
                             "(30m or 30min minutes, 12h, 7d, 2w, 3mo months, 1y)")
    parser.add_argument("--limit", type=_positive, default=limit, help=limit_help)
    parser.add_argument("--archived", action="store_true",
                        help="include archived (forgotten) memories")


def scope_of(args: argparse.Namespace, app: App) -> tuple[str | Sequence[str], list[str] | None]:
    """The search scope the options ask for, and the project ids it covers (None: all)."""
    if args.all_projects:
        return "all", None
    if args.project is not None:  # "" is a real choice: global memories only
        current = app.project
        wanted = [args.project]
        if args.project and (args.project in current.ids
                             or args.project.lower() == current.name.lower()):
            wanted = list(dict.fromkeys([args.project, *current.ids]))  # under all its ids
        return wanted, wanted
    return "project", [*app.project.ids, ""]


def check_project(args: argparse.Namespace, app: App, index: MemoryIndex) -> None:
    """For a `--project` that found nothing: raise if it names no project at all, so a
    typo is not mistaken for "nothing matched". Known: global (""), the current project
    (which has no memories before its first) and every project the index holds."""
    wanted = args.project
    if not wanted or args.all_projects:
        return
    current = app.project
    if wanted in (current.id, *current.aliases) or wanted.lower() == current.name.lower():
        return
    if not index.has_project(wanted):
        raise NotFoundError(f"no such project {wanted!r}",
                            "`aidermem projects` lists the projects with memories")


def request_for(
    args: argparse.Namespace, app: App, text: str, **overrides: object
) -> SearchRequest:
    scope, _ = scope_of(args, app)
    fields: dict[str, object] = {
        "text": text, "project": app.project.id, "aliases": app.project.aliases, "scope": scope,
        "topics": topics_of(args.topics), "kinds": kinds_of(args.kind), "since": args.since,
        "limit": args.limit, "include_archived": args.archived,
    }
    fields.update(overrides)
    return SearchRequest(**fields)  # type: ignore[arg-type]


def resolve_project(app: App, name_or_id: str) -> tuple[str, str]:
    """(id, readable name) of a project named on the command line.

    The current project and projects with indexed memories are recognized by
    id or name; anything else is taken as a new project's id.
    """
    wanted = name_or_id.strip()
    if not wanted:
        raise UsageError("--project is empty", "give a project name or id, or use --global")
    current = app.project
    if wanted == current.id or wanted.lower() == current.name.lower():
        return current.id, current.name
    hits = find(app.index, SearchRequest(scope=[wanted], limit=1, include_archived=True))
    if hits:
        return hits[0].project, hits[0].project_name
    return wanted, PurePosixPath(wanted.rstrip("/")).name or wanted
