"""The pure-Python WordLlama tokenizer (tokenizer.py) gives Hugging Face `tokenizers`' ids,
from a compact table cached beside the index, rebuilt when missing or damaged.

The real wheel's tokenizer file, the real `tokenizers` library as the reference.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from aidermem.index import embedding, tokenizer

BENCH_DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "retrieval"
EDGES = [
    "", " ", "  ", "x", "a  b   c    d\n\n  e\t f", "  leading spaces", "trailing   ",
    "tabs\tand\r\nCRLF lines\n", "emoji 🎉🚀 and 中文 and 日本語のテキスト", "ünïcödé façade naïve",
    "x" * 300, "getUserById(user_id) -> Optional[User]::from_row",
    "src/bin/compact.rs KnownFields(true) `construct_event`", "ＦＵＬＬＷＩＤＴＨ ｋａｎａ",
    "numbers 1234567890 3.14159 0x1F 1e-9", "▁already▁has▁the▁marker", "\u200b zero width",
]


def source() -> Path:
    found = embedding.files()
    assert found is not None, "the wordllama wheel is a dependency"
    return found[1]


def reference() -> object:
    from tokenizers import Tokenizer

    hf = Tokenizer.from_file(str(source()))
    hf.no_padding()
    hf.no_truncation()
    return hf


def bench_texts() -> list[str]:
    texts: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            texts.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in sorted(BENCH_DATA.glob("*.yaml")):
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert len(texts) > 1000
    return texts


def test_the_wheels_tokenizer_meets_the_premises_the_table_rests_on():
    table = tokenizer.compile_table(source(), check=True)
    assert len(table) == 32000


def test_ids_equal_hugging_faces_on_the_benchmark_texts_and_edge_cases(tmp_path: Path):
    hf = reference()
    tok = tokenizer.load(source(), tmp_path)
    texts = bench_texts() + EDGES
    expected = [enc.ids for enc in hf.encode_batch(texts, add_special_tokens=False)]
    assert [tok.ids(t) for t in texts] == expected
    # In bulk, with `tokenizers` given the distinct pieces, and without it.
    fresh = tokenizer.load(source(), tmp_path)
    assert fresh.ids_many(texts, bulk=embedding._bulk()) == expected
    assert tokenizer.load(source(), tmp_path).ids_many(texts) == expected


def test_the_table_is_cached_in_the_directory_given(tmp_path: Path):
    tokenizer.load(source(), tmp_path)
    cached = tmp_path / tokenizer.CACHE_FILE
    assert cached.is_file()
    before = cached.stat().st_mtime_ns
    assert tokenizer.load(source(), tmp_path).ids("refund the customer") == \
        reference().encode("refund the customer", add_special_tokens=False).ids
    assert cached.stat().st_mtime_ns == before  # read, not written again


@pytest.mark.parametrize("damage", [b"", b"garbage", b"\xe3\x00\x00\x00\x00", "cut"])
def test_a_damaged_or_foreign_table_is_compiled_again(tmp_path: Path, damage: bytes | str):
    tokenizer.load(source(), tmp_path)
    cached = tmp_path / tokenizer.CACHE_FILE
    good = cached.read_bytes()
    cached.write_bytes(good[: len(good) // 2] if damage == "cut" else damage)
    text = "every delivery to our endpoint fails with 400 since this morning's deploy"
    assert tokenizer.load(source(), tmp_path).ids(text) == \
        reference().encode(text, add_special_tokens=False).ids
    assert cached.read_bytes() == good


def test_without_a_cache_directory_nothing_is_written(tmp_path: Path):
    tok = tokenizer.load(source(), None)
    assert tok.ids("hello world") == reference().encode(
        "hello world", add_special_tokens=False).ids
    assert list(tmp_path.iterdir()) == []
