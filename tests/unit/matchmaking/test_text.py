"""Sentence splitting of profile texts in every script of the event."""

from __future__ import annotations

from matchmaking.text import MAX_SENTENCE_CHARS, split_sentences


def test_chinese_full_width_marks_split_without_spaces() -> None:
    text = "我们是一家光伏企业。我们生产太阳能电池板！需要分销商吗？是的；在波兰"
    assert split_sentences(text) == [
        "我们是一家光伏企业。",
        "我们生产太阳能电池板！",
        "需要分销商吗？",
        "是的；",
        "在波兰",
    ]


def test_company_forms_and_decimals_do_not_end_a_sentence() -> None:
    text = "SolarBud Sp. z o.o. produkuje 2.5 MW rocznie. Dr. Novak prowadzi firmę."
    assert split_sentences(text) == [
        "SolarBud Sp. z o.o. produkuje 2.5 MW rocznie.",
        "Dr. Novak prowadzi firmę.",
    ]


def test_company_form_before_a_capital_ends_the_sentence() -> None:
    assert split_sentences("MedSonic d.o.o. Razvijamo programsko opremo.") == [
        "MedSonic d.o.o.",
        "Razvijamo programsko opremo.",
    ]


def test_cyrillic_and_greek_question_mark() -> None:
    assert split_sentences("Ми смо хладњача. Тражимо увозника!") == [
        "Ми смо хладњача.",
        "Тражимо увозника!",
    ]
    assert split_sentences("Τι χρειάζεστε; Ελαιόλαδο.") == ["Τι χρειάζεστε;", "Ελαιόλαδο."]


def test_lines_and_bullets_are_sentences() -> None:
    assert split_sentences("We offer:\n- solar panels\n- inverters") == [
        "We offer:",
        "solar panels",
        "inverters",
    ]


def test_long_sentences_are_cut_and_count_is_capped() -> None:
    long = ", ".join(["steel pipes and valves for the oil industry"] * 20)
    pieces = split_sentences(long)
    assert len(pieces) > 1 and all(len(p) <= MAX_SENTENCE_CHARS for p in pieces)
    assert len(split_sentences(" ".join(f"Sentence {i}." for i in range(40)), max_sentences=5)) == 5


def test_empty_text_has_no_sentences() -> None:
    assert split_sentences("  \n ") == []


def test_ordinal_numbers_before_a_lower_case_word_do_not_end_a_sentence() -> None:
    text = (
        "Tvrtka je osnovana 2010. godine u Splitu. Vyrábíme od 15. století sklo. "
        "Alapítva 1995. évben. We started in 2010. Then we grew."
    )
    assert split_sentences(text) == [
        "Tvrtka je osnovana 2010. godine u Splitu.",
        "Vyrábíme od 15. století sklo.",
        "Alapítva 1995. évben.",
        "We started in 2010.",
        "Then we grew.",
    ]
