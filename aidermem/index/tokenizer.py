"""WordLlama's tokenizer in pure Python, from a compact vocabulary cached beside the index.

The model's tokenizer (`tokenizers/l2_supercat_tokenizer_config.json` in the
`wordllama` wheel) is Llama 2's byte-fallback BPE: the text gets "▁" prepended and
its spaces replaced by "▁", then pairs merge by rank. Loading it with Hugging
Face's `tokenizers` costs ~90 ms per process (a 1.8 MB JSON file, 61,249 merges),
more than the whole BM25 search it would join. This module gives the same ids
from one table (token → id and merge rank, ~5 ms to load: the tokens as one string and
their values as one array, since unmarshalling 32,000 strings one by one takes ~40 ms), built from
the wheel's JSON the first time and kept in the index's cache directory
(rebuilt when missing, damaged, or made from another file or Python).

Why one table is enough (`compile_table(check=True)` verifies it on the JSON, and
the tests run that on the pinned wheel's file and compare the ids with `tokenizers`
on the retrieval benchmark's texts):
every split of a token into two tokens is one of the merges, so a pair may
merge exactly when its concatenation is a token; the merges that make one token
are consecutive and ordered by their left part's id, so a pair's rank orders
as (the first merge making its token, its left part's id). No token holds a
"▁" after another character (only all-"▁" runs do), so the text splits before
every "▁" that follows a non-"▁" into pieces that tokenize independently, each
cached.
Not reproduced: `tokenizers` treats a literal `<s>`, `</s>` or `<unk>` in the
text as that special token; here it is the characters' tokens (one token in a
text's average).

Must never import numpy, `tokenizers` or the network: it is the query path's.
"""

from __future__ import annotations

import array
import contextlib
import itertools
import json
import marshal
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from aidermem import atomic

CACHE_FILE = "wordllama-vocab.marshal"
_FORMAT = 2
_ID_BITS = 15  # 32,000 ids < 2**15; value = rank << 15 | id
_ID_MASK = (1 << _ID_BITS) - 1
_NO_RANK = (1 << 17) - 1  # tokens no merge makes (characters, bytes, specials)
_PIECE = re.compile("▁*[^▁]+|▁+")
_PIECE_CACHE_MAX = 200_000
_SEP = "\x00"  # no token holds a NUL (checked by compile_table)

# Many texts at once, tokenized as `tokenizers` does with add_special_tokens=False.
Bulk = Callable[[list[str]], list[list[int]]]


class Tokenizer:
    """Text → token ids, as `tokenizers` gives them with add_special_tokens=False."""

    def __init__(self, table: dict[str, int]) -> None:
        self._table = table
        self._pieces: dict[str, list[int]] = {}
        self._bytes = [table[f"<0x{b:02X}>"] & _ID_MASK for b in range(256)]

    def ids(self, text: str) -> list[int]:
        if not text:
            return []
        out: list[int] = []
        cache = self._pieces
        for piece in _PIECE.findall("▁" + text.replace(" ", "▁")):
            found = cache.get(piece)
            if found is None:
                found = self._bpe(piece)
                if len(cache) < _PIECE_CACHE_MAX:
                    cache[piece] = found
            out += found
        return out

    def ids_many(self, texts: Sequence[str], bulk: Bulk | None = None) -> list[list[int]]:
        """`ids` of each text; the distinct pieces not seen yet go to `bulk` in one call
        (Hugging Face's Rust tokenizer at a reindex: ~10x this module's BPE per piece)."""
        split = [self.pieces(text) for text in texts]
        distinct = list(dict.fromkeys(itertools.chain.from_iterable(split)))
        known = dict(zip(distinct, self.piece_ids(distinct, bulk), strict=True))
        return [list(itertools.chain.from_iterable(map(known.__getitem__, pieces)))
                for pieces in split]

    @staticmethod
    def pieces(text: str) -> list[str]:
        """The pieces `text` splits into, each tokenized on its own (the module's docstring)."""
        return _PIECE.findall("▁" + text.replace(" ", "▁")) if text else []

    def piece_ids(self, pieces: Sequence[str], bulk: Bulk | None = None) -> list[list[int]]:
        """The ids of each of `pieces` (distinct pieces: a reindex's whole vocabulary), those
        not seen yet by `bulk` in one call when given, else by this module's BPE."""
        cache = self._pieces
        if len(cache) > _PIECE_CACHE_MAX:  # bounds memory over a large reindex
            cache.clear()
        new = [p for p in pieces if p not in cache]
        if bulk is not None:
            # A piece given to `tokenizers` gets its "▁" prepended back; pieces with a special
            # token's "<" or only "▁" (which it would see as empty) stay with the BPE here.
            easy = [p for p in new if "<" not in p and p.strip("▁")]
            for piece, ids in zip(easy, bulk([p[1:].replace("▁", " ") for p in easy]),
                                  strict=True):
                cache[piece] = ids
        for piece in new:
            if piece not in cache:
                cache[piece] = self._bpe(piece)
        return [cache[p] for p in pieces]

    def _rank(self, a: str, b: str) -> int | None:
        """The merge rank of (a, b) as an orderable int; None if they do not merge."""
        value = self._table.get(a + b)
        if value is None or value >> _ID_BITS == _NO_RANK:
            return None
        return (value >> _ID_BITS << _ID_BITS) | (self._table[a] & _ID_MASK)

    def _bpe(self, piece: str) -> list[int]:
        symbols = list(piece)
        while len(symbols) > 1:
            best, best_rank = -1, _NO_RANK << _ID_BITS
            for i in range(len(symbols) - 1):
                rank = self._rank(symbols[i], symbols[i + 1])
                if rank is not None and rank < best_rank:
                    best, best_rank = i, rank
            if best < 0:
                break
            symbols[best:best + 2] = [symbols[best] + symbols[best + 1]]
        out: list[int] = []
        for symbol in symbols:
            value = self._table.get(symbol)
            if value is None:  # byte fallback: a character the vocabulary lacks
                out += [self._bytes[b] for b in symbol.encode("utf-8")]
            else:
                out.append(value & _ID_MASK)
        return out


