"""Remove secrets from transcript text before anything keeps it.

Every caller that journals, summarizes, stores or indexes transcript text runs
`redact` first. It drops `<private>…</private>` spans, and replaces API keys,
tokens, private key blocks, JWTs, URL passwords, passwords given to `curl -u`,
`mysql -p`, `docker login -p` and `sshpass -p`, and `*_KEY=`/`DB_PASS=`/`password:`-style
values with `[REDACTED:<kind>]`. Pure: no disk, no network, no logging of what
it found (the secret would leak into the log).

Detection = the regex denylists of detect-secrets' own plugins (the maintained
list of token shapes; secret_patterns.py caches them) + our patterns for what
those miss: newer OpenAI/Anthropic key shapes, GitHub fine-grained PATs, Google
keys, Bearer headers, aider's `--api-key provider=…` flags, and assignments in
.env/shell/YAML/JSON/code.
Left out on purpose (measured on 1 MB of real transcripts): the high-entropy
plugins and KeywordDetector (0.55 s/MB alone, and entropy flags commit shas,
lockfile hashes and UUIDs, which memories must keep), the IBM/Cloudant/SoftLayer
keyword regexes (~0.37 s/MB; our keyword rule covers their `key = value` shape),
the public-IP detector (an address is not a secret), Artifactory's (any word
shaped `AP[0-9A-F]…` or `AKC…`, 37 ms/MB), and the npm and legacy-OpenAI ones (they
backtrack quadratically on long lines; our own patterns cover both). Scanning
is linear in the text: whole text at once, never per line, ~0.1 s per MB.

Commit shas in `> Commit <sha> <msg>` lines are never redacted: memories link them.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from aidermem.redaction.secret_patterns import library_patterns

Span = tuple[int, int, str]  # start, end, kind


def _library_patterns() -> list[tuple[str, re.Pattern[str]]]:
    # The plugins match line by line; we scan whole text, so ^/$ must be per line.
    return [(kind, re.compile(source, flags | re.MULTILINE))
            for kind, source, flags in library_patterns()]


_T = r"[A-Za-z0-9_-]"  # token alphabet shared by most vendors
# (kind, literal prefix, rest). Each pattern starts with its literal, so the
# scan uses re's fast prefix search (a leading look-behind made each ~20x
# slower); the look-behind placed after the literal rejects a start inside a
# longer token in O(1), which keeps runs like "sk-sk-sk-…" linear.
_OWN_PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("anthropic", "sk-ant-", rf"{_T}{{20,}}"),
    ("openrouter", "sk-or-", rf"{_T}{{20,}}"),
    ("openai", "sk-", rf"(?:proj-|svcacct-|admin-)?{_T}{{20,}}"),
    ("github", "gh", r"[pousr]_[A-Za-z0-9]{30,}"),
    ("github", "github_pat_", r"[A-Za-z0-9_]{22,}"),
    ("slack", "xox", r"[abposr]-[A-Za-z0-9-]{10,}"),
    ("slack", "xapp-", r"[A-Za-z0-9-]{10,}"),
    ("slack-webhook", "https://hooks.slack.com/", r"(?:services|workflows)/[A-Za-z0-9_/]+"),
    ("google", "AIza", rf"{_T}{{35}}"),
    ("stripe", "sk_", r"(?:live|test)_[0-9a-zA-Z]{16,}"),
    ("stripe", "rk_", r"(?:live|test)_[0-9a-zA-Z]{16,}"),
    ("stripe", "whsec_", r"[0-9a-zA-Z]{16,}"),
    ("huggingface", "hf_", r"[A-Za-z0-9]{30,}"),
    ("npm", "npm_", r"[A-Za-z0-9]{36}(?![A-Za-z0-9])"),
    ("jwt", "eyJ", r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
)
_OWN = [
    (kind, re.compile(f"{re.escape(lit)}(?<![A-Za-z0-9_-]{re.escape(lit)}){rest}"))
    for kind, lit, rest in _OWN_PATTERNS
]
_LIBRARY = _library_patterns()
# npm's registry token; detect-secrets' own pattern (`//.+/:_authToken…`)
# backtracks quadratically on long lines full of `//`, so we anchor on the key.
_NPM = re.compile(r":_authToken=[ \t]*([^\s'\"]+)")

_PRIVATE_TAG = re.compile(r"<private>.*?(?:</private>|\Z)", re.IGNORECASE | re.DOTALL)
_KEY_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
_MAX_KEY_BLOCK = 20_000  # an RSA-4096 or PGP key block is well under this
_KEY_END = re.compile(r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
# A line of PEM body, possibly inside a `#### ` (user) or `> ` (tool) transcript line.
_KEY_LINE = re.compile(r"(?:#### |> )?(?:[A-Za-z0-9+/=]+|[A-Za-z-]+: [^\n]*)[ \t\r]*")
# The password runs to the authority's last '@': `https://bob:p@ssW0rd@host` hides `p@ssW0rd`.
_URL_PASSWORD = re.compile(r"://[^\s:/?#@\[\]\"'<>]+:([^\s/?#\"'<>]+)@")


def _command(name: str, limit: int = 300) -> str:
    """The rest of one shell command after `name` (no newline, `|`, `;` or `&`, at most
    `limit` characters, then a blank), never crossing `name` again: each occurrence's window
    ends where the next begins, so a line of `curl curl curl …` is scanned once."""
    return rf"\b(?:[^\n|;&{name[0]}]|{name[0]}(?!{name[1:]})){{0,{limit}}}?[ \t]"


# Command lines that carry a password in a flag of their own (group 1 is the secret), within
# one shell command: `curl -u user:PW`, `mysql -pPW` (but never `-P 3306`, the port),
# `docker login -p PW`, `sshpass -p PW` (but never `ssh -p 2222`). Case-sensitive on purpose.
_CLI_SOURCES = (  # (program, rest): the literal first, for re's fast prefix search
    ("curl", rf"{_command('curl')}(?:-u|--user)(?:[ \t]+|=)?[^\s:'\"]+:([^\s'\"]+)"),
    ("mysql", rf"(?:dump|admin)?{_command('mysql')}-p[\"']?([^\s'\"]+)"),
    ("mariadb", rf"{_command('mariadb')}-p[\"']?([^\s'\"]+)"),
    ("docker", rf"[ \t]+login{_command('docker')}(?:-p|--password)(?:[ \t]+|=)"
     r"([^\s'\"-][^\s'\"]*)"),
    ("sshpass", rf"{_command('sshpass', 100)}-p[ \t]*([^\s'\"]+)"),
)
_CLI_SECRETS = [re.compile(f"{name}(?<![A-Za-z0-9_.-]{name}){rest}")
                for name, rest in _CLI_SOURCES]
_COMMIT_LINE = re.compile(r"^> Commit ([0-9a-f]{7,40}) ", re.MULTILINE)
_AWS_ID = re.compile(r"(?:AKIA|ASIA)[0-9A-Z]{16}")
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_AWS_NEAR = 300

# Case-insensitive patterns are written in lowercase and run on text.lower(),
# which keeps the scan fast (an (?i) pattern cannot use the literal-prefix
# search); when lower() changes the length (rare letters such as 'İ'),
# offsets would drift, so the (?i) twin runs on the original instead.
_CI_SOURCES = {
    "bearer": r"bearer[ \t]+([a-z0-9._~+/=-]{16,})",
    "auth": r"authorization[\"']?[ \t]*[:=][ \t]*[\"']?(?:basic|token)[ \t]+([a-z0-9._~+/=-]{8,})",
    # Flags that take a secret: --openai-api-key X, --api-key openai=X, --password=X
    "flag": r"--[a-z0-9-]*(?:api-key|api-token|-token|secret|password|passwd)(?:=|[ \t]+)"
    r"(?:[a-z0-9_.-]+=)?([^\s'\"-][^\s'\"]*)",
    # The secret-bearing word that ends a variable name, then a separator; a
    # Python annotation (`key: str = "…"`) is tried before YAML's bare colon.
    # The word may go on in `_part`s (`SECRET_KEY_BASE`, `KEY_COUNT`): _assignments decides.
    "keyword": r"(?P<word>(?:key|token|secret|passw(?:or)?d|pwd|passphrase|pass|credentials?)"
    r"(?:_[a-z0-9]+){0,3})[\"']?"
    r"(?P<sep>[ \t]*:[ \t]*[a-z_][\w.\[\] |,]{0,40}?[ \t]*=(?!=)|[ \t]*(?::=|=>|=(?!=)|:))",
}
_CI = {name: re.compile(p) for name, p in _CI_SOURCES.items()}
_CI_FALLBACK = {name: re.compile(p, re.IGNORECASE) for name, p in _CI_SOURCES.items()}
# Values are capped so one megabyte-long line cannot make each match rescan it;
# a quoted value ends at its closing quote, the line's end or the cap.
_QUOTED = re.compile(r"[ \t]*([\"'`])([^\"'`\n]{1,1000})")
_BARE = re.compile(r"[ \t]*([^\s\"'`,;)}\]]{1,1000})")
_KEY_NAMES = re.compile(
    r"(?i:api|secret|access|private|client|auth|master|encryption|signing|app|account"
    r"|service|admin|license|session|jwt|openai|anthropic|stripe|aws)[_-]?(?i:key)$"
    r"|[_-](?i:key)$|[a-z0-9]Key$|^(?i:apikey)$"
)
# Names of keys that identify things rather than unlock them.
_NOT_SECRET_KEYS = re.compile(
    r"(?i)(?:cache|storage|sort|primary|foreign|partition|query|row|hash|map|lookup|index"
    r"|unique|composite|react|dict|idempotency|group|order|public)[_-]?key$"
)
# The last part of a name that holds a secret (`api_key`, `DB_PASS`, `appsecret`) …
_SECRET_PART = re.compile(r"[a-z0-9]*(?:key|token|secret|passw(?:or)?d|pwd|passphrase|pass"
                          r"|credentials?)")
# … and last parts that say the value is about a secret, not the secret itself.
_NOT_SECRET_PARTS = frozenset(
    {
        "file", "path", "dir", "name", "names", "id", "ids", "count", "len", "length", "size",
        "type", "kind", "env", "var", "header", "field", "prefix", "suffix", "url", "uri",
        "endpoint", "max", "min", "limit", "ttl", "timeout", "expiry", "expires", "version",
        "format", "alg", "algorithm", "mode", "enabled", "required", "store", "location", "arn",
        "ref", "provider", "source", "index", "hash", "hashed", "rotation", "policy", "label",
    }
)  # fmt: skip
_CODE_WORDS = frozenset(
    {
        "none", "null", "nil", "true", "false", "undefined", "lambda", "self", "this", "new",
        "await", "function", "str", "int", "bool", "string", "bytes", "optional", "any", "dict",
        "list", "required", "env", "os", "process", "config", "settings", "getenv", "environ",
        "password", "token", "secret", "key",
    }
)  # fmt: skip
_ATTRIBUTE = re.compile(r"[A-Za-z_]\w*(?:\.\w*)+")
_IDENTIFIER = re.compile(r"[a-z_]+")
_ENV_PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")


@dataclass(frozen=True)
class RedactionResult:
    text: str
    count: int  # secrets replaced + private spans dropped
    kinds: tuple[str, ...]  # distinct kinds found, sorted


def redact(text: str) -> RedactionResult:
    """`text` with every secret we can recognise replaced by `[REDACTED:<kind>]`."""
    kinds: set[str] = set()
    text, dropped = _PRIVATE_TAG.subn("", text)
    if dropped:
        kinds.add("private")
    spans = list(_find_spans(text))
    protected = [(m.start(1), m.end(1)) for m in _COMMIT_LINE.finditer(text)]
    spans = [s for s in spans if not _overlaps(s, protected)]
    merged = _merge(spans)
    out: list[str] = []
    pos = 0
    for start, end, kind in merged:
        out.append(text[pos:start])
        out.append(f"[REDACTED:{kind}]")
        kinds.add(kind)
        pos = end
    out.append(text[pos:])
    return RedactionResult("".join(out), dropped + len(merged), tuple(sorted(kinds)))


def _overlaps(span: Span, protected: list[tuple[int, int]]) -> bool:
    """Whether `span` touches one of the sorted, disjoint `protected` ranges.

    Only two candidates: the last range starting at or before the span, and the
    first starting after it (any later overlap implies that one overlaps too).
    """
    i = bisect.bisect_right(protected, (span[0], span[0]))
    return any(b < span[1] and span[0] < e for b, e in protected[max(0, i - 1) : i + 1])


def _find_spans(text: str) -> Iterator[Span]:
    """Every candidate secret, one family of rules after another (overlaps merged later)."""
    yield from _key_blocks(text)
    yield from _pattern_spans(text)
    yield from _unless_placeholder(text)
    yield from _keyword_spans(text)


def _pattern_spans(text: str) -> Iterator[Span]:
    """Secrets whose shape alone tells them: our own patterns, then the library's."""
    for kind, pattern in _OWN:
        for m in pattern.finditer(text):
            yield m.start(), m.end(), kind
    for kind, pattern in _LIBRARY:
        for m in pattern.finditer(text):
            # the aws "secret near the word aws" pattern marks the secret as group 1
            g = 1 if kind == "aws" and pattern.groups and m.group(1) else 0
            yield m.start(g), m.end(g), kind


