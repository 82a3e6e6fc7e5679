"""The bundle of repositories, and that each one fits its Protocol of `matchmaking.ports`."""

from __future__ import annotations

import inspect

import pytest

from matchmaking import ports
from storage.db import Database
from storage.repositories import Repositories

PORTS = {
    "companies": ports.CompanyRepository,
    "preferences": ports.PreferenceRepository,
    "requests": ports.RequestRepository,
    "meetings": ports.MeetingRepository,
    "outcomes": ports.OutcomeRepository,
    "vectors": ports.VectorStore,
    "dialogs": ports.DialogStateStore,
    "jobs": ports.JobStore,
    "interpreters": ports.InterpreterRepository,
}


def _methods(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(cls).items()
        if inspect.iscoroutinefunction(member) and not name.startswith("_")
    }


@pytest.mark.parametrize("field", PORTS)
def test_each_repository_has_its_protocols_methods(field: str) -> None:
    # mypy checks the same statically (storage/repositories.py, `_conforms_to_ports`).
    repos = Repositories.create(Database("sqlite:///:memory:"))
    implementation = type(getattr(repos, field))
    for name, expected in _methods(PORTS[field]).items():
        method = getattr(implementation, name, None)
        assert method is not None and inspect.iscoroutinefunction(method), name
        actual = inspect.signature(method)
        assert list(actual.parameters) == list(expected.parameters), name
        for parameter, spec in expected.parameters.items():
            assert actual.parameters[parameter].default == spec.default, (name, parameter)


async def test_create_shares_one_database(database: Database) -> None:
    repos = Repositories.create(database, slot_minutes=15)
    assert repos.meetings.slot_minutes == 15
    assert await repos.companies.count() == 0
