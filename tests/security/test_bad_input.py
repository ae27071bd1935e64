"""Hostile text, dates and ids get a typed answer that names the field, never an internal
error: the input layer (``schema.mutations.base.check_input``) and the id decoder
(``schema.node.decode_global_id``) refuse them before anything reaches PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Meeting, Note, Sparkle
from schema.node import decode_global_id, encode_global_id
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import ERROR, call, gid

NUL = "Referat\u0000"
LONE_SURROGATE = "Referat \ud800"


async def _ascii_call(
    client: GraphQLClient, mutation: str, payload: dict[str, Any], world: World
) -> dict[str, Any]:
    """A mutation sent as ASCII JSON, so a lone surrogate travels as ``\\ud800`` (as a
    hostile client sends it) and reaches the server as one."""
    name = mutation[0].upper() + mutation[1:] + "Input"
    query = f"mutation($input: {name}!) {{ {mutation}(input: $input) {{ {ERROR} }} }}"
    response = await client.http.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": {"input": payload}}),
        headers={
            "content-type": "application/json",
            "authorization": f"Bearer {client.token_for(world.holder)}",
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    payload_out: dict[str, Any] = body["data"][mutation]
    return payload_out


@pytest.mark.parametrize(
    ("mutation", "text_field", "extra"),
    [
        pytest.param("writeNote", "text", {}, id="note"),
        pytest.param("addSparkle", "text", {}, id="sparkle"),
        pytest.param(
            "scheduleMeeting",
            "place",
            {"heldOn": "2026-12-03", "startsAt": "09:00", "endsAt": "10:00"},
            id="meeting",
        ),
    ],
)
@pytest.mark.parametrize(
    "bad", [pytest.param(NUL, id="nul"), pytest.param(LONE_SURROGATE, id="lone-surrogate")]
)
async def test_text_postgresql_cannot_store_is_refused_naming_the_field(
    client: GraphQLClient,
    world: World,
    session: AsyncSession,
    mutation: str,
    text_field: str,
    extra: dict[str, Any],
    bad: str,
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    payload = {"logId": gid("RelayLog", log), text_field: bad, **extra}
    out = await _ascii_call(client, mutation, payload, world)
    assert out["error"]["code"] == "INVALID_INPUT"
    assert out["error"]["field"] == text_field
    for model in (Note, Sparkle, Meeting):
        assert await session.scalar(select(func.count()).select_from(model)) == 0


async def test_a_bad_character_deep_in_a_list_names_its_path(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    payload = {
        "logId": gid("RelayLog", log),
        "heldOn": "2026-12-03",
        "startsAt": "09:00",
        "endsAt": "10:00",
        "place": "Skolen",
        "inviteeActorIds": ["x", "y\u0000"],
    }
    out = await call(client, "scheduleMeeting", payload, as_=world.holder)
    assert out["error"]["field"] == "inviteeActorIds.1"


@pytest.mark.parametrize(
    "day", [pytest.param("0001-01-01", id="year-1"), pytest.param("9999-12-31", id="year-9999")]
)
async def test_a_meeting_date_outside_the_sane_range_is_refused(
    client: GraphQLClient, world: World, session: AsyncSession, day: str
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    payload = {
        "logId": gid("RelayLog", log),
        "heldOn": day,
        "startsAt": "09:00",
        "endsAt": "10:00",
        "place": "Skolen",
    }
    out = await call(client, "scheduleMeeting", payload, as_=world.holder)
    assert out["error"] == {
        "code": "INVALID_INPUT",
        "message": "heldOn must be between 1900-01-01 and 2099-12-31.",
        "field": "heldOn",
    }
    assert await session.scalar(select(func.count()).select_from(Meeting)) == 0


async def test_a_sparkle_date_in_year_9999_is_refused(client: GraphQLClient, world: World) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    payload = {"logId": gid("RelayLog", log), "text": "Fin dag", "occurredOn": "9999-12-31"}
    out = await call(client, "addSparkle", payload, as_=world.holder)
    assert out["error"]["field"] == "occurredOn"


def test_an_id_with_anything_appended_does_not_decode() -> None:
    import uuid

    object_id = uuid.uuid4()
    good = encode_global_id("RelayLog", object_id)
    assert decode_global_id(good) is not None
    for bad in (
        good + "\u0000",
        good + "=",
        good + " ",
        " " + good,
        good + "\n",
        good + "==",
        good + "!",
    ):
        assert decode_global_id(bad) is None, repr(bad)


@pytest.mark.parametrize("tail", [pytest.param("!", id="bang"), pytest.param("==", id="padding")])
async def test_a_log_id_with_anything_appended_names_no_log(
    client: GraphQLClient, world: World, tail: str
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    data = await client.query(
        "query($id: ID!) { node(id: $id) { id } }",
        as_=world.holder,
        variables={"id": gid("RelayLog", log) + tail},
    )
    assert data == {"node": None}


async def test_a_log_id_with_a_nul_appended_is_refused_as_text(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    body = await _ascii_query(
        client,
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": gid("RelayLog", log) + "\u0000"},
        world,
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "$id"}


async def _ascii_query(
    client: GraphQLClient, query: str, variables: dict[str, Any], world: World
) -> dict[str, Any]:
    response = await client.http.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}),
        headers={
            "content-type": "application/json",
            "authorization": f"Bearer {client.token_for(world.holder)}",
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    "bad", [pytest.param(NUL, id="nul"), pytest.param(LONE_SURROGATE, id="lone-surrogate")]
)
async def test_text_postgresql_cannot_store_in_a_read_is_refused_naming_the_variable(
    client: GraphQLClient, world: World, bad: str
) -> None:
    body = await _ascii_query(
        client,
        "query($name: String) { staffDirectory(nameContains: $name) { edges { node { name } } } }",
        {"name": bad},
        world,
    )
    assert body["data"] is None
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
        ("INVALID_INPUT", "$name")
    ]


async def test_a_nul_in_a_string_literal_of_a_read_names_the_argument(
    client: GraphQLClient, world: World
) -> None:
    body = await _ascii_query(
        client,
        '{ staffDirectory(nameContains: "Hanne\\u0000") { edges { node { name } } } }',
        {},
        world,
    )
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
        ("INVALID_INPUT", "nameContains")
    ]
