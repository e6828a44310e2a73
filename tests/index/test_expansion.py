"""Document expansion (issue #11 item 3): questions, symptoms and aliases in the front matter,
written by the summarizer, editable by hand, indexed at a lower weight.

Real stores in tmp dirs and a real index; parsing and the summarizer's schema are tested as
the pure functions they are.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aidermem.capture.summarize import SessionFacts, parse_summary, summary_to_memories
from aidermem.errors import MemoryFileError
from aidermem.expansion import MAX_CHARS, MAX_ITEMS, Expansion, derived_aliases
from aidermem.index.memory_index import MemoryIndex
from aidermem.index.search import SearchRequest, find
from aidermem.models import Kind, Memory
from aidermem.store import memfile
from aidermem.store.store import Store

NOW = datetime.now(UTC).replace(microsecond=0)
QUESTION = "how do customers get their money returned"


def mem(title: str, body: str = "", **kw: object) -> Memory:
    created = NOW - timedelta(days=3)
    return Memory(title=title, body=body, created=created, updated=created, **kw)


def titles(store: Store, text: str) -> list[str]:
    return [h.title for h in find(MemoryIndex.open(store), SearchRequest(text=text,
                                                                          scope="all"))]


# -- the file -----------------------------------------------------------------------------


def test_expansion_round_trips_through_the_file():
    m = mem("Refunds", "Issued from the Stripe dashboard.", expansion={
        "questions": [QUESTION], "symptoms": ["customer says the refund never arrived"],
        "aliases": ["reimbursement", "chargeback"]})
    text = memfile.dump(m)
    assert "expansion:\n  questions:\n  - how do customers get their money returned\n" in text
    assert memfile.parse(text) == m


def test_a_memory_without_expansion_writes_no_expansion_key():
    m = mem("Plain note", "nothing more")
    text = memfile.dump(m)
    assert "expansion" not in text
    assert memfile.parse(text).expansion == Expansion()


def front(body_yaml: str) -> str:
    return ("---\nid: 01JQAAAA\ntitle: Refunds\nkind: note\ncreated: '2025-01-10T12:00:00Z'\n"
            f"updated: '2025-01-10T12:00:00Z'\n{body_yaml}---\n\nbody\n")


def test_hand_written_expansion_is_read_leniently_where_the_meaning_is_plain():
    m = memfile.parse(front("expansion:\n  questions: where do refunds come from?\n"
                            "  aliases:\n  - 42\n  - '  spaced   out  '\n  - 42\n"))
    assert m.expansion == Expansion(questions=["where do refunds come from?"],
                                    aliases=["42", "spaced out"])


def test_overlong_expansion_is_cut_to_its_bounds():
    many = "".join(f"  - question {i}\n" for i in range(20))
    long = "x" * (MAX_CHARS + 50)
    m = memfile.parse(front(f"expansion:\n  questions:\n{many}  aliases:\n  - {long}\n"))
    assert len(m.expansion.questions) == MAX_ITEMS
    assert m.expansion.aliases == ["x" * MAX_CHARS]


@pytest.mark.parametrize(("yaml_text", "complaint"), [
    ("expansion: just a string\n", "expansion"),
    ("expansion:\n  questions:\n  - {a: 1}\n", "expansion.questions: Value error, each entry "
     "must be a text, not {'a': 1}"),
    ("expansion:\n  questions: {a: 1}\n", "expansion.questions: Value error, must be a list"),
    ("expansion:\n  answers: [x]\n", "expansion.answers: Extra inputs are not permitted"),
])
def test_bad_expansion_values_are_a_clear_file_error(yaml_text, complaint):
    with pytest.raises(MemoryFileError) as caught:
        memfile.parse(front(yaml_text), "notes/refunds.md")
    assert complaint in str(caught.value)
    assert "notes/refunds.md" in str(caught.value)


def test_a_bad_hand_edit_is_skipped_and_the_file_is_kept(tmp_path: Path):
    store = Store.open(tmp_path / "store")
    relpath = store.add(mem("Refunds", "Issued from the Stripe dashboard."))
    path = store.root / relpath
    broken = path.read_text().replace("---\n\n", "expansion: [1, 2\n---\n\n", 1)
    path.write_text(broken)
    index = MemoryIndex.open(store)
    index.sync()
    assert [e.path for e in index.broken()] == [relpath]
    assert path.read_text() == broken  # nothing lost: the user fixes it by hand


# -- the index ----------------------------------------------------------------------------


def test_a_hand_added_question_finds_its_memory(tmp_path: Path):
    store = Store.open(tmp_path / "store")
    relpath = store.add(mem("Refunds are issued from the Stripe dashboard",
                            "The finance team issues them there."))
    store.add(mem("Checkout button", "The customers click it twice sometimes."))
    assert titles(store, QUESTION)[0] == "Checkout button"
    path = store.root / relpath
    path.write_text(path.read_text().replace(
        "---\n\n", f"expansion:\n  questions:\n  - {QUESTION}\n---\n\n", 1))
    assert titles(store, QUESTION)[0] == "Refunds are issued from the Stripe dashboard"


def test_expansion_counts_less_than_a_memory_own_words(tmp_path: Path):
    store = Store.open(tmp_path / "store")
    store.add_many([
        mem("About chargebacks", "What a chargeback is."),
        mem("Disputes", "Card disputes.", expansion={"aliases": ["chargebacks"]}),
    ], "seed")
    assert titles(store, "chargebacks") == ["About chargebacks", "Disputes"]


def test_the_no_model_method_aliases_file_names():
    assert derived_aliases(["src/bin/compact.rs", "README", "web/app.config.ts"]) == [
        "compact.rs", "compact", "app.config.ts", "app"]


# -- the summarizer -----------------------------------------------------------------------


def test_the_summarizer_writes_expansion_for_each_memory():
    reply = json.dumps({
        "title": "Fixed refunds", "summary": "We fixed refunds.",
        "questions": ["what happened to refunds this week"],
        "bugs": [{"title": "Refund lost", "symptom": "refund not shown",
                  "root_cause": "webhook dropped", "fix": "retry",
                  "questions": [QUESTION], "symptoms": ["refund never arrived"],
                  "aliases": ["reimbursement"]}],
        "decisions": [{"title": "Use the dashboard", "decision": "dashboard only",
                       "questions": 5, "aliases": "dash"}],
    })
    facts = SessionFacts(project_id="github.com/acme/shop", project_name="shop")
    session, decision, bug = summary_to_memories(parse_summary(reply), facts)
    assert session.expansion == Expansion(questions=["what happened to refunds this week"])
    assert bug.kind == Kind.BUG
    assert bug.expansion == Expansion(questions=[QUESTION], symptoms=["refund never arrived"],
                                      aliases=["reimbursement"])
    assert decision.expansion == Expansion(questions=["5"], aliases=["dash"])
    assert memfile.parse(memfile.dump(bug)).expansion == bug.expansion


def test_the_summary_prompt_asks_for_expansion():
    text = (Path(__file__).parents[2] / "prompts" / "summarize.md").read_text()
    for key in ('"questions"', '"symptoms"', '"aliases"'):
        assert key in text
