"""Transfer of the holder role: the holder asks, the named staff member accepts, and only
then does anything change; the old holder stays (same unit) or leaves (another unit)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import ActorMembership, ArchiveRecord, RelayLog, StaffAccount, Transfer
from models.enums import TransferStatus
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import call, gid, written

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
    assert (record.reason, record.created_by_id) == ("TRANSFER", world.external.id)
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
