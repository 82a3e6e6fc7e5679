"""Two users: request -> partner's card in their language -> accept -> contacts -> time -> booked."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.engine import Dialog
from matchmaking.models import MeetingStatus, OutcomeKind, RequestStatus
from tests.fakes import FakeWorld
from tests.unit.handlers.conftest import Chat, find_button, own, register, text_of, to

PL_USER, CN_USER = 1001, 2002


@pytest.fixture
async def pair(dialog: Dialog) -> tuple[Chat, Chat]:
    """A Polish amber maker (English) and a Chinese distributor (Chinese), both registered."""
    pl = Chat(dialog, PL_USER, "pl")
    cn = Chat(dialog, CN_USER, "zh-hans")
    await register(pl, languages=("pl", "en"))
    await register(
        cn,
        name="上海<琥珀>贸易",
        country="CN",
        offer="We are jewellery distributors with retail shops across China.",
        need="We look for amber jewellery makers in Europe.",
        languages=("zh", "en"),
        locale="zh_Hans",
    )
    return pl, cn


async def request_from_pl(pl: Chat, note: str = "Let us talk about amber.") -> None:
    response = await pl.cmd("/matches")
    await pl.press(find_button(response, "Request a meeting").data)
    if note:
        await pl.say(note)
    else:
        await pl.tap("Send without a note")


async def test_request_reaches_the_partner_in_their_language(pair: tuple[Chat, Chat]) -> None:
    pl, cn = pair
    await request_from_pl(pl, "Let us talk about <amber>.")
    cards = to(pl.last, CN_USER)
    assert len(cards) == 1
    card = cards[0]
    assert "新的会谈请求" in card.text  # "New meeting request" in Chinese
    assert "Baltic Amber Ltd" in card.text
    assert "Let us talk about &lt;amber&gt;." in card.text
    assert {b.data for row in card.buttons for b in row} == {"mt:acc:1", "mt:dec:1"}
    assert "We will tell you when they answer" in text_of(pl.last)


async def test_accept_reveals_contacts_and_booking_confirms_both(
    pair: tuple[Chat, Chat], world: FakeWorld
) -> None:
    pl, cn = pair
    await request_from_pl(pl)
    response = await cn.press("mt:acc:1")
    # the accepting side sees the requester's contacts at once, in Chinese
    assert "anna@amber.example.com" in text_of(response)
    assert find_button(response, "选择时间").data == "mt:slots:1"
    # the requester is told, with contacts and a "Choose a time" button
    told = to(response, PL_USER)
    assert len(told) == 1
    assert "anna@amber.example.com" in told[0].text  # the Chinese side registered the same contact
    assert told[0].buttons[0][0].data == "mt:slots:1"
    slots = await pl.press("mt:slots:1")
    times = [b for row in own(slots)[0].buttons for b in row]
    assert 1 <= len(times) <= 3
    booked = await pl.press(times[0].data)
    confirmations = {r.chat_id: r for r in booked.replies}
    assert set(confirmations) == {PL_USER, CN_USER}
    assert confirmations[PL_USER].document is not None
    assert confirmations[PL_USER].document.filename.endswith(".ics")
    assert b"BEGIN:VCALENDAR" in confirmations[CN_USER].document.content
    assert "预约会谈" in confirmations[CN_USER].text  # "meeting booked", in the partner's language
    assert "16:00" in confirmations[CN_USER].text  # Beijing time first ...
    assert "10:00" in confirmations[PL_USER].text  # ... and Warsaw time for the Polish side
    meeting = world.meetings.items[1]
    assert meeting.status is MeetingStatus.SCHEDULED
    assert meeting.video_link and meeting.video_link in confirmations[PL_USER].text


async def test_decline_tells_the_requester(pair: tuple[Chat, Chat], world: FakeWorld) -> None:
    pl, cn = pair
    await request_from_pl(pl, note="")
    response = await cn.press("mt:dec:1")
    assert to(response, PL_USER)
    assert "cannot take your meeting request" in to(response, PL_USER)[0].text
    assert world.requests.items[1].status is RequestStatus.DECLINED
    again = await cn.press("mt:dec:1")
    assert "already answered" in text_of(again) or "已" in text_of(again)


async def test_foreign_accept_button_is_rejected_politely(pair: tuple[Chat, Chat]) -> None:
    pl, _ = pair
    await request_from_pl(pl)
    response = await pl.press("mt:acc:1")  # the requester cannot accept its own request
    assert response.toast == "This button is no longer valid."
    assert not response.replies


async def book_meeting(pl: Chat, cn: Chat) -> None:
    await request_from_pl(pl)
    await cn.press("mt:acc:1")
    slots = await pl.press("mt:slots:1")
    await pl.press(own(slots)[0].buttons[0][0].data)


async def test_meetings_lists_both_local_times_and_actions(pair: tuple[Chat, Chat]) -> None:
    pl, cn = pair
    await book_meeting(pl, cn)
    response = await pl.cmd("/meetings")
    text = text_of(response)
    assert "(your time)" in text and "(their time)" in text
    assert find_button(response, "Cancel").data == "mt:cx:1"
    assert find_button(response, "Reschedule").data == "mt:rs:1"
    ics = await pl.press(find_button(response, "Calendar file").data)
    assert own(ics)[0].document is not None


async def test_cancel_asks_first_and_tells_the_partner(
    pair: tuple[Chat, Chat], world: FakeWorld
) -> None:
    pl, cn = pair
    await book_meeting(pl, cn)
    ask = await pl.press("mt:cx:1")
    assert own(ask)[0].edit
    done = await pl.tap("Yes, cancel it")
    assert to(done, CN_USER)
    assert world.meetings.items[1].status is MeetingStatus.CANCELLED
    again = await pl.press("mt:cxy:1")
    assert "not scheduled any more" in text_of(again)


async def test_reschedule_offers_new_times_and_tells_the_partner(pair: tuple[Chat, Chat]) -> None:
    pl, cn = pair
    await book_meeting(pl, cn)
    response = await pl.press("mt:rs:1")
    assert "Choose a time" in text_of(response)
    moved = to(response, CN_USER)
    assert moved and moved[0].buttons[0][0].data == "mt:slots:1"


async def test_attendance_and_outcome(pair: tuple[Chat, Chat], world: FakeWorld) -> None:
    pl, cn = pair
    await book_meeting(pl, cn)
    world.clock.advance(days=3)
    notices = await world.services.jobs.run_due()
    replies = await pl.dialog.render_notices(notices)
    held = [r for r in replies if r.chat_id == PL_USER and "take place" in r.text]
    assert held
    response = await pl.press(find_button_in(held[0], "Yes"))
    outcome = to(response, PL_USER)
    assert outcome and "What came out" in outcome[0].text
    await pl.press("mt:out:1:m")
    assert world.repos.outcomes  # recorded
    assert (await world.repos.outcomes.list_all())[0].kind is OutcomeKind.MEMORANDUM


def find_button_in(reply: object, label: str) -> str:
    for row in reply.buttons:  # type: ignore[attr-defined]
        for b in row:
            if label in b.text:
                return str(b.data)
    raise AssertionError(label)


async def test_no_common_time_is_explained(pair: tuple[Chat, Chat], world: FakeWorld) -> None:
    pl, cn = pair
    await request_from_pl(pl)
    await cn.press("mt:acc:1")
    world.clock.advance(days=5)  # after the event
    world.requests.items[1].expires_at = world.clock.now() + timedelta(days=1)
    response = await pl.press("mt:slots:1")
    assert "no free time" in text_of(response)