def compile_table(source: Path, *, check: bool = False) -> dict[str, int]:
    """The compact table from the wheel's tokenizer JSON; ValueError if its model is not
    the byte-fallback BPE this module reproduces. `check` also verifies the premises the
    module docstring names (~0.3 s; the tests run it on the pinned wheel's file)."""
    spec = json.loads(source.read_text(encoding="utf-8"))
    model = spec.get("model", {})
    if model.get("type") != "BPE" or not model.get("byte_fallback") or spec.get("pre_tokenizer"):
        raise ValueError(f"{source.name} is not a byte-fallback BPE without pre-tokenizer")
    vocab: dict[str, int] = model["vocab"]
    first: dict[str, int] = {}
    for rank, merge in enumerate(model["merges"]):
        a, b = merge.split(" ") if isinstance(merge, str) else merge
        first.setdefault(a + b, rank)
    if check:
        _check(vocab, model["merges"])
    return {t: (first.get(t, _NO_RANK) << _ID_BITS) | i for t, i in vocab.items()}


def _check(vocab: dict[str, int], merges: list[str]) -> None:
    makers: dict[str, list[tuple[str, int]]] = {}
    for rank, merge in enumerate(merges):
        a, b = merge.split(" ") if isinstance(merge, str) else merge
        made = makers.setdefault(a + b, [])
        if made and (made[-1][1] != rank - 1 or vocab[a] < vocab[made[-1][0].split(" ")[0]]):
            raise ValueError(f"the merges making {a + b!r} are not consecutive by left id")
        made.append((f"{a} {b}", rank))
    if any(_SEP in token for token in vocab):
        raise ValueError("a token holds a NUL character")
    for token in vocab:  # a pair merges exactly when it makes a token
        for cut in range(1, len(token)):
            a, b = token[:cut], token[cut:]
            if a in vocab and b in vocab and all(m != f"{a} {b}" for m, _ in
                                                 makers.get(token, [])):
                raise ValueError(f"{a!r} + {b!r} makes a token but is no merge")
        if "▁" in token[1:] and token.strip("▁"):
            raise ValueError(f"{token!r} holds a ▁ after another character")


def _stamp(source: Path) -> list[object]:
    st = source.stat()
    return [_FORMAT, list(sys.version_info[:2]), str(source.resolve()), st.st_size,
            st.st_mtime_ns]


def load(source: Path, cache_dir: Path | None) -> Tokenizer:
    """The tokenizer for `source` (the wheel's JSON), from `cache_dir`'s compact copy when
    it is there and current, else compiled from the JSON and cached (best effort)."""
    stamp = _stamp(source)
    cache = cache_dir / CACHE_FILE if cache_dir is not None else None
    if cache is not None:
        with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
            table = _read(cache, stamp)
            if table is not None:
                return Tokenizer(table)
    table = compile_table(source)
    if cache is not None:
        values = array.array("I", table.values())
        blob = marshal.dumps((stamp, _SEP.join(table), values.tobytes()))
        with contextlib.suppress(OSError):
            cache.parent.mkdir(parents=True, exist_ok=True)
            atomic.write_atomic(cache, blob)
    return Tokenizer(table)


def _read(cache: Path, stamp: list[object]) -> dict[str, int] | None:
    """The cached tables if `cache` holds them for `stamp`; None (or an exception of
    marshal's or array's, for a damaged file: only a cache, compiled again) otherwise."""
    head, tokens, values = marshal.loads(cache.read_bytes())
    if head != stamp or not isinstance(tokens, str):
        return None
    ids = array.array("I")
    ids.frombytes(values)
    names = tokens.split(_SEP)
    if len(names) != len(ids):
        return None
    return dict(zip(names, ids, strict=True))
