"""Search: odd queries, identifiers, CJK, boosts, filters, snippets, ranking.

Real stores in tmp dirs and a real index; ranking and snippets are also
tested as the pure functions they are.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aidermem.index.memory_index import MemoryIndex
from aidermem.index.ranking import DAY, Candidate, Weights, rank, recency_factor, topic_factor
from aidermem.index.search import Hit, SearchRequest, find, make_snippet
from aidermem.models import Kind, Memory, Status
from aidermem.store.store import Store

NOW = datetime.now(UTC).replace(microsecond=0)
SHOP, BILLING = "github.com/acme/shop", "github.com/acme/billing"


def mem(title, body="", days_ago=10, **kw) -> Memory:
    created = NOW - timedelta(days=days_ago)
    return Memory(title=title, body=body, created=created, updated=created, **kw)


@pytest.fixture
def store(tmp_path) -> Store:
    return Store.open(tmp_path / "store")


def search(store: Store, text: str = "", **kw) -> list[Hit]:
    kw.setdefault("scope", "all")
    return find(MemoryIndex.open(store), SearchRequest(text=text, **kw))


def titles(store: Store, text: str = "", **kw) -> list[str]:
    return [h.title for h in search(store, text, **kw)]


# -- text matching ------------------------------------------------------------------------

ODD_QUERIES = [
    "foo(bar)?", "C++ -> std::vector<int>", "a:b", '"unbalanced', "'", "*", "*:*",
    "title:secret", "AND OR NOT", "(((", "]]]", "\\", "-", "--help", "^2~3", "{!}",
    "日本語", "Привет", "🙂", "\x00", "a" * 5000, "word " * 2000, "%s %d {0}", "$(rm -rf /)",
]


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_odd_queries_return_without_error(store, query):
    store.add(mem("plain memory", "nothing special here"))
    hits = search(store, query)
    assert isinstance(hits, list)


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("foo(bar)?", "calls foo with bar"),
        ("C++ vector", "c++ vectors"),
        ("std::vector<int>", "c++ vectors"),
        ('"unbalanced', "unbalanced quotes"),
        ("a:b ratio", "ratio note"),
    ],
)
def test_odd_queries_find_their_words(store, query, title):
    store.add_many([
        mem("calls foo with bar", "we call foo(bar) twice"),
        mem("c++ vectors", "prefer std::vector<int> over raw arrays in C++"),
        mem("unbalanced quotes", 'a string like "unbalanced broke the parser'),
        mem("ratio note", "keep the a:b ratio at 3:1"),
        mem("unrelated", "completely different content"),
    ], "seed")
    assert titles(store, query)[0] == title


@pytest.mark.parametrize(
    "query", ["getUserById", "get_user_by_id", "GetUserByID", "get-user-by-id", "GET_USER_BY_ID"]
)
def test_identifier_ranks_best_in_every_style(store, query):
    store.add_many([
        mem("lookup fix", "The getUserById helper returned stale rows."),
        mem("users page", "A user can get a list by name; the id column is hidden."),
        mem("unrelated", "nothing about that"),
    ], "seed")
    assert titles(store, query) == ["lookup fix", "users page"]


def test_identifier_words_in_prose_find_the_identifier(store):
    store.add_many([mem("lookup fix", "The get_user_by_id helper returned stale rows."),
                    mem("unrelated", "nothing about that")], "seed")
    assert titles(store, "get user by id") == ["lookup fix"]


def test_path_and_dotted_identifiers_match_their_parts(store):
    store.add_many([
        mem("service path", "Edited src/authService.py and auth.service.authenticate_user."),
        mem("other", "the service was down"),
    ], "seed")
    assert titles(store, "authService")[0] == "service path"
    assert titles(store, "authenticate_user")[0] == "service path"
    assert titles(store, "authenticate user")[0] == "service path"


def test_chinese_found_by_a_two_character_query(store):
    store.add_many([
        mem("登录问题", "用户登录失败，需要检查令牌。"),
        mem("unrelated", "something else entirely"),
    ], "seed")
    hits = search(store, "登录")
    assert [h.title for h in hits] == ["登录问题"]
    assert "失败" in titles(store, "失败")[0] or titles(store, "失败") == ["登录问题"]


def test_other_scripts_and_accents(store):
    store.add_many([
        mem("russian", "Ошибка при обновлении кэша"),
        mem("french", "Le délai d'expiration du jeton"),
        mem("greek", "Ελληνικά κείμενα"),
    ], "seed")
    assert titles(store, "кэша") == ["russian"]
    assert titles(store, "delai") == ["french"]
    assert titles(store, "DÉLAI") == ["french"]
    assert titles(store, "ελληνικα") == ["greek"]


def test_english_inflections_match(store):
    store.add_many([mem("retry note", "we retried the payments"), mem("other", "nothing")],
                   "seed")
    assert titles(store, "retries") == ["retry note"]
    assert titles(store, "payment retrying") == ["retry note"]


def test_query_of_only_symbols_finds_nothing_rather_than_everything(store):
    store.add(mem("anything", "text"))
    assert search(store, "!!! ???") == []
    assert len(search(store, "")) == 1  # empty text lists


# -- ranking --------------------------------------------------------------------------------

def test_title_beats_body(store):
    store.add_many([
        mem("about pelicans", "a bird note", days_ago=10),
        mem("bird note", "this one mentions pelicans once", days_ago=10),
    ], "seed")
    assert titles(store, "pelicans") == ["about pelicans", "bird note"]


def test_topic_beats_body(store):
    store.add_many([
        mem("first", "mentions caching once", topics=["misc"]),
        mem("second", "general note", topics=["caching"]),
    ], "seed")
    assert titles(store, "caching")[0] == "second"


def test_newer_first_between_equal_matches(store):
    store.add_many([mem("old", "kiwi fact", days_ago=400), mem("new", "kiwi fact", days_ago=1)],
                   "seed")
    assert titles(store, "kiwi") == ["new", "old"]


def test_recency_does_not_bury_a_much_better_match(store):
    store.add_many([
        mem("kiwi kiwi handbook", "kiwi kiwi kiwi everything about kiwi", days_ago=700),
        mem("fresh", "a long note about many fruits where kiwi appears once among apples "
            "pears plums cherries grapes melons", days_ago=0),
    ], "seed")
    assert titles(store, "kiwi")[0] == "kiwi kiwi handbook"


def test_current_project_boost_in_scope_all(store):
    store.add_many([
        mem("billing note", "shared subject", project=BILLING, project_name="billing"),
        mem("shop note", "shared subject", project=SHOP, project_name="shop"),
    ], "seed")
    assert titles(store, "shared", project=SHOP)[0] == "shop note"
    assert titles(store, "shared", project=BILLING)[0] == "billing note"


def test_an_earlier_id_of_the_project_is_in_its_scope_and_boosted_as_it(store):
    store.add_many([
        mem("billing note", "shared subject", project=BILLING, project_name="billing"),
        mem("shop note", "shared subject", project="/home/me/shop", project_name="shop"),
    ], "seed")
    assert titles(store, "shared", project=SHOP, scope="project") == []
    assert titles(store, "shared", project=SHOP, scope="project", aliases=["/home/me/shop"]
                  ) == ["shop note"]
    assert titles(store, "shared", project=BILLING, scope="all", aliases=["/home/me/shop"]
                  )[0] == "billing note"
    assert titles(store, "shared", project=SHOP, scope="all", aliases=["/home/me/shop"]
                  )[0] == "shop note"


def test_prefer_topics_boost(store):
    store.add_many([mem("a", "walrus", topics=["zoo"]), mem("b", "walrus", topics=["db"])],
                   "seed")
    assert titles(store, "walrus", prefer_topics=["db"])[0] == "b"
    assert titles(store, "walrus", prefer_topics=["zoo"])[0] == "a"


# -- filters --------------------------------------------------------------------------------

@pytest.fixture
def varied(store) -> Store:
    store.add_many([
        mem("shop bug", "checkout crash", kind=Kind.BUG, project=SHOP, project_name="shop",
            topics=["payments", "checkout"], days_ago=3),
        mem("shop decision", "checkout uses stripe", kind=Kind.DECISION, project=SHOP,
            project_name="shop", topics=["payments"], days_ago=40),
        mem("billing note", "checkout totals", project=BILLING, project_name="billing",
            days_ago=5),
        mem("global convention", "checkout naming rules", kind=Kind.CONVENTION, days_ago=100),
        mem("archived shop", "checkout old way", project=SHOP, project_name="shop",
            status=Status.ARCHIVED, days_ago=2),
    ], "seed")
    return store


def test_scope_project_is_project_plus_global(varied):
    got = set(titles(varied, "checkout", scope="project", project=SHOP))
    assert got == {"shop bug", "shop decision", "global convention"}


def test_scope_project_without_a_project_is_everything(varied):
    assert len(titles(varied, "checkout", scope="project")) == 4


def test_scope_all_and_explicit_lists(varied):
    assert len(titles(varied, "checkout", scope="all", project=SHOP)) == 4
    assert set(titles(varied, "checkout", scope=["billing"])) == {"billing note"}
    assert set(titles(varied, "checkout", scope=["SHOP"])) == {"shop bug", "shop decision"}
    assert set(titles(varied, "checkout", scope=[BILLING, ""])) == {"billing note",
                                                                    "global convention"}
    assert titles(varied, "checkout", scope=["nope"]) == []


def test_kind_topics_since_filters(varied):
    assert titles(varied, "checkout", kinds=[Kind.BUG, Kind.CONVENTION]) == [
        "shop bug", "global convention"] or set(
        titles(varied, "checkout", kinds=[Kind.BUG, Kind.CONVENTION])) == {
        "shop bug", "global convention"}
    assert set(titles(varied, "checkout", topics=["payments"])) == {"shop bug", "shop decision"}
    assert titles(varied, "checkout", topics=["payments", "Checkout"]) == ["shop bug"]
    assert set(titles(varied, "checkout", since=NOW - timedelta(days=10))) == {
        "shop bug", "billing note"}


def test_archived_only_when_asked(varied):
    assert "archived shop" not in titles(varied, "checkout")
    assert "archived shop" in titles(varied, "checkout", include_archived=True)


def test_empty_text_lists_newest_first_with_filters(varied):
    assert titles(varied) == ["shop bug", "billing note", "shop decision", "global convention"]
    assert titles(varied, scope="project", project=SHOP, limit=2) == ["shop bug",
                                                                      "shop decision"]
    assert titles(varied, kinds=["decision"]) == ["shop decision"]
    hits = search(varied)
    assert all(h.score == 0.0 and h.highlights == () for h in hits)


def test_limit(varied):
    assert len(search(varied, "checkout", limit=2)) == 2


def test_hit_fields(store):
    m = mem("full hit", "body with keyword inside", kind=Kind.DECISION, project=SHOP,
            project_name="shop", topics=["auth"], files=["src/app.py"])
    relpath = store.add(m)
    (hit,) = search(store, "keyword")
    assert (hit.id, hit.relpath, hit.title, hit.kind, hit.project, hit.project_name) == (
        m.id, relpath, "full hit", "decision", SHOP, "shop")
    assert (hit.topics, hit.files, hit.status, hit.created) == (
        ("auth",), ("src/app.py",), "active", m.created)
    assert hit.score > 0
    assert hit.snippet == "body with keyword inside"
    assert [hit.snippet[s:e] for s, e in hit.highlights] == ["keyword"]


def test_request_validation():
    with pytest.raises(ValueError, match="scope"):
        SearchRequest(scope="everything")
    with pytest.raises(ValueError, match="scope"):
        SearchRequest(scope=[])
    with pytest.raises(ValueError, match="limit"):
        SearchRequest(limit=0)
    naive = SearchRequest(since=datetime(2025, 1, 1))
    assert naive.since is not None and naive.since.tzinfo is not None
    req = SearchRequest(project="p", topics=["Auth Flow", "auth-flow"], kinds=[Kind.BUG])
    assert (req.current_project, req.topics, req.kinds) == ("p", ("auth-flow",), ("bug",))


# -- snippets (pure) ------------------------------------------------------------------------

def test_snippet_highlights_matched_words():
    text, spans = make_snippet("Fixed getUserById in src/app.py today.", ["getuserbyid"])
    assert [text[s:e] for s, e in spans] == ["getUserById"]


def test_snippet_window_moves_to_the_matches():
    body = ("filler " * 100) + "the rare marmot appears here" + (" filler" * 100)
    text, spans = make_snippet(body, ["marmot"], width=80)
    assert text.startswith("… ") and text.endswith(" …")
    assert [text[s:e] for s, e in spans] == ["marmot"]
    assert len(text) <= 80 + 4


def test_snippet_collapses_whitespace_and_handles_cjk_and_accents():
    text, spans = make_snippet("line one\n\n  用户登录失败\tcafé", ["登录", "cafe"])
    assert text == "line one 用户登录失败 café"
    assert [text[s:e] for s, e in spans] == ["登录", "café"]


def test_snippet_without_terms_or_body():
    assert make_snippet("", ["x"]) == ("", ())
    text, spans = make_snippet("a b c " * 100, [])
    assert spans == () and text.endswith(" …") and len(text) <= 204


# -- ranking (pure) -------------------------------------------------------------------------

T0 = 1_800_000_000.0


def cand(key, score, age_days=0.0, project="p", topics=()):
    return Candidate(key=key, text_score=score, created=T0 - age_days * DAY, project=project,
                     topics=tuple(topics))


def test_recency_is_one_now_and_decays_towards_the_floor():
    w = Weights()
    assert recency_factor(0) == 1.0
    assert recency_factor(-5 * DAY) == 1.0  # clock skew: a future date is "now"
    assert recency_factor(90 * DAY) == pytest.approx(w.recency_floor + (1 - w.recency_floor) / 2)
    assert recency_factor(3650 * DAY) == pytest.approx(w.recency_floor, abs=1e-6)
    factors = [recency_factor(a * DAY) for a in (0, 10, 90, 365, 730)]
    assert factors == sorted(factors, reverse=True)


def test_rank_newer_wins_between_equal_text_scores():
    ranked = rank([cand("old", 5.0, 400), cand("new", 5.0, 2)], now=T0)
    assert [r.candidate.key for r in ranked] == ["new", "old"]


def test_rank_recency_never_buries_a_clearly_better_match():
    ranked = rank([cand("fresh-weak", 1.0, 0), cand("old-strong", 2.0, 5000)], now=T0)
    assert ranked[0].candidate.key == "old-strong"


def test_rank_current_project_boost():
    ranked = rank([cand("other", 5.0, project="q"), cand("mine", 5.0, project="p")],
                  now=T0, current_project="p")
    assert ranked[0].candidate.key == "mine"
    assert ranked[0].score == pytest.approx(ranked[1].score * Weights().project_boost)


def test_rank_project_and_recency_stay_below_a_2_1x_text_gap():
    ranked = rank([cand("mine-new", 1.0, 0, "p"), cand("other-old", 2.1, 5000, "q")],
                  now=T0, current_project="p")
    assert ranked[0].candidate.key == "other-old"


def test_rank_preferred_topics_with_a_cap():
    assert topic_factor(["a", "b"], ["b", "c"]) == pytest.approx(1.15)
    assert topic_factor(list("abcde"), list("abcde")) == 1.45
    assert topic_factor([], ["a"]) == 1.0


def test_rank_ties_broken_newest_then_key():
    ranked = rank([cand("b", 1.0, 1), cand("a", 1.0, 1), cand("c", 1.0, 0)], now=T0,
                  weights=Weights(recency_floor=1.0))
    assert [r.candidate.key for r in ranked] == ["c", "a", "b"]
    assert rank([], now=T0) == []


# -- kinds: lasting knowledge is not buried by session logs -------------------------------

_TOPICS = ["cart", "checkout", "login", "invoices", "search", "emails", "exports", "imports",
           "reports", "uploads"]


def _session_log(i: int, topic: str) -> Memory:
    """A session summary as capture writes it: a log of work that touched storage."""
    title = f"Tidy the {topic} storage calls" if i % 2 else f"Tidy the {topic} code"
    return mem(title, days_ago=i + 1, kind=Kind.SESSION, body=(
        f"Aider session started 2026-11-{i + 1:02d} 10:00, model gpt-4o (4 requests, 1 commit)."
        f"\n\n## What was asked\n- split the {topic} module\n- check how {topic} uses storage\n"
        f"- add tests for the {topic} storage calls\n\n## Commits\n- `ab{i}cdef` Tidy {topic}\n\n"
        f"## Files\n- edited: `app/{topic}.py`, `app/storage.py`\n\n## Where it stopped\n"
        f"Last request: add tests for the {topic} storage calls"))


@pytest.fixture
def logs(store) -> Store:
    store.add_many([
        mem("Keep JSON file storage for settings", days_ago=40, kind=Kind.DECISION,
            body="Settings stay in one JSON file; a database is not worth running for them."),
        mem("Migrate storage to S3", days_ago=12, kind=Kind.SESSION,
            body="## Summary\n\nMoved uploads from local disk to S3 buckets."),
        mem("Parse invoice lines", days_ago=20, kind=Kind.SESSION,
            body="## Summary\n\nWrote parseInvoiceLine for the CSV import."),
        mem("Invoices are immutable", days_ago=30, kind=Kind.CONVENTION,
            body="An invoice is never edited after it is sent: a credit note corrects it."),
        *(_session_log(i, topic) for i, topic in enumerate(_TOPICS)),
    ], "seed")
    return store


def test_a_decision_is_not_buried_by_session_logs_that_mention_the_word(logs):
    assert titles(logs, "storage")[0] == "Keep JSON file storage for settings"


def test_a_session_whose_title_is_the_query_still_comes_first(logs):
    assert titles(logs, "migrate storage to s3")[0] == "Migrate storage to S3"


def test_an_identifier_only_a_session_holds_still_surfaces(logs):
    assert titles(logs, "parseInvoiceLine")[0] == "Parse invoice lines"
    assert "Parse invoice lines" in titles(logs, "invoice parsing")[:2]


def test_rank_a_session_log_needs_twice_the_text_score_of_a_decision():
    now = 1_000_000_000.0
    decision = Candidate("d.md", 1.0, now, SHOP, kind="decision")
    log = Candidate("s.md", 1.9, now, SHOP, kind="session")
    better_log = Candidate("t.md", 2.1, now, SHOP, kind="session")
    order = [r.candidate.key for r in rank([log, decision, better_log], now=now)]
    assert order == ["t.md", "d.md", "s.md"]


def test_a_search_without_snippets_finds_the_same_hits_in_the_same_order(store):
    store.add_many([mem("CSV exporter", "The exporter writes semicolons between fields."),
                    mem("Exporter dates", "The exporter writes ISO dates.", days_ago=40),
                    mem("Ledger", "Banker's rounding on totals.")], "notes")
    full = search(store, "exporter writes")
    bare = search(store, "exporter writes", snippets=False)
    assert [h.id for h in bare] == [h.id for h in full] and len(full) == 2
    assert [h.score for h in bare] == pytest.approx([h.score for h in full])  # recency: now
    assert all(h.snippet for h in full)
    assert all(h.snippet == "" and h.highlights == () for h in bare)
