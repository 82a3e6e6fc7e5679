"""Ports: what the domain needs from the outside world, as Protocols.

Adapters live in `storage/` (repositories), `embeddings/` (encoders, index) and `bot/` (notifier,
clock). Unit tests use in-memory fakes (see `tests/fakes.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from matchmaking.models import (
    Company,
    CompanyStatus,
    Interpreter,
    Job,
    MatchSuggestion,
    Meeting,
    MeetingRequest,
    MeetingStatus,
    Outcome,
    RequestStatus,
)

FloatArray = npt.NDArray[np.float32]


class Clock(Protocol):
    """Tells the time (UTC)."""

    def now(self) -> datetime:
        """Return the current aware UTC time."""
        ...


class CompanyRepository(Protocol):
    """Stores companies."""

    async def get(self, company_id: str) -> Company | None:
        """Return the company or None."""
        ...

    async def get_by_user(self, user_id: int) -> Company | None:
        """Return the company registered by a chat user, or None."""
        ...

    async def upsert(self, company: Company) -> bool:
        """Insert or update a company; return True when it was new."""
        ...

    async def list(
        self, status: CompanyStatus | None = None, event_code: str | None = None
    ) -> list[Company]:
        """Return companies, optionally filtered, ordered by id."""
        ...

    async def delete(self, company_id: str) -> None:
        """Delete a company and everything stored about it."""
        ...

    async def count(self) -> int:
        """Return how many companies are stored."""
        ...


class PreferenceRepository(Protocol):
    """Stores 'not interested' answers and blocks between companies."""

    async def add_declined(self, company_id: str, partner_id: str) -> None:
        """Remember that a company does not want this partner suggested again."""
        ...

    async def declined_by(self, company_id: str) -> set[str]:
        """Return the partners a company declined or blocked (either direction)."""
        ...


class RequestRepository(Protocol):
    """Stores meeting requests."""

    async def add(self, request: MeetingRequest) -> MeetingRequest:
        """Store a new request and return it with its id."""
        ...

    async def get(self, request_id: int) -> MeetingRequest | None:
        """Return a request or None."""
        ...

    async def update(self, request: MeetingRequest) -> None:
        """Store a changed request."""
        ...

    async def list_for(
        self, company_id: str, status: RequestStatus | None = None
    ) -> list[MeetingRequest]:
        """Return requests a company sent or received."""
        ...

    async def list_by_status(self, status: RequestStatus) -> list[MeetingRequest]:
        """Return all requests in a status."""
        ...

    async def count_sent_since(self, company_id: str, since: datetime) -> int:
        """Return how many requests a company sent since a time."""
        ...


class MeetingRepository(Protocol):
    """Stores meetings. `book` is atomic: no participant is ever double-booked."""

    async def book(self, meeting: Meeting) -> Meeting:
        """Store a meeting unless either side already has one overlapping it.

        Raises:
            ConflictError: If the slot is no longer free for either participant.
        """
        ...

    async def get(self, meeting_id: int) -> Meeting | None:
        """Return a meeting or None."""
        ...

    async def update(self, meeting: Meeting) -> None:
        """Store a changed meeting."""
        ...

    async def list_for(
        self, company_id: str, statuses: Sequence[MeetingStatus] | None = None
    ) -> list[Meeting]:
        """Return a company's meetings ordered by start."""
        ...

    async def list_all(self, statuses: Sequence[MeetingStatus] | None = None) -> list[Meeting]:
        """Return all meetings ordered by start."""
        ...


class OutcomeRepository(Protocol):
    """Stores meeting outcomes."""

    async def add(self, outcome: Outcome) -> Outcome:
        """Store an outcome."""
        ...

    async def list_all(self) -> list[Outcome]:
        """Return all outcomes."""
        ...


class Encoder(Protocol):
    """Turns texts into L2-normalized vectors."""

    @property
    def name(self) -> str:
        """Return the model name stored with every index built from it."""
        ...

    @property
    def dim(self) -> int:
        """Return the vector dimension."""
        ...

    def encode_queries(self, texts: Sequence[str]) -> FloatArray:
        """Embed needs (the `query` role)."""
        ...

    def encode_passages(self, texts: Sequence[str]) -> FloatArray:
        """Embed offers (the `passage` role)."""
        ...


class MatchEngine(Protocol):
    """Embeds companies' texts, keeps the indexes, and ranks candidate partners."""

    async def index(self, companies: Sequence[Company]) -> None:
        """Embed (unchanged texts are not embedded again) and index these companies."""
        ...

    async def remove(self, company_id: str) -> None:
        """Remove a company from every index."""
        ...

    async def rebuild(self) -> None:
        """Rebuild the indexes from the stored vectors, without embedding again."""
        ...

    async def rank(
        self, company: Company, limit: int, allowed: Callable[[str], bool]
    ) -> list[MatchSuggestion]:
        """Return the best partners for a company among those `allowed` accepts."""
        ...


class Notifier(Protocol):
    """Sends a message to a participant outside of the current conversation."""

    async def notify(self, user_id: int, payload: Any) -> None:
        """Deliver a rendered payload (the channel knows how) to a chat user."""
        ...


class VectorStore(Protocol):
    """Keeps every embedded sentence, keyed by model and a hash of role + text.

    Embedding a text that has not changed is never done twice, and the indexes can be rebuilt
    from here without embedding anything.
    """

    async def get_many(self, model: str, keys: Sequence[str]) -> dict[str, FloatArray]:
        """Return the stored vectors among `keys`."""
        ...

    async def put_many(self, model: str, items: Mapping[str, FloatArray]) -> None:
        """Store vectors by key (existing keys are left as they are)."""
        ...


class DialogStateStore(Protocol):
    """Keeps each chat user's dialog state, written after every step."""

    async def load(self, user_id: int) -> dict[str, Any] | None:
        """Return the stored state (JSON-compatible) or None."""
        ...

    async def save(self, user_id: int, state: dict[str, Any]) -> None:
        """Store the state."""
        ...

    async def delete(self, user_id: int) -> None:
        """Forget the state."""
        ...


class JobStore(Protocol):
    """Persistent jobs (reminders, expiries, follow-ups)."""

    async def put(self, job: Job) -> Job:
        """Add a job, replacing a pending one with the same key."""
        ...

    async def due(self, now: datetime, limit: int = 100) -> list[Job]:
        """Return pending jobs whose time has come, oldest first."""
        ...

    async def mark_done(self, job_id: int) -> None:
        """Mark a job as done."""
        ...

    async def cancel(self, key_prefix: str) -> int:
        """Cancel pending jobs whose key starts with a prefix; return how many."""
        ...


class InterpreterRepository(Protocol):
    """The organizer's pool of interpreters."""

    async def list(self) -> list[Interpreter]:
        """Return all interpreters."""
        ...

    async def upsert(self, interpreter: Interpreter) -> None:
        """Add or change an interpreter."""
        ...

    async def delete(self, interpreter_id: str) -> None:
        """Remove an interpreter."""
        ...