def _unless_placeholder(text: str) -> Iterator[Span]:
    """Values in a place secrets go (an npm token, a URL's password, a CLI password flag),
    unless the value is a placeholder; and AWS secrets near a key id."""
    for m in _NPM.finditer(text):
        if not _placeholder(m.group(1)):
            yield m.start(1), m.end(1), "npm"
    yield from _aws_secrets_near_ids(text)
    for m in _URL_PASSWORD.finditer(text):
        if not _placeholder(m.group(1)):
            yield m.start(1), m.end(1), "url-password"
    for pattern in _CLI_SECRETS:
        for m in pattern.finditer(text):
            if not _placeholder(m.group(1)):
                yield m.start(1), m.end(1), "password"


def _keyword_spans(text: str) -> Iterator[Span]:
    """Values after a word that names them, matched case-insensitively: bearer and auth
    headers, key flags, then `NAME=value` assignments."""
    low = text.lower()
    ci, hay = (_CI, low) if len(low) == len(text) else (_CI_FALLBACK, text)
    for name, kind in (("bearer", "bearer"), ("auth", "bearer"), ("flag", "api-key")):
        for m in ci[name].finditer(hay):
            value = text[m.start(1) : m.end(1)]
            if _boundary_before(text, m.start()) and not _placeholder(value):
                yield m.start(1), m.end(1), kind
    yield from _assignments(text, ci["keyword"].finditer(hay))


