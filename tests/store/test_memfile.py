"""memfile: one memory <-> one Markdown file; parse raises only MemoryFileError, with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aidermem.errors import MemoryFileError
from aidermem.models import Kind, Memory, Method, Source, Status, Tool
from aidermem.store import memfile


def full_memory(**kw: object) -> Memory:
    base: dict[str, object] = {
        "title": "Cache invalidation in the checkout",
        "kind": Kind.BUG,
        "body": "The cart cache kept stale prices.\n\nFixed by keying on the price list version.",
        "project": "github.com/acme/shop",
        "project_name": "shop",
        "topics": ["Caching", "checkout flow"],
        "created": datetime(2024, 5, 1, 9, 30, tzinfo=UTC),
        "updated": datetime(2024, 5, 2, 10, 0, tzinfo=UTC),
        "source": Source(tool=Tool.AIDER, session_id="s1", transcript=".aider.chat.history.md",
                         session_start=datetime(2024, 5, 1, 9, 0, tzinfo=UTC), method=Method.LLM),
        "files": ["shop/cart.py"],
        "symbols": ["Cart.total"],
        "commits": ["abc1234"],
        "supersedes": ["01HOLDOLDOLDOLDOLDOLDOLDOL"],
        "related": ["01HRELRELRELRELRELRELRELRE"],
        "status": Status.ARCHIVED,
        "author": "Test User <test@example.com>",
    }
    base.update(kw)
    return Memory(**base)  # type: ignore[arg-type]


def roundtrip(m: Memory) -> Memory:
    return memfile.parse(memfile.dump(m), "x.md")


def test_roundtrip_every_field() -> None:
    m = full_memory()
    assert roundtrip(m) == m
    assert roundtrip(m).topics == ["caching", "checkout-flow"]


def test_dump_starts_with_front_matter_in_reading_order() -> None:
    text = memfile.dump(full_memory())
    assert text.startswith("---\nid: ")
    keys = [line.split(":")[0] for line in text.split("---\n")[1].splitlines()
            if line and not line.startswith((" ", "-"))]
    assert keys[:4] == ["id", "title", "kind", "status"]
    assert text.endswith("version.\n")


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("Ошибка кэша в корзине", "Цены устаревали.\nИсправлено."),
        ("東京の設定ファイル", "設定は `config.toml` にあります。"),
        ("مشكلة في المصادقة", "نص عربي"),
        ("Émoji 🚀 release", "Shipped 🎉 with naïve café résumé."),
        ("title: with colon # and hash", "key: value\n- not a list"),
        ("'quoted' \"double\"", "back\\slash"),
    ],
)
def test_roundtrip_non_english_and_yaml_lookalikes(title: str, body: str) -> None:
    m = full_memory(title=title, body=body)
    assert roundtrip(m) == m


@pytest.mark.parametrize(
    "memory_id",
    ["12345", "0123", "00000000000000000000000000", "1e5", "0x1F", "1_000", "true", "null", "no",
     "01HZZZZZZZZZZZZZZZZZZZZZZZ"],
)
def test_roundtrip_ids_that_look_like_other_yaml_types(memory_id: str) -> None:
    m = full_memory(id=memory_id)
    back = roundtrip(m)
    assert back.id == memory_id
    assert isinstance(back.id, str)


def test_body_with_front_matter_fences_inside() -> None:
    body = "Intro\n---\ntitle: not front matter\n---\n\n```yaml\n---\na: 1\n```\n---"
    m = full_memory(body=body)
    assert roundtrip(m).body == body


def test_body_starting_with_a_fence_line() -> None:
    m = full_memory(body="---\nstill body\n---")
    assert roundtrip(m).body == "---\nstill body\n---"


def test_empty_body_and_minimal_file() -> None:
    m = Memory(title="Only a title")
    assert roundtrip(m) == m
    parsed = memfile.parse("---\ntitle: Hand written\n---\n", "hand.md")
    assert parsed.title == "Hand written"
    assert parsed.kind == Kind.NOTE
    assert parsed.body == ""


def test_parse_bytes_utf8() -> None:
    m = full_memory(title="Grüße aus Köln")
    assert memfile.parse_bytes(memfile.dump(m).encode("utf-8"), "x.md") == m


def test_crlf_hand_edit_is_accepted() -> None:
    parsed = memfile.parse("---\r\ntitle: From Windows\r\n---\r\nbody\r\n", "win.md")
    assert parsed.title == "From Windows"
    assert parsed.body.strip() == "body"


def test_unquoted_all_digit_id_from_a_hand_edit_stays_text() -> None:
    assert memfile.parse("---\nid: 12345\ntitle: t\n---\n", "x.md").id == "12345"


GOOD = "---\ntitle: Fine\nkind: note\n---\nbody\n"


@pytest.mark.parametrize(
    ("text", "reason_part"),
    [
        ("just some notes\n", "no YAML front matter"),
        ("", "no YAML front matter"),
        ("# Title\n---\ntitle: late\n---\n", "no YAML front matter"),
        ("---\ntitle: [unclosed\n---\n", "invalid YAML"),
        ("---\ntitle: a\n  bad: indent\n---\n", "invalid YAML"),
        ("---\ntitle: !!python/object:os.system x\n---\n", "invalid YAML"),
        ("---\ntitle: a\n---\n<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> branch\n",
         "merge conflict"),
        ("---\n<<<<<<< HEAD\ntitle: a\n=======\ntitle: b\n>>>>>>> branch\n---\n",
         "merge conflict"),
        ("---\ntitle: a\n---\nbody\x00\x01", "NUL"),
        ("---\nkind: note\n---\nno title here\n", "title"),
        ("---\ntitle: '   '\n---\n", "title"),
        ("---\ntitle: a\nkind: rumour\n---\n", "kind"),
        ("---\ntitle: a\nstatus: deleted\n---\n", "status"),
        ("---\ntitle: a\ncolour: red\n---\n", "colour"),
        ("---\ntitle: a\ntopics: 5\n---\n", "topics"),
        ("---\ntitle: a\ncreated: yesterday\n---\n", "created"),
        ("---\ntitle: a\ncreated: 2024-01-01 10:00:00\n---\n", "timezone"),
        ("---\ntitle: a\nsource: {tool: vim}\n---\n", "source.tool"),
        ("---\ntitle: a\nid: [1, 2]\n---\n", "id"),
        ("---\n---\nbody only\n", "front matter"),
        ("---\n- a\n- b\n---\n", "front matter"),
        ("---\ntitle: a\nkind: no", "front matter"),
    ],
)
def test_malformed_text_gives_memory_file_error_with_reason(text: str, reason_part: str) -> None:
    with pytest.raises(MemoryFileError) as err:
        memfile.parse(text, "proj/2024/01/X-bad.md")
    assert reason_part.lower() in err.value.reason.lower()
    assert err.value.path == "proj/2024/01/X-bad.md"
    assert "proj/2024/01/X-bad.md" in err.value.render()


@pytest.mark.parametrize(
    ("raw", "reason_part"),
    [
        (b"---\ntitle: caf\xe9\n---\n", "UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "UTF-8"),
        (b"\x00\x00\x00\x00", "NUL"),
        (GOOD.encode("utf-16"), "UTF-8"),
    ],
)
def test_malformed_bytes_give_memory_file_error(raw: bytes, reason_part: str) -> None:
    with pytest.raises(MemoryFileError) as err:
        memfile.parse_bytes(raw, "junk.md")
    assert reason_part.lower() in err.value.reason.lower()


def test_garbage_never_raises_anything_else() -> None:
    samples = ["---", "---\n", "---\n---", "------", "---\n:\n---\n", "---\n? [a]\n---\n",
               "---\n&a [*a]\n---\n", "---\ntitle: *undefined\n---\n", "---\n\t\n---\n",
               "---\ntitle:\n  - a\n  - b\n---\n", "---\nid: null\ntitle: x\n---\n"]
    for text in samples:
        try:
            memfile.parse(text, "g.md")
        except MemoryFileError as exc:
            assert exc.reason


def test_bom_from_windows_editor_is_accepted() -> None:
    from aidermem.models import Memory

    memory = Memory(title="Saved in Notepad", body="text")
    raw = b"\xef\xbb\xbf" + memfile.dump(memory).encode("utf-8")
    assert memfile.parse_bytes(raw, "x.md") == memory


def test_unclosed_front_matter_says_so() -> None:
    with pytest.raises(MemoryFileError, match="never closed"):
        memfile.parse("---\ntitle: x\nkind: note\n\nbody without a closing line\n", "x.md")
