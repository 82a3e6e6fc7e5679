"""Sentences of a profile text, for every script the event uses.

Offers and needs are matched sentence by sentence: a long text mixes an introduction ("We are a
family company founded in 1995") with what is really offered or needed, and the best-meeting
sentence pair is both the score and the reason shown to the user. Splitting knows Latin, Cyrillic
and Greek punctuation (`.` `!` `?` `;` `…`, the Greek question mark `;`) and the full-width
Chinese marks (`。` `！` `？` `；`), which need no space after them. Abbreviations and company
forms (`d.o.o.`, `s.r.o.`, `Sp. z o.o.`, `e.g.`), initials, decimals and ordinals followed by a
lower-case word (`2010. godine`, `15. století`) do not end a sentence.

Length caps keep embedding cost bounded: at most `MAX_SENTENCES` sentences per text, each at
most `MAX_SENTENCE_CHARS` characters (a longer one is cut at a comma or a space).
"""

from __future__ import annotations

import re

MAX_TEXT_CHARS = 4000
MAX_SENTENCES = 16
MAX_SENTENCE_CHARS = 300
MIN_SENTENCE_CHARS = 2

# A sentence ends after CJK full-width marks (no space needed), or after Western marks followed
# by whitespace, or at a line break / bullet.
_CJK_END = "。！？；!?;"
_WESTERN_END = ".!?;…"
_BULLET = re.compile(r"^\s*(?:[-*•·▪●–]|\d{1,2}[.)])\s+")
_WS = re.compile(r"[ \t\u00a0\u3000]+")
# Titles after which a period never ends a sentence, and abbreviations after which it ends one
# only when an upper-case letter follows (lower-cased, without the period).
_TITLES = frozenset(
    {"mr", "mrs", "ms", "dr", "prof", "ing", "mgr", "dipl", "st", "ul", "bul", "ул"}
)
_ABBREVIATIONS = frozenset(
    {
        "e.g",
        "i.e",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "sp",
        "tj",
        "np",
        "itd",
        "tzv",
        "napr",
        "resp",
        "no",
        "nr",
        "vs",
        "ca",
        "approx",
        "str",
        "br",
        "god",
        "gr",
        "гр",
        "т.е",
        "др",
    }
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def normalize_text(text: str) -> str:
    """Return the text with runs of spaces collapsed, trimmed, and capped to `MAX_TEXT_CHARS`."""
    lines = [_WS.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n")]
    joined = "\n".join(line for line in lines if line)
    return joined[:MAX_TEXT_CHARS]


def _ends_sentence(text: str, pos: int) -> bool:
    """Tell whether the mark at `pos` ends a sentence (a Western mark followed by whitespace)."""
    mark = text[pos]
    if mark in "。！？；":
        return True
    nxt = text[pos + 1] if pos + 1 < len(text) else " "
    if mark in "!?;" and _CJK.match(nxt):
        return True
    if not nxt.isspace():
        return False
    if mark != ".":
        return True
    # The word before the period: an abbreviation, an initial, or a form like "d.o.o" keeps going.
    start = pos
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    word = text[start:pos].lower().strip("()[]\"'«»„“”")
    if not word:
        return True
    if word in _TITLES or (len(word) == 1 and word.isalpha()):
        return False
    if word.isdigit():
        # An ordinal ("2010. godine", "15. století", "2010. gadā"): a sentence goes on in
        # lower case.
        rest = text[pos + 1 :].lstrip()
        return not (rest and rest[0].islower())
    if word in _ABBREVIATIONS or "." in word:
        # A company form ("d.o.o.", "s.r.o.") or abbreviation ends a sentence only before a
        # capital letter.
        rest = text[pos + 1 :].lstrip()
        return bool(rest) and rest[0].isupper()
    return True


def _split_line(line: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for pos, char in enumerate(line):
        if (char in _CJK_END or char in _WESTERN_END) and _ends_sentence(line, pos):
            # Keep closing quotes and brackets with the sentence they close.
            end = pos + 1
            while end < len(line) and line[end] in "\"'”»)]」』":
                end += 1
            pieces.append(line[start:end])
            start = end
    pieces.append(line[start:])
    return [piece.strip() for piece in pieces if piece.strip()]


def _cap(sentence: str, max_chars: int) -> list[str]:
    """Cut an over-long sentence at commas (or spaces) into pieces of at most `max_chars`."""
    if len(sentence) <= max_chars:
        return [sentence]
    pieces: list[str] = []
    rest = sentence
    while len(rest) > max_chars:
        window = rest[:max_chars]
        cut = max(window.rfind(","), window.rfind("，"), window.rfind("、"))
        if cut < max_chars // 3:
            cut = window.rfind(" ")
        if cut < max_chars // 3:
            cut = max_chars - 1
        pieces.append(rest[: cut + 1].strip())
        rest = rest[cut + 1 :].strip()
    if rest:
        pieces.append(rest)
    return pieces


def split_sentences(
    text: str,
    max_sentences: int = MAX_SENTENCES,
    max_chars: int = MAX_SENTENCE_CHARS,
) -> list[str]:
    """Split a profile text into sentences.

    Args:
        text: An offer or need, in any language and script.
        max_sentences: Keep at most this many sentences (the first ones).
        max_chars: Cut sentences longer than this many characters.

    Returns:
        The sentences in order, stripped; fragments shorter than `MIN_SENTENCE_CHARS` are joined
        to the previous sentence. An empty text gives an empty list.
    """
    sentences: list[str] = []
    for line in normalize_text(text).split("\n"):
        line = _BULLET.sub("", line)
        for piece in _split_line(line):
            for capped in _cap(piece, max_chars):
                if len(capped) < MIN_SENTENCE_CHARS and sentences:
                    glue = "" if _CJK.search(capped + sentences[-1][-1:]) else " "
                    sentences[-1] = sentences[-1] + glue + capped
                elif len(capped) >= MIN_SENTENCE_CHARS or not sentences:
                    sentences.append(capped)
    return sentences[:max_sentences]
