"""The cached detect-secrets patterns must be exactly the library's, and a bad cache harmless."""

from __future__ import annotations

import json
import subprocess
import sys

from aidermem import paths
from aidermem.redaction import secret_patterns


def test_cache_holds_exactly_the_library_patterns() -> None:
    library = secret_patterns.read_library()
    assert library and {k for k, _, _ in library} == {k for k, _, _ in secret_patterns.PLUGINS}
    assert secret_patterns.library_patterns() == library  # first run: from the library
    assert (paths.cache_dir() / secret_patterns.CACHE_NAME).is_file()
    assert secret_patterns.library_patterns() == library  # then: from the cache


def test_a_later_run_does_not_import_detect_secrets() -> None:
    secret_patterns.library_patterns()  # warm the cache (AIDERMEM_HOME is the test's)
    code = ("import sys, aidermem.redaction.redact as r; "
            "print('detect_secrets' in sys.modules, len(r._LIBRARY))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", str(len(secret_patterns.read_library()))]


def test_damaged_or_foreign_cache_is_ignored_and_replaced() -> None:
    library = secret_patterns.read_library()
    cache = paths.cache_dir() / secret_patterns.CACHE_NAME
    cache.parent.mkdir(parents=True, exist_ok=True)
    for junk in ("{not json", json.dumps({"key": "another install", "patterns": [["aws", "x", 0]]}),
                 json.dumps({"patterns": []}), json.dumps([1, 2])):
        cache.write_text(junk)
        assert secret_patterns.library_patterns() == library
        assert json.loads(cache.read_text())["patterns"] == [list(p) for p in library]


def test_an_unwritable_cache_dir_still_gives_the_patterns(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("AIDERMEM_CACHE_DIR", str(blocker / "cache"))
    assert secret_patterns.library_patterns() == secret_patterns.read_library()
