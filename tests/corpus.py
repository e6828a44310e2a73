"""Where the shared corpus of real aider histories is.

CI clones main with `shared/` beside it; a developer checkout may live
elsewhere, so `AIDERMEM_CORPUS` can point at it. A missing corpus is an error,
never a skip: the tests that use it are the real-world proof.
"""

from __future__ import annotations

import os
from pathlib import Path

_CANDIDATES = [
    Path(os.environ["AIDERMEM_CORPUS"]) if os.environ.get("AIDERMEM_CORPUS") else None,
    Path(__file__).resolve().parents[2] / "shared" / "corpus" / "aider-histories",
    Path("/work/shared/corpus/aider-histories"),
]


def _find() -> Path:
    for candidate in _CANDIDATES:
        if candidate is not None and (candidate / "MANIFEST.tsv").is_file():
            return candidate
    tried = ", ".join(str(c) for c in _CANDIDATES if c is not None)
    raise FileNotFoundError(
        f"aider-histories corpus not found (tried {tried}); set AIDERMEM_CORPUS"
    )


CORPUS = _find()