def _boundary_before(text: str, pos: int) -> bool:
    return pos == 0 or not (text[pos - 1].isalnum() or text[pos - 1] in "_-")


def _key_blocks(text: str) -> Iterator[Span]:
    """BEGIN … END PRIVATE KEY; a block cut off before END runs to its last body line."""
    if "PRIVATE KEY" not in text and "PuTTY-User-Key" not in text:
        return
    ends = [(e.start(), e.end()) for e in _KEY_END.finditer(text)]  # one pass: no rescans
    pos = 0
    while m := _KEY_BEGIN.search(text, pos):
        i = bisect.bisect_left(ends, (m.end(), 0))
        if i < len(ends) and ends[i][0] - m.end() <= _MAX_KEY_BLOCK:
            stop = ends[i][1]
        else:  # no END near enough: the paste was cut off
            stop = m.end()
            while stop < len(text) and text[stop] in " \t\r":
                stop += 1
            while stop < len(text) and text[stop] == "\n":
                line = _KEY_LINE.match(text, stop + 1)
                if not line or line.end() == stop + 1:
                    break
                if line.end() < len(text) and text[line.end()] != "\n":
                    break
                stop = line.end()
        yield m.start(), stop, "private-key"
        pos = stop


def _aws_secrets_near_ids(text: str) -> Iterator[Span]:
    """A 40-char mixed-case string within 300 chars of an AWS key id is its secret key."""
    ids = [m.start() for m in _AWS_ID.finditer(text) if _boundary_before(text, m.start())]
    if not ids:
        return
    for s in _AWS_SECRET.finditer(text):  # one pass over the text, however many ids
        value = s.group(0)
        if value.islower() or value.isupper():
            continue
        i = bisect.bisect_left(ids, s.start())
        near = [ids[j] for j in (i - 1, i) if 0 <= j < len(ids)]
        if any(abs(pos - s.start()) <= _AWS_NEAR for pos in near):
            yield s.start(), s.end(), "aws"


