"""The intake flow: every step, every validation, Back and /cancel everywhere, restart, edit."""

from __future__ import annotations

import pytest

from handlers.engine import Dialog
from handlers.intake_steps import ORDER, Step
from matchmaking.models import CompanySize, CompanyStatus, ProfileType
from tests.fakes import FakeWorld
from tests.unit.handlers.conftest import Chat, find_button, register, text_of

ANSWERS: dict[Step, tuple[str, str]] = {
    # step -> (how to answer: "say" or "press", value)
    Step.NAME: ("say", "Baltic Amber Ltd"),
    Step.COUNTRY: ("press", "in:country:c:PL"),
    Step.TIMEZONE: ("press", "in:tz:ok"),
    Step.CITY: ("say", "Gdańsk"),
    Step.LANGUAGES: ("say", "pl, en"),
    Step.SECTION: ("press", "in:section:s:1"),
    Step.PROFILE_TYPE: ("press", "in:ptype:p:0"),
    Step.OFFER: ("say", "We make amber jewellery and sell it wholesale."),
    Step.NEED: ("say", "We look for jewellery distributors in China."),
    Step.SIZE: ("press", "in:size:s:small"),
    Step.WEBSITE: ("say", "amber.example.com"),
    Step.CONTACT: ("say", "anna@amber.example.com"),
}


async def answer(chat: Chat, step: Step) -> None:
    how, value = ANSWERS[step]
    if how == "say":
        await chat.say(value)
    else:
        await chat.press(value)


async def walk_to(chat: Chat, target: Step) -> None:
    """Start the intake and answer every step before `target`."""
    await chat.cmd("/start")
    await chat.press("st:lang:en")
    for step in ORDER:
        if step is target:
            break
        await answer(chat, step)
    assert (await chat.state())["step"] == target.value


async def test_full_registration_saves_and_indexes(chat: Chat, world: FakeWorld) -> None:
    response = await register(chat)
    assert "profile is saved" in text_of(response)
    company = world.companies.items["tg1001"]
    assert company.name == "Baltic Amber Ltd"
    assert company.country == "PL"
    assert company.timezone == "Europe/Warsaw"
    assert company.city == "Gdańsk"
    assert company.languages == ("en",)
    assert company.section == "industry"
    assert company.profile_type is ProfileType.BUSINESS_OFFER
    assert company.size is CompanySize.SMALL
    assert company.website == "https://amber.example.com"
    assert company.user_id == 1001
    assert company.status is CompanyStatus.ACTIVE
    assert company.event_code == "cee-china"
    assert "tg1001" in world.engine.indexed
    assert any(j.key == "push:tg1001" for j in world.jobs.pending())
    assert (await chat.state())["flow"] == ""


@pytest.mark.parametrize("step", ORDER[1:])
async def test_back_returns_to_previous_step_keeping_answers(chat: Chat, step: Step) -> None:
    await walk_to(chat, step)
    before = dict((await chat.state())["data"])
    await chat.press(find_button(chat.last, "Back").data)
    state = await chat.state()
    previous = ORDER[ORDER.index(step) - 1]
    assert state["step"] == previous.value
    assert state["data"] == before


async def test_back_at_the_first_step_shows_the_language_picker(chat: Chat) -> None:
    await walk_to(chat, Step.NAME)
    response = await chat.press("in:name:back")
    assert find_button(response, "English").data == "st:lang:en"
    assert (await chat.state())["step"] == Step.NAME.value


@pytest.mark.parametrize("step", ORDER)
async def test_cancel_at_every_step_parks_the_draft(chat: Chat, step: Step) -> None:
    await walk_to(chat, step)
    before = dict((await chat.state())["data"])
    response = await chat.cmd("/cancel")
    assert "Registration stopped" in text_of(response)
    state = await chat.state()
    assert state["flow"] == ""
    assert state["parked"]["intake"] == {"step": step.value, "data": before}
    # /start continues where the user stopped
    await chat.cmd("/start")
    state = await chat.state()
    assert (state["flow"], state["step"], state["data"]) == ("intake", step.value, before)


