"""Every secret shape aidermem knows, end to end: never in a store file, `git log -p`, the
index (raw files and stored documents) or the request the summary model receives.

One table of shapes (test_redact's CASES plus the ones below); each shape is written
through `aidermem add` (real store, real index) and through a captured session whose
summary goes to the fake model. A second table holds ordinary text that must be kept.
"""

from __future__ import annotations

import random
import string
import subprocess
from pathlib import Path

import pytest
import tantivy
from e2e_support import summarizer, summary_json, summary_requests
from fakellm import FakeLLM
from test_cli_support import make_repo, run, store
from test_redact import CASES

from aidermem import paths
from aidermem.capture import driver as capture
from aidermem.capture.journal import Entry, Journal, State
from aidermem.capture.llm import LLMConfig
from aidermem.index.memory_index import MemoryIndex
from aidermem.models import new_id
from aidermem.redaction.redact import redact

_rng = random.Random(11)


def _rand(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


URL_PW, BASE, DB_PW, CURL_PW, MYSQL_PW, DOCKER_PW, SSH_PW = (_rand(14) for _ in range(7))
NPM = "npm_" + _rand(36)
NEW_SHAPES = [
    ("url password with @", f"git remote add origin https://bob:p@{URL_PW}@git.example.com/a.git",
     f"p@{URL_PW}"),
    ("secret_key_base", f"export SECRET_KEY_BASE={BASE}{_rand(40, '0123456789abcdef')}", BASE),
    ("db_pass", f"DB_PASS={DB_PW}", DB_PW),
    ("yaml db-pass", f"postgres:\n  db-pass: {DB_PW}x\n", f"{DB_PW}x"),
    ("curl -u", f"curl -s -u admin:{CURL_PW} https://api.example.com/v1", CURL_PW),
    ("curl --user", f"curl --user=admin:{CURL_PW}z https://x.example.com", f"{CURL_PW}z"),
    ("mysql -p", f"mysql -h db -u root -p{MYSQL_PW} shop < dump.sql", MYSQL_PW),
    ("mysqldump -p", f"mysqldump -uroot -p'{MYSQL_PW}q' shop", f"{MYSQL_PW}q"),
    ("docker login -p", f"docker login -u ci -p {DOCKER_PW} registry.example.com", DOCKER_PW),
    ("sshpass -p", f"sshpass -p {SSH_PW} ssh -p 2222 deploy@host", SSH_PW),
    ("npm token in prose", f"The CI publishes with {NPM} since Tuesday.", NPM),
]
SHAPES = [*CASES, *NEW_SHAPES]

KEPT = [
    "ssh -p 2222 deploy@host",
    "scp -P 2222 a.txt host:",
    "mysql -P 3306 -u root -p shop",
    "docker run -p 8080:80 nginx",
    "curl -u admin https://api.example.com",
    "git push -u origin main",
    "sort -u names.txt | uniq -c",
    "KEY_COUNT = 3",
    "MAX_KEY_LENGTH = 64",
    "PRIMARY_KEY_NAME = 'id'",
    "SECRET_NAME = 'prod-db'",
    "TOKEN_URL = 'https://auth.example.com/oauth/token'",
    "DB_PASS_FILE=/run/secrets/db_pass",
    "first_pass = True",
    "bypass: everything",
    "compass = Compass()",
    "We need a second pass: rewrite the parser.",
    "See https://docs.example.com:8443/guide and http://user@example.com/",
    "npm_config_cache=/tmp/npm",
    "Run npm_install_and_build before pushing.",
    "password_hash = 'pbkdf2'",
]


@pytest.mark.parametrize(("label", "text", "secret"), SHAPES, ids=[s[0] for s in SHAPES])
def test_each_shape_is_redacted(label: str, text: str, secret: str) -> None:
    result = redact(text)
    assert secret not in result.text
    assert "[REDACTED:" in result.text


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_flags_names_and_urls_are_kept(text: str) -> None:
    assert redact(text).text == text


def _everything_in(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def _stored_documents(index: MemoryIndex) -> str:
    searcher = index.searcher()
    hits = searcher.search(tantivy.Query.all_query(), max(1, searcher.num_docs)).hits
    return "\n".join(str(searcher.doc(address).to_dict()) for _, address in hits)


def _leaks(secret: str, places: dict[str, str | bytes]) -> list[str]:
    """Where the secret is; in raw bytes also lowercased, as the index's terms are."""
    def has(found: str | bytes) -> bool:
        if isinstance(found, str):
            return secret in found
        return secret.encode() in found or secret.lower().encode() in found
    return [where for where, found in places.items() if has(found)]


def test_no_shape_reaches_the_store_git_or_the_index(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(make_repo(tmp_path / "shop"))
    for label, text, _ in SHAPES:
        r = run(capsys, "add", "--title", f"shape {label}", text)
        assert r.code == 0, r.err
    root = store().root
    index = MemoryIndex.open(store())
    log = subprocess.run(["git", "-C", str(root), "log", "-p", "--all"], check=True,
                         capture_output=True, text=True).stdout
    files = "\n".join(p.read_text(encoding="utf-8") for p in root.rglob("*.md")
                      if ".git" not in p.parts)
    places: dict[str, str | bytes] = {
        "store files": files, "git log -p": log,
        "index files": _everything_in(paths.index_dir_for(root)),
        "index documents": _stored_documents(index),
    }
    assert "shape db_pass" in files and "shape db_pass" in places["index documents"]
    assert b"registry" in places["index files"]  # the raw terms are there to be searched
    leaks = {label: _leaks(secret, places) for label, _, secret in SHAPES}
    assert {label: where for label, where in leaks.items() if where} == {}


def test_no_shape_reaches_the_summary_model(tmp_path: Path,
                                                           fake_llm: FakeLLM) -> None:
    fake_llm.responder = summarizer(summary_json("Secrets session", "Talked about config."))
    turns = "".join("".join(f"#### {line}  \n" for line in text.splitlines()) + "\nOk.\n\n"
                    for _, text, _ in SHAPES)
    history = tmp_path / "history.md"
    history.write_text("\n# aider chat started at 2026-03-01 10:00:00\n\n" + turns,
                       encoding="utf-8")
    journal = Journal()
    shop = store()
    entry = Entry(
        session_id=new_id(), state=State.RUNNING, started="2026-03-01T10:00:00+00:00",
        cwd=str(tmp_path), repo_root=None, project_id="github.com/acme/shop",
        project_name="shop", store_root=str(shop.root), history_path=str(history),
        history_offset=0, head_before=None, owner_pid=_dead_pid(), main_model="openai/fake",
        api_base=fake_llm.base_url,
    )
    journal.write(entry)
    config = LLMConfig(model="openai/fake", api_base=fake_llm.base_url, api_key="x", timeout=5)
    outcome = capture.finish(entry, journal, store=shop, index=MemoryIndex.open(shop),
                             config=config, notify=lambda _: None)
    assert outcome.error is None and outcome.saved
    (request,) = summary_requests(fake_llm)
    assert "docker login -u ci -p [REDACTED:password]" in request.text  # the turns were sent
    places: dict[str, str | bytes] = {
        "summary request": request.text,
        "store": _everything_in(shop.root),
    }

    leaks = {label: _leaks(secret, places) for label, _, secret in SHAPES}
    assert {label: where for label, where in leaks.items() if where} == {}


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid
