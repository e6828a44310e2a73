"""Count tokens with a real tokenizer, offline.

tiktoken fetches its BPE files from the internet on first use unless
TIKTOKEN_CACHE_DIR points at a copy. litellm (installed with aider) ships
those files, so we point tiktoken there. If neither is usable we fall back to
a conservative estimate (never an undercount by design: 1 token per 3 bytes),
so a token budget is still never exceeded.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

ENCODING = "cl100k_base"


def _litellm_tokenizer_dir() -> Path | None:
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "litellm_core_utils" / "tokenizers"
        if candidate.is_dir():
            return candidate
    return None


@lru_cache(maxsize=1)
def _encoder() -> Callable[[str], int] | None:
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        cache = _litellm_tokenizer_dir()
        if cache is not None:
            os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    try:
        import tiktoken

        enc = tiktoken.get_encoding(ENCODING)
    except Exception:  # no network and no cached BPE file: use the estimate
        return None
    return lambda text: len(enc.encode(text, disallowed_special=()))


def count(text: str) -> int:
    """Tokens in `text` under cl100k_base (or a safe over-estimate)."""
    encode = _encoder()
    if encode is None:
        return estimate(text)
    return encode(text)


def estimate(text: str) -> int:
    return (len(text.encode("utf-8")) + 2) // 3


def is_exact() -> bool:
    return _encoder() is not None
