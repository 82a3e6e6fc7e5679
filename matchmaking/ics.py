"""Calendar invitations (RFC 5545 iCalendar text), written with the standard library only.

One VEVENT per meeting, its UID stable across changes; the caller bumps `Meeting.sequence` on
every change so calendar clients replace the earlier version. Times are written in UTC (`...Z`),
so no VTIMEZONE is needed and every client shows the participant's own local time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

from matchmaking.models import Meeting, utcnow

PRODID = "-//matchbot//China-CEE SME Matchmaking//EN"
_LINE_OCTETS = 75


def meeting_uid(meeting: Meeting) -> str:
    """Return the meeting's calendar UID: `meeting.uid`, else one derived from its id."""
    if meeting.uid:
        return meeting.uid
    key = meeting.id if meeting.id is not None else f"r{meeting.request_id}"
    return f"meeting-{key}@matchbot"


def escape_text(value: str) -> str:
    r"""Escape a TEXT value: backslash, semicolon, comma and newlines (RFC 5545 3.3.11)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def _param(value: str) -> str:
    """Return a parameter value, quoted when needed (quotes themselves are not allowed)."""
    value = value.replace('"', "'").replace("\r", " ").replace("\n", " ")
    return f'"{value}"' if any(ch in value for ch in ":;,") else value


def fold(line: str) -> bytes:
    """Return one content line folded at 75 octets (never inside a UTF-8 character), CRLF-ended."""
    data = line.encode("utf-8")
    parts: list[bytes] = []
    limit = _LINE_OCTETS
    while len(data) > limit:
        cut = limit
        while cut > 0 and (data[cut] & 0xC0) == 0x80:
            cut -= 1
        parts.append(data[:cut])
        data = data[cut:]
        limit = _LINE_OCTETS - 1
    parts.append(data)
    return b"\r\n ".join(parts) + b"\r\n"


def _utc(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def meeting_to_ics(
    meeting: Meeting,
    organizer_name: str,
    attendees: Sequence[tuple[str, str | None]],
    summary: str,
    description: str,
    method: Literal["REQUEST", "CANCEL"] = "REQUEST",
    *,
    organizer_email: str | None = None,
    now: datetime | None = None,
) -> bytes:
    """Return an iCalendar invitation (or cancellation) for a meeting.

    Args:
        meeting: The meeting (UTC start and end, video link, sequence, uid).
        organizer_name: Shown as the organizer.
        attendees: `(name, email or None)` per participant; without an email the attendee is
            written with a `urn:matchbot:` address so calendar clients still list the name.
        summary: Title (already in the recipient's language).
        description: Body text (already in the recipient's language).
        method: "REQUEST" for a new or changed meeting, "CANCEL" to cancel it.
        organizer_email: The organizer's address, if there is one to show.
        now: DTSTAMP (default: the clock).

    Returns:
        UTF-8 bytes with CRLF line ends, lines folded at 75 octets.
    """
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{meeting_uid(meeting)}",
        f"DTSTAMP:{_utc(now or utcnow())}",
        f"DTSTART:{_utc(meeting.start)}",
        f"DTEND:{_utc(meeting.end)}",
        f"SEQUENCE:{meeting.sequence}",
        f"SUMMARY:{escape_text(summary)}",
    ]
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    if meeting.video_link:
        lines.append(f"LOCATION:{escape_text(meeting.video_link)}")
        lines.append(f"URL:{meeting.video_link}")
    organizer = f"mailto:{organizer_email}" if organizer_email else "urn:matchbot:organizer"
    lines.append(f"ORGANIZER;CN={_param(organizer_name)}:{organizer}")
    for k, (name, email) in enumerate(attendees):
        address = f"mailto:{email}" if email else f"urn:matchbot:attendee-{k + 1}"
        lines.append(
            f"ATTENDEE;CN={_param(name)};ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:{address}"
        )
    lines.append("STATUS:CANCELLED" if method == "CANCEL" else "STATUS:CONFIRMED")
    lines += ["TRANSP:OPAQUE", "END:VEVENT", "END:VCALENDAR"]
    return b"".join(fold(line) for line in lines)
