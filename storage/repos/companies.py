"""Companies and the partners they declined."""

from __future__ import annotations

import builtins

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from matchmaking.errors import ConflictError
from matchmaking.models import (
    Company,
    CompanySize,
    CompanyStatus,
    MeetingStatus,
    ProfileType,
    RequestStatus,
    utcnow,
)
from storage.db import Database
from storage.repos.common import as_utc, intervals_from_json, intervals_to_json, upsert_insert
from storage.tables import (
    CompanyRow,
    DeclinedPairRow,
    MeetingRequestRow,
    MeetingRow,
    MeetingSlotRow,
)

# Meetings of a deleted company that are cancelled (held ones stay in the history).
_UPCOMING = (MeetingStatus.PROPOSED.value, MeetingStatus.SCHEDULED.value)


def _fill(row: CompanyRow, company: Company) -> None:
    row.external_id = company.id
    row.name = company.name
    row.country = company.country
    row.offer = company.offer
    row.need = company.need
    row.city = company.city
    row.languages = list(company.languages)
    row.locale = company.locale
    row.timezone = company.timezone
    row.section = company.section
    row.profile_type = company.profile_type.value
    row.size = company.size.value if company.size is not None else None
    row.website = company.website
    row.contact = company.contact
    row.status = company.status.value
    row.user_id = company.user_id
    row.event_code = company.event_code
    row.no_shows = company.no_shows
    row.meetings_held = company.meetings_held
    row.hours_start = company.hours_start
    row.hours_end = company.hours_end
    row.blocked = intervals_to_json(company.blocked)
    row.max_meetings_per_day = company.max_meetings_per_day
    row.created_at = company.created_at
    row.updated_at = company.updated_at


def _to_company(row: CompanyRow) -> Company:
    return Company(
        id=row.external_id,
        name=row.name,
        country=row.country,
        offer=row.offer,
        need=row.need,
        city=row.city,
        languages=tuple(row.languages),
        locale=row.locale,
        timezone=row.timezone,
        section=row.section,
        profile_type=ProfileType(row.profile_type),
        size=CompanySize(row.size) if row.size is not None else None,
        website=row.website,
        contact=row.contact,
        status=CompanyStatus(row.status),
        user_id=row.user_id,
        event_code=row.event_code,
        no_shows=row.no_shows,
        meetings_held=row.meetings_held,
        hours_start=row.hours_start,
        hours_end=row.hours_end,
        blocked=intervals_from_json(row.blocked),
        max_meetings_per_day=row.max_meetings_per_day,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


class SqlCompanyRepository:
    """`CompanyRepository` on a SQL database.

    Args:
        db: The database.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, company_id: str) -> Company | None:
        """Return the company or None."""
        async with self._db.sessions() as session:
            row = await session.scalar(
                select(CompanyRow).where(CompanyRow.external_id == company_id)
            )
            return _to_company(row) if row is not None else None

    async def get_by_user(self, user_id: int) -> Company | None:
        """Return the company registered by a chat user, or None."""
        async with self._db.sessions() as session:
            row = await session.scalar(select(CompanyRow).where(CompanyRow.user_id == user_id))
            return _to_company(row) if row is not None else None

    async def upsert(self, company: Company) -> bool:
        """Insert or update a company; return True when it was new.

        Raises:
            ConflictError: If another company is already linked to the same chat user.
        """
        for attempt in range(2):
            try:
                async with self._db.begin() as session:
                    row = await session.scalar(
                        select(CompanyRow).where(CompanyRow.external_id == company.id)
                    )
                    new = row is None
                    if row is None:
                        row = CompanyRow()
                        session.add(row)
                    _fill(row, company)
                return new
            except IntegrityError as exc:
                # A concurrent insert of the same id: the second attempt updates it.
                # Failing again means the chat user belongs to another company.
                if attempt == 1:
                    raise ConflictError(
                        "This chat account is already linked to another company."
                    ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def list(
        self, status: CompanyStatus | None = None, event_code: str | None = None
    ) -> builtins.list[Company]:
        """Return companies, optionally filtered, ordered by id."""
        query = select(CompanyRow).order_by(CompanyRow.external_id)
        if status is not None:
            query = query.where(CompanyRow.status == status.value)
        if event_code is not None:
            query = query.where(CompanyRow.event_code == event_code)
        async with self._db.sessions() as session:
            return [_to_company(row) for row in await session.scalars(query)]

    async def delete(self, company_id: str) -> None:
        """Delete a company and everything stored about it.

        Its declined pairs (both directions) are deleted; its pending requests (sent or
        received) and its proposed or scheduled meetings are cancelled, which frees the
        partners' slots. Past meetings, outcomes and the dialog state are kept.
        """
        async with self._db.begin() as session:
            await session.execute(delete(CompanyRow).where(CompanyRow.external_id == company_id))
            await session.execute(
                delete(DeclinedPairRow).where(
                    or_(
                        DeclinedPairRow.company_id == company_id,
                        DeclinedPairRow.partner_id == company_id,
                    )
                )
            )
            await session.execute(
                update(MeetingRequestRow)
                .where(
                    MeetingRequestRow.status == RequestStatus.PENDING.value,
                    or_(
                        MeetingRequestRow.requester_id == company_id,
                        MeetingRequestRow.partner_id == company_id,
                    ),
                )
                .values(status=RequestStatus.CANCELLED.value, answered_at=utcnow())
            )
            await _cancel_meetings(session, company_id)

    async def count(self) -> int:
        """Return how many companies are stored."""
        async with self._db.sessions() as session:
            return (await session.scalar(select(func.count()).select_from(CompanyRow))) or 0


async def _cancel_meetings(session: AsyncSession, company_id: str) -> None:
    meeting_ids = builtins.list(
        await session.scalars(
            select(MeetingRow.id).where(
                MeetingRow.status.in_(_UPCOMING),
                or_(MeetingRow.company_a == company_id, MeetingRow.company_b == company_id),
            )
        )
    )
    if not meeting_ids:
        return
    await session.execute(delete(MeetingSlotRow).where(MeetingSlotRow.meeting_id.in_(meeting_ids)))
    await session.execute(
        update(MeetingRow)
        .where(MeetingRow.id.in_(meeting_ids))
        .values(status=MeetingStatus.CANCELLED.value)
    )


class SqlPreferenceRepository:
    """`PreferenceRepository` on a SQL database.

    Args:
        db: The database.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_declined(self, company_id: str, partner_id: str) -> None:
        """Remember that a company does not want this partner suggested again."""
        statement = (
            upsert_insert(self._db, DeclinedPairRow)
            .values(company_id=company_id, partner_id=partner_id)
            .on_conflict_do_nothing()
        )
        async with self._db.begin() as session:
            await session.execute(statement)

    async def declined_by(self, company_id: str) -> set[str]:
        """Return the partners a company declined or blocked, or that declined it."""
        async with self._db.sessions() as session:
            declined = await session.scalars(
                select(DeclinedPairRow.partner_id).where(DeclinedPairRow.company_id == company_id)
            )
            declined_it = await session.scalars(
                select(DeclinedPairRow.company_id).where(DeclinedPairRow.partner_id == company_id)
            )
            return set(declined) | set(declined_it)
