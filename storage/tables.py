"""Tables, as SQLAlchemy 2 typed declarative models.

`storage/migrations/versions/` must create exactly these (a test compares them). Times are
stored as UTC and always read back as aware UTC datetimes, also on SQLite (see `UTCDateTime`).
Company ids in other tables are the external string ids, without foreign keys, so that history
(requests, meetings, outcomes) outlives a deleted company.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and read back as an aware UTC datetime.

    PostgreSQL stores `timestamptz`; SQLite stores the naive UTC wall time. A naive value
    given to the database is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC (naive UTC on SQLite)."""
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of all tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        time: Time(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
        bytes: LargeBinary(),
    }


class CompanyRow(Base):
    """A participating company (`matchmaking.models.Company`)."""

    __tablename__ = "companies"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    country: Mapped[str] = mapped_column(String(64))
    offer: Mapped[str] = mapped_column(Text, default="")
    need: Mapped[str] = mapped_column(Text, default="")
    city: Mapped[str] = mapped_column(String(200), default="")
    languages: Mapped[list[Any]] = mapped_column(default=list)
    locale: Mapped[str] = mapped_column(String(16), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="")
    section: Mapped[str] = mapped_column(String(64), default="")
    profile_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[str | None] = mapped_column(String(16))
    website: Mapped[str] = mapped_column(String(500), default="")
    contact: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    event_code: Mapped[str] = mapped_column(String(64), default="", index=True)
    no_shows: Mapped[int] = mapped_column(Integer, default=0)
    meetings_held: Mapped[int] = mapped_column(Integer, default=0)
    hours_start: Mapped[time | None]
    hours_end: Mapped[time | None]
    blocked: Mapped[list[Any]] = mapped_column(default=list)
    max_meetings_per_day: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DeclinedPairRow(Base):
    """`company_id` does not want `partner_id` suggested again."""

    __tablename__ = "declined_pairs"

    company_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class MeetingRequestRow(Base):
    """A request to meet (`matchmaking.models.MeetingRequest`)."""

    __tablename__ = "meeting_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    requester_id: Mapped[str] = mapped_column(String(64), index=True)
    partner_id: Mapped[str] = mapped_column(String(64), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]


class MeetingRow(Base):
    """A meeting (`matchmaking.models.Meeting`)."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(Integer, index=True)
    company_a: Mapped[str] = mapped_column(String(64), index=True)
    company_b: Mapped[str] = mapped_column(String(64), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    video_link: Mapped[str] = mapped_column(String(500), default="")
    interpreter_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    interpreter_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    uid: Mapped[str] = mapped_column(String(200), default="")


class MeetingSlotRow(Base):
    """One step of the slot grid taken by a company's meeting.

    The primary key (company, slot start) is what makes double booking impossible, on every
    database and under any concurrency: the second booking's insert fails.
    """

    __tablename__ = "meeting_slots"

    company_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    slot_start: Mapped[datetime] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), index=True
    )


class OutcomeRow(Base):
    """What a participant reported about a meeting (`matchmaking.models.Outcome`)."""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    meeting_id: Mapped[int] = mapped_column(Integer, index=True)
    reported_by: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class TextEmbeddingRow(Base):
    """A stored sentence vector: float32 bytes in native little-endian order."""

    __tablename__ = "text_embeddings"
    __table_args__ = (UniqueConstraint("model", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(128))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes]


class DialogStateRow(Base):
    """A chat user's dialog state."""

    __tablename__ = "dialog_states"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    state: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class JobRow(Base):
    """A persistent job (`matchmaking.models.Job`); a key is unique among pending jobs."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index(
            "uq_jobs_pending_key",
            "key",
            unique=True,
            sqlite_where=text("NOT done"),
            postgresql_where=text("NOT done"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(index=True)
    payload: Mapped[dict[str, Any]]
    done: Mapped[bool] = mapped_column(Boolean, default=False)


class InterpreterRow(Base):
    """An interpreter of the organizer's pool (`matchmaking.models.Interpreter`)."""

    __tablename__ = "interpreters"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    language_pairs: Mapped[list[Any]] = mapped_column(default=list)
    available: Mapped[list[Any]] = mapped_column(default=list)
