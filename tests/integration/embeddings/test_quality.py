"""Cross-lingual matching quality on the dev set, with the bundled model and production settings.

Regression test for the issue "Cross-lingual matching": a need written in one language must find
the partner whose offer meets it, in any other language, among same-sector distractors.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from embeddings.encoders import BundledEncoder
from embeddings.engine import EmbeddingMatchEngine
from matchmaking.models import Company, ProfileType
from tests.fakes import FakeCompanies, FakeVectorStore

DEVSET = Path(__file__).resolve().parents[2] / "data" / "devset.jsonl"

pytestmark = pytest.mark.slow


def load_devset() -> tuple[list[Company], dict[str, str]]:
    """Return the dev set's companies and each paired company's partner id."""
    rows = [json.loads(line) for line in DEVSET.read_text(encoding="utf-8").splitlines() if line]
    companies = [
        Company(
            id=r["id"],
            name=r["name"],
            country=r["country"],
            offer=r["offer"],
            need=r["need"],
            languages=(r["language"],),
            locale=r["language"],
            section=r["sector"],
            profile_type=ProfileType(r["profile_type"]),
        )
        for r in rows
    ]
    by_pair: dict[str, list[str]] = {}
    for r in rows:
        if r["pair_id"]:
            by_pair.setdefault(r["pair_id"], []).append(r["id"])
    partners = {a: b for a, b in by_pair.values()} | {b: a for a, b in by_pair.values()}
    return companies, partners


def test_devset_is_valid_import_input() -> None:
    companies, partners = load_devset()
    assert len(partners) >= 80
    assert len({c.languages[0] for c in companies}) >= 10
    assert all(c.offer and c.need and c.country for c in companies)


async def test_partner_found_in_top5_in_both_directions(tmp_path: Path) -> None:
    companies, partners = load_devset()
    repo = FakeCompanies(companies)
    engine = EmbeddingMatchEngine(BundledEncoder(threads=2), FakeVectorStore(), repo, tmp_path)  # type: ignore[arg-type]
    await engine.index(companies)
    by_id = {c.id: c for c in companies}
    hits1 = hits5 = 0
    misses = []
    for cid, partner in sorted(partners.items()):
        ranked = [s.partner_id for s in await engine.rank(by_id[cid], 5, lambda _: True)]
        hits1 += ranked[:1] == [partner]
        hits5 += partner in ranked
        if partner not in ranked:
            misses.append(cid)
    recall1, recall5 = hits1 / len(partners), hits5 / len(partners)
    print(f"dev set: recall@1 {recall1:.3f} recall@5 {recall5:.3f} misses {misses}")
    assert recall5 >= 0.95, misses
    # Measured 0.875 with the role ensemble (0.89 / 0.86 on the odd / even pair folds; 0.83 with
    # query/passage alone); 0.84 leaves three queries of slack.
    assert recall1 >= 0.84


SMALL_EVENT = [
    (
        "cn-solar",
        "CN",
        "zh_Hans",
        "industry",
        "我们生产高效单晶硅太阳能电池板和逆变器。",
        "寻找克罗地亚或波兰的光伏安装商和分销商。",
    ),
    (
        "hr-solar",
        "HR",
        "hr",
        "industry",
        "Projektiramo i montiramo fotonaponske elektrane za kuće i tvrtke.",
        "Tražimo proizvođača solarnih panela i invertera za stalnu nabavu.",
    ),
    (
        "pl-honey",
        "PL",
        "pl",
        "agriculture",
        "Produkujemy miód lipowy i wielokwiatowy w słoikach i beczkach.",
        "Szukamy importerów żywności w Chinach.",
    ),
    (
        "hu-wine",
        "HU",
        "hu",
        "trade",
        "Tokaji aszú és száraz fehérborok exportja.",
        "Kínai borimportőröket és forgalmazókat keresünk.",
    ),
    (
        "cn-food",
        "CN",
        "zh_Hans",
        "trade",
        "我们在中国经营食品进口和分销网络。",
        "我们想进口欧洲的蜂蜜和葡萄酒。",
    ),
]


async def test_small_event_ranks_the_obvious_partner_first(tmp_path: Path) -> None:
    """Five companies: the centering statistics are weak, the obvious partner must still win."""
    companies = [
        Company(
            id=cid,
            name=cid,
            country=country,
            offer=offer,
            need=need,
            languages=(lang,),
            locale=lang,
            section=section,
        )
        for cid, country, lang, section, offer, need in SMALL_EVENT
    ]
    repo = FakeCompanies(companies)
    engine = EmbeddingMatchEngine(BundledEncoder(threads=2), FakeVectorStore(), repo, tmp_path)  # type: ignore[arg-type]
    await engine.index(companies)
    by_id = {c.id: c for c in companies}

    async def top(cid: str, n: int) -> list[str]:
        other_country = {c.id for c in companies if c.country != by_id[cid].country}
        ranked = await engine.rank(by_id[cid], n, lambda pid: pid in other_country)
        return [s.partner_id for s in ranked]

    assert (await top("cn-solar", 1)) == ["hr-solar"]
    assert (await top("hr-solar", 1)) == ["cn-solar"]
    assert (await top("pl-honey", 1)) == ["cn-food"]
    assert (await top("hu-wine", 1)) == ["cn-food"]
    assert set(await top("cn-food", 2)) == {"pl-honey", "hu-wine"}
