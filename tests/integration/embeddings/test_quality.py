"""Cross-lingual matching quality with the bundled model and production settings.

Regression test for the issue "Cross-lingual matching": a need written in one language must find
the partner whose offer meets it, in any other language, among same-sector distractors. The dev
set the settings were chosen on, and three sets written apart from it and never used to choose a
setting (held-out; shapes: Chinese companies writing in English, CEE <-> CEE pairs, boilerplate
profiles; long: realistic long profiles), read with the default event's rule (partners from
another country).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from embeddings.encoders import BundledEncoder
from embeddings.engine import EmbeddingMatchEngine
from matchmaking.models import Company, ProfileType
from tests.fakes import FakeCompanies, FakeVectorStore

DATA = Path(__file__).resolve().parents[2] / "data"
DEVSET = DATA / "devset.jsonl"
HELDOUT = DATA / "heldout.jsonl"
SHAPES = DATA / "shapes.jsonl"
LONG = DATA / "long.jsonl"

pytestmark = pytest.mark.slow


def load_set(path: Path = DEVSET) -> tuple[list[Company], dict[str, str]]:
    """Return a quality set's companies and each paired company's partner id."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
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


@pytest.mark.parametrize(
    "path", [DEVSET, HELDOUT, SHAPES, LONG], ids=["dev", "held-out", "shapes", "long"]
)
def test_quality_set_is_valid_import_input(path: Path) -> None:
    companies, partners = load_set(path)
    assert len(partners) >= 40
    assert len({c.languages[0] for c in companies}) >= 10
    assert all(c.offer and c.need and c.country for c in companies)
    by_id = {c.id: c for c in companies}
    # Every pair is cross-border; China <-> CEE except the shapes set's CEE <-> CEE pairs.
    assert all(by_id[a].country != by_id[b].country for a, b in partners.items())
    cee_pairs = {a for a in partners if by_id[a].country != "CN" != by_id[partners[a]].country}
    assert len(cee_pairs) == (24 if path == SHAPES else 0)


async def indexed(
    companies: list[Company], tmp_path: Path, adapter: str = "auto"
) -> EmbeddingMatchEngine:
    """Return a production engine (bundled model, its packaged adapter) over these companies."""
    repo = FakeCompanies(companies)
    engine = EmbeddingMatchEngine(
        BundledEncoder(threads=2),
        FakeVectorStore(),
        repo,  # type: ignore[arg-type]
        tmp_path,
        adapter=adapter,
    )
    await engine.index(companies)
    return engine


async def recall(
    path: Path, tmp_path: Path, other_country_only: bool, adapter: str = "auto"
) -> tuple[float, float, list[str]]:
    """Return recall@1, recall@5 and the queries whose partner is not in the top 5."""
    companies, partners = load_set(path)
    engine = await indexed(companies, tmp_path, adapter)
    by_id = {c.id: c for c in companies}
    hits1 = hits5 = 0
    misses = []
    for cid, partner in sorted(partners.items()):
        country = by_id[cid].country
        ranked = [
            s.partner_id
            for s in await engine.rank(
                by_id[cid],
                5,
                lambda pid, country=country: (
                    not other_country_only or by_id[pid].country != country
                ),
            )
        ]
        hits1 += ranked[:1] == [partner]
        hits5 += partner in ranked
        if partner not in ranked:
            misses.append(cid)
    recall1, recall5 = hits1 / len(partners), hits5 / len(partners)
    print(f"{path.name}: recall@1 {recall1:.3f} recall@5 {recall5:.3f} misses {misses}")
    return recall1, recall5, misses


async def test_partner_found_first_in_both_directions(tmp_path: Path) -> None:
    """The issue's targets on the dev set: recall@1 >= 0.95 and recall@5 >= 0.99.

    Measured 0.977 / 1.000 with the packaged adapter, which never saw this set (88 queries, one
    query = 0.011): 0.95 leaves two queries of slack, and 0.988 one miss in the top 5.
    """
    recall1, recall5, misses = await recall(DEVSET, tmp_path, other_country_only=False)
    assert recall5 >= 0.988, misses
    assert recall1 >= 0.95


