"""What protects the executor: document limits before any SQL, typed input errors, masked
internal errors, ``node(id:)`` that never tells hidden from missing, introspection switch."""

from __future__ import annotations

import base64
import uuid
from types import SimpleNamespace
from typing import Any

import pytest

import resolvers.query
from auth.policy import Audience
from schema.build import build_schema
from schema.node import encode_global_id
from tests.factories import World
from tests.graphql import GraphQLClient

NODE_QUERY = "query Node($id: ID!) { node(id: $id) { id } }"
INTROSPECTION_QUERY = "{ __schema { types { name } } }"
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def sql_run(statements: list[str]) -> list[str]:
    """The statements that touched data, without the savepoints around them."""
    return [s for s in statements if not s.startswith(TRANSACTION_CONTROL)]


def deeper_than(depth: int) -> str:
    # No path in the schema is 12 fields deep, so the nesting is invalid as well as too deep;
    # the depth limiter must still speak up (validation reports every rule's errors).
    return "{ viewer { kind " + "{ a " * depth + "}" * depth + " } }"


def many_aliases(count: int) -> str:
    return "{ " + " ".join(f"v{i}: viewer {{ kind }}" for i in range(count)) + " }"


def many_tokens(count: int) -> str:
    # Short tokens, so that the document stays under the size limit and the count is what
    # refuses it (they need not be fields: the parser counts before anything validates).
    return "{ viewer { " + "k " * count + "} }"


@pytest.mark.parametrize(
    ("document", "complaint"),
    [
        pytest.param(deeper_than(12), "depth", id="deeper than 12"),
        pytest.param(many_aliases(31), "aliases", id="31 aliases"),
        pytest.param(many_tokens(4001), "tokens", id="more than 4000 tokens"),
    ],
)
async def test_a_hostile_document_is_refused_before_any_query_runs(
    client: GraphQLClient, world: World, count_statements: Any, document: str, complaint: str
) -> None:
    with count_statements() as baseline:
        await client.query("{ viewer { kind } }", as_=world.holder)
    with count_statements() as counter:
        response = await client.post(document, as_=world.holder)

    body = response.json()
    assert body["data"] is None
    assert any(complaint in error["message"] for error in body["errors"]), body["errors"]
    assert sql_run(counter.statements) == sql_run(baseline.statements)


async def test_documents_at_the_limits_are_accepted(client: GraphQLClient, world: World) -> None:
    data = await client.query(many_aliases(30), as_=world.holder)

    assert len(data) == 30


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        pytest.param("first: 101", "first", id="first above the page size"),
        pytest.param("first: 0", "first", id="first zero"),
        pytest.param("first: -1", "first", id="first negative"),
        pytest.param('after: "garbage"', "after", id="garbage cursor"),
    ],
)
async def test_bad_paging_arguments_are_invalid_input(
    client: GraphQLClient, world: World, arguments: str, field: str
) -> None:
    response = await client.post(
        f"{{ myLogs({arguments}) {{ edges {{ cursor }} }} }}", as_=world.holder
    )

    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": field}


def cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


async def test_a_cursor_with_an_unusable_timestamp_is_invalid_input(
    client: GraphQLClient, world: World
) -> None:
    after = cursor(f"0001-01-01T00:00:00+14:00|{uuid.uuid4()}")

    response = await client.post(
        f'{{ myLogs(after: "{after}") {{ edges {{ cursor }} }} }}', as_=world.holder
    )

    [error] = response.json()["errors"]
    assert error.get("extensions") == {"code": "INVALID_INPUT", "field": "after"}


async def test_an_unexpected_exception_is_masked(
    client: GraphQLClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = f"connection to db-internal.example failed for {world.holder.national_id}"

    async def broken(info: Any) -> str:
        raise RuntimeError(secret)

    monkeypatch.setattr(resolvers.query, "viewer_name", broken)

    response = await client.post("{ viewer { kind name } }", as_=world.holder)

    body = response.json()
    assert body["data"] == {"viewer": {"kind": "STAFF", "name": None}}
    [error] = body["errors"]
    assert error["message"] == "Internal error"
    assert "extensions" not in error
    assert "RuntimeError" not in response.text
    assert secret not in response.text


def raw_id(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "make_id",
    [
        pytest.param(lambda world: "", id="empty"),
        pytest.param(lambda world: "abc", id="not base64 of anything"),
        pytest.param(lambda world: raw_id("RelayLog:not-a-uuid"), id="RelayLog with a bad uuid"),
        pytest.param(
            lambda world: encode_global_id("Unicorn", uuid.uuid4()), id="valid id of unknown type"
        ),
        pytest.param(lambda world: "A" * 300, id="300 characters"),
        pytest.param(lambda world: raw_id(f"RelayLog:{uuid.uuid4()}:x:y"), id="too many parts"),
        pytest.param(
            lambda world: encode_global_id("RelayLog", uuid.uuid4()), id="log that does not exist"
        ),
        pytest.param(
            lambda world: encode_global_id("Organisation", world.school.id),
            id="organisation outside the admin's view",
        ),
        pytest.param(
            lambda world: encode_global_id("Guardian", world.guardian.id),
            id="guardian without a log",
        ),
    ],
)
async def test_a_malformed_or_unknown_id_is_simply_null(
    client: GraphQLClient, world: World, make_id: Any
) -> None:
    response = await client.post(NODE_QUERY, as_=world.holder, variables={"id": make_id(world)})

    assert response.status_code == 200
    assert response.json() == {"data": {"node": None}}


async def test_a_hidden_log_looks_exactly_like_a_missing_one(
    client: GraphQLClient, world: World
) -> None:
    log = await world.full_log(level=1)
    log_id = encode_global_id("RelayLog", log.id)
    holder_sees = await client.query(NODE_QUERY, as_=world.holder, variables={"id": log_id})
    assert holder_sees == {"node": {"id": log_id}}

    hidden = await client.post(NODE_QUERY, as_=world.outsider, variables={"id": log_id})
    missing = await client.post(
        NODE_QUERY,
        as_=world.outsider,
        variables={"id": encode_global_id("RelayLog", uuid.uuid4())},
    )

    assert hidden.status_code == missing.status_code == 200
    assert hidden.json() == missing.json() == {"data": {"node": None}}


async def test_introspection_works_in_dev_mode(client: GraphQLClient) -> None:
    data = await client.query(INTROSPECTION_QUERY)

    names = {t["name"] for t in data["__schema"]["types"]}
    assert {"Query", "RelayLog", "Node"} <= names


async def test_a_schema_built_without_introspection_refuses_it() -> None:
    schema = build_schema(Audience.STAFF, introspection=False)
    context = SimpleNamespace(viewer=None)

    refused = await schema.execute(INTROSPECTION_QUERY, context_value=context)
    ordinary = await schema.execute("{ viewer { kind } }", context_value=context)

    assert refused.data is None
    assert refused.errors
    assert "introspection" in refused.errors[0].message.lower()
    assert ordinary.errors is None
    assert ordinary.data == {"viewer": None}
