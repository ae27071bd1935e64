"""The logging safety net: national ids and tokens never reach a log line."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest

from models.national_id import is_valid_national_id, synthetic_national_id
from relaylog.access_log import ACCESS_LOGGER
from relaylog.logging import configure_logging, redact
from tests.factories import World
from tests.graphql import GraphQLClient

NATIONAL_ID = "02847900221"  # synthetic (month + 80), the demo holder's
JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYyJ9"
    ".eyJwaWQiOiIwMjg0NzkwMDIyMSIsImFjciI6ImlkcG9ydGVuLWxvYS1oaWdoIn0"
    ".c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
)


@pytest.mark.parametrize(
    ("text", "secret", "mask"),
    [
        pytest.param(f"pid={NATIONAL_ID};", NATIONAL_ID, "[national-id]", id="national id"),
        pytest.param(
            f"pid {NATIONAL_ID[:6]} {NATIONAL_ID[6:]} seen",
            f"{NATIONAL_ID[:6]} {NATIONAL_ID[6:]}",
            "[national-id]",
            id="national id with a space after the birth date",
        ),
        pytest.param(f"token {JWT} rejected", JWT, "[token]", id="JWT-shaped token"),
        pytest.param("Authorization: Bearer xyz", "xyz", "Bearer [redacted]", id="bearer header"),
    ],
)
def test_redact_masks_secrets(text: str, secret: str, mask: str) -> None:
    redacted = redact(text)

    assert secret not in redacted
    assert mask in redacted


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("request took 1234567890 ns", id="ten digits"),
        pytest.param("order 123456789012", id="twelve digits"),
        pytest.param("at 2026-11-25T10:00:00+00:00", id="timestamp"),
        pytest.param(
            "request 3f2a1c45678901234be0d9e8c7b6a5f4", id="hex request id with 11 digits in a row"
        ),
        pytest.param(f"ref {NATIONAL_ID[:-1]}3", id="national id shape, wrong check digit"),
        pytest.param("count 12345678901 rows", id="eleven digits that are no national id"),
        pytest.param("at 31139912345", id="eleven digits with no valid birth date"),
    ],
)
def test_redact_leaves_ordinary_text_alone(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    "national_id",
    [
        pytest.param(synthetic_national_id(date(2010, 5, 17)), id="synthetic"),
        pytest.param(synthetic_national_id(date(1979, 4, 2), 3), id="synthetic, another"),
        pytest.param("15889010069", id="synthetic from the token tests"),
    ],
)
def test_redact_masks_every_valid_national_id_inside_other_text(national_id: str) -> None:
    assert is_valid_national_id(national_id)

    assert redact(f"request {national_id}ab") == "request [national-id]ab"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """``configure_logging`` rewires the root and uvicorn loggers; put them back afterwards."""
    root = logging.getLogger()
    saved_root = (root.handlers[:], root.level)
    touched = [logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", "uvicorn.access")]
    saved = [(logger, logger.handlers[:], logger.propagate, logger.disabled) for logger in touched]
    try:
        yield
    finally:
        root.handlers[:], level = saved_root
        root.setLevel(level)
        for logger, handlers, propagate, disabled in saved:
            logger.handlers[:] = handlers
            logger.propagate = propagate
            logger.disabled = disabled


@pytest.fixture
def json_logging(restore_logging: None, capsys: pytest.CaptureFixture[str]) -> Any:
    """Configure logging in the test itself (capsys swaps stderr per phase), read JSON lines."""

    def configure() -> Callable[[], list[dict[str, Any]]]:
        configure_logging("INFO")
        capsys.readouterr()
        return lambda: [json.loads(line) for line in capsys.readouterr().err.splitlines()]

    return configure


def test_a_log_line_shows_neither_the_national_id_nor_the_token(json_logging: Any) -> None:
    lines = json_logging()
    logging.getLogger("relaylog.test").info(
        "looked up %s",
        NATIONAL_ID,
        extra={"person": NATIONAL_ID, "authorization": f"Bearer {JWT}"},
    )

    [entry] = lines()
    assert entry["message"] == "looked up [national-id]"
    assert entry["person"] == "[national-id]"
    assert entry["authorization"] == "Bearer [redacted]"
    assert NATIONAL_ID not in json.dumps(entry)
    assert JWT not in json.dumps(entry)


def test_an_exception_is_logged_by_its_type_not_its_text(json_logging: Any) -> None:
    lines = json_logging()
    try:
        raise ValueError(f"no guardian with national id {NATIONAL_ID}")
    except ValueError:
        logging.getLogger("relaylog.test").exception("lookup failed")

    [entry] = lines()
    assert entry["error"] == "ValueError"
    assert NATIONAL_ID not in json.dumps(entry)


def test_a_national_id_inside_a_structured_extra_is_masked_too(json_logging: Any) -> None:
    lines = json_logging()
    logging.getLogger("relaylog.test").info(
        "guardians matched", extra={"match": {"pid": NATIONAL_ID}, "pids": [NATIONAL_ID]}
    )

    [entry] = lines()
    assert NATIONAL_ID not in json.dumps(entry)


NAME = "Hanne Holder"
DIRECTORY = f'{{ staffDirectory(nameContains: "{NAME}") {{ edges {{ node {{ name }} }} }} }}'


async def test_the_access_log_records_neither_query_strings_nor_bodies(
    json_logging: Any, client: GraphQLClient, world: World
) -> None:
    lines = json_logging()
    token = client.token_for(world.holder)
    await client.http.get(
        "/graphql", params={"query": DIRECTORY}, headers={"Authorization": f"Bearer {token}"}
    )
    await client.http.post("/graphql", json={"query": DIRECTORY, "variables": {"n": NAME}})
    await client.http.get("/no/such/Hanne-Holder")

    access = [line for line in lines() if line["logger"] == ACCESS_LOGGER]
    assert [(a["method"], a["path"], a["status"]) for a in access] == [
        ("GET", "/graphql", 200),
        ("POST", "/graphql", 200),
        ("GET", "[other path]", 404),
    ]
    assert "Hanne" not in json.dumps(access)
    assert "staffDirectory" not in json.dumps(access)


def test_uvicorns_own_access_log_which_prints_query_strings_is_silenced(
    json_logging: Any,
) -> None:
    lines = json_logging()
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", f"/graphql?query={NAME}", "1.1", 200
    )

    assert lines() == []
