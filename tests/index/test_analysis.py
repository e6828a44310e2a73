"""The analyzer: identifiers across styles, non-Latin scripts, odd input."""

from __future__ import annotations

import pytest

from aidermem.index.analysis import fold, has_cjk, prepare, query_terms, terms, variants


@pytest.mark.parametrize(
    ("text", "parts", "compound"),
    [
        ("getUserById", {"get", "user", "by", "id"}, "getuserbyid"),
        ("get_user_by_id", {"get", "user", "by", "id"}, "getuserbyid"),
        ("GetUserByID", {"get", "user", "by", "id"}, "getuserbyid"),
        ("get-user-by-id", {"get", "user", "by", "id"}, "getuserbyid"),
        ("GET_USER_BY_ID", {"get", "user", "by", "id"}, "getuserbyid"),
        ("auth.service.authenticate_user", {"auth", "service", "authenticate", "user"},
         "authenticateuser"),
        ("src/authService.py", {"src", "auth", "service", "py"}, "authservice"),
        ("HTTPServer", {"http", "server"}, "httpserver"),
        ("base64Encode", {"base64", "encode"}, "base64encode"),
    ],
)
def test_identifier_styles_give_parts_and_compound(text, parts, compound):
    got = set(terms(text))
    assert parts <= got
    assert compound in got


def test_every_spelling_of_an_identifier_shares_the_compound():
    spellings = ["getUserById", "get_user_by_id", "GetUserByID", "get-user-by-id"]
    common = set.intersection(*(set(terms(s)) for s in spellings))
    assert {"getuserbyid", "get", "user", "by", "id"} <= common


def test_identifier_inside_prose_keeps_the_prose_words():
    got = terms("We fixed getUserById in src/authService.py yesterday.")
    assert {"we", "fixed", "getuserbyid", "get", "user", "authservice", "yesterday"} <= set(got)


def test_plain_words_are_lowercased_once_each():
    assert terms("The Quick brown FOX") == ["the", "quick", "brown", "fox"]


def test_cjk_run_gives_unigrams_and_overlapping_bigrams():
    got = terms("用户登录失败")
    assert {"用", "户", "登", "录", "失", "败"} <= set(got)
    assert {"用户", "户登", "登录", "录失", "失败"} <= set(got)
    assert "用户登录失败" not in got


def test_two_character_cjk_query_meets_the_longer_run():
    assert set(query_terms("登录")) & set(terms("系统提示用户登录失败，需要重试"))
    assert "登录" in terms("系统提示用户登录失败")


def test_japanese_and_korean_are_bigrammed_too():
    assert "テキ" in terms("日本語のテキストです")
    assert "국어" in terms("한국어 텍스트")
    assert "ログ" in terms("ﾛｸﾞｲﾝ ログイン")  # half-width katakana folds to full width


def test_cjk_next_to_latin_splits_cleanly():
    got = terms("调用getUserById函数")
    assert {"getuserbyid", "get", "user", "调用", "函数"} <= set(got)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Привет мир", ["привет", "мир"]),
        ("Ελληνικά", ["ελληνικα"]),
        ("café naïve", ["cafe", "naive"]),
        ("Straße Ærø", ["strasse", "aero"]),
        ("ＦＵＬＬ ｗｉｄｔｈ", ["full", "width"]),
    ],
)
def test_non_ascii_words_are_folded_words(text, expected):
    assert terms(text) == expected


def test_accents_fold_the_same_on_both_sides():
    assert terms("Ёлка") == terms("елка")
    assert terms("CAFÉ") == terms("cafe")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("foo(bar)?", ["foo", "bar"]),
        ("C++ -> std::vector<int>", ["c", "std", "vector", "int"]),
        ("a:b", ["a", "b"]),
        ('"unbalanced', ["unbalanced"]),
        ("'", []),
        ("", []),
        ("   \n\t ", []),
        ("!!! ??? ...", []),
        ("🙂🎉 👍", []),
        ("*:* AND OR NOT (", ["and", "or", "not"]),
        ("title:foo^2 body:~bar", ["title", "foo", "2", "body", "bar"]),
        ("\x00\x01 nul", ["nul"]),
    ],
)
def test_odd_inputs_give_plain_terms(text, expected):
    assert terms(text) == expected


def test_lone_surrogates_and_combining_marks_do_not_break_it():
    assert terms("a\udcff b") == ["a", "b"]
    assert terms("\u0301\u0301x") == ["x"]


def test_terms_never_contain_whitespace_so_analyzed_round_trips():
    text = "getUserById 用户登录 café\u00a0naïve\u3000foo\tbar"
    assert " ".join(terms(text)).split(" ") == terms(text)
    assert all(not any(c.isspace() for c in t) for t in terms(text))


def test_overlong_tokens_are_dropped():
    blob = "A" * 500
    assert terms(f"before {blob} after") == ["before", "after"]


@pytest.mark.parametrize(
    "text",
    [
        "a" * 10_000_000,
        "word " * 2_000_000,
        "foo_bar" * 150_000,
        "aB" * 500_000,
        "é" * 500_000,
    ],
    ids=["10MB-one-word", "10MB-words", "1MB-snake", "1MB-camel", "1MB-accents"],
)
def test_huge_strings_are_analyzed(text):
    got = terms(text)
    assert isinstance(got, list)
    assert all(len(t.encode()) < 100 for t in got[:1000])


def test_query_terms_are_distinct_and_ordered():
    assert query_terms("Foo foo FOO bar foo") == ["foo", "bar"]


def test_prepare_only_adds_words():
    text = "call getUserById now"
    assert prepare(text).startswith(text)
    assert prepare("plain lowercase words") == "plain lowercase words"


def test_fold_and_has_cjk():
    assert fold("Crème Brûlée") == "Creme Brulee"
    assert fold("plain") == "plain"
    assert has_cjk("abc 登录")
    assert not has_cjk("Привет")
    assert not has_cjk("plain")


@pytest.mark.parametrize(
    ("word", "forms"),
    [
        ("retry", {"retries", "retried", "retrying"}),
        ("retries", {"retry", "retried"}),
        ("test", {"tests", "tested", "testing"}),
        ("testing", {"test", "tests"}),
        ("stop", {"stopped", "stopping", "stops"}),
        ("cache", {"caching", "cached", "caches"}),
        ("policies", {"policy"}),
    ],
)
def test_variants_cover_english_inflections(word, forms):
    got = variants(word)
    assert got[0] == word
    assert forms <= set(got)


def test_variants_share_the_stem_only():
    assert "tester" not in variants("test")  # Snowball keeps tester apart
    assert "testament" not in variants("test")


@pytest.mark.parametrize("term", ["c", "用户", "42", "x1", "a" * 30, "ελληνικα"])
def test_variants_leave_non_english_terms_alone(term):
    assert variants(term) == [term]
