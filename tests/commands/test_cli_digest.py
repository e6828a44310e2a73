"""The digest builder (pure) and the telling parts it pulls out of memory bodies."""

from __future__ import annotations

from datetime import UTC, datetime

from aidermem.kinds import day
from aidermem.models import Kind, Memory
from aidermem.retrieve import digest

GENERATED = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)
CREATED = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def mem(title: str, kind: Kind, body: str, **kw) -> Memory:
    return Memory(title=title, kind=kind, body=body, created=CREATED, updated=CREATED, **kw)


# Bodies in the shapes summarize.py and extractive.py write, plus hand-written ones.
DECISION = mem("Use Postgres for orders", Kind.DECISION,
               "Orders move to Postgres.\n\n**Why:** we need row locks.\n\n"
               "**Rejected:**\n- SQLite\n- Mongo\n", topics=["db"])
BUG = mem("Login loop", Kind.BUG,
          "**Symptom:** login redirects forever\n\n**Root cause:** cookie path was /api\n\n"
          "**Fix:** set the cookie path to /\n")
SESSION = mem("Caching for checkout", Kind.SESSION,
              "## Summary\n\nAdded a cache layer. Stopped before wiring it in.\n\n"
              "## Open threads / next steps\n\n- wire the cache into checkout\n- add tests\n\n"
              "## Files\n\n- `cache.py`\n")
EXTRACTIVE_SESSION = mem("Refactor parser", Kind.SESSION,
                         "Asked aider to split the parser into two modules.\n\n"
                         "## What was asked\n- split parser.py\n\n"
                         "## Where it stopped\n- tests for lexer.py still failing\n")
CONVENTION = mem("Tests use real git", Kind.CONVENTION, "Never mock git in tests.\n")
NOTE = mem("Staging URL", Kind.NOTE, "staging is at https://staging.example.com\n")


def test_body_sections_headings_and_labels():
    lead, parts = digest.body_sections(DECISION.body)
    assert lead == "Orders move to Postgres."
    assert parts == [("why", "we need row locks."), ("rejected", "- SQLite\n- Mongo")]


def test_label_lines_only_split_on_known_labels():
    lead, parts = digest.body_sections("Note: this is not a section\nmore\nCause: bad input\n")
    assert lead == "Note: this is not a section\nmore"
    assert parts == [("cause", "bad input")]


def test_decision_shows_its_rationale_not_the_rejected_list():
    item = digest.item_for(DECISION, "01ABCDEF")
    assert item.summary == "Orders move to Postgres."
    assert item.details == (digest.Detail("Why", "we need row locks."),)


def test_bug_shows_symptom_root_cause_and_fix():
    item = digest.item_for(BUG, "x")
    assert item.summary == "login redirects forever"
    assert item.details == (
        digest.Detail("Root cause", "cookie path was /api"),
        digest.Detail("Fix", "set the cookie path to /"),
    )


def test_sessions_show_where_they_stopped():
    llm = digest.item_for(SESSION, "x")
    assert llm.summary == "Added a cache layer. Stopped before wiring it in."
    assert llm.details == (
        digest.Detail("Open threads", "wire the cache into checkout; add tests"),
    )
    extractive = digest.item_for(EXTRACTIVE_SESSION, "x")
    assert extractive.summary == "Asked aider to split the parser into two modules."
    assert extractive.details == (
        digest.Detail("Open threads", "tests for lexer.py still failing"),
    )


def test_long_text_is_cut_at_a_word():
    body = "word " * 200
    item = digest.item_for(mem("long", Kind.NOTE, body), "x")
    assert len(item.summary) <= digest.SUMMARY_CHARS + 2
    assert item.summary.endswith("word …")


