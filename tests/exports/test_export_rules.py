"""The rules around an export: a log you cannot read does not exist, an export is audited
with its checksum and is not activity, a log too large for one PDF is refused up front, and
loading the log for print costs the same few statements whatever its size."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from exports import pdf as pdf_module
from exports.printed import printed_log
from models import AuditEvent, Measure, RelayLog
from models.enums import MeasureType, RelayLogStatus
from schema.export_view import holder_answer
from schema.mutations.export import checksum_id
from schema.node import encode_global_id
from tests.exports.conftest import EXPORT, export, exported
from tests.factories import TODAY, World
from tests.graphql import GraphQLClient

NOT_FOUND = {"code": "NOT_FOUND", "message": "No such log.", "field": "logId"}
TOO_LARGE = {
    "code": "INVALID_INPUT",
    "message": (
        "The log is too large to export as one PDF (at most 1000 measures, "
        "1,000,000 characters of text and 400 pages)."
    ),
    "field": "logId",
}


async def _export_id(client: GraphQLClient, log_id: str, as_: object) -> dict:
    data = await client.query(EXPORT, as_=as_, variables={"logId": log_id})
    return data["exportRelayLog"]


async def test_a_log_you_cannot_read_is_exported_exactly_like_one_that_does_not_exist(
    client: GraphQLClient, world: World
) -> None:
    log = await world.full_log(1)  # external actors read from level 2

    hidden = [
        await _export_id(client, encode_global_id("RelayLog", log.id), world.outsider),
        await _export_id(client, encode_global_id("RelayLog", log.id), world.external),
        await _export_id(client, encode_global_id("RelayLog", log.id), world.other_manager),
    ]
    missing = await _export_id(client, encode_global_id("RelayLog", uuid.uuid4()), world.holder)
    wrong_type = await _export_id(client, encode_global_id("Note", log.id), world.holder)
    garbage = await _export_id(client, "not-an-id", world.holder)

    for result in [*hidden, missing, wrong_type, garbage]:
        assert result == {"pdf": None, "error": NOT_FOUND}


async def test_an_export_is_audited_with_the_checksum_and_leaves_the_last_activity(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.full_log(2)
    before = log.last_activity_at = datetime(2026, 9, 1, 12, tzinfo=UTC)
    await world.seed.session.flush()

    pdf = await exported(client, log, world.guardian, audience=Audience.FAMILY)

    events = (
        await session.scalars(
            select(AuditEvent).where(AuditEvent.log_id == log.id).order_by(AuditEvent.id)
        )
    ).all()
    [export_event] = [e for e in events if e.action == "EXPORT"]
    assert export_event.actor_kind == "GUARDIAN"
    assert export_event.actor_id == world.guardian.id
    assert export_event.relation == "GUARDIAN"
    assert export_event.object_type == "RelayLogExport"
    assert export_event.object_id == checksum_id(pdf.payload["sha256"])
    [read] = [e for e in events if e.action == "READ"]
    assert {"LOG_SUMMARY", "CHILD_IDENTITY", "NOTES", "MEASURES", "ACTOR_MOBILE"} <= set(
        read.fields
    )
    assert "ACCESS_HISTORY" not in read.fields
    await session.refresh(log)
    assert log.last_activity_at == before


async def test_a_closed_log_can_still_be_printed(client: GraphQLClient, world: World) -> None:
    log = await world.full_log(2)
    await world.seed.close(log)

    pdf = await exported(client, log, world.holder)

    assert pdf.shows("Avsluttet")
    assert pdf.shows("Ønsket effekt oppnådd")  # the close reason


async def _measures(world: World, log: RelayLog, count: int) -> None:
    point = await world.seed.point(log)
    await world.seed.session.execute(
        insert(Measure),
        [
            {
                "id": uuid.uuid4(),
                "log_id": log.id,
                "point_id": point.id,
                "type": MeasureType.OBSERVATION,
                "description": f"Tiltak nummer {n}: observasjon i friminuttene og i timene",
                "initiated_on": TODAY,
                "finished_by": TODAY + timedelta(days=30),
            }
            for n in range(count)
        ],
    )


@pytest.mark.slow
async def test_a_log_with_500_measures_still_prints_on_paged_tables(
    client: GraphQLClient, world: World
) -> None:
    log = await world.full_log(2)
    await _measures(world, log, 500)

    pdf = await exported(client, log, world.holder)

    assert pdf_module.MAX_PAGES >= pdf.payload["pages"] > 10
    assert pdf.shows("Tiltak nummer 499")
    assert pdf.text.count("Iverksatt") >= pdf.payload["pages"] - 3  # the header repeats
    pages = pdf.payload["pages"]
    assert pdf.text.replace("\xa0", " ").count(f" av {pages}") == pages  # "Side x av y"
    assert f"Side {pages} av {pages}" in pdf.text.replace("\xa0", " ")


async def test_a_log_beyond_the_limit_is_refused_with_a_clear_error_and_nothing_rendered(
    client: GraphQLClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = await world.full_log(2)
    await _measures(world, log, pdf_module.MAX_MEASURES + 1)
    monkeypatch.setattr(pdf_module, "html_to_pdf", lambda *a: pytest.fail("rendered"))

    out = await export(client, log, world.holder)

    assert out == {"pdf": None, "error": TOO_LARGE}


async def test_a_print_that_runs_past_the_page_or_time_limit_is_refused_the_same_way(
    client: GraphQLClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = await world.full_log(2)
    monkeypatch.setattr(pdf_module, "MAX_PAGES", 1)
    assert await export(client, log, world.holder) == {"pdf": None, "error": TOO_LARGE}

    monkeypatch.undo()
    policy = replace(pdf_module._POLICY, max_render_seconds=0.0)
    monkeypatch.setattr(pdf_module, "_POLICY", policy)
    assert await export(client, log, world.holder) == {"pdf": None, "error": TOO_LARGE}


async def test_printing_a_log_loads_it_in_the_same_few_statements_whatever_its_size(
    session: AsyncSession, world: World, count_statements: object
) -> None:
    small = await world.full_log(2)
    large = await world.full_log(2)
    for _ in range(5):
        point = await world.seed.point(large)
        for _ in range(6):
            measure = await world.seed.measure(point, responsible=[world.actor, world.external])
            await world.seed.evaluation(measure, world.actor)
        await world.seed.meeting(large, actors=[world.holder], guardians=[world.guardian])
        await world.seed.note(large, "Mer", staff=world.external)
        await world.seed.sparkle(large, guardian=world.guardian)

    counts = []
    for log in (small, large):
        with count_statements() as counter:  # type: ignore[operator]
            answer = await holder_answer(session, log.id, TODAY)
        assert answer is not None
        view = printed_log(answer.data, log.id, printed_at=datetime.now(UTC), archive=True)
        assert view is not None
        counts.append(counter.count)

    # The holder's account, then the one statement of the compiled export document.
    assert counts[0] == counts[1] <= 2
    assert view is not None
    assert view.measure_count == 31


async def test_a_paused_log_prints_its_pause_reason(client: GraphQLClient, world: World) -> None:
    log = await world.full_log(1)
    log.status = RelayLogStatus.PAUSED
    log.paused_reason = "Familien tar en pause over sommeren"
    await world.seed.session.flush()

    pdf = await exported(client, log, world.guardian, audience=Audience.FAMILY)

    assert pdf.shows("Midlertidig lukket")
    assert pdf.shows("Familien tar en pause over sommeren")
