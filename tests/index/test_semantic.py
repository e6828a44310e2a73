"""Semantic search (issue #11 item 4): the model loads from its package offline, the vector
cache is rebuilt when missing or damaged, and fusion keeps named things first.

Real stores in tmp dirs, a real Tantivy index, the real embedding model; the fusion
gate is also tested as the pure function it is.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_cli_support import make_repo, memory, put, run, store

from aidermem import paths
from aidermem.index import embedding, fusion, vector_text, vectors
from aidermem.index.memory_index import MemoryIndex
from aidermem.index.search import SearchRequest, find
from aidermem.models import Memory
from aidermem.store.store import Store

NOW = datetime.now(UTC).replace(microsecond=0)
REFUNDS = "Refunds are issued from the Stripe dashboard"
PARAPHRASE = "how do customers get their money returned"
MEMORIES = [
    (REFUNDS, "The finance team issues them there; never edit the charges table by hand."),
    ("Pin the Postgres image", "docker-compose uses postgres:16.2; 16.3 broke the locale."),
    ("construct_event raises SignatureVerificationError",
     "The webhook secret in staging was the live one; construct_event rejected every event."),
    ("Safari grid bug", "The product grid collapses on Safari 15; use flex there."),
    ("Webhook retries", "Stripe retries a webhook for three days; handlers must be idempotent."),
    ("Session summary", "We looked at construct_event, the webhook secret and the dashboard."),
]


def mem(title: str, body: str) -> Memory:
    created = NOW - timedelta(days=3)
    return Memory(title=title, body=body, created=created, updated=created)


@pytest.fixture
def seeded(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "store")
    s.add_many([mem(t, b) for t, b in MEMORIES], "seed")
    return s


def titles(s: Store, text: str, *, semantic: bool) -> list[str]:
    request = SearchRequest(text=text, scope="all", semantic=semantic)
    return [h.title for h in find(MemoryIndex.open(s), request)]


# -- the model ----------------------------------------------------------------------------

# Any socket a child process opens fails, as on a machine without network.
_NO_NETWORK = """
import socket
def _refuse(*args, **kwargs):
    raise OSError("network disabled by the test")
socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
"""


def test_the_model_loads_from_its_package_with_the_network_unavailable(tmp_path: Path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_NO_NETWORK)
    script = textwrap.dedent("""
        import socket, json
        try:
            socket.create_connection(("127.0.0.1", 9))
            blocked = False
        except OSError:
            blocked = True
        from aidermem.index import embedding
        v = embedding.embed(["refund the customer", ""])
        print(json.dumps({"blocked": blocked, "shape": list(v.shape),
                          "norms": [round(float((r * r).sum()), 4) for r in v]}))
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    env["HOME"] = str(tmp_path / "empty-home")  # no ~/.cache/wordllama to fall back on
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"blocked": True, "shape": [2, embedding.DIM],
                                       "norms": [1.0, 0.0]}


def test_vectors_are_normalized_and_meaning_is_near():
    v = embedding.embed(["refund the payment", "give the money back", "the pod restarts"])
    assert v.shape == (3, embedding.DIM)
    assert float(v[0] @ v[1]) > float(v[0] @ v[2])


# -- fusion -------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["construct_event", "src/bin/compact.rs", "KnownFields(true)",
                                   "`retry`", "getUserById", "auth.service.login"])
def test_a_named_thing_keeps_bm25_in_the_lead(query):
    assert fusion.dense_weight(query, None) == fusion.LEXICAL_WEIGHT


def test_the_gate_follows_how_much_of_the_query_bm25_matched():
    query = "customers were charged twice for one order"
    assert fusion.dense_weight(query, "Customers charged twice: order idempotency") \
        == fusion.LEXICAL_WEIGHT
    assert fusion.dense_weight(query, "Checkout was slow when we were busy") \
        == fusion.SEMANTIC_WEIGHT
    assert fusion.dense_weight(query, None) == fusion.SEMANTIC_WEIGHT


def test_fuse_adds_weighted_reciprocal_ranks():
    fused = fusion.fuse(["a", "b"], ["b", "c"], 1.0)
    assert [k for k, _ in fused] == ["b", "a", "c"]
    assert fused[0][1] == pytest.approx(1 / 12 + 1 / 11)


