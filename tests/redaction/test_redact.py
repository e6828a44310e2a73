"""Secrets never survive redact(); ordinary code, shas and placeholders do.

Every secret here is fake but shaped like the real thing, built at run time
so no scanner mistakes this file for a leak.
"""

from __future__ import annotations

import random
import string

import pytest
from corpus import CORPUS

from aidermem.redaction.redact import redact

_rng = random.Random(7)


def _rand(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


OPENAI = "sk-proj-" + _rand(48)
OPENAI_LEGACY = "sk-" + _rand(20) + "T3BlbkFJ" + _rand(20)
ANTHROPIC = "sk-ant-api03-" + _rand(80, string.ascii_letters + string.digits + "-_")
OPENROUTER = "sk-or-v1-" + _rand(64, "0123456789abcdef")
AWS_ID = "AKIA" + _rand(16, string.ascii_uppercase + string.digits)
AWS_SECRET = _rand(30) + "/" + _rand(9)
GITHUB = "ghp_" + _rand(36)
GITHUB_PAT = "github_pat_11" + _rand(20, string.ascii_uppercase + string.digits) + "_" + _rand(59)
SLACK = "xoxb-" + _rand(12, string.digits) + "-" + _rand(13, string.digits) + "-" + _rand(24)
SLACK_HOOK = f"https://hooks.slack.com/services/T{_rand(8)}/B{_rand(8)}/{_rand(24)}"
GOOGLE = "AIza" + _rand(35)
STRIPE = "sk_live_" + _rand(24)
JWT = "eyJhbGciOiJIUzI1NiJ9." + "eyJ" + _rand(40) + "." + _rand(43)
BEARER = _rand(32)
URL_PASSWORD = _rand(14)
ENV_VALUE = _rand(24)
YAML_VALUE = _rand(18).lower()
JSON_PASSWORD = "hunter2-" + _rand(6)

CASES = [
    ("openai", f"export OPENAI_API_KEY={OPENAI}", OPENAI),
    ("openai legacy", f"key = '{OPENAI_LEGACY}'", OPENAI_LEGACY),
    ("anthropic", f"> Anthropic key {ANTHROPIC} rejected", ANTHROPIC),
    ("openrouter", f"#### use {OPENROUTER} for the router  ", OPENROUTER),
    ("aws id", f"aws_access_key_id = {AWS_ID}", AWS_ID),
    ("aws secret near id", f"creds: {AWS_ID}\n  and {AWS_SECRET}\n", AWS_SECRET),
    ("github", f"git clone https://{GITHUB}@github.com/a/b", GITHUB),
    ("github pat", f"GH={GITHUB_PAT}", GITHUB_PAT),
    ("slack", f"client = WebClient(token={SLACK!r})", SLACK),
    ("slack webhook", f"curl -X POST {SLACK_HOOK}", SLACK_HOOK),
    ("google", f"const firebase = {{ apiKey: '{GOOGLE}' }}", GOOGLE),
    ("stripe", f"stripe.api_key = {STRIPE}", STRIPE),
    ("jwt", f"cookie session={JWT}; path=/", JWT),
    ("bearer", f'curl -H "Authorization: Bearer {BEARER}" https://api.x.com', BEARER),
    ("url password", f"DATABASE_URL=postgres://admin:{URL_PASSWORD}@db:5432/app", URL_PASSWORD),
    ("env token", f"MY_SERVICE_TOKEN={ENV_VALUE}", ENV_VALUE),
    ("env secret", f"export CLIENT_SECRET='{ENV_VALUE}'", ENV_VALUE),
    ("env password", f"DB_PASSWORD={ENV_VALUE}", ENV_VALUE),
    ("yaml api_key", f"llm:\n  api_key: {YAML_VALUE}\n  model: x\n", YAML_VALUE),
    ("json password", f'{{"user": "bob", "password": "{JSON_PASSWORD}"}}', JSON_PASSWORD),
    ("python annotated", f'SECRET_KEY: str = "{ENV_VALUE}"', ENV_VALUE),
    ("aider flag", f"> aider --openai-api-key {ENV_VALUE} --model gpt-4o  ", ENV_VALUE),
    ("aider api-key", f"> aider --api-key anthropic={ENV_VALUE}  ", ENV_VALUE),
]


@pytest.mark.parametrize(("label", "text", "secret"), CASES, ids=[c[0] for c in CASES])
def test_secret_is_replaced_with_a_marker(label: str, text: str, secret: str) -> None:
    result = redact(text)
    assert secret not in result.text
    assert "[REDACTED:" in result.text
    assert result.count >= 1
    assert result.kinds


def test_kinds_name_what_was_found() -> None:
    result = redact(f"a {OPENAI} b {GITHUB} c https://u:{URL_PASSWORD}@h")
    assert result.text == (
        "a [REDACTED:openai] b [REDACTED:github] c https://u:[REDACTED:url-password]@h"
    )
    assert result.count == 3
    assert result.kinds == ("github", "openai", "url-password")


def test_url_password_keeps_user_and_host() -> None:
    out = redact(f"mongodb://admin:{URL_PASSWORD}@mongo.internal:27017/db").text
    assert out == "mongodb://admin:[REDACTED:url-password]@mongo.internal:27017/db"


def test_private_key_block_is_removed_whole() -> None:
    body = "\n".join(_rand(64, string.ascii_letters + string.digits + "+/") for _ in range(5))
    text = f"before\n-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\nafter"
    out = redact(text).text
    assert out == "before\n[REDACTED:private-key]\nafter"


def test_unterminated_private_key_pasted_into_aider() -> None:
    lines = [_rand(64, string.ascii_letters + string.digits + "+/") for _ in range(4)]
    pasted = "".join(f"#### {line}  \n" for line in lines)
    text = f"#### -----BEGIN OPENSSH PRIVATE KEY-----  \n{pasted}\nI won't store that.\n"
    out = redact(text).text
    assert all(line not in out for line in lines)
    assert out.endswith("\n\nI won't store that.\n")


def test_private_tags_drop_their_content() -> None:
    text = "keep <private>my address\nline 2</private> this <PRIVATE>x</Private> and <private>tail"
    result = redact(text)
    assert result.text == "keep  this  and "
    assert result.count == 3
    assert "private" in result.kinds


def test_commit_shas_uuids_and_hashes_survive() -> None:
    text = (
        "> Commit 1a2b3c4 fix: rotate the token: use refresh flow  \n"
        "> Commit 0123456789abcdef0123456789abcdef01234567 chore: bump  \n"
        "request id 123e4567-e89b-12d3-a456-426614174000\n"
        '+    "integrity": "sha512-Q2ZlZDQ0NzY1YjI1OGE5ZjE0YzU2ZDk4ZWU3NmY0ZjEwZTQ=",\n'
        "+    resolved 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
    )
    result = redact(text)
    assert result.text == text
    assert result.count == 0


@pytest.mark.parametrize(
    "code",
    [
        "api_key = settings.api_key",
        "password=password",
        "token = get_token(user)",
        "first_key = next(iter(state.glyphs))",
        "sort_key = lambda x: x",
        "max_tokens = 4096",
        "export OPENAI_API_KEY=$(cat ~/.config/openai.token)",
        "OPENAI_API_KEY=YOUR_API_KEY_HERE",
        "api_key: str",
        "const CACHE_KEY = 'user-cache'",
        "if password == stored_password:",
        "rec_key = pynput.keyboard.Key.ctrl_r",
        "> aider --openai-api-key  --openai-api-base http://localhost:8080  ",
        "> Tokens: 3.1k sent, 48 received. Cost: $0.02 message, $0.40 session.  ",
        "Use an API key from your dashboard; the password: is set at signup.",
    ],
)
def test_ordinary_code_and_placeholders_are_kept(code: str) -> None:
    assert redact(code).text == code


def test_no_secret_no_change() -> None:
    text = "#### Add a --verbose flag  \n\nSure, here it is.\n"
    result = redact(text)
    assert result.text == text
    assert (result.count, result.kinds) == (0, ())


def test_one_megabyte_transcript() -> None:
    files = sorted(p for p in CORPUS.glob("*.md") if p.name != "README.md")
    text = "".join(p.read_bytes().decode("utf-8", errors="replace") for p in files)[:1_000_000]
    planted = f"{text[:500_000]}\nexport OPENAI_API_KEY={OPENAI}\n{text[500_000:]}"
    result = redact(planted)
    assert OPENAI not in result.text
    assert "export OPENAI_API_KEY=[REDACTED:openai]" in result.text
    # Nothing but secrets changed: every commit line in the input is still there.
    for line in planted.splitlines():
        if line.startswith("> Commit "):
            assert line in result.text


def test_corpus_redaction_keeps_every_commit_and_header() -> None:
    for path in sorted(CORPUS.glob("*.md")):
        text = path.read_bytes().decode("utf-8", errors="replace")
        out = redact(text).text
        for line in text.splitlines():
            if line.startswith(("> Commit ", "# aider chat started at")):
                assert line in out, (path.name, line)


def test_text_whose_lowercase_changes_length() -> None:
    # "İ".lower() is two characters, so the case-insensitive scans run on the original.
    text = f"İstanbul ofisi: DB_PASSWORD={ENV_VALUE} and Authorization: Bearer {BEARER}"
    assert len(text.lower()) != len(text)
    out = redact(text).text
    assert out == (
        "İstanbul ofisi: DB_PASSWORD=[REDACTED:password] and Authorization: Bearer "
        "[REDACTED:bearer]"
    )


@pytest.mark.parametrize(
    ("unit", "changed"),
    [
        ("// ", False),  # detect-secrets' npm pattern backtracked quadratically on this
        ("sk-", True),  # one long key-shaped run: redacted, and scanned once
        ("eyJ", False),
        ("1234567890:", False),
        ("http://a:b", False),
        ("<private>", True),
        ("api_key=", True),
        ("-----BEGIN RSA PRIVATE KEY-----\n", True),
        ("AKIA" + "QX7ZB2M4N6P8R0T3 ", True),
    ],
)
def test_pathological_inputs(unit: str, changed: bool) -> None:
    # Long runs of secret-ish prefixes on one line: each must be scanned once, not per match.
    text = unit * (400_000 // len(unit))
    result = redact(text)
    assert (result.text != text) is changed
    if "BEGIN" in unit:
        assert "PRIVATE KEY" not in result.text
