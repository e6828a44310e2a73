"""Which submitted lines are messages, and the retrieval query each message makes.

Pure: text in, text out. A line typed at aider's main prompt is a message unless it is
empty, a command (`/help`, `/add x.py`, `/run …`; but the rest of `/ask`, `/code`,
`/architect`, `/context` and `/chat-mode`-free forms like `/ask how …` IS a message), or a
short answer (`y`, `n`, `yes`, `no`, `a`, `s`, `d`, `all`, `skip`, `don't`). A line
answering one of aider's questions is never a message (live_input.PromptWatcher tells).

The query is the message first, then up to `CONTEXT_WORDS` words from the session's
earlier messages (newest first) and the names of the files in the chat: weaker context,
weaker by being fewer and later. Function words of English, German, Spanish, French and
Italian are dropped, so small talk ("how are you today?") asks for nearly nothing;
`message_terms` is what a memory must share with the message itself to join, so the
earlier context alone never brings one in.

Never: search, read files, or keep state (live_context and live_session do).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import PurePath

# Commands whose argument is sent to the model as a message (aider's commands.py).
MESSAGE_COMMANDS = ("/ask", "/code", "/architect", "/context")
SHORT_ANSWERS = frozenset({"y", "n", "yes", "no", "a", "all", "s", "skip", "d", "don't",
                           "dont", "ok"})
MESSAGE_WORDS = 48
CONTEXT_WORDS = 12
EARLIER_MESSAGES = 3

# Words that say nothing about what a note is about (query side only; the index keeps them).
_STOPWORDS = """
a about above after again all also am an and any are as at be because been before being
below between both but by can could did do does doing don done down during each else few
for from further get got had has have having he her here hers him his how i if in into is
it its itself just let like make me more most my no nor not now of off on once only or
other our out over own please same she should so some such than thank thanks that the
their them then there these they this those through to too under until up us very want
was we were what when where which while who whom why will with would you your yours hi
hello hey ok okay yes yeah sure today tell show give know think need use using see look
lets let's can't cannot one two way thing things something anything work works working
der die das den dem des ein eine einer eines einem einen und oder aber ist sind war
waren wird werden wie was wer wo warum ich du er sie es wir ihr mit von zu zum zur im
in auf fur für nicht noch auch nur bei aus dass daß so ja nein bitte danke hallo uns
el la los las un una unos unas y o pero es son era fue como que qué quien donde dónde
por para con sin de del al lo le les se su sus mi tu yo nos hola gracias cómo cuál
le les des du et ou mais est sont était comment quoi qui où pour avec sans dans sur
je tu il elle nous vous ils elles ce cette ces mon ton son merci bonjour
il lo gli le di da per con su tra fra che chi come dove perché sono ciao grazie
"""
STOPWORDS = frozenset(_STOPWORDS.split())

_NON_WORD = re.compile(r"^\W+$")


def message_of(line: str) -> str | None:
    """The message a line typed at aider's main prompt sends, or None when it sends none."""
    text = line.strip()
    if not text or text == "<blank>":
        return None
    if text.startswith("/"):
        word, _, rest = text.partition(" ")
        if word.lower() in MESSAGE_COMMANDS and rest.strip():
            return rest.strip()
        return None  # any other command, or a mode switch without a message
    if text.startswith("!"):  # aider runs `!cmd` as /run
        return None
    if text.casefold().rstrip(".!") in SHORT_ANSWERS or _NON_WORD.match(text):
        return None
    return text


def chat_files_after(line: str, files: Sequence[str]) -> list[str]:
    """The files in the chat after the command `line` (`/add`, `/drop`, `/read-only`)."""
    word, _, rest = line.strip().partition(" ")
    names = rest.split()
    if word in ("/add", "/read-only"):
        return [*files, *(n for n in names if n not in files)]
    if word == "/drop":
        return [f for f in files if f not in names] if names else []
    return list(files)


def content_words(text: str) -> list[str]:
    """The words of `text` worth searching for, in order, each once (as analysed)."""
    from aidermem.index import analysis  # tantivy: not on the launcher's path before aider starts

    return [t for t in analysis.query_terms(text) if t not in STOPWORDS and len(t) > 1]


def message_terms(message: str) -> set[str]:
    return set(content_words(message))


def build(message: str, earlier: Sequence[str] = (), files: Iterable[str] = ()) -> str:
    """The query for `message`: its content words, then fewer from the context."""
    own = content_words(message)[:MESSAGE_WORDS]
    seen = set(own)
    context: list[str] = []
    names = [PurePath(f).stem for f in files]
    for text in [*reversed(earlier[-EARLIER_MESSAGES:]), " ".join(names)]:
        for word in content_words(text):
            if word not in seen and len(context) < CONTEXT_WORDS:
                seen.add(word)
                context.append(word)
    return " ".join([*own, *context]) if own else ""
