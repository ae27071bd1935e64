"""Transfer of the holder role: the holder asks, the named staff member accepts, and only
then does anything change; the old holder stays (same unit) or leaves (another unit). A move
to another service needs the consent that covers it or the family's approval in the app,
and the family sees where its log goes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from models import ActorMembership, ArchiveRecord, RelayLog, StaffAccount, Transfer
from models.enums import ConsentScope, OrganisationKind, TransferStatus
from models.events import DomainEvent
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import call, consent_all, gid, written

FAMILY = Audience.FAMILY
TRANSFERS = """query($id: ID!) { node(id: $id) { ... on RelayLog { transfers {
  id status fromStaffName fromOrganisationName toStaffName toOrganisationName createdAt
  decidedAt consentNeeded approvals { givenByKind givenByName approvedAt } } } } }"""

TRANSFER = """transfer { id status reason logId fromStaffName toStaffName
  fromOrganisationName toOrganisationName decidedAt }"""
ACTORS = """query($id: ID!) { node(id: $id) { ... on RelayLog {
  actors { name isHolder status deactivatedReason } } } }"""


def _request(log: RelayLog, to: StaffAccount, reason: str = "Bytter skole") -> dict[str, Any]:
    return {"logId": gid("RelayLog", log), "toStaffId": gid("StaffAccount", to), "reason": reason}


async def _ask(client: GraphQLClient, world: World, log: RelayLog, to: StaffAccount) -> str:
    out = await call(
        client, "requestTransfer", _request(log, to), as_=world.holder, selection=TRANSFER
    )
    assert out["error"] is None, out["error"]
    return out["transfer"]["id"]


async def _answer(client: GraphQLClient, mutation: str, transfer_id: str, as_: Any) -> dict:
    return await call(
        client, mutation, as_=as_, selection=TRANSFER, variables={"transferId": transfer_id}
    )


async def test_a_transfer_to_another_unit_waits_for_the_new_holder_and_then_moves_the_log(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await consent_all(world, log, 2)  # the family consented to sharing with other services
    await world.seed.actor(log, world.actor)
    transfer_id = await _ask(client, world, log, world.external)

    before = await client.query(ACTORS, as_=world.external, variables={"id": gid("RelayLog", log)})
    assert before["node"] is None  # until accepted the old holder stays responsible
    pending = await client.query(
        "{ myTransfers { id status reason fromOrganisationName } }", as_=world.external
    )
    assert pending["myTransfers"] == [
        {
            "id": transfer_id,
            "status": "PENDING",
            "reason": "Bytter skole",
            "fromOrganisationName": "Bakken skole",
        }
    ]

    out = await _answer(client, "acceptTransfer", transfer_id, world.external)
    assert out["error"] is None
    assert out["transfer"]["status"] == "ACCEPTED"
    assert out["transfer"]["toOrganisationName"] == "Helsestasjonen"
    assert out["transfer"]["decidedAt"] is not None
    after = await client.query(ACTORS, as_=world.external, variables={"id": gid("RelayLog", log)})
    assert {
        a["name"]: (a["isHolder"], a["status"], a["deactivatedReason"])
        for a in after["node"]["actors"]
    } == {
        "Eva Ekstern": (True, "ACTIVE", None),
        "Hanne Holder": (False, "DEACTIVATED", "transferred"),
        "Anders Aktør": (False, "DEACTIVATED", "transferred"),  # level 1: one unit only
    }
    old = await client.query(ACTORS, as_=world.holder, variables={"id": gid("RelayLog", log)})
    assert old["node"] is None
    record = await session.scalar(select(ArchiveRecord).where(ArchiveRecord.log_id == log.id))
    assert record is not None  # every accepted transfer files an archive copy
    # The old unit's copy, as the log left it: accepted by the new holder, filed for Bakken.
    assert (record.reason, record.created_by_id) == ("TRANSFER", world.external.id)
    assert (record.holder_id, record.author_organisation_id) == (world.holder.id, world.school.id)
    stored = await session.scalar(select(Transfer).where(Transfer.log_id == log.id))
    assert stored is not None
    assert stored.archive_record_id == record.id
    assert await written(session, log.id) == [
        ("MANAGE_LOG", "HOLDER", "Transfer"),
        ("ANSWER_TRANSFER", "NONE", "Transfer"),
    ]


async def test_within_the_same_unit_the_old_holder_stays_as_an_actor(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await world.seed.actor(log, world.actor)
    transfer_id = await _ask(client, world, log, world.actor)
    out = await _answer(client, "acceptTransfer", transfer_id, world.actor)
    assert out["error"] is None
    data = await client.query(ACTORS, as_=world.actor, variables={"id": gid("RelayLog", log)})
    assert {a["name"]: (a["isHolder"], a["status"]) for a in data["node"]["actors"]} == {
        "Anders Aktør": (True, "ACTIVE"),
        "Hanne Holder": (False, "ACTIVE"),
    }


async def test_only_the_staff_member_asked_can_accept(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    transfer_id = await _ask(client, world, log, world.external)
    stranger = await _answer(client, "acceptTransfer", transfer_id, world.outsider)
    assert stranger["error"] == {
        "code": "NOT_FOUND",
        "message": "No such transfer.",
        "field": "transferId",
    }
    holder = await _answer(client, "acceptTransfer", transfer_id, world.holder)
    assert holder["error"]["code"] == "NOT_ALLOWED"
    status = await session.scalar(select(Transfer.status))
    assert status is TransferStatus.PENDING


async def test_the_holder_cancels_and_a_cancelled_transfer_cannot_be_accepted(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    transfer_id = await _ask(client, world, log, world.external)
    cancelled = await _answer(client, "cancelTransfer", transfer_id, world.holder)
    assert cancelled["transfer"]["status"] == "CANCELLED"
    late = await _answer(client, "acceptTransfer", transfer_id, world.external)
    assert late["error"] == {
        "code": "INVALID_INPUT",
        "message": "This transfer is no longer waiting.",
        "field": "transferId",
    }
    holder = await session.scalar(
        select(ActorMembership.staff_id).where(
            ActorMembership.log_id == log.id, ActorMembership.is_holder
        )
    )
    assert holder == world.holder.id


async def test_the_staff_member_asked_may_decline(client: GraphQLClient, world: World) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    transfer_id = await _ask(client, world, log, world.external)
    out = await _answer(client, "declineTransfer", transfer_id, world.external)
    assert out["transfer"]["status"] == "CANCELLED"
    again = await _ask(client, world, log, world.actor)  # a new request may follow
    assert again != transfer_id


async def test_one_transfer_at_a_time_and_never_to_oneself(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await _ask(client, world, log, world.external)
    second = await call(
        client, "requestTransfer", _request(log, world.actor), as_=world.holder, selection=TRANSFER
    )
    assert second["error"] == {
        "code": "INVALID_INPUT",
        "message": "A transfer of this log is already waiting; cancel it first.",
        "field": "logId",
    }
    other = await world.seed.log(world.youth, world.holder, level=1)
    self_ = await call(
        client,
        "requestTransfer",
        _request(other, world.holder),
        as_=world.holder,
        selection=TRANSFER,
    )
    assert self_["error"]["message"] == "You already hold this log."
    long = await call(
        client,
        "requestTransfer",
        _request(other, world.actor, "x" * 501),
        as_=world.holder,
        selection=TRANSFER,
    )
    assert long["error"]["field"] == "reason"


async def test_only_the_holder_asks_for_a_transfer(client: GraphQLClient, world: World) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await world.seed.actor(log, world.actor)
    out = await call(
        client, "requestTransfer", _request(log, world.actor), as_=world.actor, selection=TRANSFER
    )
    assert out["error"]["code"] == "NOT_ALLOWED"


async def test_an_accepted_transfer_files_the_archive_snapshot_it_is_given(
    world: World, session: AsyncSession
) -> None:
    """The seam for the export capability: whatever ``on_accepted`` files is linked."""
    from models.base import utcnow
    from models.operations import transfer as ops

    log = await world.seed.log(world.youth, world.holder, level=1)
    transfer = await ops.request_transfer(session, log, to_staff_id=world.actor.id, reason="")

    async def snapshot(s: AsyncSession, snap_log: RelayLog, t: Transfer) -> ArchiveRecord:
        record = ArchiveRecord(
            log_id=snap_log.id,
            reason="TRANSFER",
            case_title="Stafettlogg",
            document_title="Overføring",
            size_bytes=1,
            sha256="0" * 64,
        )
        s.add(record)
        await s.flush()
        return record

    accepted = await ops.accept_transfer(session, transfer, now=utcnow(), on_accepted=snapshot)
    assert accepted.status is TransferStatus.ACCEPTED
    assert accepted.archive_record_id is not None
    assert await ops.archive_snapshot_hook(session, log, accepted) is None  # the default: no-op


async def _family_transfers(client: GraphQLClient, log: RelayLog, as_: Any) -> list[Any]:
    data = await client.query(
        TRANSFERS, as_=as_, audience=FAMILY, variables={"id": gid("RelayLog", log)}
    )
    return data["node"]["transfers"]


async def _approve(client: GraphQLClient, transfer_id: str, as_: Any) -> dict[str, Any]:
    return await call(
        client,
        "approveTransfer",
        as_=as_,
        audience=FAMILY,
        selection="transfer { id status approvals { givenByKind givenByName } }",
        variables={"transferId": transfer_id},
    )


async def test_a_transfer_to_another_service_waits_for_the_familys_approval(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    """School to health station at level 1 with only the consent to create the log: the
    health visitor cannot take it over until both guardians and the youth have approved."""
    log = await world.seed.log(world.youth, world.holder, level=1)
    await consent_all(world, log, 1)
    transfer_id = await _ask(client, world, log, world.external)

    refused = await _answer(client, "acceptTransfer", transfer_id, world.external)
    assert refused["transfer"] is None
    assert refused["error"]["code"] == "CONSENT_REQUIRED"
    assert refused["error"]["field"] == "transferId"
    assert "consent to share with other services" in refused["error"]["message"]
    assert await session.scalar(select(Transfer.status)) is TransferStatus.PENDING
    assert await session.scalar(select(ArchiveRecord.id)) is None  # nothing moved, nothing filed

    [pending] = await _family_transfers(client, log, world.guardian)
    assert pending == {
        "id": transfer_id,
        "status": "PENDING",
        "fromStaffName": "Hanne Holder",
        "fromOrganisationName": "Bakken skole",
        "toStaffName": "Eva Ekstern",
        "toOrganisationName": "Helsestasjonen",
        "createdAt": pending["createdAt"],
        "decidedAt": None,
        "consentNeeded": "SHARE",
        "approvals": [],
    }
    first = await _approve(client, transfer_id, world.guardian)
    assert first["error"] is None
    assert first["transfer"]["approvals"] == [
        {"givenByKind": "GUARDIAN", "givenByName": "Gunnar Foresatt"}
    ]
    twice = await _approve(client, transfer_id, world.guardian)
    assert twice == {
        "transfer": None,
        "error": {
            "code": "INVALID_INPUT",
            "message": "You have already approved this transfer.",
            "field": "transferId",
        },
    }
    still = await _answer(client, "acceptTransfer", transfer_id, world.external)
    assert still["error"]["code"] == "CONSENT_REQUIRED"  # the other guardian and the youth

    assert (await _approve(client, transfer_id, world.other_guardian))["error"] is None
    assert (await _approve(client, transfer_id, world.youth))["error"] is None
    accepted = await _answer(client, "acceptTransfer", transfer_id, world.external)
    assert accepted["error"] is None
    assert accepted["transfer"]["status"] == "ACCEPTED"

    [done] = await _family_transfers(client, log, world.youth)
    assert (done["status"], done["toOrganisationName"]) == ("ACCEPTED", "Helsestasjonen")
    assert done["decidedAt"] is not None
    assert [a["givenByKind"] for a in done["approvals"]] == ["GUARDIAN", "GUARDIAN", "SUBJECT"]
    assert [a["givenByName"] for a in done["approvals"]] == [
        "Gunnar Foresatt",
        "Marit Foresatt",
        "Ylva Ungdom",
    ]
    assert ("APPROVE_TRANSFER", "GUARDIAN", "Transfer") in await written(session, log.id)
    told = await session.scalars(
        select(DomainEvent.kind).where(DomainEvent.log_id == log.id).order_by(DomainEvent.id)
    )
    assert [k for k in told if k.startswith("TRANSFER_")] == [
        "TRANSFER_REQUESTED",
        "TRANSFER_APPROVED",
        "TRANSFER_APPROVED",
        "TRANSFER_APPROVED",
        "TRANSFER_ACCEPTED",
    ]  # the new holder hears each approval: the last one lets them accept


async def test_a_guardian_refuses_a_transfer_in_the_app_and_nothing_moves(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    """School to health station: one guardian says no. The transfer ends as REFUSED, the
    health visitor can no longer accept it, nobody can approve it afterwards, and the holder
    and the health visitor are told (the event); the youth sees the refusal too."""
    log = await world.seed.log(world.youth, world.holder, level=1)
    await consent_all(world, log, 1)
    transfer_id = await _ask(client, world, log, world.external)

    refused = await call(
        client,
        "refuseTransfer",
        as_=world.other_guardian,
        audience=FAMILY,
        selection="transfer { id status decidedAt }",
        variables={"transferId": transfer_id},
    )
    assert refused["error"] is None
    assert refused["transfer"]["status"] == "REFUSED"
    assert refused["transfer"]["decidedAt"] is not None

    late = await _answer(client, "acceptTransfer", transfer_id, world.external)
    assert late["error"]["code"] == "INVALID_INPUT"
    assert late["error"]["message"] == "This transfer is no longer waiting."
    assert (await _approve(client, transfer_id, world.guardian))["error"]["message"] == (
        "This transfer is no longer waiting."
    )
    holder = await session.scalar(
        select(ActorMembership.staff_id).where(
            ActorMembership.log_id == log.id, ActorMembership.is_holder
        )
    )
    assert holder == world.holder.id
    assert await session.scalar(select(ArchiveRecord.id)) is None

    [seen] = await _family_transfers(client, log, world.youth)
    assert (seen["status"], seen["toOrganisationName"]) == ("REFUSED", "Helsestasjonen")
    assert ("REFUSE_TRANSFER", "GUARDIAN", "Transfer") in await written(session, log.id)
    told = await session.scalars(
        select(DomainEvent.kind).where(DomainEvent.log_id == log.id).order_by(DomainEvent.id)
    )
    assert [k for k in told if k.startswith("TRANSFER_")] == [
        "TRANSFER_REQUESTED",
        "TRANSFER_REFUSED",
    ]


async def test_specialist_health_below_level_3_needs_the_broad_consent(
    client: GraphQLClient, world: World
) -> None:
    bup = await world.seed.organisation(
        world.municipality, "BUP", OrganisationKind.SPECIALIST_HEALTH
    )
    doctor = await world.seed.staff(bup, "Dina Doktor")
    log = await world.seed.log(world.youth, world.holder, level=2)
    await consent_all(world, log, 2)
    transfer_id = await _ask(client, world, log, doctor)
    [pending] = await _family_transfers(client, log, world.guardian)
    assert pending["consentNeeded"] == "BROAD"

    refused = await _answer(client, "acceptTransfer", transfer_id, doctor)
    assert refused["error"]["code"] == "CONSENT_REQUIRED"
    assert "broad collaboration" in refused["error"]["message"]

    for guardian in (world.guardian, world.other_guardian, None):
        await world.seed.consent(log, guardian, ConsentScope.BROAD)
    accepted = await _answer(client, "acceptTransfer", transfer_id, doctor)
    assert accepted["error"] is None


async def test_within_the_same_service_the_consent_to_the_log_covers_the_move(
    client: GraphQLClient, world: World
) -> None:
    dalen = await world.seed.organisation(world.municipality, "Dalen", OrganisationKind.SCHOOL)
    teacher = await world.seed.staff(dalen, "Tor Lærer")
    log = await world.seed.log(world.youth, world.holder, level=1)
    await consent_all(world, log, 1)
    transfer_id = await _ask(client, world, log, teacher)
    [pending] = await _family_transfers(client, log, world.guardian)
    assert pending["consentNeeded"] is None
    assert (await _answer(client, "acceptTransfer", transfer_id, teacher))["error"] is None


async def test_another_family_neither_sees_nor_approves_a_transfer(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    await world.seed.actor(log, world.actor)
    transfer_id = await _ask(client, world, log, world.external)
    stranger = await world.seed.guardian("Fremmed Forelder")
    await world.seed.child(world.municipality, "Annet Barn", [stranger])

    out = await _approve(client, transfer_id, stranger)

    assert out["error"] == {
        "code": "NOT_FOUND",
        "message": "No such transfer.",
        "field": "transferId",
    }
    actor = await client.query(TRANSFERS, as_=world.actor, variables={"id": gid("RelayLog", log)})
    assert actor["node"] == {"transfers": []}  # an actor sees who holds it, not its moves
