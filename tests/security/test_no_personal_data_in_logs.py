"""A failing statement's values (names, notes, national ids) never reach a log line."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import text

from resolvers import query
from tests.factories import World
from tests.graphql import GraphQLClient

SECRET_NAME = "Ylva Hemmelig"
SECRET_ID = "01831050612"


async def test_a_database_error_is_logged_without_the_statements_values(
    client: GraphQLClient,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def failing(info: Any) -> str:
        await info.context.session.execute(
            text("SELECT CAST(:who AS integer)"), {"who": f"{SECRET_NAME} {SECRET_ID}"}
        )
        return "never"

    monkeypatch.setattr(query, "viewer_name", failing)
    with caplog.at_level(logging.DEBUG):
        response = await client.post("{ viewer { name } }", as_=world.holder)
    assert response.json()["errors"][0]["message"] == "Internal error"
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "DataError" in logged or "Error" in logged
    assert SECRET_NAME not in logged
    assert SECRET_ID not in logged
