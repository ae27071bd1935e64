"""A holder finds the colleague to add as an actor, or to hand the log to."""

from __future__ import annotations

from auth.policy import Audience
from tests.factories import World
from tests.graphql import GraphQLClient

DIRECTORY = """query($name: String) { staffDirectory(nameContains: $name) {
  id name position organisationName } }"""


async def test_a_holder_finds_a_colleague_by_name(client: GraphQLClient, world: World) -> None:
    data = await client.query(DIRECTORY, as_=world.holder, variables={"name": "ekst"})
    assert [(e["name"], e["organisationName"]) for e in data["staffDirectory"]] == [
        ("Eva Ekstern", "Helsestasjonen")
    ]


async def test_the_directory_lists_staff_only_and_treats_wildcards_literally(
    client: GraphQLClient, world: World
) -> None:
    everyone = await client.query(DIRECTORY, as_=world.holder)
    names = {e["name"] for e in everyone["staffDirectory"]}
    assert world.actor.name in names
    assert world.admin.name not in names
    assert world.reporter.name not in names
    wildcard = await client.query(DIRECTORY, as_=world.holder, variables={"name": "%"})
    assert wildcard["staffDirectory"] == []


async def test_families_have_no_staff_directory(client: GraphQLClient, world: World) -> None:
    response = await client.post(DIRECTORY, as_=world.guardian, audience=Audience.FAMILY)
    assert "staffDirectory" in response.json()["errors"][0]["message"]
