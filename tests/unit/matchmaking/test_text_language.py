"""The language a profile text is written in: script first, declared languages within it."""

from __future__ import annotations

import pytest

from matchmaking.models import Company
from matchmaking.text_language import detect_text_language, dominant_script, reads_as_english


@pytest.mark.parametrize(
    ("text", "declared", "expected"),
    [
        # A Chinese company writing in English.
        ("We produce CNC lathes and we are looking for distributors.", ["zh_Hans"], "en"),
        # Chinese text from a company that declared English only.
        ("我们生产数控机床，寻找波兰经销商。", ["en"], "zh_Hans"),
        ("Produkujemy miód lipowy i szukamy importera.", ["pl", "en"], "pl"),
        # English beats a declared Latin language when the text reads as English.
        ("We are a family company and we export honey.", ["pl", "en"], "en"),
        # Serbian is written in both scripts.
        ("Mi smo studio za razvoj video igara iz Novog Sada.", ["sr", "en"], "sr_Latn"),
        ("Ми смо студио за развој видео игара.", ["sr_Latn"], "sr"),
        ("Произвеждаме кисело мляко.", ["en", "bg"], "bg"),
        ("Παράγουμε ελαιόλαδο στην Κρήτη.", ["en"], "el"),
        # Too short to read as English, no declared Latin language: English is the guess.
        ("CNC lathes", ["zh_Hans"], "en"),
        # Romanian "are" (has) alone does not make English.
        ("Compania are 50 de angajați și produce mobilă.", ["ro"], "ro"),
    ],
)
def test_text_language_follows_the_script(text: str, declared: list[str], expected: str) -> None:
    assert detect_text_language(text, declared) == expected


def test_text_without_letters_tells_nothing() -> None:
    assert dominant_script("2024 / 12-15 +++") == ""
    assert detect_text_language("2024 / 12-15 +++", ["pl"]) is None


def test_english_needs_several_function_words() -> None:
    assert reads_as_english("We are looking for a partner with experience in the EU.")
    assert not reads_as_english("Hľadáme partnera pre export do Číny.")
    assert not reads_as_english("ISO 9001 CNC")


def test_company_text_language_is_what_the_texts_are_written_in() -> None:
    company = Company(
        id="cn-1",
        name="Ningbo Tools",
        country="CN",
        offer="We manufacture hydraulic press brakes and shearing machines.",
        need="We are looking for machine tool dealers in Hungary.",
        languages=("zh_Hans",),
        locale="zh_Hans",
    )
    assert company.text_language == "en"
    assert (
        company.replace(offer="我们生产折弯机。", need="寻找匈牙利经销商。").text_language
        == "zh_Hans"
    )
    # Nothing to read: the declared language stands.
    assert company.replace(offer="+++", need="2024").text_language == "zh_Hans"