def test_when_bm25_matched_no_topic_the_dense_order_leads():
    # BM25 ranked on small words, so its order says nothing: a memory it put first does not
    # outrank any the vectors put higher, and what only BM25 found comes after, in its order.
    fused = fusion.fuse(["e", "x", "y"], ["a", "b", "c", "d", "e"], fusion.SEMANTIC_WEIGHT)
    assert [k for k, _ in fused] == ["a", "b", "c", "d", "e", "x", "y"]
    scores = [s for _, s in fused]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores)


def test_the_lexical_gate_still_adds_weighted_ranks():
    fused = fusion.fuse(["x", "a"], ["a", "b"], fusion.LEXICAL_WEIGHT)
    assert [k for k, _ in fused] == ["a", "x", "b"]


def test_an_exact_identifier_query_still_ranks_its_memory_first(seeded: Store):
    for query in ("construct_event", "construct_event SignatureVerificationError"):
        found = titles(seeded, query, semantic=True)
        assert found[0] == "construct_event raises SignatureVerificationError"
        assert "Session summary" in found[1:]  # the log that names it too comes after


def test_a_paraphrase_finds_its_memory_only_with_semantic(seeded: Store):
    assert REFUNDS not in titles(seeded, PARAPHRASE, semantic=False)
    assert titles(seeded, PARAPHRASE, semantic=True)[0] == REFUNDS


def test_semantic_results_keep_the_filters(seeded: Store):
    request = SearchRequest(text=PARAPHRASE, scope=["github.com/acme/other"], semantic=True)
    assert find(MemoryIndex.open(seeded), request) == []


# -- the vector cache ---------------------------------------------------------------------


def cache_file(s: Store) -> Path:
    return MemoryIndex.open(s).directory / vectors.FILE


@pytest.mark.parametrize("damage", [b"", b"not a numpy file", b"PK\x03\x04broken zip"])
def test_a_damaged_vector_cache_is_rebuilt_and_nothing_is_lost(seeded: Store, damage: bytes):
    before = titles(seeded, PARAPHRASE, semantic=True)
    path = cache_file(seeded)
    assert path.is_file()
    path.write_bytes(damage)
    assert titles(seeded, PARAPHRASE, semantic=True) == before
    assert len(vectors.current(MemoryIndex.open(seeded)).relpaths) == len(MEMORIES)


def test_the_first_format_is_replaced(seeded: Store):
    titles(seeded, PARAPHRASE, semantic=True)
    old = cache_file(seeded).with_name("vectors.npz")
    old.write_bytes(b"PK\x03\x04 an older aidermem's numpy cache")
    cache_file(seeded).unlink()
    assert titles(seeded, PARAPHRASE, semantic=True)[0] == REFUNDS
    assert cache_file(seeded).is_file()
    assert not old.exists()


def test_a_missing_vector_cache_is_rebuilt(seeded: Store):
    before = titles(seeded, PARAPHRASE, semantic=True)
    cache_file(seeded).unlink()
    assert titles(seeded, PARAPHRASE, semantic=True) == before
    assert cache_file(seeded).is_file()


def test_a_cache_of_the_wrong_shape_is_rebuilt(seeded: Store):
    import numpy as np

    titles(seeded, PARAPHRASE, semantic=True)
    index = MemoryIndex.open(seeded)
    # The current stamp, but one memory of 3 dimensions: its sections do not add up.
    cache_file(seeded).write_bytes(vectors._encode(
        vectors.stamp(index), ["x.md"], ["0" * 24], np.zeros((1, 3), dtype=np.float32)))
    assert vectors.read(cache_file(seeded)) is None
    assert len(vectors.current(index).relpaths) == len(MEMORIES)
    assert vectors.read(cache_file(seeded)) is not None


def test_the_query_vector_equals_the_reindex_vector():
    texts = [PARAPHRASE, REFUNDS, "construct_event 中文 🎉", ""]
    batch = embedding.embed(texts)
    for text, row in zip(texts, batch, strict=True):
        assert embedding.embed_query(text) == pytest.approx(row.tolist(), abs=1e-5)


