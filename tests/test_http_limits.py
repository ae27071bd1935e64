"""The HTTP edge under hostile bodies: every refusal is a 4xx with a GraphQL error body, none
is a plain-text 500, and none costs the server more than a glance."""

from __future__ import annotations

import json
from typing import Any

import pytest

from auth.policy import Audience
from relaylog.app import ENDPOINTS
from tests.factories import World
from tests.graphql import GraphQLClient

STAFF = ENDPOINTS[Audience.STAFF]
FAMILY = ENDPOINTS[Audience.FAMILY]
JSON = {"Content-Type": "application/json"}


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def assert_bad_request(response: Any, status: int = 400, code: str = "BAD_REQUEST") -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": code}
    message: str = error["message"]
    return message


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"null", id="null"),
        pytest.param(b"42", id="a number"),
        pytest.param(b'"x"', id="a string"),
        pytest.param(b"[]", id="an array"),
        pytest.param(b"\xff\xfe{}", id="invalid UTF-8"),
        pytest.param(b'{"query": "{ viewer { kind } }"', id="truncated JSON"),
        pytest.param(
            (
                '{"query": "{ viewer { kind } }", "variables": {"a": ' + nested(100_000) + "}}"
            ).encode(),
            id="variables nested 100 000 deep",
        ),
        pytest.param(
            (
                '{"query": "{ viewer { kind } }", "extensions": {"a": ' + nested(100_000) + "}}"
            ).encode(),
            id="extensions nested 100 000 deep",
        ),
        pytest.param(
            ('{"query": "{ viewer { kind } }", "variables": {"a": ' + nested(200) + "}}").encode(),
            id="variables nested 200 deep (under the parser's recursion limit)",
        ),
    ],
)
async def test_a_body_that_is_not_a_json_object_of_sane_depth_is_a_400_with_a_graphql_error(
    client: GraphQLClient, world: World, body: bytes
) -> None:
    # Signed in and not: anonymous bodies over the small limit would be a 413 unread.
    token = client.token_for(world.holder)
    signed_in = await client.http.post(
        STAFF, content=body, headers={**JSON, "Authorization": f"Bearer {token}"}
    )
    anonymous = await client.http.post(STAFF, content=body, headers=JSON)

    assert_bad_request(signed_in)
    if len(body) <= client.settings.small_request_bytes:
        assert_bad_request(anonymous)
    else:
        assert_bad_request(anonymous, 413, "REQUEST_TOO_LARGE")


async def test_variables_in_a_get_request_are_checked_like_a_body(client: GraphQLClient) -> None:
    response = await client.http.get(
        STAFF, params={"query": "{ viewer { kind } }", "variables": nested(5000)}
    )

    assert_bad_request(response)


@pytest.mark.parametrize(
    ("send", "status"),
    [
        pytest.param(
            lambda http: http.post(STAFF, content=b"query=x", headers={"Content-Type": "text/x"}),
            400,
            id="unsupported content type",
        ),
        pytest.param(lambda http: http.post(STAFF, json={}), 400, id="no query"),
        pytest.param(
            lambda http: http.post(
                STAFF, json={"query": "query A { viewer { kind } }", "operationName": "B"}
            ),
            400,
            id="unknown operation name",
        ),
        pytest.param(
            lambda http: http.get(STAFF, params={"query": "mutation { __typename }"}),
            400,
            id="a mutation over GET",
        ),
    ],
)
async def test_strawberrys_own_refusals_are_graphql_error_bodies_not_plain_text(
    client: GraphQLClient, send: Any, status: int
) -> None:
    response = await send(client.http)

    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_million_ids_in_the_variables_are_refused_without_a_stall(
    client: GraphQLClient, world: World
) -> None:
    body = json.dumps(
        {
            "query": 'query($ids: [ID!]!) { nodes: node(id: "x") { id } }',
            "variables": {"ids": [f"id{i}" for i in range(1_000_000)]},
        }
    ).encode()
    token = client.token_for(world.holder)

    anonymous = await client.http.post(STAFF, content=body, headers=JSON)
    signed_in = await client.http.post(
        STAFF, content=body, headers={**JSON, "Authorization": f"Bearer {token}"}
    )

    assert_bad_request(anonymous, 413, "REQUEST_TOO_LARGE")
    assert "more than 10000 JSON values" in assert_bad_request(signed_in)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("{ viewer { kind " + " " * 4_000_000 + "} }", id="4 MB of whitespace"),
        pytest.param('{ node(id: "' + "x" * 10_000_000 + '") { id } }', id="10 MB string"),
        pytest.param("{ viewer { kind } }" + " " * 20_000, id="just over the document limit"),
    ],
)
async def test_a_large_document_is_refused_before_it_is_parsed(
    client: GraphQLClient, world: World, query: str
) -> None:
    response = await client.post(query, as_=world.holder)

    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "DOCUMENT_TOO_LARGE"}


async def test_only_a_signed_in_person_may_send_a_large_body_and_only_to_the_staff_endpoint(
    client: GraphQLClient, world: World
) -> None:
    big = {"query": "{ viewer { kind } }", "variables": {"pad": "x" * 300_000}}

    anonymous = await client.http.post(STAFF, json=big)
    guardian = await client.http.post(
        FAMILY,
        json=big,
        headers={"Authorization": f"Bearer {client.token_for(world.guardian)}"},
    )

    assert_bad_request(anonymous, 413, "REQUEST_TOO_LARGE")
    assert_bad_request(guardian, 413, "REQUEST_TOO_LARGE")


CREATE_LOG = """mutation($input: CreateLogInput!) { createLog(input: $input) { error { code } } }"""


async def test_large_variables_are_for_the_file_uploads_only(
    client: GraphQLClient, world: World
) -> None:
    pad = "x" * 100_000
    viewer = await client.post(
        "query($pad: String) { viewer { kind } }", as_=world.holder, variables={"pad": pad}
    )
    upload = await client.post(CREATE_LOG, as_=world.holder, variables={"input": {"pad": pad}})

    [error] = viewer.json()["errors"]
    assert error["extensions"] == {"code": "VARIABLES_TOO_LARGE"}
    # createLog gets past the limits and is refused for its (invalid) input instead.
    codes = [e.get("extensions", {}).get("code") for e in upload.json()["errors"]]
    assert "VARIABLES_TOO_LARGE" not in codes
    assert "REQUEST_TOO_LARGE" not in codes
