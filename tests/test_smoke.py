from tests.factories import World
from tests.graphql import GraphQLClient


async def test_holder_sees_her_log_in_my_logs(client: GraphQLClient, world: World) -> None:
    log = await world.full_log(level=1)
    data = await client.query(
        "{ viewer { kind name } myLogs { edges { node { id level child { name nationalId } } } } }",
        as_=world.holder,
    )
    assert data["viewer"] == {"kind": "STAFF", "name": "Hanne Holder"}
    [edge] = data["myLogs"]["edges"]
    assert edge["node"]["level"] == 1
    assert edge["node"]["child"]["name"] == "Ylva Ungdom"
    assert edge["node"]["child"]["nationalId"] == world.youth.national_id
    del log
