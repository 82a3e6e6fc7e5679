import pytest

from matchmaking.errors import NotFoundError
from matchmaking.models import CompanyStatus, Event, MeetingStatus
from matchmaking.services import pair_allowed
from tests.fakes import make_company, make_world

CN_NEED = "We are looking for suppliers of frozen raspberries and honey."
PL_OFFER = "We sell frozen raspberries, blueberries and linden honey."


async def _two_matching_companies():
    world = make_world()
    cn = make_company("cn-1", "CN", need=CN_NEED, offer="We import food products.")
    pl = make_company("pl-1", "PL", offer=PL_OFFER, need="We need importers of food in China.")
    await world.services.companies.save(cn)
    await world.services.companies.save(pl)
    return world, cn, pl


async def test_suggest_finds_partner_and_never_self() -> None:
    world, cn, pl = await _two_matching_companies()
    got = await world.services.matching.suggest(cn.id)
    assert [s.partner_id for s in got] == [pl.id]
    assert all(s.partner_id != cn.id for s in got)


async def test_same_country_excluded_by_default_but_configurable() -> None:
    world, cn, _ = await _two_matching_companies()
    cn2 = make_company("cn-2", "CN", offer=CN_NEED)
    await world.services.companies.save(cn2)
    assert "cn-2" not in [s.partner_id for s in await world.services.matching.suggest(cn.id)]
    event = Event(cross_border_only=False)
    assert pair_allowed(event, cn, cn2)
    assert not pair_allowed(Event(), cn, cn2)


async def test_not_interested_is_never_shown_again_either_way() -> None:
    world, cn, pl = await _two_matching_companies()
    await world.services.matching.not_interested(cn.id, pl.id)
    assert await world.services.matching.suggest(cn.id) == []
    assert await world.services.matching.suggest(pl.id) == []


async def test_paused_and_blocked_companies_are_not_suggested() -> None:
    world, cn, pl = await _two_matching_companies()
    await world.services.companies.set_paused(pl.id, True)
    assert await world.services.matching.suggest(cn.id) == []
    await world.services.companies.set_paused(pl.id, False)
    assert len(await world.services.matching.suggest(cn.id)) == 1
    await world.services.companies.set_blocked(pl.id, True)
    assert await world.services.matching.suggest(cn.id) == []


async def test_requested_partner_is_not_suggested_again() -> None:
    world, cn, pl = await _two_matching_companies()
    await world.services.meetings.request_meeting(cn.id, pl.id)
    assert await world.services.matching.suggest(cn.id) == []
    assert await world.services.matching.suggest(pl.id) == []


async def test_removed_company_disappears_from_suggestions() -> None:
    world, cn, pl = await _two_matching_companies()
    await world.services.companies.delete(pl.id)
    assert await world.services.matching.suggest(cn.id) == []
    with pytest.raises(NotFoundError):
        await world.services.matching.suggest(pl.id)


async def test_delete_cancels_future_meetings_and_returns_partners() -> None:
    world, cn, pl = await _two_matching_companies()
    request, _ = await world.services.meetings.request_meeting(cn.id, pl.id)
    await world.services.meetings.answer(request.id, pl.id, accept=True)
    [first, *_] = await world.services.meetings.propose(request.id, cn.id)
    meeting, _ = await world.services.meetings.book(request.id, first.start, cn.id)
    told = await world.services.companies.delete(cn.id)
    assert [(p.id, start) for p, start in told] == [(pl.id, meeting.start)]
    stored = await world.repos.meetings.get(meeting.id)
    assert stored.status is MeetingStatus.CANCELLED
    assert not [j for j in world.jobs.pending() if j.key.startswith(f"meeting:{meeting.id}:")]


async def test_export_data_lists_profile_requests_and_meetings() -> None:
    world, cn, pl = await _two_matching_companies()
    await world.services.meetings.request_meeting(cn.id, pl.id, note="Hello")
    data = await world.services.companies.export_data(cn.id)
    assert data["profile"]["name"] == cn.name
    assert data["meeting_requests"][0]["note"] == "Hello"


async def test_save_updates_timestamp_and_reindexes() -> None:
    world, cn, _ = await _two_matching_companies()
    world.clock.advance(hours=1)
    cn.offer = "We now offer solar inverters."
    assert await world.services.companies.save(cn) is False
    stored = await world.repos.companies.get(cn.id)
    assert stored.updated_at == world.clock.now()
    assert world.engine.indexed[cn.id].offer == "We now offer solar inverters."
    assert stored.status is CompanyStatus.ACTIVE
