"""Notices: things a participant must be told outside of their own conversation.

Services return notices; the dialog layer renders each one in the recipient's language and time
zone, and a channel delivers it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from matchmaking.models import Company


class NoticeKind(StrEnum):
    """What happened."""

    REQUEST_RECEIVED = "request_received"
    REQUEST_ACCEPTED = "request_accepted"
    REQUEST_DECLINED = "request_declined"
    REQUEST_EXPIRED = "request_expired"
    MEETING_BOOKED = "meeting_booked"
    MEETING_CANCELLED = "meeting_cancelled"
    MEETING_MOVED = "meeting_moved"
    REMINDER_24H = "reminder_24h"
    REMINDER_15M = "reminder_15m"
    ASK_HELD = "ask_held"
    ASK_OUTCOME = "ask_outcome"
    FOLLOW_UP = "follow_up"
    NEW_MATCHES = "new_matches"
    PARTNER_LEFT = "partner_left"
    SLOT_FREED = "slot_freed"
    BROADCAST = "broadcast"


@dataclass(frozen=True, slots=True)
class Notice:
    """A message owed to one company.

    Attributes:
        kind: What happened.
        company_id: Who must be told.
        partner_id: The other company involved, if any.
        request_id: The meeting request involved, if any.
        meeting_id: The meeting involved, if any.
        data: Extra values for rendering (e.g. partner ids of new matches, broadcast text).
    """

    kind: NoticeKind
    company_id: str
    partner_id: str = ""
    request_id: int | None = None
    meeting_id: int | None = None
    data: dict[str, object] = field(default_factory=dict)


def partner_left(company_name: str, told: Iterable[tuple[Company, datetime]]) -> list[Notice]:
    """Return the notices owed to the partners of a deleted company's cancelled meetings.

    Args:
        company_name: The deleted company's name (it is gone when the notice is rendered).
        told: What `CompanyService.delete` returns: each partner and the meeting's start.
    """
    return [
        Notice(NoticeKind.PARTNER_LEFT, partner.id,
               data={"partner_name": company_name, "when": start.isoformat()})
        for partner, start in told
    ]  # fmt: skip


def notice_payload(notice: Notice) -> dict[str, Any]:
    """Return a notice as a JSON-ready dict (a stored job's payload)."""
    return {
        "kind": notice.kind.value,
        "company_id": notice.company_id,
        "partner_id": notice.partner_id,
        "request_id": notice.request_id,
        "meeting_id": notice.meeting_id,
        "data": dict(notice.data),
    }


def notice_from_payload(payload: Mapping[str, Any]) -> Notice:
    """Return the notice `notice_payload` stored."""
    request_id, meeting_id = payload.get("request_id"), payload.get("meeting_id")
    return Notice(
        NoticeKind(str(payload["kind"])),
        str(payload["company_id"]),
        str(payload.get("partner_id") or ""),
        int(request_id) if request_id is not None else None,
        int(meeting_id) if meeting_id is not None else None,
        dict(payload.get("data") or {}),
    )