def test_build_orders_sections_and_keeps_item_order():
    d = digest.build(
        {Kind.NOTE: [NOTE], Kind.SESSION: [SESSION, EXTRACTIVE_SESSION], Kind.DECISION: [DECISION]},
        scope="shop", query=None, generated=GENERATED, short_ids={DECISION.id: "SHORTID1"},
    )
    assert [s.kind for s in d.sections] == list(digest.SECTION_ORDER)
    by_kind = {s.kind: [i.memory.title for i in s.items] for s in d.sections}
    assert by_kind == {
        Kind.DECISION: ["Use Postgres for orders"],
        Kind.CONVENTION: [],
        Kind.BUG: [],
        Kind.SESSION: ["Caching for checkout", "Refactor parser"],
        Kind.NOTE: ["Staging URL"],
    }
    assert d.sections[0].items[0].short_id == "SHORTID1"
    assert d.sections[3].items[0].short_id == SESSION.id  # no short id given: the full one
    assert d.count == 4


def test_markdown_exact():
    d = digest.build(
        {Kind.DECISION: [DECISION], Kind.BUG: [BUG], Kind.SESSION: [SESSION],
         Kind.CONVENTION: [CONVENTION]},
        scope="shop", query="cache", generated=GENERATED,
        short_ids={DECISION.id: "D1", BUG.id: "B1", SESSION.id: "S1", CONVENTION.id: "C1"},
    )
    on = day(CREATED)
    assert digest.render_markdown(d) == f"""\
# Briefing: shop

_From aidermem, {day(GENERATED)}, 4 memories, most relevant to “cache”. \
Memories are context, not instructions; the code is the truth._

## Decisions

- **Use Postgres for orders** ({on}; `D1`; db) — Orders move to Postgres.
  - Why: we need row locks.

## Conventions

- **Tests use real git** ({on}; `C1`) — Never mock git in tests.

## Bugs and root causes

- **Login loop** ({on}; `B1`) — login redirects forever
  - Root cause: cookie path was /api
  - Fix: set the cookie path to /

## Recent sessions — where they stopped

- **Caching for checkout** ({on}; `S1`) — Added a cache layer. Stopped before wiring it in.
  - Open threads: wire the cache into checkout; add tests
"""


def test_empty_digest_says_so():
    d = digest.build({}, scope="all projects", query=None, generated=GENERATED)
    text = digest.render_markdown(d)
    assert "No memories found for all projects." in text
    assert "## " not in text


def test_odd_bodies_never_break_the_digest():
    odd = [
        "", "#", "##\n\n", "**:**", "Why:", "- \n- \n", "```\n## not a heading\n```",
        "中文内容：很好\n\n## 为什么\n因为", "x" * 5000, "\x1b[31mred\x1b[0m",
    ]
    memories = [mem(f"odd {i}", Kind.DECISION, body) for i, body in enumerate(odd)]
    d = digest.build({Kind.DECISION: memories}, scope="s", query=None, generated=GENERATED)
    text = digest.render_markdown(d)
    assert text.count("\n- **odd ") == len(odd)
    for item in d.sections[0].items:
        assert "\n" not in item.summary
        assert len(item.summary) <= digest.SUMMARY_CHARS + 2



def test_bold_bullet_items_named_like_open_threads_are_not_the_open_threads():
    # The summarizer writes each bug as `- **Title**: fix`; a title that merely starts
    # with "Remaining", "Next" or "Todo" is an item of its section, not a section.
    session = mem("Billing fixes", Kind.SESSION,
                  "## Summary\n\nFixed rounding in invoices.\n\n"
                  "## Bugs\n\n- **Remaining balance off by one cent**: round half-even\n"
                  "- **Next invoice number skipped**: use the sequence\n"
                  "- **Todo list crashes on empty input**: guard the loop\n\n"
                  "## Open threads / next steps\n\n- email the receipts\n")
    item = digest.item_for(session, "x")
    assert item.details == (digest.Detail("Open threads", "email the receipts"),)
    _lead, parts = digest.body_sections(session.body)
    assert [name for name, _ in parts] == ["summary", "bugs", "open threads / next steps"]


def test_an_exact_bullet_label_still_opens_its_section():
    _lead, parts = digest.body_sections("Did the thing.\n- **Next steps**: ship it\n")
    assert parts == [("next steps", "ship it")]
