"""/matches: one card at a time, request with or without a note, not interested, next."""

from __future__ import annotations

import re

from handlers.engine import Dialog
from matchmaking.models import RequestStatus
from tests.fakes import FakeWorld, make_company
from tests.unit.handlers.conftest import Chat, find_button, register, text_of, to


async def seed(world: FakeWorld) -> None:
    """Two Chinese companies whose offers meet the amber maker's need; one has a chat user."""
    for cid, name, user, langs in (
        ("cn1", "Jade <Trading>", 3003, ("zh_Hans",)),
        ("cn2", "Pearl Retail", None, ("en", "zh_Hans")),
    ):
        company = make_company(
            cid,
            "CN",
            name=name,
            user_id=user,
            languages=langs,
            locale="zh_Hans",
            offer="We are jewellery distributors with retail shops across China.",
            need="We look for amber jewellery makers in Europe.",
        )
        await world.services.companies.save(company)


async def test_card_shows_partner_offer_label_and_interpreter(chat: Chat, world: FakeWorld) -> None:
    await seed(world)
    await register(chat)
    response = await chat.cmd("/matches")
    assert len(response.replies) == 1
    text = text_of(response)
    assert "Jade &lt;Trading&gt;" in text or "Pearl Retail" in text
    assert "🇨🇳" in text
    assert "We are jewellery distributors" in text
    # The language their offer is written in (English, not their country's), in the viewer's.
    assert "(in English)" in text
    assert re.search(r"(Strong|Good|Possible) match", text)
    assert not re.search(r"\d\.\d", text)  # never a raw score
    labels = [b.text for row in response.replies[0].buttons for b in row]
    assert any("Request a meeting" in label for label in labels)
    assert "Not interested" in labels


async def test_interpreter_needed_when_no_shared_language(chat: Chat, world: FakeWorld) -> None:
    await seed(world)
    await register(chat, languages=("pl",))
    texts = []
    response = await chat.cmd("/matches")
    texts.append(text_of(response))
    response = await chat.tap("Next")
    texts.append(text_of(response))
    assert any("Interpreter needed" in t for t in texts)


async def test_next_then_end_of_suggestions(chat: Chat, world: FakeWorld) -> None:
    await seed(world)
    await register(chat)
    first = text_of(await chat.cmd("/matches"))
    second = await chat.tap("Next")
    assert second.replies[0].edit
    assert text_of(second) != first
    third = await chat.tap("Next")
    assert "no more suggestions" in text_of(third)


async def test_not_interested_is_never_shown_again(chat: Chat, world: FakeWorld) -> None:
    await seed(world)
    await register(chat)
    response = await chat.cmd("/matches")
    first = text_of(response)
    await chat.tap("Not interested")
    for _ in range(3):
        response = await chat.cmd("/matches")
        assert text_of(response) != first
        if "no more suggestions" in text_of(response):
            break
        await chat.tap("Next")


async def test_request_with_note_reaches_partner(chat: Chat, world: FakeWorld) -> None:
    await seed(world)
    await register(chat)
    response = await chat.cmd("/matches")
    while "Jade" not in text_of(response):
        response = await chat.tap("Next")
    await chat.tap("Request a meeting")
    response = await chat.say("Samples ready.")
    assert "was sent to" in text_of(response)
    card = to(response, 3003)
    assert card and "Samples ready." in card[0].text
    request = world.requests.items[1]
    assert (request.requester_id, request.partner_id, request.note) == (
        "tg1001",
        "cn1",
        "Samples ready.",
    )


async def test_request_without_note_and_imported_partner_is_not_messaged(
    chat: Chat, world: FakeWorld
) -> None:
    await seed(world)
    await register(chat)
    response = await chat.cmd("/matches")
    while "Pearl" not in text_of(response):
        response = await chat.tap("Next")
    await chat.tap("Request a meeting")
    response = await chat.tap("Send without a note")
    assert all(r.chat_id is None for r in response.replies)  # cn2 has no chat user
    assert world.requests.items[1].status is RequestStatus.PENDING
    assert find_button(response, "Next suggestion").data == "m:show"


async def test_back_from_note_shows_the_card_again(chat: Chat, world: FakeWorld) -> None:
    await seed(world)
    await register(chat)
    await chat.cmd("/matches")
    await chat.tap("Request a meeting")
    response = await chat.tap("Back")
    assert find_button(response, "Request a meeting")
    assert (await chat.state())["step"] == "browse"


async def test_stale_and_foreign_references_are_rejected(
    chat: Chat, world: FakeWorld, dialog: Dialog
) -> None:
    await seed(world)
    await register(chat)
    response = await chat.cmd("/matches")
    data = find_button(response, "Request a meeting").data
    other = Chat(dialog, 4004)
    await register(other, name="Other Co")
    foreign = await other.press("m:req:999")
    assert foreign.toast == "This button is no longer valid."
    assert (await chat.press("m:zzz:1")).toast == "This button is no longer valid."
    assert (await chat.press("zz:top")).toast == "This button is no longer valid."
    assert (await chat.press(data.replace("req", "skip"))).toast == (
        "This button is no longer valid."
    )


async def test_matches_needs_a_profile(chat: Chat) -> None:
    response = await chat.cmd("/matches")
    assert "not registered yet" in text_of(response)
