"""Every notice kind renders for its recipient, in their language, with the right buttons."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.engine import Dialog
from handlers.types import Response
from matchmaking.models import Meeting, MeetingRequest, RequestStatus
from matchmaking.notices import Notice, NoticeKind
from tests.fakes import FakeWorld, make_company
from tests.unit.handlers.conftest import check_response


@pytest.fixture
async def setup(world: FakeWorld) -> FakeWorld:
    await world.services.companies.save(
        make_company(
            "a", "PL", name="Amber & <Co>", user_id=11, locale="en", contact="anna@example.com"
        )
    )
    await world.services.companies.save(
        make_company("b", "CN", name="玉石贸易", user_id=22, locale="zh_Hans")
    )
    await world.services.companies.save(make_company("imported", "CZ", user_id=None))
    start = world.clock.now() + timedelta(days=2)
    await world.repos.requests.add(
        MeetingRequest("a", "b", "hi <there>", status=RequestStatus.ACCEPTED)
    )
    await world.repos.meetings.book(
        Meeting(
            1, "a", "b", start, start + timedelta(minutes=30), video_link="https://meet.example/x"
        )
    )
    return world


EXPECT = {
    NoticeKind.REQUEST_RECEIVED: ("新的会谈请求", {"mt:acc:1", "mt:dec:1"}),
    NoticeKind.REQUEST_ACCEPTED: ("接受了您的会谈请求", {"mt:slots:1"}),
    NoticeKind.REQUEST_DECLINED: ("无法接受", set()),
    NoticeKind.REQUEST_EXPIRED: ("已过期", set()),
    NoticeKind.MEETING_BOOKED: ("预约会谈", {"mt:list"}),
    NoticeKind.MEETING_CANCELLED: ("取消了", set()),
    NoticeKind.MEETING_MOVED: ("请选择新的时间", {"mt:slots:1"}),
    NoticeKind.REMINDER_24H: ("明天", set()),
    NoticeKind.REMINDER_15M: ("15分钟后", set()),
    NoticeKind.ASK_HELD: ("是否如期举行", {"mt:held:1:y", "mt:held:1:n", "mt:held:1:r"}),
    NoticeKind.ASK_OUTCOME: ("成果", {"mt:out:1:m", "mt:out:1:i", "mt:out:1:f", "mt:out:1:x"}),
    NoticeKind.FOLLOW_UP: ("一个月前", {"mt:out:1:m", "mt:out:1:i", "mt:out:1:f", "mt:out:1:x"}),
    NoticeKind.NEW_MATCHES: ("新的合作伙伴", {"m:show"}),
    NoticeKind.PARTNER_LEFT: ("已退出活动", set()),
    NoticeKind.SLOT_FREED: ("有时间空出来了", {"mt:slots:1"}),
    NoticeKind.BROADCAST: ("主办方消息", set()),
}


def test_every_notice_kind_has_an_expectation() -> None:
    assert set(EXPECT) == set(NoticeKind)


@pytest.mark.parametrize("kind", list(NoticeKind))
async def test_notice_renders_for_the_chinese_recipient(
    setup: FakeWorld, dialog: Dialog, kind: NoticeKind
) -> None:
    data: dict[str, object] = {"partners": ["a"], "text": "<b>hi</b>"}
    if kind is NoticeKind.PARTNER_LEFT:
        data = {"partner_name": "Gone <Ltd>", "when": setup.clock.now().isoformat()}
    partner = "" if kind in (NoticeKind.PARTNER_LEFT, NoticeKind.BROADCAST) else "a"
    notice = Notice(kind, "b", partner, 1, 1 if kind is not NoticeKind.PARTNER_LEFT else None, data)
    replies = await dialog.render_notices([notice])
    check_response(Response(replies))
    assert len(replies) == 1
    reply = replies[0]
    assert reply.chat_id == 22
    text, data_expected = EXPECT[kind]
    assert text in reply.text
    datas = {b.data for row in reply.buttons for b in row if b.data}
    assert datas == data_expected
    assert "<Co>" not in reply.text and "<there>" not in reply.text and "<Ltd>" not in reply.text


async def test_request_card_shows_profile_and_note_escaped(
    setup: FakeWorld, dialog: Dialog
) -> None:
    [reply] = await dialog.render_notices([Notice(NoticeKind.REQUEST_RECEIVED, "b", "a", 1)])
    assert "Amber &amp; &lt;Co&gt;" in reply.text
    assert "hi &lt;there&gt;" in reply.text
    assert "anna@example.com" not in reply.text  # contacts only after acceptance


async def test_meeting_booked_has_both_times_link_and_ics(setup: FakeWorld, dialog: Dialog) -> None:
    [reply] = await dialog.render_notices([Notice(NoticeKind.MEETING_BOOKED, "a", "b", 1, 1)])
    assert "(your time)" in reply.text and "(their time)" in reply.text
    assert "https://meet.example/x" in reply.text
    assert reply.document is not None and reply.document.mime_type == "text/calendar"


async def test_reminder_has_a_join_link(setup: FakeWorld, dialog: Dialog) -> None:
    [reply] = await dialog.render_notices([Notice(NoticeKind.REMINDER_15M, "a", "b", 1, 1)])
    assert reply.buttons[0][0].url == "https://meet.example/x"


async def test_recipients_without_a_chat_user_are_skipped(setup: FakeWorld, dialog: Dialog) -> None:
    replies = await dialog.render_notices(
        [
            Notice(NoticeKind.REQUEST_DECLINED, "imported", "a", 1),
            Notice(NoticeKind.REQUEST_DECLINED, "nobody", "a", 1),
            Notice(NoticeKind.REQUEST_DECLINED, "a", "b", 1),
        ]
    )
    assert [r.chat_id for r in replies] == [11]
