"""Talk to the app as a person would: over HTTP, with a bearer token for that person."""

from __future__ import annotations

from typing import Any

import httpx

from auth.dev_keys import DevKeys
from auth.policy import Audience
from relaylog.app import ENDPOINTS
from relaylog.settings import Settings

__all__ = ["GraphQLClient"]


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient, keys: DevKeys, settings: Settings) -> None:
        self.http = http
        self.keys = keys
        self.settings = settings

    def token_for(self, person: Any, **claims: Any) -> str:
        return self.keys.mint(
            person.national_id,
            issuer=self.settings.token_issuer,
            audience=self.settings.token_audience,
            **claims,
        )

    async def post(
        self,
        query: str,
        *,
        as_: Any = None,
        audience: Audience = Audience.STAFF,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return await self.http.post(
            ENDPOINTS[audience],
            json={"query": query, "variables": variables or {}},
            headers=self._headers(as_, token) | (headers or {}),
        )

    def _headers(self, as_: Any, token: str | None) -> dict[str, str]:
        if as_ is not None:
            token = self.token_for(as_)
        return {} if token is None else {"Authorization": f"Bearer {token}"}

    async def post_document(
        self,
        document_id: str,
        *,
        as_: Any = None,
        audience: Audience = Audience.STAFF,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """Send a trusted document by id, as GraphQL-over-HTTP clients do (``documentId``)."""
        body = {"documentId": document_id, "variables": variables or {}, **(extra or {})}
        return await self.http.post(
            ENDPOINTS[audience], json=body, headers=self._headers(as_, token)
        )

    async def query(self, query: str, **kwargs: Any) -> dict[str, Any]:
        """The ``data`` of a successful response; fails the test on any GraphQL error."""
        response = await self.post(query, **kwargs)
        assert response.status_code == 200, response.text
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]
