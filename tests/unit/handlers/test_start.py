"""/start: greeting in the Telegram language, language picker, deep links, menu, /language."""

from __future__ import annotations

from handlers.engine import Dialog
from handlers.intake_steps import Step
from tests.fakes import FakeWorld
from tests.unit.handlers.conftest import Chat, buttons, find_button, register, text_of


async def test_greets_in_the_telegram_language_when_supported(dialog: Dialog) -> None:
    zh = Chat(dialog, 1, "zh-hans")
    response = await zh.cmd("/start")
    assert "欢迎参加" in text_of(response)
    assert find_button(response, "中文").text.startswith("✓")
    assert (await zh.state())["locale"] == "zh_Hans"


async def test_unsupported_language_falls_back_to_english(dialog: Dialog) -> None:
    pt = Chat(dialog, 2, "pt-br")
    response = await pt.cmd("/start")
    assert "Welcome to" in text_of(response)
    assert (await pt.state())["locale"] == "en"


async def test_picker_shows_native_names_and_starts_the_intake(chat: Chat) -> None:
    response = await chat.cmd("/start")
    names = {b.text.lstrip("✓ ") for b in buttons(response)}
    assert {"English", "中文"} <= names
    response = await chat.press("st:lang:zh_Hans")
    assert "公司或机构的名称" in text_of(response)
    state = await chat.state()
    assert (state["locale"], state["flow"], state["step"]) == ("zh_Hans", "intake", "name")


async def test_deep_link_joins_the_event(chat: Chat, world: FakeWorld) -> None:
    await chat.cmd("/start cee-china")
    assert (await chat.state())["event_code"] == "cee-china"
    other = Chat(chat.dialog, 77)
    response = await other.cmd("/start no-such-event")
    assert "not valid" in text_of(response)


async def test_returning_user_gets_the_menu(chat: Chat) -> None:
    await register(chat)
    response = await chat.cmd("/start")
    assert "Welcome back, <b>Baltic Amber Ltd</b>" in text_of(response)
    assert find_button(response, "Suggested partners").data == "m:show"


async def test_language_mid_intake_continues_in_the_new_language(chat: Chat) -> None:
    await chat.cmd("/start")
    await chat.press("st:lang:en")
    await chat.say("Baltic Amber Ltd")
    response = await chat.cmd("/language")
    assert find_button(response, "中文")
    response = await chat.press("st:lang:zh_Hans")
    assert response.toast == "语言已切换。"
    assert "贵公司位于哪个国家" in text_of(response)
    state = await chat.state()
    assert state["step"] == Step.COUNTRY.value
    assert state["data"]["name"] == "Baltic Amber Ltd"


async def test_language_change_updates_the_profile_locale(chat: Chat, world: FakeWorld) -> None:
    await register(chat)
    await chat.cmd("/language")
    response = await chat.press("st:lang:zh_Hans")
    assert "您想做什么" in text_of(response)
    assert world.companies.items["tg1001"].locale == "zh_Hans"


async def test_unknown_language_button_is_stale(chat: Chat) -> None:
    await chat.cmd("/start")
    assert (await chat.press("st:lang:xx")).toast == "This button is no longer valid."


async def test_start_offers_the_picker_and_asks_the_first_question_at_once(chat: Chat) -> None:
    start = await chat.cmd("/start")
    assert find_button(start, "English")
    assert "name of your company" in text_of(start)
    response = await chat.say("Acme Solar Ltd")
    assert "Acme Solar Ltd" in str(await chat.state())
    assert find_button(response, "Poland"), "the name was taken, the country is asked next"


async def test_choosing_a_language_after_start_asks_the_question_again(chat: Chat) -> None:
    await chat.cmd("/start")
    response = await chat.press("st:lang:zh_Hans")
    assert "公司" in text_of(response)
