"""Rendering a PDF is seconds of CPU: it runs in a worker thread, so the other requests on
the event loop (a health probe, another family's page) are answered meanwhile."""

from __future__ import annotations

import threading

import pytest

from exports import pdf as pdf_module
from schema.node import encode_global_id
from tests.exports.conftest import ARCHIVE, EXPORT
from tests.factories import World
from tests.graphql import GraphQLClient


@pytest.mark.parametrize(
    ("operation", "field"),
    [
        pytest.param(EXPORT, "exportRelayLog", id="export"),
        pytest.param(ARCHIVE, "archiveRelayLog", id="archive"),
    ],
)
async def test_a_pdf_is_rendered_off_the_event_loop(
    client: GraphQLClient,
    world: World,
    operation: str,
    field: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where the render runs, not how long it takes: a render on the loop's own thread would
    stall every other request for its whole length."""
    log = await world.full_log(level=2, every_field=True)
    loop_thread = threading.get_ident()
    rendered_on: list[int] = []
    original = pdf_module.html_to_pdf

    def recording(html: str, guard: pdf_module.FetchGuard, **options: str | None) -> bytes:
        rendered_on.append(threading.get_ident())
        return original(html, guard, **options)

    monkeypatch.setattr(pdf_module, "html_to_pdf", recording)
    data = await client.query(
        operation,
        as_=world.holder,
        variables={"logId": encode_global_id("RelayLog", log.id)},
    )

    assert data[field]["error"] is None
    assert rendered_on
    assert loop_thread not in rendered_on
