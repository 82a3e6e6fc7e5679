"""Matching adapters: files, choosing one, learning one, and the engine using it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from embeddings.adapter import (
    PACKAGED,
    TRAINING_DIR,
    load_adapter,
    packaged_adapter,
    resolve_adapter,
    save_adapter,
)
from embeddings.adapter_training import (
    TrainingEvent,
    TrainingSettings,
    embed_event,
    event_recall,
    fit_adapter,
    training_meta,
)
from embeddings.encoders import E5_SMALL_DIM, E5_SMALL_NAME
from embeddings.engine import EmbeddingMatchEngine
from matchmaking.adapter import LinearAdapter
from matchmaking.errors import EmbeddingError
from matchmaking.matching import ENSEMBLE_ROLES, ScoringConfig
from matchmaking.models import Company
from matchmaking.ports import FloatArray
from matchmaking.text import split_sentences
from tests.fakes import FakeCompanies, FakeVectorStore

DIM = 96
TOPICS = [
    "valves", "honey", "wine", "tiles", "pumps", "glass", "cheese", "timber", "cables", "spa",
    "tours", "yarn", "paint", "boats", "seeds", "drones", "tea", "masks", "bikes", "gloves",
]  # fmt: skip


class PhrasingEncoder:
    """Embeds "want X" and "have X" in unrelated directions, as a model that weighs phrasing.

    A need ("want valves") and the offer that meets it ("have valves") share no direction, so
    cosine cannot pair them; what pairs them is a map from each "want" direction to the "have"
    direction of the same topic, which an adapter can learn from examples.
    """

    name = "test/phrasing"
    dim = DIM

    def __init__(self) -> None:
        self.calls = 0

    def _encode(self, texts: Sequence[str]) -> FloatArray:
        self.calls += len(texts)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            seed = int(hashlib.md5(text.strip(". ").lower().encode()).hexdigest()[:8], 16)
            out[row] = np.random.default_rng(seed).normal(size=DIM)
            out[row] /= np.linalg.norm(out[row])
        return out

    def encode_queries(self, texts: Sequence[str]) -> FloatArray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> FloatArray:
        return self._encode(texts)


def phrasing_event(name: str, seed: int, pairs: int = 8) -> TrainingEvent:
    """Return an event of complementary pairs (A needs what B has and the other way round)."""
    rng = np.random.default_rng(seed)
    companies, pair_of = [], {}
    for p in range(pairs):
        first, second = rng.choice(len(TOPICS), 2, replace=False)
        a, b = TOPICS[first], TOPICS[second]
        for side, (offer, need), country in ((0, (a, b), "CN"), (1, (b, a), "PL")):
            cid = f"{name}-{p}-{side}"
            companies.append(
                Company(cid, cid, country, offer=f"have {offer}.", need=f"want {need}.")
            )
            pair_of[cid] = f"{name}-{p}"
    return TrainingEvent(name, companies, pair_of)


def test_an_adapter_learns_what_meets_a_need_and_helps_on_new_events() -> None:
    encoder, config = PhrasingEncoder(), ScoringConfig()
    learn = [embed_event(encoder, phrasing_event(f"e{i}", i), config) for i in range(6)]
    held = embed_event(encoder, phrasing_event("held", 99), config)
    settings = TrainingSettings(steps=150, learning_rate=1e-2, weight_decay=1e-4)
    meta = training_meta(learn, config, settings)
    adapter = fit_adapter(learn, config, encoder.name, encoder.dim, settings, meta)
    before, after = event_recall(held, config, None), event_recall(held, config, adapter)
    assert before[1] <= 0.4  # near chance: the phrasings share nothing
    assert after[1] >= 0.9 and after[5] == 1.0
    assert adapter.role_pairs == tuple(sorted(ENSEMBLE_ROLES))
    assert meta["events"][0] == {
        "name": "e0",
        "companies": 16,
        "pairs": 8,
        "sha256": learn[0].digest,
    }
    # The same data and seed learn the same maps; another seed other (close) ones.
    again = fit_adapter(learn, config, encoder.name, encoder.dim, settings)
    assert again.fingerprint == adapter.fingerprint
    other = fit_adapter(learn, config, encoder.name, encoder.dim, replace(settings, seed=1))
    assert other.fingerprint != adapter.fingerprint


def test_an_event_without_a_complete_pair_cannot_teach_anything() -> None:
    encoder, config = PhrasingEncoder(), ScoringConfig()
    lonely = phrasing_event("x", 1)
    lonely = TrainingEvent("x", lonely.companies, {lonely.companies[0].id: "only-one"})
    with pytest.raises(EmbeddingError, match="No complete pair"):
        fit_adapter([embed_event(encoder, lonely, config)], config, "m", DIM)


def small_adapter(
    model: str = "test/phrasing", dim: int = DIM, scale: float = 0.01
) -> LinearAdapter:
    rng = np.random.default_rng(3)
    deltas = {
        (side, pair): (rng.normal(size=(dim, dim)) * scale).astype(np.float16).astype(np.float32)
        for side in ("need", "offer")
        for pair in ENSEMBLE_ROLES
    }
    return LinearAdapter(model=model, dim=dim, deltas=deltas, meta={"note": "test"})


def test_an_adapter_file_round_trips(tmp_path: Path) -> None:
    adapter = small_adapter()
    path = tmp_path / "sub" / "adapter.npz"
    save_adapter(adapter, path)
    loaded = load_adapter(path)
    assert loaded.fingerprint == adapter.fingerprint
    assert (loaded.model, loaded.dim, dict(loaded.meta)) == ("test/phrasing", DIM, {"note": "test"})
    assert not list(path.parent.glob("*.tmp*"))  # written atomically


def test_unreadable_adapter_files_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingError, match="does not exist"):
        load_adapter(tmp_path / "missing.npz")
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file")
    with pytest.raises(EmbeddingError, match="could not be read"):
        load_adapter(garbage)
    no_meta = tmp_path / "no-meta.npz"
    np.savez(no_meta, map_0=np.zeros((2, 2)))
    with pytest.raises(EmbeddingError, match="could not be read"):
        load_adapter(no_meta)


def test_the_setting_chooses_the_adapter(tmp_path: Path) -> None:
    assert resolve_adapter("none", E5_SMALL_NAME, E5_SMALL_DIM) is None
    assert resolve_adapter("", E5_SMALL_NAME, E5_SMALL_DIM) is None
    assert resolve_adapter("auto", "some/other-model", 768) is None  # nothing packaged for it
    packaged = resolve_adapter("auto", E5_SMALL_NAME, E5_SMALL_DIM)
    assert packaged is not None and packaged.model == E5_SMALL_NAME
    path = tmp_path / "mine.npz"
    save_adapter(small_adapter(), path)
    mine = resolve_adapter(str(path), "test/phrasing", DIM)
    assert mine is not None and mine.fingerprint == small_adapter().fingerprint
    with pytest.raises(EmbeddingError, match="learned on test/phrasing") as caught:
        resolve_adapter(str(path), E5_SMALL_NAME, E5_SMALL_DIM)
    assert "MATCHBOT_ADAPTER=none" in caught.value.render()


def test_the_packaged_adapter_belongs_to_the_bundled_model() -> None:
    adapter = packaged_adapter(E5_SMALL_NAME)
    assert adapter is not None
    assert (adapter.model, adapter.dim) == (E5_SMALL_NAME, E5_SMALL_DIM)
    assert set(adapter.role_pairs) == set(ENSEMBLE_ROLES)
    assert PACKAGED[E5_SMALL_NAME].stat().st_size < 3_000_000
    # It records what it learned from: the training files shipped beside it, unchanged.
    events = adapter.meta["events"]
    assert sum(e["pairs"] for e in events) >= 1000


def engine(
    tmp_path: Path,
    companies: list[Company],
    encoder: PhrasingEncoder,
    vectors: FakeVectorStore,
    adapter: object,
) -> EmbeddingMatchEngine:
    return EmbeddingMatchEngine(
        encoder,  # type: ignore[arg-type]
        vectors,  # type: ignore[arg-type]
        FakeCompanies(companies),  # type: ignore[arg-type]
        tmp_path / "index",
        adapter=adapter,  # type: ignore[arg-type]
    )


async def partners_first(
    engine: EmbeddingMatchEngine, companies: list[Company], partner: dict[str, str]
) -> int:
    """Return how many companies get their partner as the first suggestion."""
    firsts = [(await engine.rank(c, 1, lambda _: True))[0].partner_id for c in companies]
    return sum(first == partner[c.id] for first, c in zip(firsts, companies, strict=True))


async def test_the_engine_ranks_with_its_adapter_and_rebuilds_for_another(tmp_path: Path) -> None:
    encoder, config = PhrasingEncoder(), ScoringConfig()
    learn = [embed_event(encoder, phrasing_event(f"e{i}", i), config) for i in range(6)]
    settings = TrainingSettings(steps=150, learning_rate=1e-2, weight_decay=1e-4)
    adapter = fit_adapter(learn, config, encoder.name, encoder.dim, settings)
    event = phrasing_event("held", 99)
    companies = list(event.companies)
    partner = {
        c.id: other.id
        for c in companies
        for other in companies
        if other.id != c.id and event.pair_of[other.id] == event.pair_of[c.id]
    }
    vectors = FakeVectorStore()
    plain = engine(tmp_path, companies, encoder, vectors, None)
    await plain.index(companies)
    found_plain = await partners_first(plain, companies, partner)
    embedded = encoder.calls
    fitted = engine(tmp_path, companies, encoder, vectors, adapter)
    found = await partners_first(fitted, companies, partner)
    assert encoder.calls == embedded  # another adapter: rebuilt from the stored vectors
    assert found >= 0.9 * len(companies) > found_plain
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert manifest["centering"]["adapter"] == adapter.fingerprint
    # The default ("auto") has nothing packaged for this model: no adapter.
    assert engine(tmp_path, companies, encoder, vectors, "auto").adapter is None
    with pytest.raises(EmbeddingError):
        engine(tmp_path, companies, encoder, vectors, small_adapter(model="another"))


def training_events() -> list[TrainingEvent]:
    """Return the packaged adapter's training files, read as the train-adapter command reads them."""
    from bot.config import Settings
    from bot.operations import read_pairs_file

    event = Settings().event()
    out = []
    for path in sorted(TRAINING_DIR.glob("*.jsonl")):
        pairs, rejected = read_pairs_file(path, event)
        assert not rejected, rejected
        out.append(pairs)
    return out


def test_the_packaged_adapter_was_learned_from_the_training_files_beside_it() -> None:
    """Editing the training data without training the adapter again fails here."""
    adapter = packaged_adapter(E5_SMALL_NAME)
    assert adapter is not None
    recorded = {e["name"]: e["sha256"] for e in adapter.meta["events"]}
    assert recorded == {event.name: event.digest() for event in training_events()}


def test_the_training_files_keep_the_quality_sets_held_out() -> None:
    """No id or text of the quality sets is in the training data (company names may repeat:
    they are not embedded), and at most a few generic sentences are shared."""
    quality = [
        json.loads(line)
        for path in sorted((Path(__file__).resolve().parents[2] / "data").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line
    ]
    companies = [c for event in training_events() for c in event.companies]
    assert len(companies) >= 3000
    texts = {t for c in companies for t in (c.need, c.offer)}
    assert not {row["id"] for row in quality} & {c.id for c in companies}
    assert not {t for row in quality for t in (row["need"], row["offer"])} & texts
    sentences = {s for t in texts for s in split_sentences(t)}
    shared = {
        s for row in quality for t in (row["need"], row["offer"]) for s in split_sentences(t)
    } & sentences
    assert len(shared) <= 3, shared  # "We look forward to long-term cooperation." and the like
