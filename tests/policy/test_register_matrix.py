"""The register side's exhaustive policy test, generated from ``REGISTER_POLICY``.

Every register action × every kind of caller (the municipal admin, a unit manager in her own
unit and in another, ordinary staff, a reporter, a guardian on the staff endpoint, no token)
goes through the API by a representative mutation: allowed exactly where the table says (and
audited as that action, to no log), otherwise exactly the gate's typed error and nothing in
the database changed. Every register mutation is some action's representative, and every one
that names a unit or an account answers another municipality's exactly like a missing one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from auth.policy import REGISTER_POLICY, RegisterAction, may_register, register_role
from auth.registers import OWN_UNIT_ONLY, REFUSED
from models import AuditEvent, Organisation, StaffAccount
from models.national_id import synthetic_national_id
from schema.mutations import administration
from schema.mutations.base import MUTATIONS
from tests.factories import World, other_municipality
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import call, gid
from tests.policy.test_write_matrix import _fingerprint

A = RegisterAction


@dataclass(frozen=True)
class Case:
    """A representative register mutation: what it asks of the gate, and its input."""

    mutation: str
    actions: tuple[RegisterAction, ...]
    field: str  # the input field an own-unit refusal names
    input: Callable[[World, Organisation, StaffAccount], dict[str, Any]]


def _staff_input(unit: Organisation, role: str = "STAFF") -> dict[str, Any]:
    return {
        "organisationId": gid("Organisation", unit),
        "name": "Matrise Person",
        "nationalId": synthetic_national_id(date(1993, 6, 6), 11),
        "role": role,
    }


CASES: dict[str, Case] = {
    "createOrganisation": Case(
        "createOrganisation",
        (A.MANAGE_UNITS,),
        "organisationId",
        lambda w, u, s: {"name": "Ny", "kind": "PPT"},
    ),
    "editOrganisation": Case(
        "editOrganisation",
        (A.MANAGE_UNITS,),
        "organisationId",
        lambda w, u, s: {"organisationId": gid("Organisation", u), "name": "Nytt navn"},
    ),
    "setOrganisationActive": Case(
        "setOrganisationActive",
        (A.MANAGE_UNITS,),
        "organisationId",
        lambda w, u, s: {"organisationId": gid("Organisation", u), "active": True},
    ),
    "createStaffAccount": Case(
        "createStaffAccount",
        (A.REGISTER_STAFF,),
        "organisationId",
        lambda w, u, s: _staff_input(u),
    ),
    "createStaffAccount-role": Case(
        "createStaffAccount",
        (A.REGISTER_STAFF, A.MANAGE_ROLES),
        "organisationId",
        lambda w, u, s: _staff_input(u, "REPORTER"),
    ),
    "editStaffAccount": Case(
        "editStaffAccount",
        (A.REGISTER_STAFF,),
        "staffAccountId",
        lambda w, u, s: {"staffAccountId": gid("StaffAccount", s), "position": "Rektor"},
    ),
    "deactivateStaffAccount": Case(
        "deactivateStaffAccount",
        (A.DEACTIVATE_STAFF,),
        "staffAccountId",
        lambda w, u, s: {"staffAccountId": gid("StaffAccount", s), "reason": "Sluttet"},
    ),
    "reactivateStaffAccount": Case(
        "reactivateStaffAccount",
        (A.DEACTIVATE_STAFF,),
        "staffAccountId",
        lambda w, u, s: {"staffAccountId": gid("StaffAccount", s)},
    ),
    "setUnitManager": Case(
        "setUnitManager",
        (A.APPOINT_MANAGER,),
        "staffAccountId",
        lambda w, u, s: {"staffAccountId": gid("StaffAccount", s), "isManager": True},
    ),
}
# Who calls, and as what: (world attribute, viewer kind, manager flag, in the unit's own unit).
CALLERS: dict[str, tuple[str | None, str | None, bool, bool]] = {
    "admin": ("admin", "MUNICIPAL_ADMIN", False, False),
    "manager-own-unit": ("manager", "STAFF", True, True),
    "manager-other-unit": ("other_manager", "STAFF", True, False),
    "staff": ("actor", "STAFF", False, True),
    # Not viewers on the staff endpoint: told where they belong (WRONG_ENDPOINT), see below.
    "reporter": ("reporter", None, False, False),
    "guardian": ("guardian", None, False, False),
    "no-token": (None, None, False, False),
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def expected(case: Case, kind: str | None, manager: bool, own: bool) -> dict[str, Any] | None:
    """What the register gate must answer, from the table alone (``None``: allowed)."""
    if kind is None or register_role(kind, manager) is None:
        return {"code": "NOT_ALLOWED", "message": REFUSED, "field": None}
    for action in case.actions:
        if may_register(kind, manager, action, own_unit=own):
            continue
        if may_register(kind, manager, action, own_unit=True):
            return {"code": "NOT_ALLOWED", "message": OWN_UNIT_ONLY, "field": case.field}
        return {"code": "NOT_ALLOWED", "message": REFUSED, "field": None}
    return None


def test_every_register_action_and_mutation_is_in_the_matrix() -> None:
    assert set(REGISTER_POLICY) == set(RegisterAction)
    assert all(REGISTER_POLICY[action] for action in RegisterAction)
    covered = {action for case in CASES.values() for action in case.actions}
    assert covered == set(RegisterAction)
    names = {_camel(name) for name in administration.__all__ if not name.endswith("Payload")}
    assert names == {case.mutation for case in CASES.values()}
    assert all(name in MUTATIONS for name in administration.__all__ if name[0].islower())


async def _events(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(AuditEvent)) or 0


@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize("name", list(CASES))
async def test_every_register_write_is_allowed_exactly_where_the_register_policy_says(
    client: GraphQLClient,
    world: World,
    session: AsyncSession,
    connection: AsyncConnection,
    name: str,
    caller: str,
) -> None:
    case = CASES[name]
    who, kind, manager, own = CALLERS[caller]
    # The object is in the school (the unit manager's own unit; not the other manager's).
    unit, account = world.school, world.outsider
    if name == "createOrganisation":
        own = False  # a new unit is nobody's own
    person = None if who is None else getattr(world, who)
    answer = expected(case, kind, manager, own)
    before = await _fingerprint(connection)
    if caller in {"reporter", "guardian"}:
        input_type = case.mutation[0].upper() + case.mutation[1:] + "Input"
        response = await client.post(
            f"mutation($input: {input_type}!)"
            f" {{ {case.mutation}(input: $input) {{ __typename }} }}",
            as_=person,
            variables={"input": case.input(world, unit, account)},
        )
        assert response.status_code == 403
        assert response.json()["errors"][0]["extensions"]["code"] == "WRONG_ENDPOINT"
        assert await _fingerprint(connection) == before
        return
    out = await call(client, case.mutation, case.input(world, unit, account), as_=person)
    assert out["error"] == answer
    if answer is None:
        event = await session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert event is not None
        assert (event.action, event.relation, event.log_id) == (
            case.actions[-1].value,
            "NONE",
            None,
        )
    else:
        assert await _fingerprint(connection) == before


NAMES_AN_OBJECT = [name for name in CASES if name != "createOrganisation"]


@pytest.mark.parametrize("name", NAMES_AN_OBJECT)
async def test_a_register_mutation_answers_another_municipalitys_object_like_a_missing_one(
    client: GraphQLClient, world: World, name: str
) -> None:
    case = CASES[name]
    _, their_admin = await other_municipality(world)
    ours = case.input(world, world.school, world.outsider)
    missing = {
        key: gid("Organisation" if key == "organisationId" else "StaffAccount", uuid.uuid4())
        if key in {"organisationId", "staffAccountId"}
        else value
        for key, value in ours.items()
    }
    hidden = await call(client, case.mutation, ours, as_=their_admin)
    absent = await call(client, case.mutation, missing, as_=their_admin)
    assert hidden == absent
    assert hidden["error"]["code"] == "NOT_FOUND"
    wrong_type = {
        key: gid("RelayLog", uuid.uuid4()) if key in {"organisationId", "staffAccountId"} else v
        for key, v in ours.items()
    }
    assert await call(client, case.mutation, wrong_type, as_=their_admin) == absent