@pytest.mark.parametrize("step", ORDER)
async def test_sticker_keeps_the_step(chat: Chat, step: Step) -> None:
    await walk_to(chat, step)
    before = await chat.state()
    response = await chat.send_sticker()
    assert "only read text" in text_of(response)
    assert await chat.state() == before


async def test_restart_mid_intake_continues_with_a_new_dialog(chat: Chat, world: FakeWorld) -> None:
    await walk_to(chat, Step.OFFER)
    fresh = Dialog(world.services, world.dialogs, admin_ids=set(), event_code="cee-china")
    again = Chat(fresh, chat.user_id)
    await again.say(ANSWERS[Step.OFFER][1])
    assert (await again.state())["step"] == Step.NEED.value
    assert (await again.state())["data"]["name"] == "Baltic Amber Ltd"


@pytest.mark.parametrize(
    ("step", "bad", "message"),
    [
        (Step.NAME, "A", "too short"),
        (Step.NAME, "X" * 201, "too long: 201 characters"),
        (Step.COUNTRY, "Atlantis", "No country matches Atlantis"),
        (Step.COUNTRY, "QQ", "Unknown country code QQ"),
        (Step.TIMEZONE, "Mars/Olympus", "Unknown time zone Mars/Olympus"),
        (Step.CITY, "C" * 101, "city name is too long"),
        (Step.LANGUAGES, "english!!", "Unknown language code"),
        (Step.SECTION, "astronomy", "choose one of the sections"),
        (Step.PROFILE_TYPE, "banana", "Unknown profile type banana"),
        (Step.OFFER, "short", "too short"),
        (Step.OFFER, "   ", "describe what you offer"),
        (Step.NEED, "x" * 3001, "too long: 3001 characters"),
        (Step.SIZE, "huge", "Unknown company size huge"),
        (Step.WEBSITE, "not a url", "does not look like a website"),
        (Step.CONTACT, "c" * 301, "contact details are too long"),
    ],
)
async def test_invalid_answers_are_explained_and_the_step_repeats(
    chat: Chat, step: Step, bad: str, message: str
) -> None:
    await walk_to(chat, step)
    before = (await chat.state())["data"]
    response = await chat.say(bad)
    assert message in text_of(response)
    state = await chat.state()
    assert state["step"] == step.value
    assert state["data"] == before
    # the question is asked again with its buttons
    assert find_button(response, "Back")


async def test_both_offer_and_need_empty_is_refused(chat: Chat) -> None:
    await walk_to(chat, Step.OFFER)
    await chat.press("in:offer:skip")
    response = await chat.press("in:need:skip")
    assert "Both the offer and the need are empty" in text_of(response)
    assert (await chat.state())["step"] == Step.NEED.value


async def test_offer_may_be_skipped_when_a_need_is_given(chat: Chat) -> None:
    await walk_to(chat, Step.OFFER)
    await chat.press("in:offer:skip")
    await chat.say("We look for jewellery distributors in China.")
    assert (await chat.state())["step"] == Step.SIZE.value


async def test_html_in_the_company_name_is_escaped(chat: Chat) -> None:
    await walk_to(chat, Step.NAME)
    for step in ORDER:
        if step is Step.NAME:
            await chat.say("<b>&Co</b>")
        else:
            await answer(chat, step)
    text = text_of(chat.last)
    assert "&lt;b&gt;&amp;Co&lt;/b&gt;" in text
    assert "<b>&Co</b>" not in text


async def test_typed_country_by_name_and_code(chat: Chat) -> None:
    await walk_to(chat, Step.COUNTRY)
    await chat.say("poland")
    state = await chat.state()
    assert state["data"]["country"] == "PL"
    assert state["data"]["timezone"] == "Europe/Warsaw"
    await chat.press("in:tz:back")
    await chat.say("hr")
    assert (await chat.state())["data"]["country"] == "HR"


async def test_ambiguous_country_search_offers_choices(chat: Chat) -> None:
    await walk_to(chat, Step.COUNTRY)
    response = await chat.say("slov")
    assert "Which one do you mean" in text_of(response)
    assert find_button(response, "Slovakia").data == "in:country:c:SK"
    assert find_button(response, "Slovenia").data == "in:country:c:SI"
    assert (await chat.state())["step"] == Step.COUNTRY.value
    await chat.press("in:country:c:SI")
    assert (await chat.state())["data"]["timezone"] == "Europe/Ljubljana"