def test_a_reindex_batch_embeds_as_one_text_at_a_time():
    """Past embedding._FEW texts the sums come from sparse products over distinct pieces:
    the same vectors as the query path's, text by text (the benchmark's real memories, with
    repeated and empty texts and characters the vocabulary lacks)."""
    import yaml

    data = Path(__file__).resolve().parents[2] / "benchmarks" / "retrieval" / "shipctl.yaml"
    memories = yaml.safe_load(data.read_text(encoding="utf-8"))["memories"]
    texts = [f"{m['title']}\n{m['body']}" for m in memories]
    texts += [texts[0], "", "  ", "construct_event 中文 🎉 <s>", "x" * 5000]
    assert len(texts) > embedding._FEW
    batch = embedding.embed(texts)
    for text, row in zip(texts, batch, strict=True):
        assert embedding.embed_query(text) == pytest.approx(row.tolist(), abs=1e-5)


def test_nearest_orders_as_the_exact_cosine():
    import numpy as np

    rng = np.random.default_rng(7)
    matrix = rng.normal(size=(700, embedding.DIM)).astype(np.float32)
    matrix[0] = 0.0
    matrix[0, 5] = 1.0  # a lane at the quantization's extremes (127 and 0)
    matrix[1] = -matrix[0]
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    relpaths = [f"m{i}.md" for i in range(len(matrix))]
    cached = vectors._parse_bytes(vectors._encode("s", relpaths, ["0" * 24] * len(matrix),
                                                  matrix))
    rows = matrix.astype(np.float16).astype(np.float64)
    for query in [matrix[0], rng.normal(size=embedding.DIM), matrix[42] + 0.1 * matrix[43]]:
        query = (query / np.linalg.norm(query)).tolist()
        exact = rows @ np.asarray(query)
        want = list(np.argsort(-exact, kind="stable")[:20])
        got = cached.nearest(query, 20)
        assert [i for i, _ in got] == want
        assert [sim for _, sim in got] == pytest.approx(exact[want].tolist(), abs=1e-9)
    assert cached.nearest([0.0] * embedding.DIM, 5) == []


def test_a_semantic_search_imports_no_numpy_tokenizers_or_scipy(shop):
    semantic_on(shop)
    cmd = [sys.executable, "-X", "importtime", "-m", "aidermem", "search", "--json", PARAPHRASE]
    first = subprocess.run(cmd, cwd=shop, capture_output=True, text=True, timeout=120,
                           check=False)  # builds the vector cache: numpy may load here
    assert first.returncode == 0, first.stderr
    done = subprocess.run(cmd, cwd=shop, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hits"][0]["title"] == REFUNDS
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
                if line.startswith("import time:")}
    assert "aidermem.index.vectors" in imported  # the semantic path ran
    assert not {"numpy", "tokenizers", "safetensors", "scipy"} & imported


