"""Long natural-language queries: a word the query repeats from many memories' titles and
topics must not outweigh the rarer words that say what the developer means.

Real stores in tmp dirs and a real index (see benchmarks/bench_retrieval.py for the measured
effect on 162 queries).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aidermem.index.memory_index import MemoryIndex
from aidermem.index.search import SearchRequest, find
from aidermem.models import Kind, Memory
from aidermem.store.store import Store

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
    hits = find(MemoryIndex.open(store), SearchRequest(text=text, scope="all"))
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


@pytest.fixture
def webhook_store(tmp_path) -> Store:
    """A bug told in its body, and a note that has `webhook` in all four of its fields."""
    store = Store.open(tmp_path / "store")
    store.add_many([
        mem("Signature check failed after the middleware change",
            "construct_event got re-serialized JSON, so Stripe saw every delivery rejected "
            "with 400 until the handler read the raw body.", topics=("stripe",), kind=Kind.BUG),
        mem("Webhook retries", "Stripe retries a webhook for three days with backoff.",
            topics=("webhook",), files=("app/webhook.py",)),
        mem("Payout report", "A CSV of balance transactions per payout for finance.",
            topics=("finance",), files=("scripts/payout_report.py",)),
        mem("Radar rules", "Block when the CVC check fails; review large foreign orders.",
            topics=("fraud",)),
        mem("Test clocks", "Advance a test clock to see renewals without waiting a month.",
            topics=("testing",), files=("tests/test_subscriptions.py",)),
    ], "seed")
    return store


REJECTED = "Signature check failed after the middleware change"


def test_one_query_word_in_every_field_counts_once(webhook_store):
    query = "every webhook delivery is rejected with 400"
    assert titles(webhook_store, query)[0] == REJECTED