async def test_time_zone_can_be_picked_or_typed(chat: Chat) -> None:
    await walk_to(chat, Step.COUNTRY)
    response = await chat.press("in:country:c:CN")
    assert "Asia/Shanghai" in text_of(response)
    urumqi = find_button(response, "Asia/Urumqi")
    await chat.press(urumqi.data)
    assert (await chat.state())["data"]["timezone"] == "Asia/Urumqi"
    await chat.press("in:city:back")
    await chat.say("Europe/Vienna")
    assert (await chat.state())["data"]["timezone"] == "Europe/Vienna"


async def test_language_buttons_toggle_and_done_needs_one(chat: Chat) -> None:
    await walk_to(chat, Step.LANGUAGES)
    response = await chat.press("in:langs:done")
    assert "at least one language" in text_of(response)
    response = await chat.press("in:langs:t:pl")
    assert response.replies[-1].edit
    assert find_button(response, "✓ Polish")
    await chat.press("in:langs:t:de")
    await chat.press("in:langs:t:pl")
    await chat.press("in:langs:done")
    state = await chat.state()
    assert state["data"]["languages"] == ["de"]
    assert state["step"] == Step.SECTION.value


async def test_edit_from_summary_returns_to_summary(chat: Chat, world: FakeWorld) -> None:
    await walk_to(chat, Step.CONTACT)
    await answer(chat, Step.CONTACT)
    await chat.press("in:summary:edit")
    await chat.press("in:edit:f:name")
    response = await chat.say("Amber House")
    assert "Please check your profile" in text_of(response)
    assert "Amber House" in text_of(response)
    # editing the country passes through the time zone, then back to the summary
    await chat.press("in:summary:edit")
    await chat.press("in:edit:f:country")
    await chat.press("in:country:c:RO")
    response = await chat.press("in:tz:ok")
    assert "Please check your profile" in text_of(response)
    await chat.press("in:summary:ok")
    company = world.companies.items["tg1001"]
    assert (company.name, company.country, company.timezone) == (
        "Amber House",
        "RO",
        "Europe/Bucharest",
    )


async def test_profile_shows_and_edits_the_saved_profile(chat: Chat, world: FakeWorld) -> None:
    await register(chat)
    response = await chat.cmd("/profile")
    assert "Baltic Amber Ltd" in text_of(response)
    assert "anna@amber.example.com" in text_of(response)
    await chat.press(find_button(response, "Edit").data)
    await chat.press("in:edit:f:web")
    await chat.press("in:web:skip")
    response = await chat.press("in:summary:ok")
    assert "profile is updated" in text_of(response)
    assert world.companies.items["tg1001"].website == ""


async def test_cancel_while_editing_keeps_the_profile(chat: Chat, world: FakeWorld) -> None:
    await register(chat)
    await chat.press("in:pedit")
    await chat.press("in:edit:f:name")
    response = await chat.cmd("/cancel")
    assert "Editing cancelled" in text_of(response)
    assert world.companies.items["tg1001"].name == "Baltic Amber Ltd"


async def test_other_commands_mid_intake_ask_to_finish_first(chat: Chat) -> None:
    await walk_to(chat, Step.CITY)
    response = await chat.cmd("/matches")
    assert "finish this step first" in text_of(response)
    assert "In which city" in text_of(response)
    assert (await chat.state())["step"] == Step.CITY.value


async def test_help_mid_intake_keeps_the_step(chat: Chat) -> None:
    await walk_to(chat, Step.CITY)
    response = await chat.cmd("/help")
    assert "/start" in text_of(response)
    assert (await chat.state())["step"] == Step.CITY.value


async def test_button_of_an_earlier_step_is_stale(chat: Chat) -> None:
    await walk_to(chat, Step.CITY)
    before = await chat.state()
    response = await chat.press("in:country:c:HU")
    assert response.toast == "This button is no longer valid."
    assert not response.replies
    assert await chat.state() == before