async def test_without_the_adapter_the_unsupervised_scoring_still_holds(tmp_path: Path) -> None:
    """`MATCHBOT_ADAPTER=none` (or a model without an adapter): centering and CSLS alone."""
    recall1, recall5, misses = await recall(DEVSET, tmp_path, False, adapter="none")
    assert recall5 >= 0.95, misses
    # Measured 0.875 with the role ensemble (0.89 / 0.86 on the odd / even pair folds; 0.83 with
    # query/passage alone); 0.84 leaves three queries of slack.
    assert recall1 >= 0.84


@pytest.mark.parametrize(
    ("path", "min_recall1", "min_recall5"),
    [
        # With the adapter, measured 0.938 / 1.000 (80 queries, one query = 0.0125; 0.738 / 0.950
        # without it): three and two queries of slack.
        (HELDOUT, 0.90, 0.975),
        # Measured 0.953 / 1.000 (64 queries, one query = 0.016; 0.844 / 0.938 without it, its
        # boilerplate-heavy long profiles 0.62 / 0.81): two queries of slack.
        (SHAPES, 0.92, 0.968),
        # Measured 1.000 / 1.000 (40 queries, one query = 0.025; 0.800 / 1.000 without it).
        (LONG, 0.95, 0.975),
    ],
    ids=["held-out", "shapes", "long"],
)
async def test_sets_written_apart_find_partners_among_other_countries(
    path: Path, min_recall1: float, min_recall5: float, tmp_path: Path
) -> None:
    """Sets never used to choose a setting nor to learn the adapter, as `matchbot suggest`
    ranks them (other country); see `embeddings/adapters/README.md`."""
    recall1, recall5, misses = await recall(path, tmp_path, other_country_only=True)
    assert recall5 >= min_recall5, misses
    assert recall1 >= min_recall1


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


def event(
    rows: list[tuple[str, str, str, str, str, str]],
) -> tuple[list[Company], dict[str, Company]]:
    """Return the companies of (id, country, language, section, offer, need) rows, and by id."""
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
        for cid, country, lang, section, offer, need in rows
    ]
    return companies, {c.id: c for c in companies}


async def test_small_event_ranks_the_obvious_partner_first(tmp_path: Path) -> None:
    """Five companies: the centering statistics are weak, the obvious partner must still win."""
    companies, by_id = event(SMALL_EVENT)
    engine = await indexed(companies, tmp_path)

    async def top(cid: str, n: int) -> list[str]:
        other_country = {c.id for c in companies if c.country != by_id[cid].country}
        ranked = await engine.rank(by_id[cid], n, lambda pid: pid in other_country)
        return [s.partner_id for s in ranked]

    assert (await top("cn-solar", 1)) == ["hr-solar"]
    assert (await top("hr-solar", 1)) == ["cn-solar"]
    assert (await top("pl-honey", 1)) == ["cn-food"]
    assert (await top("hu-wine", 1)) == ["cn-food"]
    assert set(await top("cn-food", 2)) == {"pl-honey", "hu-wine"}


LONE_CHINESE_EVENT = [
    (
        "cn-masks",
        "CN",
        "zh_Hans",
        "health",
        "我们生产医用口罩和防护服。",
        "寻找欧洲医院耗材分销商。",
    ),
    (
        "hr-medical",
        "HR",
        "hr",
        "health",
        "Distribuiramo medicinski potrošni materijal bolnicama u Hrvatskoj.",
        "Tražimo proizvođača kirurških maski i zaštitne odjeće.",
    ),
    (
        "hu-parts",
        "HU",
        "hu",
        "industry",
        "Gépalkatrészeket gyártunk.",
        "CNC gépeket keresünk Kínából.",
    ),
    (
        "pl-apples",
        "PL",
        "pl",
        "trade",
        "Sprzedajemy jabłka.",
        "Szukamy importera owoców w Chinach.",
    ),
    ("cz-hotel", "CZ", "cs", "tourism", "Hotel v Praze.", "Hledáme čínské cestovní kanceláře."),
]


async def test_lone_chinese_company_finds_its_partner_among_lone_languages(tmp_path: Path) -> None:
    """One company per language: no language direction may remove the pair's shared topic."""
    companies, by_id = event(LONE_CHINESE_EVENT)
    engine = await indexed(companies, tmp_path)
    for cid, partner in (("cn-masks", "hr-medical"), ("hr-medical", "cn-masks")):
        ranked = await engine.rank(by_id[cid], 1, lambda pid, me=cid: pid != me)
        assert [s.partner_id for s in ranked] == [partner]
        assert ranked[0].need_to_offer > 0 and ranked[0].offer_to_need > 0
