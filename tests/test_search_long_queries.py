"""Long natural-language queries: a word the query repeats from many memories' titles and
topics must not outweigh the rarer words that say what the developer means.

Real stores in tmp dirs and a real index (see benchmarks/bench_retrieval.py for the measured
effect on 162 queries).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aidermem.index import MemoryIndex
from aidermem.models import Kind, Memory
from aidermem.search import SearchRequest
from aidermem.store import Store

NOW = datetime.now(UTC).replace(microsecond=0)


def mem(title: str, body: str, *, topics: tuple[str, ...] = (), files: tuple[str, ...] = (),
        kind: Kind = Kind.NOTE, days_ago: int = 10) -> Memory:
    created = NOW - timedelta(days=days_ago)
    return Memory(title=title, body=body, topics=list(topics), files=list(files), kind=kind,
                  created=created, updated=created)


@pytest.fixture
def checkout_store(tmp_path) -> Store:
    """A double-charge bug told mostly in its body, a slow-checkout bug whose short title
    holds the query's little words (when, was) and `slow`, and notes around them."""
    store = Store.open(tmp_path / "store")
    store.add_many([
        mem("Customers charged twice when the checkout request was retried",
            "Support had four tickets of double charges in one week. The front end retries "
            "POST /checkout after 15 seconds without a response, and each request created a "
            "new PaymentIntent for the same order. Fix: an idempotency key per order attempt.",
            topics=("checkout", "idempotency"), kind=Kind.BUG),
        mem("Checkout hung for over a minute when Stripe was slow",
            "During a Stripe incident checkout requests hung for 80 seconds and every worker "
            "stayed busy. The client now gives up after 10 seconds.",
            topics=("checkout", "performance"), kind=Kind.BUG),
        mem("Order status changes only through transition()",
            "Nobody assigns order.status directly; transition() checks the allowed edges.",
            topics=("orders",), kind=Kind.CONVENTION),
        mem("Refunds are issued only from the admin panel",
            "Support decides about partially shipped orders, so refunds are never automatic.",
            topics=("refunds",), kind=Kind.DECISION),
        mem("Money is an integer number of minor units",
            "Amounts are int cents plus a currency code, never float.",
            topics=("money",), kind=Kind.CONVENTION),
    ], "seed")
    return store


def titles(store: Store, text: str) -> list[str]:
    hits = MemoryIndex.open(store).search(SearchRequest(text=text, scope="all"))
    return [h.title for h in hits]


TWICE = "Customers charged twice when the checkout request was retried"


def test_a_described_symptom_beats_a_title_that_shares_only_small_words(checkout_store):
    query = ("support says some people got billed two times for the same order when the page "
             "was slow")
    assert titles(checkout_store, query)[0] == TWICE


def test_words_from_the_title_still_find_that_memory_first(checkout_store):
    assert titles(checkout_store, "checkout hung")[0] == (
        "Checkout hung for over a minute when Stripe was slow")
    assert titles(checkout_store, "minor units")[0] == "Money is an integer number of minor units"
    assert titles(checkout_store, "transition()")[0] == (
        "Order status changes only through transition()")

