"""The embedding match engine with a word-hashing encoder: embedding reuse, ranking, persistence."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from embeddings.engine import EmbeddingMatchEngine
from matchmaking.matching import SINGLE_ROLES, ScoringConfig
from matchmaking.models import Company
from matchmaking.ports import FloatArray
from matchmaking.text import split_sentences
from tests.fakes import FakeCompanies, FakeVectorStore

DIM = 256


class WordEncoder:
    """Hashes words into a bag-of-words vector; counts what it embeds."""

    name = "test/words"
    dim = DIM

    def __init__(self) -> None:
        self.embedded: list[str] = []
        self.roles: set[str] = set()

    def _encode(self, texts: Sequence[str]) -> FloatArray:
        self.embedded.extend(texts)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w{4,}", text.lower()):
                out[row, int(hashlib.md5(word[:5].encode()).hexdigest(), 16) % DIM] += 1.0
            out[row] /= max(1e-6, float(np.linalg.norm(out[row])))
        return out

    def encode_queries(self, texts: Sequence[str]) -> FloatArray:
        self.roles.add("query")
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> FloatArray:
        self.roles.add("passage")
        return self._encode(texts)


def world() -> list[Company]:
    return [
        Company(
            "solar",
            "Solar",
            "CN",
            offer="We produce solar panels. We are founded 2008.",
            need="We need installers distributing equipment.",
            languages=("zh_Hans",),
            section="industry",
        ),
        Company(
            "install",
            "Install",
            "PL",
            offer="Installers distributing equipment across Poland.",
            need="Looking for solar panels supplier.",
            languages=("pl", "en"),
            section="industry",
        ),
        Company(
            "tea",
            "Tea",
            "CN",
            offer="Green tea plantation.",
            need="Supermarket chains buying tea.",
            languages=("zh_Hans", "en"),
            section="trade",
        ),
        Company(
            "shops",
            "Shops",
            "RO",
            offer="Supermarket chains across Romania buying tea.",
            need="Green tea plantation supplier.",
            languages=("ro",),
            section="trade",
        ),
    ] + [
        Company(f"x{i}", f"X{i}", "HU", offer=f"{a} {b}.", need=f"{b} {c}.", languages=("hu",))
        for i, (a, b, c) in enumerate(
            [
                ("Bicycles", "helmets", "gloves"),
                ("Marble", "granite", "quarry"),
                ("Software", "testing", "automation"),
                ("Hotels", "mountain", "skiing"),
                ("Cheese", "yogurt", "cultures"),
                ("Trucks", "logistics", "warehouses"),
                ("Violins", "pianos", "guitars"),
                ("Vaccines", "poultry", "veterinary"),
            ]
        )
    ]


def engine_for(
    tmp_path: Path,
    companies: Sequence[Company],
    encoder: WordEncoder | None = None,
    vectors: FakeVectorStore | None = None,
) -> tuple[EmbeddingMatchEngine, WordEncoder, FakeVectorStore]:
    encoder = encoder or WordEncoder()
    vectors = vectors or FakeVectorStore()
    engine = EmbeddingMatchEngine(encoder, vectors, FakeCompanies(companies), tmp_path / "index")  # type: ignore[arg-type]
    return engine, encoder, vectors


async def test_rank_finds_the_complementary_partner_with_reasons(tmp_path: Path) -> None:
    companies = world()
    engine, _, _ = engine_for(tmp_path, companies)
    await engine.index(companies)
    best = (await engine.rank(companies[0], 3, lambda _: True))[0]
    assert best.partner_id == "install"
    assert best.reason.your_need == "We need installers distributing equipment."
    assert best.reason.their_offer == "Installers distributing equipment across Poland."
    assert best.reason.their_need == "Looking for solar panels supplier."
    assert best.reason.your_offer == "We produce solar panels."
    assert best.reason.their_language == "pl"
    assert best.mutual and best.same_section and best.interpreter_needed
    assert 0.0 <= best.score <= 1.0


async def test_rank_never_suggests_self_and_respects_allowed(tmp_path: Path) -> None:
    companies = world()
    engine, _, _ = engine_for(tmp_path, companies)
    await engine.index(companies)
    ranked = await engine.rank(companies[0], 20, lambda pid: pid != "install")
    ids = [s.partner_id for s in ranked]
    assert "solar" not in ids and "install" not in ids and len(ids) == len(companies) - 2
    shared = next(
        s for s in await engine.rank(companies[2], 20, lambda _: True) if s.partner_id == "install"
    )
    assert not shared.interpreter_needed  # both speak English


async def test_unchanged_texts_are_not_embedded_again(tmp_path: Path) -> None:
    companies = world()
    engine, encoder, _ = engine_for(tmp_path, companies)
    await engine.index(companies)
    first = len(encoder.embedded)
    await engine.index(companies[:2])
    assert len(encoder.embedded) == first
    await engine.index(
        [companies[0].replace(need="We need installers distributing equipment. And trucks.")]
    )
    # The new need sentence, once per role of the ensemble (query and passage).
    assert encoder.embedded[first:] == ["And trucks.", "And trucks."]


async def test_every_sentence_is_embedded_in_the_roles_of_the_ensemble(tmp_path: Path) -> None:
    companies = world()
    engine, encoder, _ = engine_for(tmp_path, companies)
    await engine.index(companies)
    sentences = [s for c in companies for t in (c.need, c.offer) for s in split_sentences(t)]
    assert sorted(encoder.embedded) == sorted(sentences * 2)
    assert encoder.roles == {"query", "passage"}
    single_encoder = WordEncoder()
    single = EmbeddingMatchEngine(
        single_encoder,
        FakeVectorStore(),
        FakeCompanies(companies),  # type: ignore[arg-type]
        tmp_path / "single-index",
        config=ScoringConfig(roles=SINGLE_ROLES),
    )
    await single.index(companies)
    assert sorted(single_encoder.embedded) == sorted(sentences)
    assert (await single.rank(companies[0], 1, lambda _: True))[0].partner_id == "install"


async def test_an_index_from_before_the_ensemble_is_rebuilt_once(tmp_path: Path) -> None:
    """A single-role index (the previous format) is rebuilt, embedding only the missing roles."""
    companies = world()
    old_encoder, vectors = WordEncoder(), FakeVectorStore()
    old = EmbeddingMatchEngine(
        old_encoder,
        vectors,
        FakeCompanies(companies),  # type: ignore[arg-type]
        tmp_path / "index",
        config=ScoringConfig(roles=SINGLE_ROLES),
    )
    await old.index(companies)
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    # The manifest of the single-role engine before the ensemble held bare statistics.
    manifest["centering"] = manifest["centering"]["stats"][0]
    (tmp_path / "index" / "manifest.json").write_text(json.dumps(manifest))
    engine, encoder, _ = engine_for(tmp_path, companies, vectors=vectors)
    await engine.load()
    sentences = [s for c in companies for t in (c.need, c.offer) for s in split_sentences(t)]
    assert sorted(encoder.embedded) == sorted(sentences)  # the one missing role of each
    assert (await engine.rank(companies[0], 1, lambda _: True))[0].partner_id == "install"
    again, again_encoder, _ = engine_for(tmp_path, companies, vectors=vectors)
    await again.load()
    assert again_encoder.embedded == [] and len(again) == len(companies)


async def test_no_shows_lower_the_rank(tmp_path: Path) -> None:
    base = [
        Company("me", "Me", "CN", offer="Tea.", need="Need wooden furniture factory."),
        Company("a", "A", "PL", offer="Wooden furniture factory.", need="x"),
        Company("b", "B", "PL", offer="Wooden furniture factory.", need="x", no_shows=3),
    ]
    engine, _, _ = engine_for(tmp_path, base)
    await engine.index(base)
    ranked = await engine.rank(base[0], 2, lambda _: True)
    # The order carries the penalty; the shown score (two-way sum clipped into [0, 1]) can saturate
    # at 1.0 for both in a 3-company event, which is now centered.
    assert [s.partner_id for s in ranked] == ["a", "b"] and ranked[0].score >= ranked[1].score


async def test_remove_drops_the_company(tmp_path: Path) -> None:
    companies = world()
    engine, _, _ = engine_for(tmp_path, companies)
    await engine.index(companies)
    await engine.remove("install")
    assert "install" not in [
        s.partner_id for s in await engine.rank(companies[0], 20, lambda _: True)
    ]


async def test_rebuild_uses_stored_vectors_only(tmp_path: Path) -> None:
    companies = world()
    engine, encoder, vectors = engine_for(tmp_path, companies)
    await engine.index(companies)
    fresh, fresh_encoder, _ = engine_for(tmp_path, companies, vectors=vectors)
    await fresh.rebuild()
    assert fresh_encoder.embedded == []
    assert (await fresh.rank(companies[0], 1, lambda _: True))[0].partner_id == "install"


async def test_index_folder_is_loaded_or_rebuilt_when_stale(tmp_path: Path) -> None:
    companies = world()
    engine, _, vectors = engine_for(tmp_path, companies)
    await engine.index(companies)
    assert (tmp_path / "index" / "manifest.json").exists()
    again, encoder, _ = engine_for(tmp_path, companies, vectors=vectors)
    await again.load()
    assert len(again) == len(companies) and encoder.embedded == []
    stale, _, _ = engine_for(tmp_path, companies[:-1], vectors=vectors)
    assert (await stale.rank(companies[0], 1, lambda _: True))[0].partner_id == "install"
    assert len(stale) == len(companies) - 1


async def test_candidates_come_from_faiss_above_the_exact_size(tmp_path: Path) -> None:
    companies = world()
    encoder, vectors = WordEncoder(), FakeVectorStore()
    engine = EmbeddingMatchEngine(
        encoder,
        vectors,
        FakeCompanies(companies),  # type: ignore[arg-type]
        tmp_path / "index",
        exact_companies=2,
    )
    await engine.index(companies)
    assert (await engine.rank(companies[3], 1, lambda _: True))[0].partner_id == "tea"


async def ivf_engine(tmp_path: Path, companies: Sequence[Company]) -> EmbeddingMatchEngine:
    """Return an engine over `companies` with IVF indexes and candidates above 2 companies."""
    engine = EmbeddingMatchEngine(
        WordEncoder(),
        FakeVectorStore(),
        FakeCompanies(companies),  # type: ignore[arg-type]
        tmp_path / "index",
        exact_companies=2,
        exact_limit=2,
    )
    await engine.index(companies)
    return engine


async def test_candidates_come_from_the_joint_index_once_the_sides_are_ivf(tmp_path: Path) -> None:
    companies = world()
    engine = await ivf_engine(tmp_path, companies)
    assert (await engine.rank(companies[3], 1, lambda _: True))[0].partner_id == "tea"
    assert engine._store.indexes["offer"].kind == "ivf"
    assert engine._store._joint is not None  # the candidates came from the joint multi-index
    await engine.remove("tea")
    ranked = await engine.rank(companies[3], 5, lambda _: True)
    assert "tea" not in [s.partner_id for s in ranked]


async def test_a_partner_the_joint_index_misses_comes_from_the_nearest_sentences(
    tmp_path: Path,
) -> None:
    companies = world()
    engine = await ivf_engine(tmp_path, companies)
    assert engine._store.indexes["offer"].kind == "ivf"
    # A joint multi-index whose coarse lists propose nobody useful.
    engine._store.joint_candidates = lambda needs, offers: np.zeros(0, np.int64)  # type: ignore[method-assign]
    assert (await engine.rank(companies[3], 1, lambda _: True))[0].partner_id == "tea"


async def test_scores_follow_the_ranked_order(tmp_path: Path) -> None:
    # Random profiles over a small vocabulary: some offers become hubs that CSLS pushes down, so
    # the order differs from the plain two-way sum; the shown score must follow the order.
    rng = np.random.default_rng(7)
    words = [
        "turbines", "bearings", "olives", "raspberries", "hotels", "guides", "masks",
        "gowns", "cables", "harness", "honey", "wines", "tractors", "pumps", "valves",
    ]  # fmt: skip

    def text() -> str:
        return " ".join(rng.choice(words, size=int(rng.integers(1, 5)), replace=False)) + "."

    companies = [
        Company(f"c{i}", f"C{i}", "CN" if i % 2 else "PL", offer=text(), need=text())
        for i in range(40)
    ]
    engine, _, _ = engine_for(tmp_path, companies)
    await engine.index(companies)
    for company in companies:
        scores = [s.score for s in await engine.rank(company, 10, lambda _: True)]
        assert scores == sorted(scores, reverse=True), company.id
