"""GraphQL over HTTP as today's clients speak it: media types and status codes, CORS for web
front ends on other origins, and GraphiQL from the files the service ships."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from relaylog.app import GRAPHIQL_ASSETS, GRAPHIQL_DIR, Services, build_app
from relaylog.negotiation import GRAPHQL_RESPONSE_JSON, JSON, response_media_type
from relaylog.services import make_verifier
from relaylog.settings import ConfigurationError, Settings
from tests.conftest import TODAY, _joined_session
from tests.factories import World
from tests.graphql import GraphQLClient

NEW = {"Accept": f"{GRAPHQL_RESPONSE_JSON}, {JSON};q=0.9"}
LEGACY = {"Accept": JSON}
ORIGIN = "https://stafett.kommune.test"


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        pytest.param(None, JSON, id="no accept header: legacy"),
        pytest.param("*/*", JSON, id="anything: legacy"),
        pytest.param(JSON, JSON, id="json only"),
        pytest.param(GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON, id="new type only"),
        pytest.param(NEW["Accept"], GRAPHQL_RESPONSE_JSON, id="apollo and urql"),
        pytest.param(f"{JSON}, {GRAPHQL_RESPONSE_JSON};q=0.5", JSON, id="json preferred"),
        pytest.param(f"{GRAPHQL_RESPONSE_JSON};q=0", JSON, id="refused"),
        pytest.param(f"{GRAPHQL_RESPONSE_JSON};q=x", JSON, id="malformed quality"),
    ],
)
def test_the_media_type_follows_the_accept_header(accept: str | None, media_type: str) -> None:
    assert response_media_type(accept) == media_type


REQUEST_ERRORS = [
    pytest.param("{ viewer { kind }", None, id="parse"),
    pytest.param("{ viewer { nope } }", None, id="validation"),
    pytest.param(
        "query($first: Int) { myLogs(first: $first) { edges { node { id } } } }",
        {"first": "many"},
        id="variable coercion",
    ),
    pytest.param("query($id: ID!) { node(id: $id) { id } }", {}, id="missing variable"),
]


@pytest.mark.parametrize(("query", "variables"), REQUEST_ERRORS)
async def test_a_request_error_is_a_400_without_data_for_new_clients(
    client: GraphQLClient, world: World, query: str, variables: Any
) -> None:
    response = await client.http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={**NEW, "Authorization": f"Bearer {client.token_for(world.holder)}"},
    )

    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
    body = response.json()
    assert "data" not in body
    assert body["errors"]
    assert all("path" not in error for error in body["errors"])


@pytest.mark.parametrize(("query", "variables"), REQUEST_ERRORS)
async def test_older_clients_keep_200_with_data_null(
    client: GraphQLClient, world: World, query: str, variables: Any
) -> None:
    response = await client.http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={**LEGACY, "Authorization": f"Bearer {client.token_for(world.holder)}"},
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(JSON)
    assert response.json()["data"] is None
    assert response.json()["errors"]


async def test_an_executed_result_stays_200_in_the_new_media_type(
    client: GraphQLClient, world: World
) -> None:
    token = client.token_for(world.holder)
    ok = await client.http.post(
        "/graphql",
        json={"query": "{ viewer { kind } }"},
        headers={**NEW, "Authorization": f"Bearer {token}"},
    )
    # A field error (an argument the resolver refuses) was executed: 200, with ``data``
    # (null here: myLogs is non-null, so the error reaches the root).
    field_error = await client.http.post(
        "/graphql",
        json={"query": "{ viewer { kind } myLogs(first: -1) { edges { node { id } } } }"},
        headers={**NEW, "Authorization": f"Bearer {token}"},
    )

    assert (ok.status_code, ok.json()) == (200, {"data": {"viewer": {"kind": "STAFF"}}})
    assert ok.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
    assert field_error.status_code == 200
    assert "data" in field_error.json()
    assert field_error.json()["errors"][0]["path"] == ["myLogs"]


async def test_an_unknown_trusted_document_is_a_request_error_too(client: GraphQLClient) -> None:
    response = await client.http.post(
        "/graphql/family", json={"documentId": "sha256:" + "0" * 64}, headers=NEW
    )

    assert response.status_code == 400
    assert "data" not in response.json()
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_refusals_at_the_edge_use_the_media_type_asked_for(client: GraphQLClient) -> None:
    response = await client.http.post(
        "/graphql", content=b"{not json", headers={**NEW, "Content-Type": JSON}
    )

    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)


@pytest.fixture
async def app_with(
    settings: Settings, engine: AsyncEngine, connection: AsyncConnection
) -> AsyncIterator[Any]:
    """An HTTP client for the app built with some settings changed."""
    clients: list[httpx.AsyncClient] = []

    async def open_with(**changes: Any) -> httpx.AsyncClient:
        changed = settings.model_copy(update=changes)
        services = Services(
            settings=changed,
            engine=engine,
            session_factory=lambda: _joined_session(connection),
            verifier=make_verifier(changed),
            today=lambda: TODAY,
        )
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=build_app(services)), base_url="http://test"
        )
        clients.append(http)
        return http

    yield open_with
    for http in clients:
        await http.aclose()


PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


async def test_an_allowed_origin_passes_the_preflight_and_reads_the_answer(
    app_with: Any, client: GraphQLClient, world: World
) -> None:
    http = await app_with(cors_allow_origins=f"{ORIGIN}, https://other.kommune.test")

    preflight = await http.options("/graphql/family", headers=PREFLIGHT)
    answer = await http.post(
        "/graphql",
        json={"query": "{ viewer { kind } }"},
        headers={"Origin": ORIGIN, "Authorization": f"Bearer {client.token_for(world.holder)}"},
    )

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in preflight.headers
    assert answer.json() == {"data": {"viewer": {"kind": "STAFF"}}}
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert "x-request-id" in answer.headers["access-control-expose-headers"]


async def test_an_origin_not_on_the_list_is_refused(app_with: Any) -> None:
    http = await app_with(cors_allow_origins=ORIGIN)

    preflight = await http.options("/graphql", headers={**PREFLIGHT, "Origin": "https://evil.test"})
    answer = await http.post(
        "/graphql",
        json={"query": "{ health { database } }"},
        headers={"Origin": "https://evil.test"},
    )

    assert preflight.status_code == 400
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in answer.headers


async def test_without_an_allow_list_no_origin_is_allowed(client: GraphQLClient) -> None:
    preflight = await client.http.options("/graphql", headers=PREFLIGHT)

    assert "access-control-allow-origin" not in preflight.headers


def test_a_wildcard_allow_list_is_a_configuration_error(settings: Settings) -> None:
    with pytest.raises(ConfigurationError, match="CORS"):
        settings.model_copy(update={"cors_allow_origins": "*"}).cors_origins()


async def test_graphiql_loads_only_files_the_service_ships(client: GraphQLClient) -> None:
    page = await client.http.get("/graphql/family", headers={"Accept": "text/html"})

    assert page.status_code == 200
    html = page.text
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html
    for source in sources:
        if source.startswith("data:"):
            continue
        assert source.startswith(GRAPHIQL_ASSETS + "/"), source
        asset = await client.http.get(source)
        assert asset.status_code == 200, source
        assert (
            asset.content
            == (GRAPHIQL_DIR / source.removeprefix(GRAPHIQL_ASSETS + "/")).read_bytes()
        )
    assert "unpkg" not in html
    assert "https://" not in html
    start = (GRAPHIQL_DIR / "start.js").read_text()
    assert "https://" not in start


def test_the_vendored_graphiql_files_come_with_their_licences() -> None:
    names = {path.name for path in Path(GRAPHIQL_DIR).iterdir()}
    assert {
        "LICENSE-react.txt",
        "LICENSE-react-dom.txt",
        "LICENSE-graphiql.txt",
        "LICENSE-graphiql-plugin-explorer.txt",
        "NOTICE.txt",
    } <= names
    notice = (GRAPHIQL_DIR / "NOTICE.txt").read_text()
    for package in ("react@18.2.0", "react-dom@18.2.0", "graphiql@3.8.3", "plugin-explorer@1.0.2"):
        assert package in notice


async def test_production_serves_neither_graphiql_nor_its_files(app_with: Any) -> None:
    http = await app_with(mode="production")

    page = await http.get("/graphql", headers={"Accept": "text/html"})
    asset = await http.get(f"{GRAPHIQL_ASSETS}/graphiql.min.js")

    assert page.status_code != 200 or "graphiql" not in page.text.lower()
    assert asset.status_code == 404
