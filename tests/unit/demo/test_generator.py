"""Tests of the demo event generator and its vocabulary."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import pytest

from bot.demo.generator import (
    CEE_COMPANY_COUNTS,
    DemoData,
    demo_ground_truth,
    generate_demo_companies,
    generate_demo_event,
)
from bot.demo.vocab import CONCEPTS, CONCEPTS_BY_KEY, PACKS, find_concept
from bot.demo.vocab.places import BA_SERBIAN_CITIES, CEE_CITIES, CN_CITIES
from matchmaking.countries import CEE_CODES, get_country
from matchmaking.models import DEFAULT_SECTIONS

SECTION_CODES = {s.code for s in DEFAULT_SECTIONS}
CYRILLIC_LANGUAGES = {"bg", "mk", "sr"}
LANGUAGES_OF = {"BA": {"bs", "hr", "sr"}, "RS": {"sr", "sr_Latn"}}


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate_demo_event(2026)


def _script(ch: str) -> str:
    if "\u4e00" <= ch <= "\u9fff":
        return "cjk"
    name = unicodedata.name(ch, "")
    for script in ("LATIN", "CYRILLIC", "GREEK"):
        if name.startswith(script):
            return script.lower()
    return "other"


def _expected_script(language: str) -> str:
    if language == "zh_Hans":
        return "cjk"
    if language in CYRILLIC_LANGUAGES:
        return "cyrillic"
    return "greek" if language == "el" else "latin"


def test_same_seed_gives_the_same_event() -> None:
    assert generate_demo_companies(7) == generate_demo_companies(7)
    assert generate_demo_event(7) == generate_demo_event(7)


def test_another_seed_gives_another_event() -> None:
    first, second = generate_demo_companies(1), generate_demo_companies(2)
    assert [c.offer for c in first] != [c.offer for c in second]
    assert [c.name for c in first] != [c.name for c in second]


def test_event_has_157_chinese_and_135_cee_companies(demo: DemoData) -> None:
    countries = Counter(c.country for c in demo.companies)
    assert countries["CN"] == 157
    assert sum(n for code, n in countries.items() if code != "CN") == 135
    assert set(countries) - {"CN"} == CEE_CODES


def test_bigger_cee_countries_send_more_companies(demo: DemoData) -> None:
    countries = Counter(c.country for c in demo.companies)
    assert len(CEE_COMPANY_COUNTS) == 17
    for big in ("PL", "HU", "CZ", "RO", "GR", "BG", "RS", "HR"):
        for small in ("ME", "AL", "MK", "EE", "LV"):
            assert countries[big] > countries[small]


def test_both_sides_cover_all_four_sections(demo: DemoData) -> None:
    cn = {c.section for c in demo.companies if c.country == "CN"}
    cee = {c.section for c in demo.companies if c.country != "CN"}
    assert cn == SECTION_CODES
    assert cee == SECTION_CODES


def test_ids_and_names_are_unique(demo: DemoData) -> None:
    assert len({c.id for c in demo.companies}) == len(demo.companies)
    assert len({c.name for c in demo.companies}) == len(demo.companies)
    assert all(re.fullmatch(r"[a-z]{2}-\d{3}", c.id) for c in demo.companies)


def test_every_company_has_a_complete_profile(demo: DemoData) -> None:
    for c in demo.companies:
        assert c.offer and c.need, c.id
        assert 1 <= len(re.findall(r"[.。]", c.offer)) <= 3, c.offer
        assert 1 <= len(re.findall(r"[.。]", c.need)) <= 3, c.need
        assert c.timezone == get_country(c.country).timezone
        assert c.website.startswith("https://") and "@" in c.contact
        assert c.size is not None


def test_cities_are_cities_of_the_country(demo: DemoData) -> None:
    chinese = {pinyin for _, pinyin in CN_CITIES}
    for c in demo.companies:
        allowed = chinese if c.country == "CN" else set(CEE_CITIES[c.country])
        if c.country == "BA":
            allowed |= set(BA_SERBIAN_CITIES)
        assert c.city in allowed, (c.id, c.city)


def test_chinese_names_follow_the_chinese_style(demo: DemoData) -> None:
    for c in demo.companies:
        if c.country == "CN":
            assert c.name.endswith("有限公司"), c.name
            assert any(c.name.startswith(city) for city, _ in CN_CITIES), c.name


def test_companies_speak_their_own_language(demo: DemoData) -> None:
    for c in demo.companies:
        own = LANGUAGES_OF.get(c.country, {get_country(c.country).main_language})
        assert c.locale in own, (c.id, c.locale)
        assert c.locale in c.languages


def test_some_companies_speak_no_english(demo: DemoData) -> None:
    for side, expected in (("cn", 0.25), ("cee", 0.15)):
        group = [c for c in demo.companies if (c.country == "CN") == (side == "cn")]
        share = sum("en" not in c.languages for c in group) / len(group)
        assert expected - 0.08 <= share <= expected + 0.08, (side, share)


def test_about_fifteen_percent_write_in_english(demo: DemoData) -> None:
    english = [c for c in demo.companies if demo.text_language[c.id] == "en"]
    assert 0.08 <= len(english) / len(demo.companies) <= 0.22
    assert all(c.languages[0] == "en" for c in english)


def test_texts_are_written_in_the_expected_script(demo: DemoData) -> None:
    for c in demo.companies:
        language = demo.text_language[c.id]
        assert c.text_language == language
        expected = _expected_script(language)
        for text in (c.offer, c.need):
            scripts = Counter(_script(ch) for ch in text if ch.isalpha())
            letters = sum(scripts.values())
            assert scripts[expected] / letters >= 0.8, (c.id, language, text)
            if expected == "latin":
                assert not scripts["cyrillic"] and not scripts["greek"] and not scripts["cjk"], text


def test_cee_texts_use_many_languages(demo: DemoData) -> None:
    languages = {demo.text_language[c.id] for c in demo.companies if c.country != "CN"}
    assert {"pl", "cs", "hu", "ro", "el", "bg", "hr", "sk", "sl"} <= languages


def test_texts_name_their_hidden_concepts(demo: DemoData) -> None:
    for c in demo.companies:
        assert find_concept(c.offer, c.text_language) == demo.offer_concept[c.id]
        assert find_concept(c.need, c.text_language) == demo.need_concept[c.id]
        assert demo.offer_concept[c.id] != demo.need_concept[c.id]


def test_needs_mostly_stay_in_the_company_section(demo: DemoData) -> None:
    same = sum(
        CONCEPTS_BY_KEY[demo.need_concept[c.id]].section == c.section for c in demo.companies
    )
    assert same / len(demo.companies) >= 0.8
    assert all(
        CONCEPTS_BY_KEY[demo.offer_concept[c.id]].section == c.section for c in demo.companies
    )


def test_most_companies_have_partners_in_the_ground_truth(demo: DemoData) -> None:
    truth = demo.ground_truth()
    assert set(truth) == {c.id for c in demo.companies}
    assert sum(bool(ids) for ids in truth.values()) / len(truth) >= 0.9


def test_ground_truth_partners_offer_what_the_company_needs(demo: DemoData) -> None:
    by_id = {c.id: c for c in demo.companies}
    for company_id, partner_ids in demo.ground_truth().items():
        for partner_id in partner_ids:
            assert demo.offer_concept[partner_id] == demo.need_concept[company_id]
            assert by_id[partner_id].country != by_id[company_id].country


def test_chinese_needs_meet_cee_offers(demo: DemoData) -> None:
    truth = demo.ground_truth()
    cn = [c.id for c in demo.companies if c.country == "CN"]
    assert all(any(not p.startswith("cn-") for p in truth[i]) for i in cn if truth[i])


def test_ground_truth_from_texts_equals_the_hidden_one(demo: DemoData) -> None:
    assert demo_ground_truth(demo.companies) == demo.ground_truth()


def test_every_language_pack_covers_every_concept() -> None:
    assert len(PACKS) == 19
    keys = {c.key for c in CONCEPTS}
    for code, pack in PACKS.items():
        assert set(pack.products) == keys, code
        assert all("{product}" in t for t in pack.offer_leads + pack.need_leads), code


def test_no_product_phrase_hides_another_or_sits_in_a_template() -> None:
    for code, pack in PACKS.items():
        templates = pack.offer_leads + pack.need_leads + pack.offer_extras + pack.need_extras
        for key, phrase in pack.products.items():
            assert not any(phrase in t for t in templates), (code, key)
            for other, other_phrase in pack.products.items():
                assert other == key or phrase not in other_phrase, (code, key, other)


def test_serbian_latin_pack_has_no_cyrillic() -> None:
    pack = PACKS["sr_Latn"]
    texts = [*pack.products.values(), *pack.offer_leads, *pack.need_leads]
    assert not any(_script(ch) == "cyrillic" for text in texts for ch in text)
    assert pack.products["led_lighting"] == "LED osvetljenje"
