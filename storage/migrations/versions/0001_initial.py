"""Initial schema: companies, preferences, requests, meetings and their slots, outcomes,
text embeddings, dialog states, jobs and interpreters.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "companies",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("country", sa.String(length=64), nullable=False),
        sa.Column("offer", sa.Text(), nullable=False),
        sa.Column("need", sa.Text(), nullable=False),
        sa.Column("city", sa.String(length=200), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("section", sa.String(length=64), nullable=False),
        sa.Column("profile_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.String(length=16), nullable=True),
        sa.Column("website", sa.String(length=500), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("event_code", sa.String(length=64), nullable=False),
        sa.Column("no_shows", sa.Integer(), nullable=False),
        sa.Column("meetings_held", sa.Integer(), nullable=False),
        sa.Column("hours_start", sa.Time(), nullable=True),
        sa.Column("hours_end", sa.Time(), nullable=True),
        sa.Column("blocked", sa.JSON(), nullable=False),
        sa.Column("max_meetings_per_day", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_companies")),
        sa.UniqueConstraint("external_id", name=op.f("uq_companies_external_id")),
        sa.UniqueConstraint("user_id", name=op.f("uq_companies_user_id")),
    )
    op.create_index(op.f("ix_companies_event_code"), "companies", ["event_code"])
    op.create_index(op.f("ix_companies_status"), "companies", ["status"])

    op.create_table(
        "declined_pairs",
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("company_id", "partner_id", name=op.f("pk_declined_pairs")),
    )
    op.create_index(op.f("ix_declined_pairs_partner_id"), "declined_pairs", ["partner_id"])

    op.create_table(
        "meeting_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("requester_id", sa.String(length=64), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("expires_at", UTC_TIMESTAMP, nullable=True),
        sa.Column("answered_at", UTC_TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_requests")),
    )
    for column in ("partner_id", "requester_id", "status"):
        op.create_index(op.f(f"ix_meeting_requests_{column}"), "meeting_requests", [column])

    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("company_a", sa.String(length=64), nullable=False),
        sa.Column("company_b", sa.String(length=64), nullable=False),
        sa.Column("starts_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("ends_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("video_link", sa.String(length=500), nullable=False),
        sa.Column("interpreter_needed", sa.Boolean(), nullable=False),
        sa.Column("interpreter_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    for column in ("company_a", "company_b", "request_id", "starts_at", "status"):
        op.create_index(op.f(f"ix_meetings_{column}"), "meetings", [column])

    op.create_table(
        "meeting_slots",
        sa.Column("company_id", sa.String(length=64), nullable=False),
        sa.Column("slot_start", UTC_TIMESTAMP, nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_slots_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("company_id", "slot_start", name=op.f("pk_meeting_slots")),
    )
    op.create_index(op.f("ix_meeting_slots_meeting_id"), "meeting_slots", ["meeting_id"])

    op.create_table(
        "outcomes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("reported_by", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes")),
    )
    op.create_index(op.f("ix_outcomes_meeting_id"), "outcomes", ["meeting_id"])

    op.create_table(
        "text_embeddings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_embeddings")),
        sa.UniqueConstraint("model", "key", name=op.f("uq_text_embeddings_model_key")),
    )

    op.create_table(
        "dialog_states",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC_TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_dialog_states")),
    )

    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("due_at", UTC_TIMESTAMP, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_due_at"), "jobs", ["due_at"])
    op.create_index(
        "uq_jobs_pending_key",
        "jobs",
        ["key"],
        unique=True,
        sqlite_where=sa.text("NOT done"),
        postgresql_where=sa.text("NOT done"),
    )

    op.create_table(
        "interpreters",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("language_pairs", sa.JSON(), nullable=False),
        sa.Column("available", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interpreters")),
    )


def downgrade() -> None:
    """Drop every table (indexes go with them)."""
    for table in (
        "interpreters",
        "jobs",
        "dialog_states",
        "text_embeddings",
        "outcomes",
        "meeting_slots",
        "meetings",
        "meeting_requests",
        "declined_pairs",
        "companies",
    ):
        op.drop_table(table)
