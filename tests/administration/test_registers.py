"""The municipality runs itself: the municipal admin creates units, staff accounts and unit
managers; a unit manager registers holders and actors in her own unit; deactivating an
account blocks its sign-in and ends its places in logs; every change is audited."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from models import ActorMembership, AuditEvent, Organisation, StaffAccount
from models.enums import ActorStatus, OrganisationKind
from models.national_id import synthetic_national_id
from tests.factories import World, other_municipality
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import call, gid

UNIT = "organisation { id name kind active }"
ACCOUNT = "staffAccount { id name position officePhone mobile email isManager role active }"
NEW_NID = synthetic_national_id(date(1991, 4, 12), 7)
VIEWER = "{ viewer { kind } }"


def _new_staff(unit: Organisation, **extra: Any) -> dict[str, Any]:
    return {
        "organisationId": gid("Organisation", unit),
        "name": "Siri Ny",
        "nationalId": NEW_NID,
        "position": "Kontaktlærer",
        "officePhone": "22 33 44 55",
        "mobile": "+47 912 34 567",
        "email": "siri.ny@demo.kommune.no",
        **extra,
    }


async def _register_events(session: AsyncSession) -> list[tuple[str, str, str]]:
    events = await session.scalars(
        select(AuditEvent)
        .where(AuditEvent.log_id.is_(None), AuditEvent.relation == "NONE")
        .order_by(AuditEvent.id)
    )
    return [(e.action, e.actor_kind, e.object_type or "") for e in events]


@pytest.mark.parametrize("kind", [k.value for k in OrganisationKind], ids=str.lower)
async def test_a_municipal_admin_creates_a_unit_of_every_kind(
    client: GraphQLClient, world: World, session: AsyncSession, kind: str
) -> None:
    out = await call(
        client,
        "createOrganisation",
        {"name": "Ny enhet", "kind": kind},
        as_=world.admin,
        selection=UNIT,
    )
    assert out["error"] is None
    assert out["organisation"]["kind"] == kind
    assert out["organisation"]["active"] is True
    units = await client.query("{ organisations { name kind } }", as_=world.admin)
    assert {"name": "Ny enhet", "kind": kind} in units["organisations"]
    assert await _register_events(session) == [("MANAGE_UNITS", "MUNICIPAL_ADMIN", "Organisation")]


async def test_a_municipal_admin_renames_a_unit_and_closes_it_once_nobody_works_there(
    client: GraphQLClient, world: World
) -> None:
    bup = await world.seed.organisation(world.municipality, "BUP", OrganisationKind.SCHOOL)
    doctor = await world.seed.staff(bup, "Dina Doktor")
    ref = gid("Organisation", bup)
    out = await call(
        client,
        "editOrganisation",
        {"organisationId": ref, "name": "BUP Vest", "kind": "SPECIALIST_HEALTH"},
        as_=world.admin,
        selection=UNIT,
    )
    assert out["organisation"] == {
        "id": ref,
        "name": "BUP Vest",
        "kind": "SPECIALIST_HEALTH",
        "active": True,
    }
    closing = {"organisationId": ref, "active": False}
    refused = await call(client, "setOrganisationActive", closing, as_=world.admin, selection=UNIT)
    assert refused["error"] == {
        "code": "NOT_ALLOWED",
        "message": "The unit still has 1 active staff account(s); move or deactivate them first.",
        "field": "organisationId",
    }
    gone = {"staffAccountId": gid("StaffAccount", doctor), "reason": "Sluttet"}
    assert (await call(client, "deactivateStaffAccount", gone, as_=world.admin))["error"] is None
    closed = await call(client, "setOrganisationActive", closing, as_=world.admin, selection=UNIT)
    assert closed["organisation"]["active"] is False
    late = await call(
        client, "createStaffAccount", _new_staff(bup), as_=world.admin, selection=ACCOUNT
    )
    assert late["error"] == {
        "code": "INVALID_INPUT",
        "message": "organisationId names a deactivated unit.",
        "field": "organisationId",
    }


async def test_a_municipal_admin_registers_a_staff_account_who_can_then_sign_in(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    person = StaffAccount(national_id=NEW_NID)
    assert (await client.query(VIEWER, as_=person))["viewer"] is None
    out = await call(
        client, "createStaffAccount", _new_staff(world.health), as_=world.admin, selection=ACCOUNT
    )
    assert out["error"] is None
    assert out["staffAccount"] | {"id": None} == {
        "id": None,
        "name": "Siri Ny",
        "position": "Kontaktlærer",
        "officePhone": "22 33 44 55",
        "mobile": "+47 912 34 567",
        "email": "siri.ny@demo.kommune.no",
        "isManager": False,
        "role": "STAFF",
        "active": True,
    }
    assert (await client.query(VIEWER, as_=person))["viewer"] == {"kind": "STAFF"}
    stored = await session.scalar(
        text("SELECT national_id FROM staff_account WHERE name = 'Siri Ny'")
    )
    assert NEW_NID.encode() not in bytes(stored)
    assert await _register_events(session) == [
        ("REGISTER_STAFF", "MUNICIPAL_ADMIN", "StaffAccount")
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        pytest.param(
            "nationalId",
            "12345678901",
            "nationalId is not a valid national id",
            id="invalid-national-id",
        ),
        pytest.param(
            "officePhone", "12 34", "officePhone is not a Norwegian phone number", id="phone"
        ),
        pytest.param("mobile", "+46 70 123 45 67", "mobile is not a Norwegian", id="swedish"),
        pytest.param("email", "siri@kommune", "email is not an e-mail address", id="email"),
        pytest.param("name", "  ", "name must not be empty", id="empty-name"),
    ],
)
async def test_bad_staff_input_is_a_typed_error_naming_the_field_and_nothing_is_written(
    client: GraphQLClient,
    world: World,
    session: AsyncSession,
    field: str,
    value: str,
    message: str,
) -> None:
    out = await call(
        client,
        "createStaffAccount",
        _new_staff(world.school, **{field: value}),
        as_=world.admin,
        selection=ACCOUNT,
    )
    assert out["staffAccount"] is None
    assert out["error"]["code"] == "INVALID_INPUT"
    assert out["error"]["field"] == field
    assert out["error"]["message"].startswith(message)
    assert value not in out["error"]["message"] or field == "name"
    assert await session.scalar(select(StaffAccount).where(StaffAccount.name == "Siri Ny")) is None


async def test_a_national_id_already_registered_is_refused(
    client: GraphQLClient, world: World
) -> None:
    out = await call(
        client,
        "createStaffAccount",
        _new_staff(world.school, nationalId=world.actor.national_id),
        as_=world.admin,
    )
    assert out["error"] == {
        "code": "INVALID_INPUT",
        "message": "nationalId is already registered to a staff account.",
        "field": "nationalId",
    }


async def test_a_municipal_admin_corrects_an_account_and_moves_it_to_another_unit(
    client: GraphQLClient, world: World
) -> None:
    ref = gid("StaffAccount", world.manager)
    out = await call(
        client,
        "editStaffAccount",
        {
            "staffAccountId": ref,
            "organisationId": gid("Organisation", world.health),
            "mobile": None,
            "position": "Helsesykepleier",
        },
        as_=world.admin,
        selection=ACCOUNT,
    )
    assert out["error"] is None
    account = out["staffAccount"]
    assert (account["position"], account["mobile"], account["isManager"]) == (
        "Helsesykepleier",
        None,
        False,  # the manager of the school is not the manager of the health station
    )
    assert account["name"] == "Mona Leder"  # not given: unchanged


async def test_a_municipal_admin_makes_and_unmakes_a_unit_manager(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    ref = gid("StaffAccount", world.actor)
    made = await call(
        client,
        "setUnitManager",
        {"staffAccountId": ref, "isManager": True},
        as_=world.admin,
        selection=ACCOUNT,
    )
    assert made["staffAccount"]["isManager"] is True
    unmade = await call(
        client,
        "setUnitManager",
        {"staffAccountId": ref, "isManager": False},
        as_=world.admin,
        selection=ACCOUNT,
    )
    assert unmade["staffAccount"]["isManager"] is False
    reporter = await call(
        client,
        "setUnitManager",
        {"staffAccountId": gid("StaffAccount", world.reporter), "isManager": True},
        as_=world.admin,
    )
    assert reporter["error"]["field"] == "staffAccountId"
    assert [a for a, _, _ in await _register_events(session)] == ["APPOINT_MANAGER"] * 2


async def test_deactivating_an_account_blocks_sign_in_and_ends_its_places_in_logs(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await world.seed.actor(log, world.actor)
    out = await call(
        client,
        "deactivateStaffAccount",
        {"staffAccountId": gid("StaffAccount", world.actor), "reason": "Sluttet i stillingen"},
        as_=world.admin,
        selection=ACCOUNT,
    )
    assert out["error"] is None
    assert out["staffAccount"]["active"] is False
    assert (await client.query(VIEWER, as_=world.actor))["viewer"] is None
    membership = await session.scalar(
        select(ActorMembership).where(ActorMembership.staff_id == world.actor.id)
    )
    assert membership is not None
    await session.refresh(membership)
    assert membership.status is ActorStatus.DEACTIVATED
    assert membership.deactivated_reason == "Staff account deactivated: Sluttet i stillingen"
    seen = await client.query(
        "query($id: ID!) { node(id: $id) { ... on RelayLog { actors { name status "
        "deactivatedReason } } } }",
        as_=world.holder,
        variables={"id": gid("RelayLog", log)},
    )
    assert {
        "name": "Anders Aktør",
        "status": "DEACTIVATED",
        "deactivatedReason": "Staff account deactivated: Sluttet i stillingen",
    } in seen["node"]["actors"]
    back = await call(
        client,
        "reactivateStaffAccount",
        {"staffAccountId": gid("StaffAccount", world.actor)},
        as_=world.admin,
        selection=ACCOUNT,
    )
    assert back["staffAccount"]["active"] is True
    assert (await client.query(VIEWER, as_=world.actor))["viewer"] == {"kind": "STAFF"}


async def test_an_account_that_holds_open_logs_cannot_be_deactivated_until_they_are_transferred(
    client: GraphQLClient, world: World
) -> None:
    await world.seed.log(world.youth, world.holder, level=1)
    second = await world.seed.child(world.municipality, "Per Barn", [world.guardian])
    await world.seed.log(second, world.holder, level=0)
    out = await call(
        client,
        "deactivateStaffAccount",
        {"staffAccountId": gid("StaffAccount", world.holder), "reason": "Sluttet"},
        as_=world.admin,
    )
    assert out["error"] == {
        "code": "NOT_ALLOWED",
        "message": "The account holds 2 open log(s); transfer them to a colleague first.",
        "field": "staffAccountId",
    }
    assert (await client.query(VIEWER, as_=world.holder))["viewer"] == {"kind": "STAFF"}


async def test_a_municipal_admin_cannot_deactivate_herself(
    client: GraphQLClient, world: World
) -> None:
    out = await call(
        client,
        "deactivateStaffAccount",
        {"staffAccountId": gid("StaffAccount", world.admin), "reason": "Test"},
        as_=world.admin,
    )
    assert out["error"] == {
        "code": "NOT_ALLOWED",
        "message": "You cannot deactivate your own account.",
        "field": "staffAccountId",
    }


async def test_a_unit_manager_registers_a_holder_in_her_own_unit_only(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    own = await call(
        client, "createStaffAccount", _new_staff(world.school), as_=world.manager, selection=ACCOUNT
    )
    assert own["error"] is None
    assert own["staffAccount"]["role"] == "STAFF"
    other = await call(
        client,
        "createStaffAccount",
        _new_staff(world.health, nationalId=synthetic_national_id(date(1992, 2, 2), 3)),
        as_=world.manager,
    )
    assert other["error"] == {
        "code": "NOT_ALLOWED",
        "message": "A unit manager registers staff in her own unit only.",
        "field": "organisationId",
    }
    admin = await call(
        client,
        "createStaffAccount",
        _new_staff(
            world.school,
            nationalId=synthetic_national_id(date(1992, 2, 3), 4),
            role="MUNICIPAL_ADMIN",
        ),
        as_=world.manager,
    )
    assert admin["error"]["code"] == "NOT_ALLOWED"
    assert await _register_events(session) == [("REGISTER_STAFF", "STAFF", "StaffAccount")]


async def test_a_unit_manager_cannot_move_her_staff_out_of_her_unit(
    client: GraphQLClient, world: World
) -> None:
    out = await call(
        client,
        "editStaffAccount",
        {
            "staffAccountId": gid("StaffAccount", world.actor),
            "organisationId": gid("Organisation", world.health),
        },
        as_=world.manager,
    )
    assert out["error"]["code"] == "NOT_ALLOWED"
    fixed = await call(
        client,
        "editStaffAccount",
        {"staffAccountId": gid("StaffAccount", world.actor), "officePhone": "0047 22 11 22 11"},
        as_=world.manager,
        selection=ACCOUNT,
    )
    assert fixed["staffAccount"]["officePhone"] == "0047 22 11 22 11"


async def test_another_municipalitys_units_and_staff_answer_exactly_like_missing_ones(
    client: GraphQLClient, world: World
) -> None:
    unit, admin = await other_municipality(world)
    theirs = await call(
        client,
        "editOrganisation",
        {"organisationId": gid("Organisation", unit), "name": "X"},
        as_=world.admin,
    )
    missing = await call(
        client,
        "editOrganisation",
        {"organisationId": gid("Organisation", uuid.uuid4()), "name": "X"},
        as_=world.admin,
    )
    assert (
        theirs
        == missing
        == {
            "error": {
                "code": "NOT_FOUND",
                "message": "No such organisation.",
                "field": "organisationId",
            }
        }
    )
    ours = await call(
        client,
        "deactivateStaffAccount",
        {"staffAccountId": gid("StaffAccount", world.actor), "reason": "x"},
        as_=admin,
    )
    assert ours["error"] == {
        "code": "NOT_FOUND",
        "message": "No such staff account.",
        "field": "staffAccountId",
    }
