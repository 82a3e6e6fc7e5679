import pytest

from matchmaking.errors import ValidationError
from matchmaking.models import CompanySize, ProfileType
from matchmaking.validation import (
    clean_text,
    parse_languages,
    parse_profile_type,
    parse_section,
    parse_size,
    validate_country,
    validate_name,
    validate_offer_and_need,
    validate_text,
    validate_timezone,
    validate_website,
)


def test_name_is_cleaned_and_bounded() -> None:
    assert validate_name("  Kovinotehna\u0000  d.o.o. ") == "Kovinotehna d.o.o."
    with pytest.raises(ValidationError) as err:
        validate_name("")
    assert err.value.field == "name"
    with pytest.raises(ValidationError) as err:
        validate_name("x" * 201)
    assert err.value.params["length"] == 201


@pytest.mark.parametrize(
    ("raw", "code"), [("cn", "CN"), (" pl ", "PL"), ("UK", "GB"), ("EL", "GR")]
)
def test_country_codes_are_normalized(raw: str, code: str) -> None:
    assert validate_country(raw) == code


@pytest.mark.parametrize("raw", ["XX", "China", "", "P1"])
def test_unknown_country_is_rejected(raw: str) -> None:
    with pytest.raises(ValidationError) as err:
        validate_country(raw)
    assert err.value.field == "country"


def test_offer_or_need_must_be_given_and_bounded() -> None:
    assert validate_offer_and_need("We sell honey from Slovenia.", "") == (
        "We sell honey from Slovenia.",
        "",
    )
    with pytest.raises(ValidationError, match="Both the offer and the need are empty"):
        validate_offer_and_need(" ", "\n")
    with pytest.raises(ValidationError) as err:
        validate_text("a" * 20_000, "offer")
    assert err.value.params == {"length": 20_000, "limit": 3000}


def test_chinese_text_counts_characters_not_bytes() -> None:
    text = "我们生产数控机床和工业机器人。"
    assert validate_text(text, "offer") == text


def test_website_gets_a_scheme_and_garbage_is_rejected() -> None:
    assert validate_website("example.com") == "https://example.com"
    assert validate_website("http://firma.pl/o-nas") == "http://firma.pl/o-nas"
    assert validate_website("") == ""
    with pytest.raises(ValidationError):
        validate_website("not a site")


def test_timezone_must_be_iana() -> None:
    assert validate_timezone("Asia/Shanghai") == "Asia/Shanghai"
    with pytest.raises(ValidationError):
        validate_timezone("Mars/Olympus")


def test_languages_are_normalized() -> None:
    assert parse_languages("zh, EN; sr-latn") == ("zh_Hans", "en", "sr_Latn")
    assert parse_languages(["pl", "pl", "de"]) == ("pl", "de")
    with pytest.raises(ValidationError):
        parse_languages("english!")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("business_offer", ProfileType.BUSINESS_OFFER),
        ("Business Request", ProfileType.BUSINESS_REQUEST),
        ("TO", ProfileType.TECHNOLOGY_OFFER),
        ("technology request", ProfileType.TECHNOLOGY_REQUEST),
        ("R&D partnership", ProfileType.RD_PARTNERSHIP),
        ("investment", ProfileType.INVESTMENT),
    ],
)
def test_profile_types(raw: str, expected: ProfileType) -> None:
    assert parse_profile_type(raw) is expected


def test_sections_from_codes_names_and_sectors() -> None:
    assert parse_section("health") == "health"
    assert parse_section("Medical and Health") == "health"
    assert parse_section("Agriculture") == "trade"
    assert parse_section("2") == "trade"
    assert parse_section("机械制造") == "industry"
    assert parse_section("") == ""


def test_sizes() -> None:
    assert parse_size("small") is CompanySize.SMALL
    assert parse_size("120") is CompanySize.MEDIUM
    assert parse_size("") is None


def test_clean_text_drops_control_characters() -> None:
    assert clean_text("a\x07b\u200b  c") == "ab c"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hu-HU", ("hu",)),
        ("pl_PL", ("pl",)),
        ("en-GB", ("en",)),
        ("es-419", ("es",)),
        ("zh-CN", ("zh_Hans",)),
        ("zh-Hans-CN", ("zh_Hans",)),
        ("zh-TW", ("zh_Hant",)),
        ("zh_Hant_HK", ("zh_Hant",)),
        ("sr-Latn-RS", ("sr_Latn",)),
        ("sr-ME", ("sr_Latn",)),
        ("sr_Cyrl", ("sr",)),
        ("sr-RS", ("sr",)),
        ("bs-Latn-BA", ("bs",)),
        ("HU", ("hu",)),
    ],
)
def test_locale_tags_become_catalog_languages(raw: str, expected: tuple[str, ...]) -> None:
    assert parse_languages(raw) == expected


def test_language_names_are_understood() -> None:
    assert parse_languages("Croatian, English") == ("hr", "en")
    assert parse_languages("中文 Polski") == ("zh_Hans", "pl")
