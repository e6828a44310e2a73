"""frontfast must read exactly what PyYAML reads, or decline.

Every case compares the fast reader with python-frontmatter + PyYAML on the
same text: a value the fast path returns must equal PyYAML's, and a file it
declines must still parse (through PyYAML) as before.
"""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime

import pytest

from aidermem.models import Kind, Memory, Source, Tool
from aidermem.store import frontfast, memfile

TRICKY = [
    "plain title", "yes", "no", "on", "off", "true", "False", "null", "Null", "~", "123", "0x1f",
    "1e3", "1_000", "3.14", ".5", "2025-01-01", "2025-01-01 10:00:00", "<<", "=", "-", "- x",
    "-dash", "?", "? q", ":", "a: b", "a:b", "ends with:", "x #not comment", "#hash", "it's",
    "'quoted'", "\"double\"", "''", "'", "trailing ", " leading", "two  spaces", "tab\there",
    "[bracket]", "{brace}", "a, b", "a [b] {c}", "%percent", "@at", "`tick", "!bang", "&amp",
    "*star", "|pipe", ">gt", "中文标题", "Ошибка кэша", "emoji 🎉", "nel\x85x", "ls\u2028x",
    "bom\ufeffx", "ctrl\x07x", "back\\slash", "C++ -> std::vector<int>", "foo(bar)?",
    "getUserById", "src/api/orderService.ts", "https://example.com/a?b=c#d", "100%", "a" * 300,
]


def both(text: str) -> tuple[dict | None, dict]:
    return memfile._read_fast(text), memfile._read_yaml(text, "t.md")


def memory_with(value: str) -> Memory:
    return Memory(
        id="01JQAAAA000000000000000000", title=value if value.strip() else "t",
        kind=Kind.DECISION, body=f"body with {value}\n\nmore", project=value,
        project_name=value, topics=[value, "db"], files=[value, "src/x.py"],
        symbols=[value], commits=["abc1234"], author=value,
        created=datetime(2025, 1, 10, 12, 0, tzinfo=UTC),
        updated=datetime(2025, 1, 11, 12, 0, 5, tzinfo=UTC),
        source=Source(tool=Tool.AIDER, session_id=value, transcript=value,
                      session_start=datetime(2025, 1, 10, 11, 0, tzinfo=UTC)),
    )


@pytest.mark.parametrize("value", TRICKY)
def test_dumped_values_read_the_same_as_with_yaml(value: str) -> None:
    text = memfile.dump(memory_with(value))
    fast, slow = both(text)
    assert fast is None or fast == slow
    assert memfile.parse(text) == memfile.Memory.model_validate(slow)


def test_ordinary_memories_take_the_fast_path() -> None:
    rng = random.Random(7)
    words = ["cache", "retry", "getUserById", "get_user_by_id", "中文", "ok", "it's", "v2.1"]
    taken = 0
    for _ in range(300):
        title = " ".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
        memory = Memory(
            title=title, kind=rng.choice(list(Kind)), body=" ".join(["x"] * rng.randint(0, 50)),
            topics=rng.sample(["db", "auth", "ci"], rng.randint(0, 3)),
            files=[f"src/{rng.choice(string.ascii_lowercase)}.py"] * rng.randint(0, 2),
            author=rng.choice([None, "Ann <ann@x.org>"]),
        )
        text = memfile.dump(memory)
        fast, slow = both(text)
        assert fast == slow
        taken += fast is not None
        assert memfile.parse(text) == memory
    assert taken == 300


HAND_EDITS = [
    "---\n# a comment\nid: 01JQA\ntitle: t\n---\nbody\n",
    "---\nid: 01JQA\ntitle: \"double quoted\"\n---\nbody\n",
    "---\nid: 01JQA\ntitle: t\ntopics: [a, b]\n---\nbody\n",
    "---\nid: 01JQA\ntitle: t\nauthor:\n---\nbody\n",
    "---\nid: 01JQA\ntitle: >\n  folded\n  title\n---\nbody\n",
    "---\nid: 01JQA\ntitle: t\ntopics:\n  - indented\n---\nbody\n",
    "---\nid: 01JQA\ntitle: t\ntitle: twice\n---\nbody\n",
    "---\nid: 01JQA\ntitle:\tt\n---\nbody\n",
    "---\nid: 1234\ntitle: t\n---\nbody\n",
    "---\nid: 01JQA\nTitle: t\n---\nbody\n",
    "---\nid: 01JQA\ntitle: t\nsource:\n  tool: cli\n  extra:\n---\nbody\n",
    "---  \nid: 01JQA\ntitle: t\n-----\n\n\n  body with spaces  \n\n",
]


def outcome(text: str) -> object:
    try:
        return memfile.parse(text, "t.md")
    except memfile.MemoryFileError as exc:
        return exc.reason


@pytest.mark.parametrize("text", HAND_EDITS + [memfile.dump(memory_with(v)) for v in TRICKY])
def test_parse_gives_what_yaml_alone_gives(text: str, monkeypatch) -> None:
    with_fast = outcome(text)
    monkeypatch.setattr(memfile, "_read_fast", lambda _text: None)
    assert with_fast == outcome(text)


def test_the_fast_reader_declines_what_is_not_dumps_shape() -> None:
    for front in ("title: 'unclosed", "title: 'a'b'", "title:x", "- item", "title: [a]",
                  "a:\n- [nested]", "title: x\n  stray: y", "title: \"dq\"", "title: yes"):
        assert frontfast.read(front) is None, front
    assert frontfast.read("title: 'it''s'\nauthor: null\ntopics: []\nfiles:\n- a.py\n"
                          "source:\n  tool: cli\n") == {
        "title": "it's", "author": None, "topics": [], "files": ["a.py"],
        "source": {"tool": "cli"}}
