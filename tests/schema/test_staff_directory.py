"""A holder finds the colleague to add as an actor, or to hand the log to."""

from __future__ import annotations

from typing import Any

from auth.policy import Audience
from resolvers.pagination import encode_order_cursor
from tests.factories import World
from tests.graphql import GraphQLClient

DIRECTORY = """query($name: String, $first: Int = 50, $after: String) {
  staffDirectory(nameContains: $name, first: $first, after: $after) {
    edges { cursor node { id name position organisationName } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


def _entries(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in data["staffDirectory"]["edges"]]


async def test_a_holder_finds_a_colleague_by_name(client: GraphQLClient, world: World) -> None:
    data = await client.query(DIRECTORY, as_=world.holder, variables={"name": "ekst"})
    assert [(e["name"], e["organisationName"]) for e in _entries(data)] == [
        ("Eva Ekstern", "Helsestasjonen")
    ]


async def test_the_directory_lists_staff_only_and_treats_wildcards_literally(
    client: GraphQLClient, world: World
) -> None:
    everyone = await client.query(DIRECTORY, as_=world.holder)
    names = {e["name"] for e in _entries(everyone)}
    assert world.actor.name in names
    assert world.admin.name not in names
    assert world.reporter.name not in names
    wildcard = await client.query(DIRECTORY, as_=world.holder, variables={"name": "%"})
    assert _entries(wildcard) == []


async def test_families_have_no_staff_directory(client: GraphQLClient, world: World) -> None:
    response = await client.post(DIRECTORY, as_=world.guardian, audience=Audience.FAMILY)
    assert "staffDirectory" in response.json()["errors"][0]["message"]


async def test_the_directory_pages_forward_by_name(client: GraphQLClient, world: World) -> None:
    everyone = _entries(await client.query(DIRECTORY, as_=world.holder))
    walked: list[dict[str, Any]] = []
    variables: dict[str, Any] = {"first": 2}
    while True:
        page = (await client.query(DIRECTORY, as_=world.holder, variables=variables))[
            "staffDirectory"
        ]
        walked += [edge["node"] for edge in page["edges"]]
        info = page["pageInfo"]
        assert info["hasPreviousPage"] == ("after" in variables)
        assert info["startCursor"] == page["edges"][0]["cursor"]
        if not info["hasNextPage"]:
            break
        variables = {"first": 2, "after": info["endCursor"]}
    assert walked == everyone
    assert [e["name"] for e in walked] == sorted(e["name"] for e in walked)


async def test_a_cursor_of_an_account_the_directory_does_not_list_finds_nothing(
    client: GraphQLClient, world: World
) -> None:
    for account in (world.admin, world.reporter):  # in the municipality, but not staff
        cursor = encode_order_cursor("DIRECTORY", account.id)
        data = await client.query(DIRECTORY, as_=world.holder, variables={"after": cursor})
        assert _entries(data) == []
    response = await client.post(DIRECTORY, as_=world.holder, variables={"after": "bm9wZQ=="})
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": "after"}