def _assignments(text: str, matches: Iterator[re.Match[str]]) -> Iterator[Span]:
    """`API_KEY=…`, `export X_TOKEN=…`, `password: …`, `"secret": "…"`, `key: str = "…"`."""
    covered = 0  # end of the last value redacted: keywords inside it need no look
    for m in matches:
        if m.start() < covered:
            continue
        # A secret word inside a longer name (SECRET_KEY_BASE, KEY_COUNT): only a value that
        # looks generated, under a name whose last part does not say it is something else.
        # Checked first: they are cheap, and most such names are no secret.
        word = m.group("word").lower()
        last = word.rsplit("_", 1)[-1]
        inside = "_" in word and not _SECRET_PART.fullmatch(last)
        if inside and last in _NOT_SECRET_PARTS:
            continue
        q = _QUOTED.match(text, m.end())
        if q:
            value, start, stop, quoted = q.group(2), q.start(2), q.end(2), True
        else:
            b = _BARE.match(text, m.end())
            if not b:
                continue
            value, start, stop, quoted = b.group(1), b.start(1), b.end(1), False
        if inside and not _looks_generated(value):
            continue
        prefix = _name_ending_at(text, m.start())
        if (word.startswith("pass") and not word.startswith(("passw", "passphrase"))
                and not prefix.endswith(("_", "-"))):
            continue  # `pass` only as the end of a name: DB_PASS, never bypass or compass
        name = prefix + text[m.start() : m.end("word")]
        if not inside and not _is_secret_name(name):
            continue
        if _keep_value(text, name, value, stop, quoted=quoted, sep=m.group("sep")):
            continue
        covered = stop
        yield start, stop, _assignment_kind(name)


