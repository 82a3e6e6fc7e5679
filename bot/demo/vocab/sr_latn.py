"""Serbian and Montenegrin, Latin script (sr_Latn): the Cyrillic pack, transliterated.

Serbian Cyrillic maps letter by letter onto Gaj's Latin alphabet, so both scripts always carry
the same words.
"""

from bot.demo.vocab.model import LanguagePack
from bot.demo.vocab.sr import PACK as CYRILLIC

_LETTERS = dict(
    zip(
        "абвгдђежзијклљмнњопрстћуфхцчџш",
        "a b v g d đ e ž z i j k l lj m n nj o p r s t ć u f h c č dž š".split(),
        strict=True,
    )
)


def to_latin(text: str) -> str:
    """Return Serbian Cyrillic text in Latin script (other characters unchanged)."""
    out: list[str] = []
    for ch in text:
        latin = _LETTERS.get(ch.lower())
        if latin is None:
            out.append(ch)
        elif ch.isupper():
            out.append(latin[0].upper() + latin[1:])
        else:
            out.append(latin)
    return "".join(out)


PACK = LanguagePack(
    code="sr_Latn",
    products={key: to_latin(value) for key, value in CYRILLIC.products.items()},
    offer_leads=tuple(to_latin(t) for t in CYRILLIC.offer_leads),
    need_leads=tuple(to_latin(t) for t in CYRILLIC.need_leads),
    offer_extras=tuple(to_latin(t) for t in CYRILLIC.offer_extras),
    need_extras=tuple(to_latin(t) for t in CYRILLIC.need_extras),
)
