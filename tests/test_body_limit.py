"""An over-large request is refused with 413 before it is parsed."""

from __future__ import annotations

from tests.graphql import GraphQLClient


async def test_a_request_body_over_the_limit_gets_413_and_is_not_parsed(
    client: GraphQLClient,
) -> None:
    limit = client.settings.max_request_bytes
    response = await client.http.post(
        "/graphql",
        content=b"{" + b" " * limit + b"}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"


async def test_a_normal_request_passes_the_limit(client: GraphQLClient) -> None:
    response = await client.http.post("/graphql", json={"query": "{ health { database } }"})
    assert response.status_code == 200
