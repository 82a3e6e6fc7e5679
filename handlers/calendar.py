"""Calendar files (.ics) for booked meetings, in the recipient's language."""

from __future__ import annotations

from datetime import datetime

from handlers.types import Document
from matchmaking.ics import meeting_to_ics
from matchmaking.models import Company, Meeting


def meeting_document(
    meeting: Meeting,
    viewer: Company,
    partner: Company | None,
    title: str,
    description: str,
    now: datetime,
    organizer: str = "",
) -> Document:
    """Return the .ics invitation of a meeting as a document to send.

    Args:
        meeting: The meeting (UTC times, video link, uid, sequence).
        viewer: The participant who receives the file.
        partner: The other participant, if still registered.
        title: The event title, already translated.
        description: The event description, already translated.
        now: The time stamp of the file.
        organizer: Shown as the organizer (the event's name).
    """
    attendees: list[tuple[str, str | None]] = [(viewer.name, None)]
    if partner is not None:
        attendees.append((partner.name, None))
    content = meeting_to_ics(
        meeting, organizer or "matchbot", attendees, title, description, now=now
    )
    return Document(f"meeting-{meeting.id}.ics", content, "text/calendar")
