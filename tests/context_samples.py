"""One captured session, as capture stores it: shared by the context tests."""

from __future__ import annotations

from aidermem.models import Memory

PROJECT = "github.com/acme/shop"

HISTORY = "\n".join([  # as aider writes it: user lines and tool lines end in two spaces
    "# aider chat started at 2026-11-20 09:30:00", "",
    "#### decision: keep JSON file storage because the data set is tiny  ", "",
    "#### remember: the staging database is reset every night at 02:00  ", "",
    "#### fix the cart total that is off by one cent  ", "",
    "Done.", "",
    "> Applied edit to cart.py  ",
    "> Commit 1a2b3c4 Fix cart total rounding  ", "",
])


def _captured_session() -> list[Memory]:
    """One session as capture stores it: the extractive notes, then the model's summary
    (which replaces the extractive session memory and adds its own linked memories)."""
    from aidermem.capture import extractive, summarize, transcript

    (session,) = transcript.split_sessions(HISTORY)
    made = extractive.extract(session, extractive.Origin("s1"), project_id=PROJECT,
                              project_name="shop")
    noted = made[1:]
    summary = summarize.parse_summary(
        '{"title": "Cart rounding and storage", "summary": "Fixed the cart total rounding.",'
        ' "decisions": [{"title": "Keep JSON file storage",'
        '   "decision": "Keep JSON file storage because the data set is tiny.",'
        '   "rationale": "a database is not worth running for 2 MB"}],'
        ' "bugs": [{"title": "Cart total off by one cent", "symptom": "totals one cent low",'
        '   "root_cause": "float rounding", "fix": "round half-even in cents"}],'
        ' "open_threads": ["check refunds for the same rounding"]}')
    facts = summarize.SessionFacts(
        project_id=PROJECT, project_name="shop", commits=[("1a2b3c4", "Fix cart total")],
        files_edited=["cart.py"],
        remember_lines=[f"{kind}: {text}" for kind, text in session.remember])
    last, *derived = summarize.summary_to_memories(summary, facts)
    last.related = [*last.related, *(m.id for m in noted)]
    return [last, *derived, *noted]
