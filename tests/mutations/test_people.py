"""People on a log after ``createLog``: the holder corrects the child's address and the
guardians' contact details, adds a guardian later and removes one with a reason; a guardian
corrects their own phone and e-mail. Versioned on the log and audited."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from models import ChildGuardian, Guardian, GuardianChange, RelayLog
from models.national_id import synthetic_national_id
from models.retention import purge
from schema.node import encode_global_id
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import call, consent_all, gid, written

LOG = "log { id version level child { address } guardians { id name phone email } }"
NEW_PARENT = synthetic_national_id(date(1983, 9, 9), 17)
FAMILY_VIEW = "query($id: ID!) { node(id: $id) { ... on RelayLog { id level } } }"


def _guardian_gid(guardian: Guardian, log: RelayLog) -> str:
    """The id ``log.guardians { id }`` gives (scoped to the log)."""
    return encode_global_id("Guardian", guardian.id, log.id)


async def test_the_holder_corrects_the_childs_address_and_a_stale_version_is_a_conflict(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    edit = {"logId": gid("RelayLog", log), "expectedVersion": log.version, "address": "Nyveien 2"}
    out = await call(client, "editChild", edit, as_=world.holder, selection=LOG)
    assert out["error"] is None
    assert out["log"]["child"]["address"] == "Nyveien 2"
    assert out["log"]["version"] == log.version + 1
    stale = await call(client, "editChild", edit, as_=world.holder)
    assert stale["error"]["code"] == "CONFLICT"
    assert await written(session, log.id) == [("EDIT_PEOPLE", "HOLDER", "Child")]


async def test_the_holder_corrects_a_guardians_name_phone_and_email(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    out = await call(
        client,
        "editGuardian",
        {
            "logId": gid("RelayLog", log),
            "guardianId": _guardian_gid(world.other_guardian, log),
            "expectedVersion": log.version,
            "name": "Marit Foresatt Berg",
            "phone": "+46 70 123 45 67",
            "email": "marit@example.no",
        },
        as_=world.holder,
        selection=LOG,
    )
    assert out["error"] is None
    assert {
        "id": _guardian_gid(world.other_guardian, log),
        "name": "Marit Foresatt Berg",
        "phone": "+46 70 123 45 67",
        "email": "marit@example.no",
    } in out["log"]["guardians"]


async def test_bad_contact_details_name_the_field(client: GraphQLClient, world: World) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    base = {
        "logId": gid("RelayLog", log),
        "guardianId": _guardian_gid(world.guardian, log),
        "expectedVersion": log.version,
    }
    phone = await call(client, "editGuardian", base | {"phone": "123"}, as_=world.holder)
    assert phone["error"]["field"] == "phone"
    email = await call(client, "editGuardian", base | {"email": "a@b"}, as_=world.holder)
    assert email["error"]["field"] == "email"


async def test_a_guardian_of_another_log_answers_like_a_missing_one(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    stranger = await world.seed.guardian("Fremmed Forelder")
    await world.seed.child(world.municipality, "Annet Barn", [stranger])
    answers = []
    for guardian_id in (_guardian_gid(stranger, log), gid("Guardian", world.holder)):
        answers.append(
            await call(
                client,
                "editGuardian",
                {
                    "logId": gid("RelayLog", log),
                    "guardianId": guardian_id,
                    "expectedVersion": log.version,
                    "name": "X",
                },
                as_=world.holder,
            )
        )
    assert answers[0] == answers[1]
    assert answers[0]["error"] == {
        "code": "NOT_FOUND",
        "message": "No such guardian.",
        "field": "guardianId",
    }


async def test_a_guardian_corrects_their_own_phone_and_email_and_no_one_elses(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    out = await call(
        client,
        "editOwnContact",
        {"logId": gid("RelayLog", log), "expectedVersion": log.version, "phone": "987 65 432"},
        as_=world.guardian,
        audience=Audience.FAMILY,
        selection="log { guardians { name phone email } }",
    )
    assert out["error"] is None
    phones = {g["name"]: g["phone"] for g in out["log"]["guardians"]}
    assert phones["Gunnar Foresatt"] == "987 65 432"
    assert phones["Marit Foresatt"] == world.other_guardian.phone
    await session.refresh(world.guardian)
    assert world.guardian.email is not None  # not given: unchanged
    assert await written(session, log.id) == [("EDIT_OWN_CONTACT", "GUARDIAN", "Guardian")]


async def test_a_second_guardian_added_later_must_consent_before_the_level_can_rise(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await consent_all(world, log, 2)  # both guardians and the youth agreed to share
    out = await call(
        client,
        "addGuardian",
        {
            "logId": gid("RelayLog", log),
            "expectedVersion": log.version,
            "name": "Nils Ny",
            "nationalId": NEW_PARENT,
            "phone": "+47 911 22 333",
        },
        as_=world.holder,
        selection=LOG,
    )
    assert out["error"] is None
    assert out["log"]["level"] == 1  # the current level stays
    assert "Nils Ny" in [g["name"] for g in out["log"]["guardians"]]
    raised = await call(
        client,
        "setLevel",
        {
            "logId": gid("RelayLog", log),
            "level": 2,
            "reason": "Deling",
            "expectedVersion": out["log"]["version"],
        },
        as_=world.holder,
    )
    assert raised["error"]["code"] == "CONSENT_REQUIRED"
    newcomer = Guardian(national_id=NEW_PARENT)
    seen = await client.query(
        FAMILY_VIEW,
        as_=newcomer,
        audience=Audience.FAMILY,
        variables={"id": gid("RelayLog", log)},
    )
    assert seen["node"] == {"id": gid("RelayLog", log), "level": 1}
    assert ("CHANGE_GUARDIANS", "HOLDER", "Guardian") in await written(session, log.id)


async def test_a_guardian_without_parental_responsibility_is_kept_as_such(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    out = await call(
        client,
        "addGuardian",
        {
            "logId": gid("RelayLog", log),
            "expectedVersion": log.version,
            "name": "Ste Forelder",
            "nationalId": NEW_PARENT,
            "parentalResponsibility": False,
        },
        as_=world.holder,
    )
    assert out["error"] is None
    link = await session.scalar(
        select(ChildGuardian)
        .join(Guardian, Guardian.id == ChildGuardian.guardian_id)
        .where(Guardian.name == "Ste Forelder")
    )
    assert link is not None
    assert link.parental_responsibility is False


async def test_adding_someone_already_in_the_log_is_refused(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    out = await call(
        client,
        "addGuardian",
        {
            "logId": gid("RelayLog", log),
            "expectedVersion": log.version,
            "name": "Igjen",
            "nationalId": world.guardian.national_id,
        },
        as_=world.holder,
    )
    assert out["error"] == {
        "code": "INVALID_INPUT",
        "message": "nationalId names someone already in the log.",
        "field": "nationalId",
    }


async def test_the_holder_removes_a_guardian_with_a_reason_and_they_no_longer_see_the_log(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    remove = {
        "logId": gid("RelayLog", log),
        "guardianId": _guardian_gid(world.other_guardian, log),
        "expectedVersion": log.version,
        "reason": "Foreldreansvar endret",
    }
    out = await call(client, "removeGuardian", remove, as_=world.holder, selection=LOG)
    assert out["error"] is None
    assert [g["name"] for g in out["log"]["guardians"]] == ["Gunnar Foresatt"]
    seen = await client.query(
        FAMILY_VIEW,
        as_=world.other_guardian,
        audience=Audience.FAMILY,
        variables={"id": gid("RelayLog", log)},
    )
    assert seen["node"] is None
    change = await session.scalar(
        select(GuardianChange).where(GuardianChange.guardian_id == world.other_guardian.id)
    )
    assert change is not None
    assert (change.change, change.reason, change.changed_by_id) == (
        "REMOVED",
        "Foreldreansvar endret",
        world.holder.id,
    )
    last = await call(
        client,
        "removeGuardian",
        remove
        | {
            "guardianId": _guardian_gid(world.guardian, log),
            "expectedVersion": out["log"]["version"],
        },
        as_=world.holder,
    )
    assert last["error"]["message"].startswith("The last guardian with parental responsibility")


async def test_a_purge_also_removes_a_guardian_who_was_removed_from_the_log(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    remove = {
        "logId": gid("RelayLog", log),
        "guardianId": _guardian_gid(world.other_guardian, log),
        "expectedVersion": log.version,
        "reason": "Foreldreansvar endret",
    }
    assert (await call(client, "removeGuardian", remove, as_=world.holder))["error"] is None
    gone_id = world.other_guardian.id
    await session.refresh(log)
    await world.seed.close(log)
    await purge(session, [log.id])
    assert await session.get(Guardian, gone_id) is None
