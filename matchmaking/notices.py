"""Notices: things a participant must be told outside of their own conversation.

Services return notices; the dialog layer renders each one in the recipient's language and time
zone, and a channel delivers it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


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
