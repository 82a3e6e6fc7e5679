"""Meeting requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, or_, select

from matchmaking.errors import NotFoundError
from matchmaking.models import MeetingRequest, RequestStatus
from storage.db import Database
from storage.repos.common import as_utc
from storage.tables import MeetingRequestRow


def _fill(row: MeetingRequestRow, request: MeetingRequest) -> None:
    row.requester_id = request.requester_id
    row.partner_id = request.partner_id
    row.note = request.note
    row.status = request.status.value
    row.created_at = request.created_at
    row.expires_at = request.expires_at
    row.answered_at = request.answered_at


def _to_request(row: MeetingRequestRow) -> MeetingRequest:
    return MeetingRequest(
        requester_id=row.requester_id,
        partner_id=row.partner_id,
        note=row.note,
        status=RequestStatus(row.status),
        created_at=as_utc(row.created_at),
        expires_at=as_utc(row.expires_at) if row.expires_at is not None else None,
        answered_at=as_utc(row.answered_at) if row.answered_at is not None else None,
        id=row.id,
    )


class SqlRequestRepository:
    """`RequestRepository` on a SQL database.

    Args:
        db: The database.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, request: MeetingRequest) -> MeetingRequest:
        """Store a new request; its new id is set on `request`, which is returned."""
        async with self._db.begin() as session:
            row = MeetingRequestRow()
            _fill(row, request)
            session.add(row)
            await session.flush()
            request.id = row.id
        return request

    async def get(self, request_id: int) -> MeetingRequest | None:
        """Return a request or None."""
        async with self._db.sessions() as session:
            row = await session.get(MeetingRequestRow, request_id)
            return _to_request(row) if row is not None else None

    async def update(self, request: MeetingRequest) -> None:
        """Store a changed request.

        Raises:
            NotFoundError: If the request was never stored.
        """
        if request.id is None:
            raise NotFoundError()
        async with self._db.begin() as session:
            row = await session.get(MeetingRequestRow, request.id)
            if row is None:
                raise NotFoundError()
            _fill(row, request)

    async def list_for(
        self, company_id: str, status: RequestStatus | None = None
    ) -> list[MeetingRequest]:
        """Return requests a company sent or received, oldest first."""
        query = select(MeetingRequestRow).where(
            or_(
                MeetingRequestRow.requester_id == company_id,
                MeetingRequestRow.partner_id == company_id,
            )
        )
        if status is not None:
            query = query.where(MeetingRequestRow.status == status.value)
        return await self._list(query)

    async def list_by_status(self, status: RequestStatus) -> list[MeetingRequest]:
        """Return all requests in a status, oldest first."""
        return await self._list(
            select(MeetingRequestRow).where(MeetingRequestRow.status == status.value)
        )

    async def count_sent_since(self, company_id: str, since: datetime) -> int:
        """Return how many requests (in any status) a company sent since a time."""
        query = (
            select(func.count())
            .select_from(MeetingRequestRow)
            .where(
                MeetingRequestRow.requester_id == company_id,
                MeetingRequestRow.created_at >= since,
            )
        )
        async with self._db.sessions() as session:
            return (await session.scalar(query)) or 0

    async def _list(self, query: Select[MeetingRequestRow]) -> list[MeetingRequest]:
        query = query.order_by(MeetingRequestRow.created_at, MeetingRequestRow.id)
        async with self._db.sessions() as session:
            return [_to_request(row) for row in await session.scalars(query)]
