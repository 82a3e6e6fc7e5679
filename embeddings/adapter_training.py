"""Learning a matching adapter (`matchmaking.adapter`) from complementary company pairs.

Input: events, each a list of companies and which of them are pairs (the need of each met by the
offer of the other). Every sentence is embedded in the roles of `ScoringConfig.roles`, and each
event is centered on its own with the production statistics (`RoleStats`), as a real event of
that size would be. The adapter's maps then learn, per side and role pair, a delta from the
identity that ranks each company's partner first among the other companies of its event:

- the company score is the production one without CSLS: the best sentence pair of the mean
  adapted cosine over the role pairs, need->offer and offer->need;
- the loss is the cross-entropy (InfoNCE, temperature `TrainingSettings.temperature`) of the
  partner among all companies of the event, for need->offer, for offer->need and for their sum
  (what the suggestions are ranked by), over a random batch of queries per event and step;
- plus `weight_decay` times the squared deltas, which keeps the maps near the identity: with few
  pairs the adapter cannot stray far from the unsupervised scoring it starts from.

Training runs on torch (the `st` extra); serving needs numpy only. The settings were chosen by
two-fold cross-validation over the training files, see `embeddings/adapters/README.md` (and
`make bench-adapter`); the quality sets in `tests/data` are never learned from.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from matchmaking.adapter import LinearAdapter
from matchmaking.errors import EmbeddingError
from matchmaking.matching import (
    NEED,
    OFFER,
    QUERY,
    SIDES,
    FloatArray,
    RoleStats,
    ScoringConfig,
    best_pairs,
    csls,
    ensemble_rows,
    recall_at_k,
    side_roles,
)
from matchmaking.models import Company
from matchmaking.ports import Encoder
from matchmaking.text import split_sentences

log = logging.getLogger(__name__)

_MASKED = -1.0e4


@dataclass(frozen=True, slots=True)
class TrainingSettings:
    """How the adapter is fitted (defaults: the settings of the packaged adapter).

    Attributes:
        steps: Optimizer steps.
        weight_decay: Weight of the squared deltas in the loss.
        temperature: Softmax temperature of the cross-entropy over an event's companies.
        learning_rate: Adam's learning rate.
        batch: Queries drawn per event and step.
        seed: Seed of the query batches.
    """

    steps: int = 300
    weight_decay: float = 1e-2
    temperature: float = 0.05
    learning_rate: float = 1e-3
    batch: int = 128
    seed: int = 0


@dataclass(frozen=True, slots=True)
class TrainingEvent:
    """Companies of one event and the pairs among them.

    Attributes:
        name: What the event is called in reports (e.g. its file name).
        companies: The companies.
        pair_of: Company id -> pair id; the two companies of a pair id are partners.
    """

    name: str
    companies: Sequence[Company]
    pair_of: Mapping[str, str]

    def digest(self) -> str:
        """Return the sha256 of the texts, text languages and pairs (what an adapter learns)."""
        digest = hashlib.sha256()
        for company in self.companies:
            pair = self.pair_of.get(company.id, "")
            fields = (company.id, company.text_language, company.need, company.offer, pair)
            digest.update("\x1f".join(fields).encode())
        return digest.hexdigest()

    def partners(self) -> dict[int, int]:
        """Return company position -> partner position for every complete pair."""
        members: dict[str, list[int]] = {}
        for i, company in enumerate(self.companies):
            pair = self.pair_of.get(company.id)
            if pair:
                members.setdefault(pair, []).append(i)
        out: dict[int, int] = {}
        for found in members.values():
            if len(found) == 2:
                a, b = found
                out[a], out[b] = b, a
        return out


@dataclass(slots=True)
class EventVectors:
    """One event's centered sentence vectors, ready to fit or score.

    Attributes:
        name: The event's name.
        blocks: Per side, per company, (sentences, role pairs, dim) centered unit rows.
        countries: Per company, its country (the default event suggests other countries only).
        partners: Company position -> partner position.
        digest: sha256 of the event's texts, languages and pairs (recorded with an adapter).
    """

    name: str
    blocks: dict[str, list[FloatArray]]
    countries: list[str]
    partners: dict[int, int]
    digest: str = ""
    pairs: int = field(init=False)

    def __post_init__(self) -> None:
        self.pairs = len(self.partners) // 2


def embed_event(encoder: Encoder, event: TrainingEvent, config: ScoringConfig) -> EventVectors:
    """Embed an event's sentences in every role and center them as the event's own statistics do.

    Args:
        encoder: The encoder the adapter is for.
        event: The companies and their pairs.
        config: The scoring settings (role pairs, centering).

    Returns:
        The centered vectors (no adapter applied).
    """
    sentences = {
        side: [split_sentences(c.need if side == NEED else c.offer) for c in event.companies]
        for side in SIDES
    }
    languages = [c.text_language for c in event.companies]
    raw: dict[str, dict[str, FloatArray]] = {}
    for side in SIDES:
        flat = [s for company in sentences[side] for s in company]
        raw[side] = {}
        for role in side_roles(config.roles, side):
            encode = encoder.encode_queries if role == QUERY else encoder.encode_passages
            vectors = np.asarray(encode(flat), dtype=np.float32) if flat else None
            raw[side][role] = (
                vectors.reshape(len(flat), -1)
                if vectors is not None
                else np.zeros((0, encoder.dim), np.float32)
            )
    stats = RoleStats(encoder.dim, config)
    per_company: dict[str, list[dict[str, FloatArray]]] = {side: [] for side in SIDES}
    for side in SIDES:
        start = 0
        for i, company_sentences in enumerate(sentences[side]):
            end = start + len(company_sentences)
            mine = {role: rows[start:end] for role, rows in raw[side].items()}
            per_company[side].append(mine)
            stats.add(side, languages[i], mine)
            start = end
    blocks = {
        side: [
            np.stack(stats.centered_blocks(side, languages[i], mine), axis=1)
            for i, mine in enumerate(per_company[side])
        ]
        for side in SIDES
    }
    return EventVectors(
        name=event.name,
        blocks=blocks,
        countries=[c.country for c in event.companies],
        partners=event.partners(),
        digest=event.digest(),
    )


def _padded(rows: Sequence[FloatArray], k: int, dim: int) -> tuple[Any, Any]:
    """Return (companies, max sentences, k, dim) rows and their (companies, max) mask."""
    import torch

    longest = max([1, *(r.shape[0] for r in rows)])
    padded = np.zeros((len(rows), longest, k, dim), np.float32)
    mask = np.zeros((len(rows), longest), bool)
    for i, r in enumerate(rows):
        padded[i, : r.shape[0]] = r
        mask[i, : r.shape[0]] = True
    return torch.from_numpy(padded), torch.from_numpy(mask)


def _best_pairs(queries: Any, query_mask: Any, keys: Any, key_mask: Any) -> Any:
    """Return (queries, keys) company scores: the best sentence pair of the mean role cosine."""
    import torch

    k = queries.shape[-2]
    sims = torch.einsum("aikd,bjkd->abij", queries, keys) / k
    valid = query_mask[:, None, :, None] & key_mask[None, :, None, :]
    return sims.masked_fill(~valid, _MASKED).amax(dim=(2, 3))


def fit_adapter(
    events: Sequence[EventVectors],
    config: ScoringConfig,
    model: str,
    dim: int,
    settings: TrainingSettings | None = None,
    meta: Mapping[str, Any] | None = None,
) -> LinearAdapter:
    """Learn the adapter's maps from embedded events (see the module doc).

    Args:
        events: Embedded, centered events with pairs.
        config: The scoring settings the events were centered with.
        model: The encoder's model name.
        dim: The vector dimension.
        settings: The fitting settings.
        meta: Facts recorded with the adapter.

    Returns:
        The adapter; its deltas are rounded to float16, as `save_adapter` stores them.

    Raises:
        EmbeddingError: torch is missing, or no event has a pair.
    """
    try:
        import torch
    except ImportError as exc:
        raise EmbeddingError(
            "Training an adapter needs torch: install matchbot with the st extra."
        ) from exc
    settings = settings or TrainingSettings()
    usable = [e for e in events if e.partners]
    if not usable:
        raise EmbeddingError("No complete pair to learn from: give each pair two companies.")
    k = len(config.roles)
    torch.manual_seed(settings.seed)
    generator = torch.Generator().manual_seed(settings.seed)
    prepared = []
    for event in usable:
        needs, need_mask = _padded(event.blocks[NEED], k, dim)
        offers, offer_mask = _padded(event.blocks[OFFER], k, dim)
        queries = torch.tensor(list(event.partners), dtype=torch.long)
        targets = torch.tensor(list(event.partners.values()), dtype=torch.long)
        prepared.append((needs, need_mask, offers, offer_mask, queries, targets))
    deltas = torch.zeros((2, k, dim, dim), requires_grad=True)
    optimizer = torch.optim.Adam([deltas], lr=settings.learning_rate)
    eye = torch.eye(dim)
    cross_entropy = torch.nn.functional.cross_entropy
    for step in range(settings.steps):
        optimizer.zero_grad()
        maps = eye + deltas
        loss = settings.weight_decay * (deltas**2).sum()
        for needs, need_mask, offers, offer_mask, queries, targets in prepared:
            pick = torch.randperm(len(queries), generator=generator)[: settings.batch]
            q, t = queries[pick], targets[pick]
            need_rows = torch.nn.functional.normalize(
                torch.einsum("nmkd,kde->nmke", needs, maps[0]), dim=-1
            )
            offer_rows = torch.nn.functional.normalize(
                torch.einsum("nmkd,kde->nmke", offers, maps[1]), dim=-1
            )
            there = _best_pairs(need_rows[q], need_mask[q], offer_rows, offer_mask)
            back = _best_pairs(offer_rows[q], offer_mask[q], need_rows, need_mask)
            own = torch.zeros_like(there, dtype=torch.bool)
            own[torch.arange(len(q)), q] = True
            there, back = there.masked_fill(own, _MASKED), back.masked_fill(own, _MASKED)
            tau = settings.temperature
            loss = (
                loss
                + cross_entropy(there / tau, t)
                + cross_entropy(back / tau, t)
                + cross_entropy((there + back) / tau, t)
            )
        loss.backward()  # type: ignore[no-untyped-call]  # torch's stub is untyped
        optimizer.step()
        if step % 50 == 0 or step == settings.steps - 1:
            log.info(
                "adapter step %d/%d: loss %.4f", step + 1, settings.steps, float(loss.detach())
            )
    learned = deltas.detach().numpy().astype(np.float16).astype(np.float32)
    return LinearAdapter(
        model=model,
        dim=dim,
        deltas={
            (side, pair): learned[s, j]
            for s, side in enumerate(SIDES)
            for j, pair in enumerate(config.roles)
        },
        meta=dict(meta or {}),
    )


def event_scores(
    event: EventVectors, config: ScoringConfig, adapter: LinearAdapter | None
) -> npt.NDArray[np.float64]:
    """Return the event's (companies, companies) ranking scores, as the engine ranks them.

    Centered rows (through the adapter's maps if any), best sentence pair per direction, CSLS,
    both directions summed; pairs of one country are -inf (the default event's rule).
    """
    rows = {
        side: [
            ensemble_rows(side, config.roles, list(blocks.transpose(1, 0, 2)), adapter)
            for blocks in event.blocks[side]
        ]
        for side in SIDES
    }
    n = len(event.countries)
    offers = np.vstack(rows[OFFER]).astype(np.float32)
    owner = np.repeat(np.arange(n), [r.shape[0] for r in rows[OFFER]])
    matrix = np.array([best_pairs(needs, offers, owner, n).scores for needs in rows[NEED]])
    np.fill_diagonal(matrix, -np.inf)
    corrected = csls(matrix, config.csls_k)
    scores = corrected + corrected.T
    country = np.array(event.countries)
    scores[country[:, None] == country[None, :]] = -np.inf
    return scores


def event_recall(
    event: EventVectors,
    config: ScoringConfig,
    adapter: LinearAdapter | None,
    ks: Sequence[int] = (1, 5),
) -> dict[int, float]:
    """Return recall@k of the partners of an event, with or without an adapter."""
    scores = event_scores(event, config, adapter)
    return {k: recall_at_k(scores, event.partners, k) for k in ks}


def training_meta(
    events: Sequence[EventVectors], config: ScoringConfig, settings: TrainingSettings
) -> dict[str, Any]:
    """Return what an adapter records about its training: data, settings, date."""
    return {
        "trained": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "events": [
            {"name": e.name, "companies": len(e.countries), "pairs": e.pairs, "sha256": e.digest}
            for e in events
        ],
        "roles": [list(pair) for pair in config.roles],
        "settings": asdict(settings),
    }
