"""Generate a realistic memory store for benchmarks: deterministic, fast, one commit.

    python benchmarks/gen_memories.py STORE_DIR --count 10000 [--seed 7]

Memories are 100-400 words of engineering prose mixing code identifiers in
several styles (camelCase, snake_case, PascalCase, dotted modules, file
paths), across several projects plus global memories, every kind, topics from
a shared vocabulary, created over the two years before --end, about 5% in a
language other than English. The same seed always gives the same store
(ids are ULIDs of the creation time with seeded random bits, not the clock).

Files are written straight into the store layout and committed ONCE, because
a commit per memory would measure git, not aidermem.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ulid import ULID

from aidermem.models import Kind, Memory, Method, Source, Status, Tool
from aidermem.store import memfile
from aidermem.store.store import Store

PROJECTS = [
    ("github.com/acme/shop", "shop"), ("github.com/acme/billing", "billing"),
    ("gitlab.com/infra/deploy-tools", "deploy-tools"), ("github.com/me/dotfiles", "dotfiles"),
    ("github.com/acme/mobile-app", "mobile-app"),
    ("bitbucket.org/team/data-pipeline", "data-pipeline"),
    ("/home/dev/code/scratch", "scratch"), ("", ""),
]
PROJECT_WEIGHTS = [30, 15, 10, 5, 12, 10, 3, 15]
KINDS = [Kind.SESSION, Kind.DECISION, Kind.BUG, Kind.CONVENTION, Kind.NOTE]
KIND_WEIGHTS = [45, 15, 20, 8, 12]
TOPICS = ["auth", "database", "migrations", "caching", "testing", "ci", "deploy", "api",
          "frontend", "performance", "logging", "security", "payments", "search", "docs",
          "refactoring", "config", "async", "errors", "dependencies", "i18n", "monitoring"]
NOUNS = ["user", "session", "token", "order", "invoice", "cart", "payment", "account", "cache",
         "queue", "worker", "config", "request", "response", "handler", "client", "server",
         "schema", "migration", "index", "report", "event", "message", "retry", "timeout",
         "permission", "role", "profile", "product", "price", "customer", "webhook", "job"]
VERBS = ["get", "set", "update", "create", "delete", "load", "save", "validate", "parse",
         "render", "fetch", "sync", "refresh", "build", "resolve", "compute", "send", "handle"]
DIRS = ["src", "app", "lib", "api", "services", "models", "utils", "tests", "core", "web"]
EXTS = [".py", ".ts", ".js", ".go", ".rs", ".tsx", ".sql", ".yaml"]
WORDS = [
    "the", "a", "we", "it", "this", "that", "because", "so", "then", "when", "after", "before",
    "while", "and", "but", "or", "not", "fixed", "changed", "found", "noticed", "decided",
    "agreed", "moved", "renamed", "removed", "added", "kept", "failing", "flaky", "slow",
    "broken", "missing", "stale", "wrong", "correct", "faster", "simpler", "safer", "test",
    "build", "deploy", "release", "branch", "commit", "review", "bug", "issue", "problem",
    "approach", "function", "method", "class", "module", "file", "service", "endpoint",
    "query", "field", "column", "table", "value", "error", "exception", "warning", "log",
    "output", "input", "default", "option", "flag", "setting", "production", "staging",
    "local", "team", "later", "now", "again", "instead", "only", "also", "still",
]
FOREIGN = [
    "用户登录失败时需要记录日志并重试。缓存过期导致订单状态不一致，我们改为在写入后立即刷新缓存。",
    "ログイン処理でトークンの期限切れが発生した。リフレッシュ処理を追加して解決した。",
    "Ошибка при обновлении кэша: заказ сохранялся дважды. Решение — блокировка на уровне базы.",
    "Die Zahlungsschnittstelle liefert gelegentlich doppelte Ereignisse; "
    "wir prüfen jetzt die Idempotenz.",
    "Le délai d'expiration du jeton était trop court ; nous l'avons porté à quinze minutes.",
    "사용자 세션이 만료되면 자동으로 다시 로그인하도록 변경했습니다.",
]


def _ident(rng: random.Random) -> str:
    verb, noun, other = rng.choice(VERBS), rng.choice(NOUNS), rng.choice(NOUNS)
    style = rng.randrange(6)
    if style == 0:
        return f"{verb}{noun.title()}By{other.title()}"
    if style == 1:
        return f"{verb}_{noun}_by_{other}"
    if style == 2:
        return f"{noun.title()}{other.title()}Service"
    if style == 3:
        return f"{rng.choice(DIRS)}.{noun}.{verb}_{other}"
    if style == 4:
        return f"{noun.upper()}_{other.upper()}_TIMEOUT"
    return f"{noun}-{other}-{verb}"


def _path(rng: random.Random) -> str:
    name = rng.choice([f"{rng.choice(NOUNS)}{rng.choice(NOUNS).title()}",
                       f"{rng.choice(NOUNS)}_{rng.choice(NOUNS)}", rng.choice(NOUNS)])
    return f"{rng.choice(DIRS)}/{rng.choice(DIRS)}/{name}{rng.choice(EXTS)}"


def _sentence(rng: random.Random, files: list[str]) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 16))]
    for _ in range(rng.randint(0, 2)):
        words.insert(rng.randrange(len(words) + 1), f"`{_ident(rng)}`")
    if rng.random() < 0.3:
        words.insert(rng.randrange(len(words) + 1), rng.choice(files))
    if rng.random() < 0.4:
        words.insert(rng.randrange(len(words) + 1), rng.choice(NOUNS))
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice([".", ".", ".", ";", ":"])


def make_memory(rng: random.Random, index: int, end: datetime) -> Memory:
    project, name = rng.choices(PROJECTS, PROJECT_WEIGHTS)[0]
    kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
    files = [_path(rng) for _ in range(rng.randint(0, 4))]
    target = rng.randint(100, 400)
    lines: list[str] = []
    count = 0
    foreign = rng.random() < 0.05
    while count < target:
        if foreign and rng.random() < 0.5:
            sentence = rng.choice(FOREIGN)
            count += 15
        else:
            sentence = _sentence(rng, files or [_path(rng)])
            count += len(sentence.split())
        lines.append(sentence)
        if rng.random() < 0.15:
            lines.append("")
    created = end - timedelta(seconds=rng.randrange(2 * 365 * 86_400))
    title_words = [rng.choice(VERBS).title(), rng.choice(NOUNS), rng.choice(WORDS), _ident(rng)]
    # A real ULID of the creation time, its random part from the seeded generator.
    millis = int(created.timestamp() * 1000)
    memory_id = str(ULID.from_bytes(millis.to_bytes(6, "big") + rng.randbytes(10)))
    return Memory(
        id=memory_id,
        title=" ".join(title_words), kind=kind, body=" ".join(lines).replace("  ", "\n\n"),
        project=project, project_name=name,
        topics=rng.sample(TOPICS, rng.randint(0, 3)), created=created, updated=created,
        source=Source(tool=Tool.AIDER if kind == Kind.SESSION else Tool.CLI,
                      session_id=f"bench-{index}" if kind == Kind.SESSION else None,
                      method=Method.LLM if kind == Kind.SESSION else Method.MANUAL),
        files=files, status=Status.ARCHIVED if rng.random() < 0.03 else Status.ACTIVE,
        author="Bench <bench@example.com>",
    )


def generate(root: Path, count: int, seed: int = 7, end: datetime | None = None) -> Path:
    """Create the store at `root` holding `count` memories, committed once."""
    end = end or datetime(2026, 1, 1, tzinfo=UTC)
    rng = random.Random(seed)
    store = Store.open(root)
    made_dirs: set[Path] = set()
    for i in range(count):
        memory = make_memory(rng, i, end)
        target = store.root / store.relpath_for(memory)
        if target.parent not in made_dirs:
            target.parent.mkdir(parents=True, exist_ok=True)
            made_dirs.add(target.parent)
        target.write_text(memfile.dump(memory), encoding="utf-8")
    git = ["git", "-C", str(store.root), "-c", "commit.gpgsign=false", "-c", "gc.auto=0",
           "-c", "user.name=Bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "add", "--all", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", f"bench: {count} memories (seed {seed})"],
                   check=True)
    # Files written in the same second as git's index are "racily clean": git re-reads
    # them on every status until the index is rewritten later. A real store's index is
    # rewritten by each commit; do it once here so status timings are not inflated.
    time.sleep(1.1)
    subprocess.run([*git, "update-index", "-q", "--really-refresh"], check=True)
    # A store that grew to this size one commit at a time has been packed by git's
    # automatic gc; without this, the first timed write starts that gc in the background
    # (over every object) and it competes with the measurements that follow.
    subprocess.run([*git, "gc", "-q"], check=True)
    return store.root


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path, help="store directory (must not exist or be empty)")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    generate(args.store, args.count, args.seed)
    print(f"{args.count} memories in {args.store} ({time.perf_counter() - started:.1f}s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
