"""The production `MatchEngine`: sentence embeddings, centered scoring, FAISS candidates.

`index` splits each company's need and offer in sentences, reuses every vector the `VectorStore`
already holds (key: sha256 of "model|role|text"), embeds only the missing sentences, and updates
the running centering statistics, the FAISS indexes and a light metadata map. Every sentence is
embedded in each role its side takes in `ScoringConfig.roles` (by default needs and offers both as
`query` and as `passage`: the role ensemble of `matchmaking.matching`, which doubles embedding
time and stored vectors). `RoleStats` keeps centering statistics per role pair and turns a
sentence's raw vectors into one ensemble row whose dot products are the mean centered cosine
over the role pairs; with a matching adapter (by default the one packaged for the encoder's
model, `embeddings.adapter`), each pair's centered rows go through its learned map first, and
the adapter's fingerprint is kept with the index (another adapter rebuilds it from the stored
vectors, without embedding).

`rank` scores exactly: for events up to `exact_companies` companies every company is re-scored
from the in-memory ensemble rows (with the CSLS hub correction up to `csls_companies`); above
that, the index store proposes candidates and only those are re-scored with the ensemble: the
joint multi-index (`IndexStore.joint_candidates`, about `JOINT_TARGET` companies good in both
directions together) and the `JOINT_NEAREST` nearest sentences of each direction once both
sides are IVF indexes, else the `CANDIDATES` nearest sentences of each direction. The FAISS
indexes (one per side) hold only the first role pair's centered vectors (need as query, offer
as passage). CPU-heavy work runs in a thread (`asyncio.to_thread`).

Scale limit: the engine keeps every company's raw vectors (per role) and its centered ensemble
rows in RAM, about 12 KB + 18 KB per company with two sentences a side, so one process serves
events up to about 100 000 companies. The index store itself reaches a million companies
(IVF-PQ candidates, 8-bit re-rank copies on disk: `embeddings.index_store`, 1.7 GB for both
sides); serving that from the engine needs it to score candidates from the store
(`IndexStore.vectors_of`) instead of its in-RAM population, with the query/passage roles alone
and without the CSLS statistics. Not built yet.

The index folder is loaded lazily on first use and rebuilt when its manifest does not match the
company repository (companies added, changed or removed while the bot was down, another model)
or the role pairs (an index from before the ensemble is rebuilt once from the stored vectors,
embedding only the roles it lacks).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from embeddings.adapter import AUTO, checked, resolve_adapter
from embeddings.index_store import EXACT_LIMIT, IndexStore
from matchmaking.adapter import LinearAdapter
from matchmaking.errors import EmbeddingError
from matchmaking.matching import (
    NEED,
    OFFER,
    PASSAGE,
    QUERY,
    BestPairs,
    RoleStats,
    ScoringConfig,
    adjustment,
    best_pairs,
    hub_scores,
    is_mutual,
    shares_language,
    side_roles,
)
from matchmaking.models import Company, CompanyStatus, MatchReason, MatchSuggestion
from matchmaking.ports import CompanyRepository, Encoder, FloatArray, VectorStore
from matchmaking.text import split_sentences

log = logging.getLogger(__name__)

EXACT_COMPANIES = 10_000
CSLS_COMPANIES = 1_500
CANDIDATES = 200
JOINT_NEAREST = 50
"""Nearest sentences per query sentence added to the joint candidates: at 30k-100k companies
(IVF lists of 512-1 024) the joint multi-index alone reads recall@10 0.92-0.95, with these
0.97-0.98 (`bench/RESULTS.md`)."""
RECENTER_DRIFT = 0.25


def vector_key(model: str, role: str, text: str) -> str:
    """Return the VectorStore key of a sentence: sha256 of "model|role|text"."""
    return hashlib.sha256(f"{model}|{role}|{text}".encode()).hexdigest()


def company_fingerprint(company: Company, language: str | None = None) -> str:
    """Return a short hash of everything indexing depends on (texts and language).

    Args:
        company: The company.
        language: Its `text_language`, when the caller has already read it from the texts.
    """
    language = company.text_language if language is None else language
    raw = "\x1f".join((language, company.need, company.offer))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


@dataclass(slots=True)
class IndexedCompany:
    """What the engine keeps per company: metadata, sentences and raw sentence vectors.

    `raw[side][role]` is the (sentences, dim) matrix of that side's sentences in that role.
    """

    company_id: str
    country: str
    section: str
    languages: tuple[str, ...]
    language: str
    no_shows: int
    status: CompanyStatus
    fingerprint: str
    sentences: dict[str, list[str]] = field(default_factory=dict)
    raw: dict[str, dict[str, FloatArray]] = field(default_factory=dict)


@dataclass(slots=True)
class _Population:
    """Ensemble sentence rows of every company (the exact path), built lazily."""

    ids: list[str]
    position: dict[str, int]
    centered: dict[str, dict[str, FloatArray]]
    stacked: dict[str, FloatArray]
    owner: dict[str, npt.NDArray[np.int64]]
    need_hub: npt.NDArray[np.float64] | None = None
    offer_hub: npt.NDArray[np.float64] | None = None


class EmbeddingMatchEngine:
    """Ranks partners by cross-lingual need-to-offer similarity, both ways (see module doc)."""

    def __init__(
        self,
        encoder: Encoder,
        vectors: VectorStore,
        companies: CompanyRepository,
        index_dir: Path,
        config: ScoringConfig | None = None,
        exact_companies: int = EXACT_COMPANIES,
        csls_companies: int = CSLS_COMPANIES,
        exact_limit: int = EXACT_LIMIT,
        adapter: LinearAdapter | str | None = AUTO,
    ) -> None:
        """Wire the engine; nothing is loaded until first use.

        Args:
            encoder: Embeds sentences.
            vectors: Keeps every embedded sentence.
            companies: The company repository (source of truth for rebuilds).
            index_dir: Folder of the FAISS indexes and their manifest.
            config: Scoring settings.
            exact_companies: Up to this many companies every one is scored exactly.
            csls_companies: Up to this many companies the CSLS hub correction is applied.
            exact_limit: Sentences per side kept in an exact FAISS index (IVF above).
            adapter: The matching adapter (`matchmaking.adapter`): an adapter, None for none, or
                a `MATCHBOT_ADAPTER` setting (`auto`: the one packaged for the encoder's model).

        Raises:
            EmbeddingError: The adapter cannot be read or was learned on another model.
        """
        self._encoder = encoder
        self._vectors = vectors
        self._companies = companies
        self._config = config or ScoringConfig()
        self._exact_companies = exact_companies
        self._csls_companies = csls_companies
        self._store = IndexStore(Path(index_dir), encoder.name, encoder.dim, exact_limit)
        if isinstance(adapter, str):
            adapter = resolve_adapter(adapter, encoder.name, encoder.dim)
        self._adapter = None if adapter is None else checked(adapter, encoder.name, encoder.dim)
        self._stats = RoleStats(encoder.dim, self._config, adapter=self._adapter)
        self._roles = {side: side_roles(self._config.roles, side) for side in (NEED, OFFER)}
        self._entries: dict[str, IndexedCompany] = {}
        self._population: _Population | None = None
        self._centered_count = 0
        self._loaded = False
        self._lock = asyncio.Lock()

    @property
    def model(self) -> str:
        """Return the encoder's model name."""
        return self._encoder.name

    @property
    def adapter(self) -> LinearAdapter | None:
        """Return the matching adapter in use (None: unsupervised scoring only)."""
        return self._adapter

    def __len__(self) -> int:
        return len(self._entries)

    # ----------------------------------------------------------------------------- embedding
    def _keys(self, side: str, sentences: Sequence[str]) -> dict[str, tuple[str, str]]:
        """Return VectorStore key -> (role, sentence) for a side's sentences in all its roles."""
        return {
            vector_key(self.model, role, sentence): (role, sentence)
            for role in self._roles[side]
            for sentence in sentences
        }

    async def _embed(self, companies: Sequence[Company]) -> list[IndexedCompany]:
        """Split texts and get every sentence vector, embedding only the missing ones."""
        return (await self._embed_counted(companies))[0]

    async def _embed_counted(
        self, companies: Sequence[Company]
    ) -> tuple[list[IndexedCompany], int]:
        """Like `_embed`, also returning how many vectors had to be embedded."""
        prepared: list[IndexedCompany] = []
        wanted: dict[str, tuple[str, str]] = {}
        for company in companies:
            language = company.text_language  # read from the texts: once per company
            entry = IndexedCompany(
                company_id=company.id,
                country=company.country,
                section=company.section,
                languages=tuple(company.languages) or (company.locale,),
                language=language,
                no_shows=company.no_shows,
                status=company.status,
                fingerprint=company_fingerprint(company, language),
                sentences={
                    NEED: split_sentences(company.need),
                    OFFER: split_sentences(company.offer),
                },
            )
            prepared.append(entry)
            for side, sentences in entry.sentences.items():
                wanted.update(self._keys(side, sentences))
        found = await self._vectors.get_many(self.model, list(wanted))
        missing = [key for key in wanted if key not in found]
        fresh: dict[str, FloatArray] = {}
        if missing:
            for role, encode in (
                (QUERY, self._encoder.encode_queries),
                (PASSAGE, self._encoder.encode_passages),
            ):
                keys = [key for key in missing if wanted[key][0] == role]
                if keys:
                    embedded = await asyncio.to_thread(encode, [wanted[key][1] for key in keys])
                    fresh.update(zip(keys, np.asarray(embedded, dtype=np.float32), strict=True))
            await self._vectors.put_many(self.model, fresh)
            found.update(fresh)
            log.debug("Embedded %d new vectors (%d reused)", len(fresh), len(wanted) - len(fresh))
        dim = self._encoder.dim
        for entry in prepared:
            for side, sentences in entry.sentences.items():
                entry.raw[side] = {}
                for role in self._roles[side]:
                    rows = [found[vector_key(self.model, role, s)] for s in sentences]
                    entry.raw[side][role] = (
                        np.asarray(rows, dtype=np.float32).reshape(-1, dim)
                        if rows
                        else np.zeros((0, dim), dtype=np.float32)
                    )
        return prepared, len(fresh)

    # ---------------------------------------------------------------------------- bookkeeping
    def _forget(self, company_id: str) -> None:
        old = self._entries.pop(company_id, None)
        if old is None:
            return
        for side, raw in old.raw.items():
            self._stats.remove(side, old.language, raw)
        self._store.remove(company_id)

    def _centered(self, entry: IndexedCompany) -> dict[str, FloatArray]:
        """Return the ensemble rows of a company's need and offer sentences."""
        return {
            side: self._stats.transform(side, entry.language, entry.raw[side])
            for side in (NEED, OFFER)
        }

    def _indexed(self, entry: IndexedCompany) -> dict[str, FloatArray]:
        """Return what the FAISS indexes hold: the first role pair's centered vectors."""
        return {side: self._stats.primary(rows) for side, rows in self._centered(entry).items()}

    def _put(self, entries: Sequence[IndexedCompany]) -> None:
        for entry in entries:
            self._forget(entry.company_id)
            self._entries[entry.company_id] = entry
            for side, raw in entry.raw.items():
                self._stats.add(side, entry.language, raw)
        total = self._stats.count
        drift = abs(total - self._centered_count) / max(1, self._centered_count)
        if drift > RECENTER_DRIFT or self._centered_count == 0:
            self._recenter()
        else:
            self._store.put_many((entry.company_id, self._indexed(entry)) for entry in entries)
        self._population = None

    def _recenter(self) -> None:
        """Re-center every stored vector with the current statistics (no embedding)."""
        self._store.clear()
        # One FAISS add per side: a bulk import trains its index once, at its final size.
        self._store.put_many((cid, self._indexed(entry)) for cid, entry in self._entries.items())
        self._centered_count = self._stats.count

    def _manifest_extra(self) -> dict[str, Any]:
        return {
            "centering": self._stats.to_dict(),
            "centered_count": self._centered_count,
            "companies": {cid: e.fingerprint for cid, e in self._entries.items()},
        }

    def _save(self) -> None:
        try:
            self._store.save(self._manifest_extra())
        except OSError as exc:
            log.warning("Could not write the index to %s: %s", self._store.directory, exc)

    # -------------------------------------------------------------------------------- loading
    async def load(self) -> None:
        """Load the index folder, or rebuild it when it does not match the repository."""
        async with self._lock:
            await self._load_locked()

    async def _load_locked(self) -> None:
        if self._loaded:
            return
        companies = await self._companies.list()
        try:
            manifest = await asyncio.to_thread(self._store.load)
        except EmbeddingError as exc:
            log.warning("Rebuilding the index: %s", exc.render())
            manifest = None
        except OSError as exc:
            log.warning("Rebuilding the index: it could not be read (%s)", exc)
            manifest = None
        entries = await self._embed(companies)
        expected = {e.company_id: e.fingerprint for e in entries}
        if (
            manifest is not None
            and manifest.get("companies") == expected
            and RoleStats.matches(manifest.get("centering"), self._config, self._adapter)
        ):
            self._stats = RoleStats.from_dict(manifest["centering"], self._config, self._adapter)
            self._entries = {e.company_id: e for e in entries}
            self._centered_count = int(manifest.get("centered_count", 0))
            log.info(
                "Loaded the index of %d companies from %s", len(entries), self._store.directory
            )
        else:
            if manifest is not None and manifest.get("companies") != expected:
                log.info("The index does not match the companies; rebuilding it")
            elif manifest is not None:
                log.info(
                    "The index was built with other roles, adapter or statistics; rebuilding it"
                )
            await asyncio.to_thread(self._replace_all, entries)
        self._loaded = True

    def _replace_all(self, entries: Sequence[IndexedCompany]) -> None:
        self._entries = {}
        self._stats = RoleStats(self._encoder.dim, self._config, adapter=self._adapter)
        self._store.clear()
        self._centered_count = 0
        self._put(entries)
        self._save()

    # ------------------------------------------------------------------------ MatchEngine API
    async def index(self, companies: Sequence[Company]) -> None:
        """Embed (unchanged texts are not embedded again) and index these companies."""
        async with self._lock:
            await self._load_locked()
            entries = await self._embed(companies)
            await asyncio.to_thread(self._put_and_save, entries)

    def _put_and_save(self, entries: Sequence[IndexedCompany]) -> None:
        self._put(entries)
        self._save()

    async def remove(self, company_id: str) -> None:
        """Remove a company from every index."""
        async with self._lock:
            await self._load_locked()
            if company_id in self._entries:
                self._forget(company_id)
                self._population = None
                await asyncio.to_thread(self._save)

    async def rebuild(self) -> None:
        """Rebuild the indexes from the stored vectors (a missing vector is embedded, warned)."""
        async with self._lock:
            companies = await self._companies.list()
            entries, embedded = await self._embed_counted(companies)
            if embedded:
                log.warning("Rebuild embedded %d vectors missing from the vector store", embedded)
            await asyncio.to_thread(self._replace_all, entries)
            self._loaded = True

    async def rank(
        self, company: Company, limit: int, allowed: Callable[[str], bool]
    ) -> list[MatchSuggestion]:
        """Return the best partners for a company among those `allowed` accepts.

        Args:
            company: The viewer (indexed first if the engine does not know it yet).
            limit: At most this many suggestions.
            allowed: Filter on partner ids (declined, blocked, same country...).

        Returns:
            Suggestions, best first, never the company itself.
        """
        async with self._lock:
            await self._load_locked()
            entry = self._entries.get(company.id)
            if entry is None or entry.fingerprint != company_fingerprint(company):
                entry = (await self._embed([company]))[0]
                await asyncio.to_thread(self._put_and_save, [entry])
            return await asyncio.to_thread(self._rank_sync, entry, limit, allowed)

    # -------------------------------------------------------------------------------- scoring
    def _build_population(self) -> _Population:
        if self._population is not None:
            return self._population
        ids = sorted(self._entries)
        centered = {cid: self._centered(self._entries[cid]) for cid in ids}
        stacked: dict[str, FloatArray] = {}
        owner: dict[str, npt.NDArray[np.int64]] = {}
        for side in (NEED, OFFER):
            parts = [centered[cid][side] for cid in ids]
            stacked[side] = (
                np.vstack(parts).astype(np.float32)
                if parts
                else np.zeros((0, self._stats.width), np.float32)
            )
            owner[side] = np.repeat(np.arange(len(ids)), [p.shape[0] for p in parts]).astype(
                np.int64
            )
        population = _Population(
            ids, {cid: i for i, cid in enumerate(ids)}, centered, stacked, owner
        )
        if self._config.csls_k > 0 and 0 < len(ids) <= self._csls_companies:
            matrix = self._direction_matrix(population)
            population.need_hub = hub_scores(matrix, self._config.csls_k, axis=1)
            population.offer_hub = hub_scores(matrix, self._config.csls_k, axis=0)
        self._population = population
        return population

    @staticmethod
    def _direction_matrix(population: _Population) -> npt.NDArray[np.float64]:
        """Return need(row company) -> offer(column company) best sentence scores."""
        n = len(population.ids)
        matrix = np.full((n, n), -np.inf)
        needs, offers = population.stacked[NEED], population.stacked[OFFER]
        if needs.shape[0] == 0 or offers.shape[0] == 0:
            return matrix
        sims = needs @ offers.T
        # Best over offer sentences per owner, then over need sentences per owner.
        by_offer = np.full((needs.shape[0], n), -np.inf)
        np.maximum.at(by_offer.T, population.owner[OFFER], sims.T)
        np.maximum.at(matrix, population.owner[NEED], by_offer)
        np.fill_diagonal(matrix, -np.inf)
        return matrix

    def _candidates(self, mine: dict[str, FloatArray], population: _Population) -> list[int]:
        """Return population positions worth scoring: all of them, or FAISS candidates."""
        n = len(population.ids)
        if n <= self._exact_companies:
            return list(range(n))
        needs, offers = (self._stats.primary(mine[side]) for side in (NEED, OFFER))
        slots = self._store.joint_candidates(needs, offers)
        found: set[str] = set()
        nearest = CANDIDATES
        if slots is not None:
            # Both directions at once (IVF indexes: the joint multi-index of the store), plus
            # fewer nearest sentences of each direction, which the coarse lists of a mid-size
            # event miss (`JOINT_NEAREST`).
            found.update(cid for cid in self._store.slot_companies(slots) if cid)
            nearest = JOINT_NEAREST
        for queries, searched in ((needs, OFFER), (offers, NEED)):
            if queries.shape[0]:
                found.update(self._store.search(searched, queries, nearest))
        return sorted(population.position[cid] for cid in found if cid in population.position)

    def _rank_sync(
        self, entry: IndexedCompany, limit: int, allowed: Callable[[str], bool]
    ) -> list[MatchSuggestion]:
        population = self._build_population()
        me = population.position[entry.company_id]
        mine = population.centered[entry.company_id]
        candidates = np.array(
            [
                i
                for i in self._candidates(mine, population)
                if i != me
                and self._entries[population.ids[i]].status is CompanyStatus.ACTIVE
                and allowed(population.ids[i])
            ],
            dtype=np.int64,
        )
        if candidates.size == 0 or limit <= 0:
            return []
        local = np.full(len(population.ids), -1, dtype=np.int64)
        local[candidates] = np.arange(candidates.size)
        pairs: dict[str, tuple[BestPairs, npt.NDArray[np.int64]]] = {}
        for query_side, key_side in ((NEED, OFFER), (OFFER, NEED)):
            owner = population.owner[key_side]
            keep = local[owner] >= 0
            if 2 * int(keep.sum()) >= owner.shape[0]:
                # Most rows are candidates (the exact path): score all of them in place rather
                # than copying the wide ensemble rows; the others go to one discarded owner.
                rows = np.arange(owner.shape[0], dtype=np.int64)
                every = best_pairs(
                    mine[query_side],
                    population.stacked[key_side],
                    np.where(keep, local[owner], candidates.size),
                    candidates.size + 1,
                )
                found = BestPairs(every.scores[:-1], every.query_index[:-1], every.key_index[:-1])
            else:
                rows = np.flatnonzero(keep)
                found = best_pairs(
                    mine[query_side],
                    population.stacked[key_side][rows],
                    local[owner[rows]],
                    candidates.size,
                )
            pairs[key_side] = (found, rows)
        n2o, offer_rows = pairs[OFFER]
        o2n, need_rows = pairs[NEED]
        there_all = np.where(np.isfinite(n2o.scores), n2o.scores, 0.0)
        back_all = np.where(np.isfinite(o2n.scores), o2n.scores, 0.0)
        partners = [self._entries[population.ids[i]] for i in candidates.tolist()]
        bonus = np.array(
            [
                adjustment(
                    bool(entry.section) and entry.section == p.section, p.no_shows, self._config
                )
                for p in partners
            ]
        )
        order = there_all + back_all + bonus
        need_hub, offer_hub = population.need_hub, population.offer_hub
        if need_hub is not None and offer_hub is not None:
            # CSLS on both directions. The viewer's own hub scores are the same for every
            # partner, so only each partner's, taken relative to the event's mean, is subtracted:
            # same order, and the score stays on the scale of the plain combined score.
            partner_hub = (need_hub + offer_hub) / 2
            order -= partner_hub[candidates] - float(partner_hub.mean())
        order = np.where(np.isfinite(n2o.scores) | np.isfinite(o2n.scores), order, -np.inf)
        top = np.argsort(-order, kind="stable")[:limit]
        suggestions: list[MatchSuggestion] = []
        for j in top.tolist():
            if not np.isfinite(order[j]):
                break
            i = int(candidates[j])
            partner = partners[j]
            there, back = float(there_all[j]), float(back_all[j])
            same_section = bool(entry.section) and entry.section == partner.section
            reason = MatchReason(
                your_need=self._sentence(
                    entry, NEED, n2o.query_index[j], np.isfinite(n2o.scores[j])
                ),
                their_offer=self._their(partner, OFFER, offer_rows, n2o, j, population, i),
                their_need=self._their(partner, NEED, need_rows, o2n, j, population, i),
                your_offer=self._sentence(
                    entry, OFFER, o2n.query_index[j], np.isfinite(o2n.scores[j])
                ),
                their_language=partner.language,
            )
            suggestions.append(
                MatchSuggestion(
                    company_id=entry.company_id,
                    partner_id=partner.company_id,
                    # What the list is ranked by (CSLS included), clipped into [0, 1].
                    score=float(min(1.0, max(0.0, order[j]))),
                    need_to_offer=max(0.0, min(1.0, there)),
                    offer_to_need=max(0.0, min(1.0, back)),
                    mutual=is_mutual(there, back, self._config),
                    reason=reason,
                    interpreter_needed=not shares_language(entry.languages, partner.languages),
                    same_section=same_section,
                )
            )
        return suggestions

    @staticmethod
    def _sentence(entry: IndexedCompany, side: str, index: Any, found: Any) -> str:
        return entry.sentences[side][int(index)] if bool(found) else ""

    @staticmethod
    def _their(
        partner: IndexedCompany,
        side: str,
        rows: npt.NDArray[np.int64],
        pairs: BestPairs,
        j: int,
        population: _Population,
        i: int,
    ) -> str:
        if not np.isfinite(pairs.scores[j]):
            return ""
        row = int(rows[int(pairs.key_index[j])])
        first = int(np.searchsorted(population.owner[side], i))
        return partner.sentences[side][row - first]
