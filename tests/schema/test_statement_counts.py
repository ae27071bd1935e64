"""No N+1: the number of SQL statements of a query does not grow with what it returns."""

from __future__ import annotations

from typing import Any

import pytest

from auth.policy import Audience
from schema.node import encode_global_id
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.policy.schema_walk import query_for

SIZES = [1, 10, 100]

DASHBOARD = """
{ myLogs(first: 100) { edges { node {
    level status child { name birthDate }
    pointsOfAttention { description measures { description finishedBy daysToDeadline
        responsibleActors { name } evaluations { outcome comment } } }
    meetings { heldOn status participants { name present } }
    sparkles { text occurredOn }
    actors { name mobile isHolder }
    activity { openMeasures overdueMeasures nextMeetingOn }
} } } }
"""


async def _count(count_statements: Any, run: Any) -> int:
    with count_statements() as counter:
        await run()
    return counter.count


async def test_the_holders_full_log_view_costs_the_same_for_1_10_and_100_measures(
    client: GraphQLClient, world: World, count_statements: Any
) -> None:
    counts = []
    for size in SIZES:
        log = await world.full_log(level=2)
        point = await world.seed.point(log, "Mange tiltak")
        for i in range(size):
            measure = await world.seed.measure(point, f"Tiltak {i}", responsible=[world.actor])
            await world.seed.evaluation(measure, world.actor)

        async def run(log_id: Any = log.id, size: int = size) -> None:
            data = await client.query(
                query_for(Audience.STAFF),
                as_=world.holder,
                variables={"id": encode_global_id("RelayLog", log_id)},
            )
            measures = [m for p in data["node"]["pointsOfAttention"] for m in p["measures"]]
            assert len(measures) == size + 1

        counts.append(await _count(count_statements, run))
    assert counts[0] == counts[1] == counts[2], counts


@pytest.mark.parametrize(
    ("person", "audience"),
    [
        pytest.param("guardian", Audience.FAMILY, id="guardian-dashboard"),
        pytest.param("holder", Audience.STAFF, id="holder-my-logs"),
    ],
)
async def test_a_list_of_1_10_or_100_logs_costs_the_same_number_of_statements(
    client: GraphQLClient, world: World, count_statements: Any, person: str, audience: Audience
) -> None:
    counts = []
    made = 0
    for size in SIZES:
        while made < size:
            log = await world.seed.log(world.youth, world.holder, level=1)
            await world.seed.actor(log, world.actor, shares_mobile=True)
            point = await world.seed.point(log)
            measure = await world.seed.measure(point, responsible=[world.actor])
            await world.seed.evaluation(measure, world.actor)
            await world.seed.meeting(log, actors=[world.holder], guardians=[world.guardian])
            await world.seed.sparkle(log, staff=world.actor)
            made += 1

        async def run(expected: int = size) -> None:
            data = await client.query(DASHBOARD, as_=getattr(world, person), audience=audience)
            assert len(data["myLogs"]["edges"]) == expected

        counts.append(await _count(count_statements, run))
    assert counts[0] == counts[1] == counts[2], counts


PACKAGES = """{ archivePackages(first: 100) { edges { node {
    id logId reason caseTitle organisationName holderName receivedAt receivedByName
} } pageInfo { hasNextPage endCursor } } }"""
TRANSFERS = """query($id: ID!) { node(id: $id) { ... on RelayLog { transfers {
    status fromStaffName toStaffName fromOrganisationName toOrganisationName consentNeeded
    approvals { givenByKind givenByName approvedAt } } } } }"""


async def test_a_units_archive_packages_cost_the_same_for_1_10_and_100(
    client: GraphQLClient, world: World, count_statements: Any
) -> None:
    from models import ArchiveRecord

    counts = []
    made = 0
    for size in SIZES:
        while made < size:
            log = await world.seed.log(world.youth, world.external, level=1)
            holder = await world.seed.staff(world.school, f"Holder {made}")
            world.seed.session.add(
                ArchiveRecord(
                    log_id=log.id,
                    reason="TRANSFER",
                    case_title="Stafettlogg",
                    document_title="Stafettlogg, ved overføring",
                    author_organisation_id=world.school.id,
                    holder_id=holder.id,
                    size_bytes=1,
                    sha256="0" * 64,
                )
            )
            made += 1
        await world.seed.session.flush()

        async def run(size: int = size) -> None:
            data = await client.query(PACKAGES, as_=world.manager)
            assert len(data["archivePackages"]["edges"]) == size

        counts.append(await _count(count_statements, run))
    assert counts[0] == counts[1] == counts[2], counts


async def test_a_logs_transfers_with_their_approvals_cost_the_same_for_1_10_and_100(
    client: GraphQLClient, world: World, count_statements: Any
) -> None:
    from models import Transfer, TransferApproval
    from models.enums import AuthorKind, TransferStatus

    counts = []
    for size in SIZES:
        log = await world.seed.log(world.youth, world.holder, level=1)
        for _ in range(size):
            transfer = Transfer(
                log_id=log.id,
                from_staff_id=world.holder.id,
                to_staff_id=world.external.id,
                from_organisation_id=world.school.id,
                to_organisation_id=world.health.id,
                status=TransferStatus.CANCELLED,
            )
            world.seed.session.add(transfer)
            await world.seed.session.flush()
            for guardian in (world.guardian, world.other_guardian):
                world.seed.session.add(
                    TransferApproval(
                        transfer_id=transfer.id,
                        log_id=log.id,
                        given_by_kind=AuthorKind.GUARDIAN,
                        given_by_guardian_id=guardian.id,
                    )
                )
        await world.seed.session.flush()

        async def run(log_id: Any = log.id, size: int = size) -> None:
            data = await client.query(
                TRANSFERS,
                as_=world.guardian,
                audience=Audience.FAMILY,
                variables={"id": encode_global_id("RelayLog", log_id)},
            )
            transfers = data["node"]["transfers"]
            assert len(transfers) == size
            assert all(len(t["approvals"]) == 2 for t in transfers)

        counts.append(await _count(count_statements, run))
    assert counts[0] == counts[1] == counts[2], counts
