"""The context file aider reads: golden output, budget never exceeded."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from aidermem import context, tokens
from aidermem.models import Kind, Memory

GOLDEN = Path(__file__).parent / "golden"
PROJECT = "github.com/acme/shop"


def _memory(n: int, kind: Kind, title: str, body: str, project: str = PROJECT) -> Memory:
    when = datetime(2026, 11, n, 9, 30, tzinfo=UTC)
    return Memory(
        id=f"01JCONTEXT{n:016d}",
        title=title,
        kind=kind,
        body=body,
        project=project,
        project_name=project.rsplit("/", 1)[-1],
        created=when,
        updated=when,
    )


LAST = _memory(
    20,
    Kind.SESSION,
    "Move sessions to Redis",
    "## Summary\nReplaced the in-memory session store with Redis.\n\n"
    "## Open threads\n- expire idle sessions after 30 minutes\n- load test the login path",
)
NOTES = [
    _memory(18, Kind.DECISION, "Use Redis for sessions", "Redis, because we run 3 web workers.\n"
            "**Rejected:** sticky sessions (breaks blue/green deploys)."),
    _memory(15, Kind.CONVENTION, "Service names end in Service", "`AuthService`, `CartService`."),
    _memory(12, Kind.BUG, "Login loop on Safari", "Root cause: SameSite=None without Secure.",
            project="github.com/acme/admin"),
]


def test_render_matches_golden() -> None:
    text = context.render(
        project_name="shop", current_project=PROJECT, last_session=LAST, memories=NOTES, budget=1500
    )
    golden = GOLDEN / "context_basic.md"
    assert text == golden.read_text(encoding="utf-8")


def test_nothing_to_say_gives_none() -> None:
    assert context.render(
        project_name="shop", current_project=PROJECT, last_session=None, memories=[], budget=1500
    ) is None


@pytest.mark.parametrize("budget", [120, 200, 300, 500, 900, 1500, 4000])
def test_budget_is_never_exceeded(budget: int) -> None:
    many = [
        _memory(1 + i % 28, Kind.DECISION, f"Decision {i} about getUserById caching",
                "Because " + "the cache invalidation story matters " * 40)
        for i in range(40)
    ]
    text = context.render(
        project_name="shop", current_project=PROJECT, last_session=LAST, memories=many,
        budget=budget,
    )
    if text is not None:
        assert tokens.count(text) <= budget
    if budget >= 500:
        assert text is not None and "Where the last session stopped" in text


def test_lower_ranked_notes_are_dropped_first() -> None:
    many = [
        _memory(1 + i, Kind.NOTE, f"Note number {i}", "detail " * 200) for i in range(10)
    ]
    text = context.render(
        project_name="shop", current_project=PROJECT, last_session=None, memories=many, budget=700
    )
    assert text is not None
    assert "Note number 0" in text
    assert "Note number 9" not in text


def test_last_session_not_repeated_among_notes() -> None:
    text = context.render(
        project_name="shop", current_project=PROJECT, last_session=LAST,
        memories=[LAST, *NOTES], budget=1500,
    )
    assert text is not None
    assert text.count(LAST.id) == 1
