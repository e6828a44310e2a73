"""Term analysis: the one function that turns text into search terms.

`terms()` is used for indexing AND for queries, so whatever it does to a
document it also does to a query, and they meet in the middle. It handles:

- code identifiers in every style (`getUserById`, `get_user_by_id`,
  `GetUserByID`, `auth.service.authenticate_user`, `src/authService.py`):
  each yields its component words AND one joined compound (`getuserbyid`),
  so an exact identifier query matches every spelling and ranks best where
  the whole identifier occurs;
- CJK runs (Chinese, Japanese kana, Korean): overlapping character bigrams
  plus unigrams, so a two-character query finds a word inside a longer run;
- accents: folded on both sides (`café` == `cafe`, Greek tonos, Cyrillic yo);
- light English stemming at query time: `variants()` expands a query word to
  the inflections that share its Snowball stem (`retry` -> retries, retried,
  retrying), so the index keeps plain words and indexing skips the stemmer,
  which would otherwise be half of tantivy's indexing time.

The expensive per-word work runs inside one tantivy `TextAnalyzer` call; the
Python side only makes a few whole-text regex passes, which keeps bulk
reindexing fast. Pure: no I/O, no index access, never raises on any `str`.
Changing what this module produces requires bumping `ANALYZER_VERSION` (the
index rebuilds itself when it sees a different version).
"""

from __future__ import annotations

import re
import unicodedata

import tantivy

ANALYZER_VERSION = 2

# Terms longer than this (in UTF-8 bytes) are dropped: base64 blobs and
# hashes only bloat the term dictionary, and tantivy caps term length anyway.
MAX_TERM_BYTES = 100

TOKENIZER_NAME = f"aidermem_v{ANALYZER_VERSION}"


def build_analyzer() -> tantivy.TextAnalyzer:
    """The Rust half of the analysis: split on anything that is not a letter
    or digit (underscore, dots, slashes, hyphens, punctuation, emoji),
    lowercase, fold Latin specials (ß, æ, ø, full-width letters, ①). The index
    registers this same analyzer as the tokenizer of its text fields, so
    indexing does this work in tantivy's own thread."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(MAX_TERM_BYTES))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


_ANALYZER = build_analyzer()
# One Snowball stem per whitespace-separated word (never drops or splits one).
_STEMMER = (
    tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
    .filter(tantivy.Filter.stemmer("english"))
    .build()
)
# Inflections tried for a query word; only those with the word's own stem are kept.
# Inflections only: derivations (-ation, -ment) would multiply query clauses for little.
_SUFFIXES = ("", "s", "es", "e", "ed", "ing", "er", "ers")
_STEMMABLE = re.compile(r"[a-z]{3,20}")

# Where a camelCase word splits: fooBar -> foo Bar, HTTPServer -> HTTP Server.
_CAMEL_SPLIT = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

# Combining diacritical marks, stripped after NFD so accents fold away
# (Greek tonos, Cyrillic breve, Latin acute...). Hangul and kana voicing
# marks live outside this block, so NFKC recomposes them intact.
_MARKS = re.compile("[\u0300-\u036f]+")
_SURROGATES = re.compile("[\ud800-\udfff]")

# Scripts written without spaces between words, which get bigrams.
_CJK_RUN = re.compile(
    "["
    "\u1100-\u11ff"  # Hangul Jamo
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\ua960-\ua97f"  # Hangul Jamo extended A
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width Katakana
    "\U00020000-\U0003134f"  # CJK extensions B-G
    "]+"
)


def terms(text: str) -> list[str]:
    """Index/query terms for `text`, in order, with repeats (BM25 counts them)."""
    return _ANALYZER.analyze(prepare(text)) if text else []


def query_terms(text: str) -> list[str]:
    """Distinct terms of a query, first occurrence first."""
    return list(dict.fromkeys(terms(text)))


def variants(term: str) -> list[str]:
    """`term` and the English inflections of it that Snowball stems the same way,
    e.g. retry -> [retry, retries, retried, retrying, ...]. Terms that are not
    plain ASCII words (identifiers' compounds are, but are left alone past 20
    letters; CJK, digits) give just themselves."""
    if not _STEMMABLE.fullmatch(term):
        return [term]
    stem = _STEMMER.analyze(term)[0]
    bases = {stem, term}
    if stem.endswith("i"):  # retri <- retry, retries
        bases.add(stem[:-1] + "y")
    if stem.endswith("e"):  # hope -> hoping
        bases.add(stem[:-1])
    if len(stem) > 2 and stem[-1] not in "aeiouy":  # stop -> stopped, stopping
        bases.add(stem + stem[-1])
    candidates = sorted({b + s for b in bases for s in _SUFFIXES} - {term})
    stems = _STEMMER.analyze(" ".join(candidates))
    return [term, *(c for c, s in zip(candidates, stems, strict=True) if s == stem)]


def prepare(text: str) -> str:
    """The Python half of the analysis: `text` with accents folded, CJK runs
    spelled out as unigrams and bigrams, and the missing halves of code
    identifiers appended. Feeding this to `build_analyzer()` gives `terms()`.

    The analyzer itself turns `getUserById` into the compound `getuserbyid`
    and `get_user_by_id` into its parts; what it cannot see is the other half,
    so camel parts (`get User By Id`) and snake compounds (`getuserbyid`) are
    added as extra words. Inside identifier chunks a separator-delimited part
    (`src` in `src/authService.py`) is counted twice; code words are strong
    evidence, so that bias is welcome.
    """
    if not text.isascii():
        # Fold only the chunks that need it: a mostly-English text stays cheap.
        text = " ".join(c if c.isascii() else _fold_unicode(c) for c in text.split())
    extra: list[str] = []
    # Per whitespace chunk, with cheap str tests first: plain words (the vast
    # majority) cost one or two C calls and no regex.
    for chunk in text.split():
        # Case rules are ASCII; CJK grams and other scripts skip the regex.
        if not (chunk.islower() or chunk.istitle() or chunk.isupper()) and chunk.isascii():
            split = _CAMEL_SPLIT.sub(" ", chunk)
            if split != chunk:
                extra.append(split)
        if "_" in chunk or "-" in chunk:
            extra.append(chunk.replace("_", "").replace("-", ""))
    if extra:
        return f"{text} {' '.join(extra)}"
    return text


def fold(text: str) -> str:
    """Accents stripped and compatibility forms unified (NFKC), case kept. Lone
    surrogates (bytes a decoder escaped) become spaces: tantivy takes UTF-8 only."""
    if text.isascii():
        return text
    text = _SURROGATES.sub(" ", text)
    return unicodedata.normalize("NFKC", _MARKS.sub("", unicodedata.normalize("NFD", text)))


def has_cjk(text: str) -> bool:
    return not text.isascii() and _CJK_RUN.search(text) is not None


def _fold_unicode(text: str) -> str:
    return _CJK_RUN.sub(_cjk_grams, fold(text))


def _cjk_grams(match: re.Match[str]) -> str:
    run = match.group()
    if len(run) == 1:
        return f" {run} "
    bigrams = [run[i : i + 2] for i in range(len(run) - 1)]
    return f" {' '.join(run)} {' '.join(bigrams)} "