def test_a_reindex_keeps_the_vectors_of_unchanged_memories(shop, tmp_path):
    """The second reindex needs no model: every memory's vector is found by its hash."""
    semantic_on(shop)
    r = subprocess.run([sys.executable, "-m", "aidermem", "reindex"], cwd=shop,
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    site = tmp_path / "site"
    (tmp_path / "gone").mkdir()
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        _NO_MODEL.format(origin=str(tmp_path / "gone" / "__init__.py")))
    script = textwrap.dedent("""
        from aidermem import paths
        from aidermem.index import embedding, vectors
        from aidermem.index.memory_index import MemoryIndex
        from aidermem.store.store import Store
        assert not embedding.available()
        index = MemoryIndex.open(Store.open(paths.default_store_dir()))
        before = vectors.stamp(index)
        index.rebuild()
        assert vectors.stamp(index) != before
        print(len(vectors.current(index).relpaths))
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site),
                                                         os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", script], cwd=shop, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(len(MEMORIES))


def test_the_cache_follows_new_and_edited_memories(seeded: Store):
    titles(seeded, PARAPHRASE, semantic=True)
    seeded.add(mem("Customer reimbursements", "Buyers get back what they paid via finance."))
    index = MemoryIndex.open(seeded)
    index.sync()
    cached = vectors.current(index)
    assert len(cached.relpaths) == len(MEMORIES) + 1
    assert "Customer reimbursements" in titles(seeded, PARAPHRASE, semantic=True)[:2]


def test_after_a_change_only_the_changed_memory_is_read_back(seeded: Store, monkeypatch):
    """Each index document stores its vector's hash, so following one new memory decodes
    one document's JSON, not every memory's (the first search after an add)."""
    titles(seeded, PARAPHRASE, semantic=True)
    seeded.add(mem("Customer reimbursements", "Buyers get back what they paid via finance."))
    index = MemoryIndex.open(seeded)
    index.sync()
    decoded = []
    real = vectors.json.loads
    monkeypatch.setattr(vectors.json, "loads", lambda b: decoded.append(b) or real(b))
    assert len(vectors.current(index).relpaths) == len(MEMORIES) + 1
    documents = [b for b in decoded if b'"title"' in b]  # not the cache file's own header
    assert len(documents) == 1 and b"Customer reimbursements" in documents[0]


# -- the command line ---------------------------------------------------------------------


@pytest.fixture
def shop(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "shop")
    monkeypatch.chdir(repo)
    put(*(memory(f"AAA{i}", title, body=body) for i, (title, body) in enumerate(MEMORIES)))
    return repo


def semantic_on(repo: Path) -> None:
    (repo / ".aidermem.toml").write_text("semantic = true\n")


@pytest.mark.parametrize("config", [None, "semantic = true\n", 'semantic = "auto"\n'])
def test_by_default_or_semantic_true_search_finds_the_paraphrase(shop, capsys, config):
    if config is not None:
        (shop / ".aidermem.toml").write_text(config)
    r = run(capsys, "search", "--json", PARAPHRASE)
    assert r.code == 0, r.err
    assert json.loads(r.out)["hits"][0]["title"] == REFUNDS
    r = run(capsys, "doctor")
    assert re.search(r"ok    semantic: wordllama l2_supercat 256, from \S+ \(offline\); "
                     rf"{len(MEMORIES)} vectors cached", r.out)


@pytest.mark.parametrize("where", ["project", "user"])
def test_semantic_false_search_ranks_by_bm25_only(shop, capsys, where):
    config = shop / ".aidermem.toml" if where == "project" else paths.user_config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("semantic = false\n")
    r = run(capsys, "search", "--json", PARAPHRASE)
    assert r.code == 0, r.err
    assert REFUNDS not in [h["title"] for h in json.loads(r.out)["hits"]]
    assert not cache_file(store()).exists()
    r = run(capsys, "doctor")
    assert "ok    semantic: off (semantic = false): search ranks by BM25 only" in r.out


@pytest.mark.parametrize("config", [None, 'semantic = "auto"\n'])
def test_auto_ranks_by_bm25_only_above_its_store_size(shop, capsys, monkeypatch, config):
    """Scoring every vector costs more than the search budget above fusion.AUTO_MAX
    memories: "auto" (the default) then ranks by BM25 and builds no vectors."""
    if config is not None:
        (shop / ".aidermem.toml").write_text(config)
    monkeypatch.setattr(fusion, "AUTO_MAX", len(MEMORIES) - 1)
    r = run(capsys, "search", "--json", PARAPHRASE)
    assert r.code == 0, r.err
    assert REFUNDS not in [h["title"] for h in json.loads(r.out)["hits"]]
    assert not cache_file(store()).exists()
    r = run(capsys, "reindex")
    assert r.code == 0, r.err
    assert not cache_file(store()).exists()
    r = run(capsys, "doctor")
    assert (f'ok    semantic: off (semantic = "auto" and {len(MEMORIES)} memories, over '
            f"{len(MEMORIES) - 1:,}): search ranks by BM25 only") in r.out


def test_semantic_true_ranks_by_meaning_at_any_store_size(shop, capsys, monkeypatch):
    semantic_on(shop)
    monkeypatch.setattr(fusion, "AUTO_MAX", len(MEMORIES) - 1)
    r = run(capsys, "search", "--json", PARAPHRASE)
    assert r.code == 0, r.err
    assert json.loads(r.out)["hits"][0]["title"] == REFUNDS
    r = run(capsys, "doctor")
    assert re.search(rf"ok    semantic: wordllama \S+ 256, .*; {len(MEMORIES)} vectors cached\n",
                     r.out)


def test_search_runs_semantic_with_the_network_unavailable(shop, tmp_path):
    semantic_on(shop)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_NO_NETWORK)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-m", "aidermem", "search", "--json", PARAPHRASE],
                          cwd=shop, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hits"][0]["title"] == REFUNDS
    assert cache_file(store()).is_file()


def test_reindex_brings_the_vector_cache_up_to_date(shop, capsys):
    semantic_on(shop)
    r = run(capsys, "reindex")
    assert r.out.startswith(f"indexed {len(MEMORIES)} memories"), r.out
    cached = vectors.current(MemoryIndex.open(store()))
    assert len(cached.relpaths) == len(MEMORIES)
    assert cache_file(store()).is_file()


# wordllama resolves to an empty folder, as when the package was removed or its files lost.
_NO_MODEL = """
import importlib.machinery, sys
class _Gone:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "wordllama":
            return importlib.machinery.ModuleSpec(name, None, origin={origin!r})
        return None
sys.meta_path.insert(0, _Gone)
"""


def test_without_the_model_search_warns_and_ranks_by_bm25(shop, tmp_path):
    semantic_on(shop)
    site = tmp_path / "site"
    (tmp_path / "gone").mkdir()
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        _NO_MODEL.format(origin=str(tmp_path / "gone" / "__init__.py")))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site),
                                                         os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "aidermem", "search", "--json",
                           "construct_event"], cwd=shop, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        "aidermem: warning: the embedding model (wordllama) is not installed, so this search "
        "ranks by BM25 only — reinstall aidermem, or set `semantic = false` to silence this\n")
    hits = json.loads(done.stdout)["hits"]
    assert hits[0]["title"] == "construct_event raises SignatureVerificationError"
    assert not cache_file(store()).exists()
    doctor = subprocess.run([sys.executable, "-m", "aidermem", "doctor"], cwd=shop, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert "warn  semantic: the embedding model (wordllama 0.3.3.post0) is not installed" \
        in doctor.stdout


# -- the expansion in the vector ----------------------------------------------------------


def _vector_of(s: Store, title: str) -> tuple[list[float], str]:
    """(the cached vector, its hash) of the memory titled `title`."""
    index = MemoryIndex.open(s)
    index.sync()
    cached = vectors.current(index)
    relpath = next(p for p, m in s.iter_memories() if isinstance(m, Memory) and m.title == title)
    i = cached.relpaths.index(relpath)
    return list(cached.row(i)), cached.hashes[i]


def test_a_memorys_expansion_is_embedded_beside_its_words(seeded: Store):
    """The vector is the mean of the memory's and its expansion's unit vectors; a memory with
    no expansion keeps the hash and vector of title + body, so upgrading re-embeds nothing."""
    import numpy as np

    from aidermem.expansion import Expansion

    plain, plain_hash = _vector_of(seeded, "Pin the Postgres image")
    text = "Pin the Postgres image\ndocker-compose uses postgres:16.2; 16.3 broke the locale."
    assert plain_hash == vector_text.content_hash(text)
    assert plain == pytest.approx(embedding.embed([text])[0].tolist(), abs=2e-3)

    m = next(x for _, x in seeded.iter_memories()
             if isinstance(x, Memory) and x.title == "Pin the Postgres image")
    asked = ["why are accented letters sorted wrong in the database container?"]
    seeded.update(m.model_copy(update={"expansion": Expansion(questions=asked)}), "expand")
    expanded, expanded_hash = _vector_of(seeded, "Pin the Postgres image")
    assert expanded_hash != plain_hash  # an edited expansion is embedded again
    want = embedding.embed([text])[0] + embedding.embed(asked)[0]
    assert expanded == pytest.approx((want / np.linalg.norm(want)).tolist(), abs=2e-3)
    query = embedding.embed_query("accented letters sort wrong in the database container")
    assert np.dot(query, expanded) > np.dot(query, plain) + 0.05  # nearer what it answers
