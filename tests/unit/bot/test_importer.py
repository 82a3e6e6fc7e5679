import json
from pathlib import Path

from bot.importer import parse_company_file
from matchmaking.models import DEFAULT_SECTIONS, ProfileType


def _write_jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


GOOD = {
    "id": "hr-01",
    "name": "Kovinotehna d.o.o.",
    "country": "HR",
    "language": "hr",
    "sector": "industry",
    "profile_type": "business offer",
    "offer": "Proizvodimo CNC alatne strojeve i industrijske robote.",
    "need": "Tražimo distributere u Kini.",
}


def test_good_rows_are_imported_with_defaults(tmp_path: Path) -> None:
    parsed = parse_company_file(_write_jsonl(tmp_path / "c.jsonl", [GOOD]), DEFAULT_SECTIONS)
    assert not parsed.rejected
    [(row, company)] = parsed.companies
    assert row == 1
    assert company.country == "HR"
    assert company.timezone == "Europe/Zagreb"
    assert company.languages == ("hr",)
    assert company.locale == "hr"
    assert company.section == "industry"
    assert company.profile_type is ProfileType.BUSINESS_OFFER


def test_bad_rows_are_named_and_good_rows_kept(tmp_path: Path) -> None:
    rows = [
        GOOD,
        {**GOOD, "id": "x1", "name": ""},
        {**GOOD, "id": "x2", "country": "ZZ"},
        {**GOOD, "id": "x3", "offer": "", "need": " "},
        {**GOOD, "id": "x4", "offer": "a" * 20_000},
        {**GOOD, "id": "hr-01"},
    ]
    path = tmp_path / "c.jsonl"
    data = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    data += b'\n{"id": "x5", "name": "Bad \xff\xfe bytes", "country": "PL", "offer": "Sprzedajemy miod."}'
    path.write_bytes(data)
    parsed = parse_company_file(path, DEFAULT_SECTIONS)
    assert [c.id for _, c in parsed.companies] == ["hr-01"]
    reasons = {r.company_id: r.reason for r in parsed.rejected}
    assert "name is missing" in reasons["x1"]
    assert "Unknown country code ZZ" in reasons["x2"]
    assert "Both the offer and the need are empty" in reasons["x3"]
    assert "too long: 20000 characters" in reasons["x4"]
    assert "appears twice" in reasons["hr-01"]
    assert "UTF-8" in reasons["x5"]
    assert parsed.rows == 7


def test_csv_with_bom_semicolons_and_optional_columns(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(
        "\ufeffid;name;country;language;sector;profile_type;offer;need;languages;timezone;website\n"
        "cn-7;宁波海天精工;cn;zh;Industry;technology offer;我们生产数控机床。;寻找欧洲经销商和合作伙伴。;"
        "zh,en;Asia/Shanghai;haitian.cn\n".encode()
    )
    parsed = parse_company_file(path, DEFAULT_SECTIONS)
    assert not parsed.rejected
    [(_, c)] = parsed.companies
    assert c.languages == ("zh_Hans", "en")
    assert c.website == "https://haitian.cn"
    assert c.profile_type is ProfileType.TECHNOLOGY_OFFER


def test_csv_invalid_utf8_row_is_rejected_alone(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(
        b"id,name,country,offer,need\n"
        b"pl-1,Agro-Mazur,PL,Sprzedajemy mrozone owoce,Szukamy importerow w Chinach\n"
        b"pl-2,Bad \xc3\x28 name,PL,Sprzedajemy miod lipowy,Szukamy dystrybutorow\n"
    )
    parsed = parse_company_file(path, DEFAULT_SECTIONS)
    assert [c.id for _, c in parsed.companies] == ["pl-1"]
    assert parsed.rejected[0].company_id == "pl-2"
    assert "UTF-8" in parsed.rejected[0].reason


def test_language_names_and_unknown_languages_do_not_lose_the_row(tmp_path: Path) -> None:
    rows = [{**GOOD, "id": "a", "language": "Croatian"}, {**GOOD, "id": "b", "language": "??!"}]
    parsed = parse_company_file(_write_jsonl(tmp_path / "c.jsonl", rows), DEFAULT_SECTIONS)
    assert not parsed.rejected
    assert [c.languages for _, c in parsed.companies] == [("hr",), ("hr",)]
    assert [(n.company_id, "Left out" in n.note) for n in parsed.notes] == [("b", True)]


def test_unknown_profile_type_keeps_the_row_with_a_note(tmp_path: Path) -> None:
    rows = [
        {**GOOD, "id": "a", "profile_type": "buyer"},
        {**GOOD, "id": "b", "profile_type": "business request"},
    ]
    parsed = parse_company_file(_write_jsonl(tmp_path / "c.jsonl", rows), DEFAULT_SECTIONS)
    assert not parsed.rejected
    assert [c.profile_type for _, c in parsed.companies] == [
        ProfileType.BUSINESS_OFFER,
        ProfileType.BUSINESS_REQUEST,
    ]
    assert [(n.row, n.company_id) for n in parsed.notes] == [(1, "a")]
    assert "Unknown profile type buyer" in parsed.notes[0].note
    assert "Imported as business_offer" in parsed.notes[0].note


def test_country_names_and_region_language_tags_are_understood(tmp_path: Path) -> None:
    """Organizers' spreadsheets name countries and write locale tags such as hu-HU."""
    rows = [
        {**GOOD, "id": "a", "country": "Croatia", "language": "hr-HR"},
        {**GOOD, "id": "b", "country": "Hrvatska"},
        {**GOOD, "id": "c", "country": "中国", "language": "zh-CN"},
        {**GOOD, "id": "d", "country": "Czech Republic", "language": "cs_CZ"},
        {**GOOD, "id": "e", "country": "  north   macedonia ", "language": "mk"},
        {**GOOD, "id": "f", "country": "SRB", "language": "sr-Latn-RS"},
        {**GOOD, "id": "g", "country": "Србија", "language": "sr_Cyrl"},
        {**GOOD, "id": "h", "country": "Magyarország", "language": "hu-HU, en-GB"},
        {**GOOD, "id": "i", "country": "Atlantis"},
    ]
    parsed = parse_company_file(_write_jsonl(tmp_path / "c.jsonl", rows), DEFAULT_SECTIONS)
    got = {c.id: (c.country, c.languages) for _, c in parsed.companies}
    assert got == {
        "a": ("HR", ("hr",)),
        "b": ("HR", ("hr",)),
        "c": ("CN", ("zh_Hans",)),
        "d": ("CZ", ("cs",)),
        "e": ("MK", ("mk",)),
        "f": ("RS", ("sr_Latn",)),
        "g": ("RS", ("sr",)),
        "h": ("HU", ("hu", "en")),
    }
    [rejected] = parsed.rejected
    assert rejected.company_id == "i"
    assert "Unknown country code Atlantis" in rejected.reason
    assert not parsed.notes