def _looks_generated(value: str) -> bool:
    """Long enough, and mixing letters with digits or symbols: a key, not a word or a name."""
    letters = sum(c.isalpha() for c in value)
    return len(value) >= 12 and 0 < letters < len(value) and " " not in value


def _name_ending_at(text: str, pos: int) -> str:
    """The identifier characters just before `pos` (at most 80): `MY_API_` in `MY_API_KEY`."""
    start, low = pos, max(0, pos - 80)
    while start > low and (text[start - 1].isalnum() or text[start - 1] in "_.$-"):
        start -= 1
    return text[start:pos]


def _assignment_kind(name: str) -> str:
    low = name.lower()
    if "pass" in low or low.endswith("pwd"):
        return "password"
    if low.endswith("token"):
        return "token"
    return "api-key" if low.endswith("key") else "secret"


def _is_secret_name(name: str) -> bool:
    base = name.rsplit(".", 1)[-1].lstrip("$-")
    if base.lower().endswith("key"):
        return bool(_KEY_NAMES.search(base)) and not _NOT_SECRET_KEYS.search(base)
    return bool(base)


def _keep_value(text: str, name: str, value: str, end: int, *, quoted: bool, sep: str) -> bool:
    """Values that are code or placeholders, not secrets."""
    if len(value.strip()) < 4 or _placeholder(value):
        return True
    if quoted:
        return False
    low = value.lower()
    if low in _CODE_WORDS or (value.isdigit() and len(value) < 8):
        return True
    if "(" in value or "[" in value or (end < len(text) and text[end] in "(["):
        return True  # a call or subscript: token = get_token(...)
    if _ATTRIBUTE.fullmatch(value):
        return True  # attribute access: api_key = settings.api_key
    short_name = name.rsplit(".", 1)[-1].lstrip("$-")
    if low == short_name.lower() or low.endswith("_" + short_name.lower()):
        return True  # api_key=api_key
    env_style = short_name.isupper()
    yaml_line = sep.strip() == ":" and _rest_of_line_empty(text, end)
    # A bare lowercase name in code is a variable (password=password_input); in
    # .env or a YAML line it is the value itself.
    return bool(_IDENTIFIER.fullmatch(value)) and not env_style and not yaml_line


def _rest_of_line_empty(text: str, pos: int) -> bool:
    # Bounded look-ahead: a megabyte-long line must not be rescanned per match.
    nl = text.find("\n", pos, pos + 200)
    return not text[pos : nl if nl != -1 else pos + 200].strip()


def _placeholder(value: str) -> bool:
    """$VAR, ${VAR}, <your-key>, {{ secret }}, YOUR_API_KEY, xxxx, ****, [REDACTED…]."""
    v = value.strip("\"'`")
    if not v or v[0] in "$<{%[" or v.startswith(("process.env", "os.environ", "os.getenv")):
        return True
    if _ENV_PLACEHOLDER.fullmatch(v):
        return True
    low = v.lower()
    return len(set(low)) <= 2 or "your" in low or "..." in v or "…" in v


def _merge(spans: list[Span]) -> list[Span]:
    """Sorted, non-overlapping spans; overlaps merge and keep the first kind."""
    merged: list[Span] = []
    for start, end, kind in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start >= end:
            continue
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, kind))
    return merged
