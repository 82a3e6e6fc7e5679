"""Calendar invitations parse with a real iCalendar library; video links are unguessable."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import icalendar

from matchmaking.ics import escape_text, fold, meeting_to_ics
from matchmaking.models import Meeting
from matchmaking.video import make_video_link

START = datetime(2026, 6, 16, 8, 0, tzinfo=UTC)
END = datetime(2026, 6, 16, 8, 30, tzinfo=UTC)
STAMP = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def sample(**kw: object) -> Meeting:
    base: dict[str, object] = {
        "video_link": "https://meet.jit.si/matchbot-abc",
        "sequence": 2,
        "uid": "meeting-42@matchbot",
        "id": 42,
    }
    base.update(kw)
    return Meeting(7, "cn1", "pl1", START, END, **base)  # type: ignore[arg-type]


def parse(data: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def test_invitation_has_the_fields_calendar_clients_need() -> None:
    data = meeting_to_ics(
        sample(),
        "Matchbot",
        [("Wang Li", "li@example.cn"), ("Anna", None)],
        "Meeting: Wang Li / Anna",
        "Talk about pumps",
        now=STAMP,
    )
    cal = parse(data)
    assert cal["METHOD"] == "REQUEST" and "matchbot" in str(cal["PRODID"])
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == "meeting-42@matchbot"
    assert event.decoded("DTSTART") == START and event.decoded("DTEND") == END
    assert event.decoded("DTSTAMP") == STAMP
    assert int(event["SEQUENCE"]) == 2
    assert str(event["URL"]) == "https://meet.jit.si/matchbot-abc"
    assert str(event["LOCATION"]) == "https://meet.jit.si/matchbot-abc"
    assert str(event["STATUS"]) == "CONFIRMED"
    attendees = event["ATTENDEE"]
    assert [str(a) for a in attendees][0] == "mailto:li@example.cn"
    assert attendees[1].params["CN"] == "Anna"
    assert event["ORGANIZER"].params["CN"] == "Matchbot"
    assert b"DTSTART:20260616T080000Z\r\n" in data


def test_cancellation_keeps_the_uid() -> None:
    data = meeting_to_ics(sample(sequence=3), "Matchbot", [], "x", "", method="CANCEL", now=STAMP)
    cal = parse(data)
    (event,) = cal.walk("VEVENT")
    assert cal["METHOD"] == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == "meeting-42@matchbot" and int(event["SEQUENCE"]) == 3


def test_uid_falls_back_to_the_meeting_id() -> None:
    cal = parse(meeting_to_ics(sample(uid=""), "M", [], "x", "", now=STAMP))
    assert str(cal.walk("VEVENT")[0]["UID"]) == "meeting-42@matchbot"


def test_special_characters_round_trip_and_lines_fold_at_75_octets() -> None:
    text = "Pompy, zawory; ciśnienie \\ 压力泵\n第二行 " + "长" * 60
    data = meeting_to_ics(
        sample(), 'Org; Ltd, "X"', [("Łukasz, Sp. z o.o.", None)], text, text, now=STAMP
    )
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    assert b"\n" not in data.replace(b"\r\n", b"")
    data.decode("utf-8")  # folding never splits a character
    (event,) = parse(data).walk("VEVENT")
    assert str(event["SUMMARY"]) == text and str(event["DESCRIPTION"]) == text
    assert event["ATTENDEE"].params["CN"] == "Łukasz, Sp. z o.o."


def test_escape_and_fold_helpers() -> None:
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    folded = fold("X:" + "é" * 80)
    assert all(len(part) <= 75 for part in folded.split(b"\r\n"))
    assert folded.replace(b"\r\n ", b"").decode() == "X:" + "é" * 80 + "\r\n"


def test_video_link_fills_an_unguessable_url_safe_room() -> None:
    link = make_video_link("https://meet.jit.si/matchbot-{room}")
    room = link.removeprefix("https://meet.jit.si/matchbot-")
    assert len(room) * 6 >= 128
    assert all(ch.isalnum() or ch in "-_" for ch in room)
    assert make_video_link("https://meet.jit.si/matchbot-{room}") != link
    assert make_video_link("https://video.example/").startswith("https://video.example/")

    class Fixed:
        def token_urlsafe(self, nbytes: int | None = None) -> str:
            return "r" * (nbytes or 0) + str(random.Random(1).randint(0, 9))

    assert make_video_link("x/{room}", Fixed()) == "x/" + "r" * 18 + "2"
