"""All SQL repositories of one database, bundled for the application to wire in.

```python
db = Database(settings.resolved_database_url)
await db.upgrade()
repos = Repositories.create(db)
await repos.companies.upsert(company)
```
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from storage.db import Database
from storage.repos.companies import SqlCompanyRepository, SqlPreferenceRepository
from storage.repos.dialogs import SqlDialogStateStore
from storage.repos.interpreters import SqlInterpreterRepository
from storage.repos.jobs import SqlJobStore
from storage.repos.meetings import SqlMeetingRepository, SqlOutcomeRepository
from storage.repos.requests import SqlRequestRepository
from storage.repos.vectors import SqlVectorStore

__all__ = [
    "Repositories",
    "SqlCompanyRepository",
    "SqlDialogStateStore",
    "SqlInterpreterRepository",
    "SqlJobStore",
    "SqlMeetingRepository",
    "SqlOutcomeRepository",
    "SqlPreferenceRepository",
    "SqlRequestRepository",
    "SqlVectorStore",
]


@dataclass(frozen=True, slots=True)
class Repositories:
    """Every repository and store of `matchmaking.ports`, on one database."""

    companies: SqlCompanyRepository
    preferences: SqlPreferenceRepository
    requests: SqlRequestRepository
    meetings: SqlMeetingRepository
    outcomes: SqlOutcomeRepository
    vectors: SqlVectorStore
    dialogs: SqlDialogStateStore
    jobs: SqlJobStore
    interpreters: SqlInterpreterRepository

    @classmethod
    def create(cls, db: Database, *, slot_minutes: int = 5) -> Repositories:
        """Build every repository on a database.

        Args:
            db: The database (migrated with `await db.upgrade()`).
            slot_minutes: Grid step the meeting repository detects overlaps with.

        Returns:
            The bundle.
        """
        return cls(
            companies=SqlCompanyRepository(db),
            preferences=SqlPreferenceRepository(db),
            requests=SqlRequestRepository(db),
            meetings=SqlMeetingRepository(db, slot_minutes=slot_minutes),
            outcomes=SqlOutcomeRepository(db),
            vectors=SqlVectorStore(db),
            dialogs=SqlDialogStateStore(db),
            jobs=SqlJobStore(db),
            interpreters=SqlInterpreterRepository(db),
        )


if TYPE_CHECKING:
    from matchmaking import ports

    def _conforms_to_ports(repos: Repositories) -> None:
        """Let mypy check that each class is accepted where its Protocol is expected."""
        companies: ports.CompanyRepository = repos.companies
        preferences: ports.PreferenceRepository = repos.preferences
        requests: ports.RequestRepository = repos.requests
        meetings: ports.MeetingRepository = repos.meetings
        outcomes: ports.OutcomeRepository = repos.outcomes
        vectors: ports.VectorStore = repos.vectors
        dialogs: ports.DialogStateStore = repos.dialogs
        jobs: ports.JobStore = repos.jobs
        interpreters: ports.InterpreterRepository = repos.interpreters
        del companies, preferences, requests, meetings, outcomes, vectors, dialogs, jobs
        del interpreters
