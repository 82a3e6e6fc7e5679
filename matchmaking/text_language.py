"""The language a profile text is written in, from its script and the languages declared for it.

A company declares the languages it speaks (or an import file gives one, or none and the country's
main language stands in), but many write their offer and need in another: Chinese companies
often write in English, Serbian ones in either script. The centering statistics group texts by
language and the bot names the partner's language next to their words ("They offer: ...
(English)"), so the language of a text is what it is written in:

- the dominant script of its letters (Han, Cyrillic, Greek, Latin);
- Latin text that reads as English (at least two of a short list of English function words,
  one in ten words or more) is English;
- otherwise the first declared language written in that script; a Serbian company's Latin text is
  `sr_Latn` and its Cyrillic text `sr`;
- with no declared language in that script: Han is `zh_Hans`, Greek `el`, Latin `en`.

Only the first `SAMPLE_CHARS` characters are read. A text without letters, or in a script none
of this knows, keeps the declared language. Pure: standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_SCRIPTS = (
    # Han characters carry a word's meaning in one or two characters: weigh them double against
    # the letters of alphabetic scripts.
    ("Hani", re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"), 2),
    ("Cyrl", re.compile(r"[\u0400-\u04ff]"), 1),
    ("Grek", re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]"), 1),
    ("Latn", re.compile(r"[A-Za-z\u00c0-\u024f]"), 1),
)
_SCRIPT_OF_LANGUAGE = {
    "zh": "Hani",
    "el": "Grek",
    "bg": "Cyrl",
    "mk": "Cyrl",
    "sr": "Cyrl",
    "ru": "Cyrl",
    "uk": "Cyrl",
    "be": "Cyrl",
}
_SCRIPT_DEFAULT = {"Hani": "zh_Hans", "Grek": "el", "Latn": "en"}
_OTHER_SCRIPT = {("sr", "Latn"): "sr_Latn", ("sr_Latn", "Cyrl"): "sr"}
# English function words that are not words of the event's other Latin-script languages.
_ENGLISH = frozenset(
    "the and of we our with for are is that this from have has your you which will been their "
    "they".split()
)
_WORD = re.compile(r"[a-z]+")
SAMPLE_CHARS = 500
"""Characters read: enough for the script and for English words, and cheap (about 30 us)."""


def language_script(language: str) -> str:
    """Return the script a language code is written in (`zh_Hant` Han, `sr_Latn` Latin)."""
    if language.endswith("_Latn"):
        return "Latn"
    return _SCRIPT_OF_LANGUAGE.get(language.split("_")[0].lower(), "Latn")


def dominant_script(text: str) -> str:
    """Return the script most of the text's letters are in ("" without letters)."""
    counts = {name: weight * len(pattern.findall(text)) for name, pattern, weight in _SCRIPTS}
    best = max(counts, key=lambda name: counts[name])
    return best if counts[best] else ""


def reads_as_english(text: str) -> bool:
    """Tell whether Latin text has enough English function words to be English."""
    words = _WORD.findall(text.lower())
    hits = sum(1 for word in words if word in _ENGLISH)
    return hits >= 2 and hits >= 0.1 * len(words)


def detect_text_language(text: str, declared: Sequence[str]) -> str | None:
    """Return the language the text is written in, or None when its script tells nothing.

    Args:
        text: The text (a company's offer and need together).
        declared: The languages declared for it, most likely first.

    Returns:
        A language code, `declared`'s when one fits the script (see the module doc).
    """
    text = text[:SAMPLE_CHARS]
    script = dominant_script(text)
    if not script:
        return None
    if script == "Latn" and reads_as_english(text):
        return "en"
    for language in declared:
        if language_script(language) == script:
            return language
        if (language, script) in _OTHER_SCRIPT:
            return _OTHER_SCRIPT[(language, script)]
    return _SCRIPT_DEFAULT.get(script)
