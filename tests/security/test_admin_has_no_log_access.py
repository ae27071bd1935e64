"""Municipal admins and reporters never stand in a relation to a log (docs/design.md §2), whatever
their account carries: a manager flag, or memberships from before they changed role."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from models.enums import StaffRole
from schema.node import encode_global_id
from tests.factories import World
from tests.graphql import GraphQLClient

LOG = "query($id: ID!) { node(id: $id) { ... on RelayLog { level child { name } } } }"
WRITE = """mutation($input: AddSparkleInput!) { addSparkle(input: $input) { error { code } } }"""


async def test_an_admin_with_a_manager_flag_in_the_holders_unit_sees_no_log(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.full_log(level=1)
    world.admin.organisation_id = world.school.id
    world.admin.is_manager = True
    await session.flush()
    data = await client.query(
        LOG, as_=world.admin, variables={"id": encode_global_id("RelayLog", log.id)}
    )
    assert data["node"] is None


async def test_a_holder_made_admin_keeps_no_access_to_her_old_logs(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.full_log(level=2)
    world.holder.role = StaffRole.MUNICIPAL_ADMIN
    await session.flush()
    log_id = encode_global_id("RelayLog", log.id)
    assert (await client.query(LOG, as_=world.holder, variables={"id": log_id}))["node"] is None
    mine = await client.query("{ myLogs { edges { node { id } } } }", as_=world.holder)
    assert mine["myLogs"]["edges"] == []
    refused = await client.query(
        WRITE, as_=world.holder, variables={"input": {"logId": log_id, "text": "Hei"}}
    )
    assert refused["addSparkle"]["error"] == {"code": "NOT_FOUND"}
