"""Vocabulary of the demo event: product concepts and their phrases in all 19 languages.

One module per language (`pl.py`, `zh_hans.py` ...) so a native speaker can review one file.
`sr_latn.py` is derived from `sr.py` by transliteration.
"""

from __future__ import annotations

from bot.demo.vocab import (
    bg,
    bs,
    cs,
    el,
    en,
    et,
    hr,
    hu,
    lt,
    lv,
    mk,
    pl,
    ro,
    sk,
    sl,
    sq,
    sr,
    sr_latn,
    zh_hans,
)
from bot.demo.vocab.concepts import CONCEPTS, CONCEPTS_BY_KEY
from bot.demo.vocab.model import Concept, LanguagePack, Supplier

PACKS: dict[str, LanguagePack] = {
    module.PACK.code: module.PACK
    for module in (
        zh_hans,
        en,
        sq,
        bs,
        bg,
        hr,
        cs,
        et,
        el,
        hu,
        lv,
        lt,
        sr_latn,
        mk,
        pl,
        ro,
        sr,
        sk,
        sl,
    )
}

# (English name, own name) of every language the demo companies speak.
LANGUAGE_NAMES: dict[str, tuple[str, str]] = {
    "zh_Hans": ("Chinese", "中文"),
    "en": ("English", "English"),
    "sq": ("Albanian", "Shqip"),
    "bs": ("Bosnian", "Bosanski"),
    "bg": ("Bulgarian", "Български"),
    "hr": ("Croatian", "Hrvatski"),
    "cs": ("Czech", "Čeština"),
    "et": ("Estonian", "Eesti"),
    "el": ("Greek", "Ελληνικά"),
    "hu": ("Hungarian", "Magyar"),
    "lv": ("Latvian", "Latviešu"),
    "lt": ("Lithuanian", "Lietuvių"),
    "sr_Latn": ("Serbian Latin", "Srpski"),
    "mk": ("Macedonian", "Македонски"),
    "pl": ("Polish", "Polski"),
    "ro": ("Romanian", "Română"),
    "sr": ("Serbian Cyrillic", "Српски"),
    "sk": ("Slovak", "Slovenčina"),
    "sl": ("Slovenian", "Slovenščina"),
    "de": ("German", "Deutsch"),
    "ru": ("Russian", "Русский"),
}


def language_name(code: str, *, native: bool = False) -> str:
    """Return the English (or the language's own) name of a language code, or the code itself."""
    names = LANGUAGE_NAMES.get(code)
    if names is None:
        return code
    return names[1] if native else names[0]


def find_concept(text: str, language: str) -> str | None:
    """Return the key of the concept whose phrase in `language` occurs in `text`.

    The longest matching phrase wins, so a phrase that contains another is preferred.

    Args:
        text: An offer or need text written by the demo generator.
        language: The language code the text is written in.

    Returns:
        The concept key, or None when no phrase of that language occurs in the text.
    """
    pack = PACKS.get(language)
    if pack is None:
        return None
    found = [(len(phrase), key) for key, phrase in pack.products.items() if phrase in text]
    return max(found)[1] if found else None


__all__ = [
    "CONCEPTS",
    "CONCEPTS_BY_KEY",
    "LANGUAGE_NAMES",
    "PACKS",
    "Concept",
    "LanguagePack",
    "Supplier",
    "find_concept",
    "language_name",
]
