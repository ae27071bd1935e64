"""Retention: closed logs past their municipality's retention period are purged — every trace
of the child's and the guardians' personal data goes (searched for in every column of every
table, encrypted ones decrypted, keyed hashes compared), the de-identified statistics stay
exactly as they were, and the purge is in the audit trail."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from models import (
    ArchiveRecord,
    AuditEvent,
    Child,
    Guardian,
    LogStatistics,
    RelayLog,
    Transfer,
)
from models import secrets as data_protection
from models import statistics as stats
from models.audit import verify_chains
from models.enums import (
    CloseReason,
    EvaluationOutcome,
    MeetingStatus,
    RelayLogStatus,
    TransferStatus,
)
from models.retention import RetentionTooShort, purge, purge_candidates
from models.secrets import EncryptedString, SecretsNotConfiguredError, keyed_hash
from relaylog.db import async_url
from relaylog.migrations import upgrade
from tests.conftest import TEST_SECRET, fresh_database
from tests.factories import World, build_world
from tests.test_cli import assert_one_line_error, relaylog

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=800)
MINIMUM = 365
CHILD_NAME = "Sølvi Slettesen"
LONELY_GUARDIAN = "Gudrun Glemmesen"


async def _closed_log(
    world: World, child: Child, *, closed_at: datetime = LONG_AGO, received: bool = True
) -> RelayLog:
    """A log with every kind of data in it, closed at ``closed_at``; its archive copy
    received by the archive (``received``) or still waiting to be filed."""
    s = world.seed
    log = await s.log(child, world.holder, level=2, consenting=list(await _guardians(world, child)))
    log.created_at = closed_at - timedelta(days=200)
    await s.concern(log, world.holder, held_on=(closed_at - timedelta(days=230)).date())
    await s.actor(log, world.external)
    point = await s.point(log, f"{CHILD_NAME.split()[0]} strever med lesing")
    measure = await s.measure(point, responsible=[world.external], responsible_guardians=True)
    await s.evaluation(measure, world.external, EvaluationOutcome.REACHED)
    guardians = list(await _guardians(world, child))
    await s.meeting(
        log,
        held_on=(closed_at - timedelta(days=30)).date(),
        status=MeetingStatus.COMPLETED,
        actors=[world.holder],
        guardians=guardians,
        child_present=True,
    )
    await s.note(log, f"Oppsummering: {CHILD_NAME} har nådd målet", staff=world.holder)
    await s.note(log, "Takk for samarbeidet", guardian=guardians[0])
    await s.sparkle(log, f"{CHILD_NAME} leste en hel bok!", guardian=guardians[0])
    package = f"%PDF-1.4 Stafettlogg for {CHILD_NAME}".encode()
    record = ArchiveRecord(
        log_id=log.id,
        reason="CLOSED",
        case_title=f"Stafettlogg - {CHILD_NAME}",
        document_title="Avsluttet stafettlogg",
        author_organisation_id=world.school.id,
        created_by_id=world.holder.id,
        size_bytes=len(package),
        sha256="a" * 64,
        package=package,
        holder_id=world.holder.id,
        received_at=closed_at if received else None,
        received_by_id=world.manager.id if received else None,
        archive_reference="2024/1234-5" if received else None,
    )
    s.session.add(record)
    await s.session.flush()
    s.session.add(
        Transfer(
            log_id=log.id,
            from_staff_id=world.holder.id,
            to_staff_id=world.actor.id,
            from_organisation_id=world.school.id,
            to_organisation_id=world.school.id,
            status=TransferStatus.CANCELLED,
            archive_record_id=record.id,
        )
    )
    await s.close(log, CloseReason.GOAL_REACHED, closed_at=closed_at)
    return log


async def _guardians(world: World, child: Child) -> list[Guardian]:
    from models import ChildGuardian

    ids = await world.seed.session.scalars(
        select(ChildGuardian.guardian_id).where(ChildGuardian.child_id == child.id)
    )
    return [await world.seed.session.get(Guardian, i) for i in ids]  # type: ignore[misc]


class Family:
    def __init__(self, child: Child, lonely: Guardian, shared: Guardian, nid: str) -> None:
        self.child, self.lonely, self.shared, self.national_id = child, lonely, shared, nid


async def _family(world: World) -> Family:
    """The child to be purged: one guardian only theirs, one also the youth's guardian."""
    s = world.seed
    lonely = await s.guardian(LONELY_GUARDIAN)
    child = await s.child(world.municipality, CHILD_NAME, [lonely, world.guardian])
    assert child.national_id is not None
    return Family(child, lonely, world.guardian, child.national_id)


async def _traces(session: AsyncSession, needles: list[str], hashes: list[bytes]) -> list[str]:
    """Every column of every table that still holds one of the needles: as text, inside
    bytes, encrypted (decrypted here with the data-protection key), or as a keyed hash."""
    columns = (
        await session.execute(
            text(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type IN "
                "('text', 'character varying', 'bytea', 'jsonb', 'ARRAY', 'USER-DEFINED')"
            )
        )
    ).all()
    encrypted = EncryptedString()
    found = []
    for table, column, data_type in columns:
        expr = f'"{column}"' if data_type == "bytea" else f'"{column}"::text'
        values = (await session.execute(text(f'SELECT {expr} FROM "{table}"'))).scalars()
        for value in values:
            if value is None:
                continue
            if isinstance(value, bytes | memoryview):
                raw = bytes(value)
                try:
                    plain = encrypted.process_result_value(raw, None) or ""  # type: ignore[arg-type]
                except SecretsNotConfiguredError:
                    plain = raw.decode("utf-8", "replace")
                hit = any(h in raw for h in hashes) or any(n in plain for n in needles)
            else:
                hit = any(n in value for n in needles)
            if hit:
                found.append(f"{table}.{column}")
    return sorted(set(found))


async def _all_statistics(session: AsyncSession, world: World) -> dict[str, Any]:
    query = stats.StatisticsQuery(
        municipality_id=world.municipality.id,
        group_by=(stats.Dimension.ORGANISATION, stats.Dimension.PERIOD),
        period=stats.Period.MONTH,
    )
    return {
        name: await compute(session, query)
        for name, compute in [
            ("levels", stats.logs_by_level),
            ("points", stats.points_by_category),
            ("measures", stats.measures_by_type_and_outcome),
            ("concern", stats.days_concern_to_log),
            ("evaluation", stats.days_to_first_evaluation),
            ("closures", stats.closures_by_reason),
        ]
    }


async def _purge_due(session: AsyncSession) -> list[uuid.UUID]:
    ids = [c.log_id for c in await purge_candidates(session, NOW, MINIMUM)]
    await purge(session, ids)
    return ids


async def test_a_purge_leaves_no_trace_of_the_child_or_their_own_guardian_anywhere(
    world: World, session: AsyncSession
) -> None:
    family = await _family(world)
    log = await _closed_log(world, family.child)
    lonely_nid = family.lonely.national_id
    needles = [CHILD_NAME, *CHILD_NAME.split(), family.national_id, LONELY_GUARDIAN, lonely_nid]
    hashes = [keyed_hash(family.national_id), keyed_hash(lonely_nid)]
    assert await _traces(session, needles, hashes) == [
        "archive_record.case_title",
        "archive_record.package",
        "child.name",
        "child.national_id",
        "child.national_id_hash",
        "guardian.name",
        "guardian.national_id",
        "guardian.national_id_hash",
        "note.text",
        "point_of_attention.description",
        "sparkle.text",
    ]

    assert await _purge_due(session) == [log.id]

    assert await _traces(session, needles, hashes) == []
    assert await session.scalar(select(func.count()).where(RelayLog.id == log.id)) == 0
    assert await session.scalar(select(func.count()).where(Child.id == family.child.id)) == 0
    assert await session.scalar(select(func.count()).where(Guardian.id == family.lonely.id)) == 0


async def test_people_another_log_still_needs_are_kept(world: World, session: AsyncSession) -> None:
    family = await _family(world)
    purged = await _closed_log(world, family.child)
    still_open = await world.seed.log(family.child, world.holder, level=1)
    youths_log = await world.seed.log(world.youth, world.holder, level=1)

    assert await _purge_due(session) == [purged.id]

    remaining = set(await session.scalars(select(RelayLog.id)))
    assert {still_open.id, youths_log.id} <= remaining
    assert purged.id not in remaining
    assert await session.scalar(select(Child.name).where(Child.id == family.child.id)) == CHILD_NAME
    assert await session.scalar(select(func.count()).where(Guardian.id == family.shared.id)) == 1


async def test_a_guardian_of_another_child_survives_the_purge_of_this_childs_last_log(
    world: World, session: AsyncSession
) -> None:
    family = await _family(world)
    await _closed_log(world, family.child)

    await _purge_due(session)

    assert await session.scalar(select(func.count()).where(Child.id == family.child.id)) == 0
    assert await session.scalar(select(Guardian.name).where(Guardian.id == family.shared.id)) == (
        world.guardian.name
    )
    assert await session.scalar(select(func.count()).where(Guardian.id == family.lonely.id)) == 0


async def test_statistics_are_the_same_before_and_after_the_purge(
    world: World, session: AsyncSession
) -> None:
    for i in range(6):
        child = await world.seed.child(world.municipality, f"Barn {i}", [world.other_guardian])
        await _closed_log(world, child, closed_at=LONG_AGO - timedelta(days=i))
    # Level 1: at level 2 its one-log month would hide the purged logs' month with it
    # (secondary suppression), and the comparison below would be of suppressed cells only.
    await world.full_log(level=1)
    before = await _all_statistics(session, world)
    assert any(not cell.suppressed for cell in before["levels"])
    assert any(not cell.suppressed for cell in before["measures"])
    assert any(not cell.suppressed for cell in before["closures"])

    purged = await _purge_due(session)

    assert len(purged) == 6
    assert await _all_statistics(session, world) == before
    assert await session.scalar(select(func.count()).select_from(LogStatistics)) == 6


async def test_the_statistics_rows_kept_hold_no_ids_names_or_dates(
    world: World, session: AsyncSession
) -> None:
    family = await _family(world)
    await _closed_log(world, family.child)

    await _purge_due(session)

    [row] = (await session.scalars(select(LogStatistics))).all()
    assert row.created_month.day == 1
    assert row.closed_month is not None
    assert row.closed_month.day == 1
    assert (row.status, row.close_reason, row.level) == ("CLOSED", "GOAL_REACHED", 2)
    assert row.points_by_category == {"CONCENTRATION_ATTENTION": 1}
    assert row.measures_by_type_outcome == {"ONE_ON_ONE:REACHED": 1}
    assert row.days_concern_to_log is not None


async def test_the_purge_is_in_the_audit_trail_and_the_trail_still_verifies(
    world: World, session: AsyncSession
) -> None:
    family = await _family(world)
    log = await _closed_log(world, family.child)
    await world.seed.access(log, world.holder, "HOLDER")

    await _purge_due(session)

    events = (await session.scalars(select(AuditEvent).order_by(AuditEvent.id))).all()
    assert [(e.action, e.actor_kind, e.log_id) for e in events] == [
        ("READ", "STAFF", log.id),
        ("PURGE", "SYSTEM", log.id),
    ]
    # The purge ends the log's own chain, which stays whole without the log.
    assert [(e.chain, e.chain_seq) for e in events] == [(f"log:{log.id}", 1), (f"log:{log.id}", 2)]
    assert (await verify_chains(session)).broken is None


async def test_a_purge_asked_for_an_open_log_leaves_it_alone(
    world: World, session: AsyncSession
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)

    result = await purge(session, [log.id])

    assert (result.logs, result.children, result.guardians) == (0, 0, 0)
    assert await session.scalar(select(func.count()).where(RelayLog.id == log.id)) == 1
    assert await session.scalar(select(func.count()).select_from(AuditEvent)) == 0


async def test_only_closed_and_archived_logs_past_their_retention_are_due(
    world: World, session: AsyncSession
) -> None:
    s = world.seed
    old_closed = await _closed_log(
        world, await s.child(world.municipality, "A", [world.other_guardian])
    )
    old_archived = await _closed_log(
        world, await s.child(world.municipality, "B", [world.other_guardian])
    )
    old_archived.status = RelayLogStatus.ARCHIVED
    await _closed_log(
        world,
        await s.child(world.municipality, "C", [world.other_guardian]),
        closed_at=NOW - timedelta(700),
    )
    idle = await s.log(
        await s.child(world.municipality, "D", [world.other_guardian]), world.holder, level=1
    )
    idle.last_activity_at = LONG_AGO
    await session.flush()

    due = await purge_candidates(session, NOW, MINIMUM)

    assert {c.log_id for c in due} == {old_closed.id, old_archived.id}
    assert {(c.retention_days, c.archived_copies, c.municipality) for c in due} == {
        (730, 1, "Testkommune")
    }
    assert all(c.closed_on == LONG_AGO.date() for c in due)


async def test_an_overridden_period_decides_what_is_due(
    world: World, session: AsyncSession
) -> None:
    log = await _closed_log(
        world,
        await world.seed.child(world.municipality, "A", [world.other_guardian]),
        closed_at=NOW - timedelta(400),
    )

    assert await purge_candidates(session, NOW, MINIMUM) == []
    assert [c.log_id for c in await purge_candidates(session, NOW, MINIMUM, 380)] == [log.id]


async def test_a_municipality_keeping_logs_shorter_than_the_legal_minimum_is_refused(
    world: World, session: AsyncSession
) -> None:
    await _closed_log(
        world, await world.seed.child(world.municipality, "A", [world.other_guardian])
    )
    world.municipality.retention_days = 30
    await session.flush()

    with pytest.raises(RetentionTooShort) as refused:
        await purge_candidates(session, NOW, MINIMUM)

    assert refused.value.message == (
        "Municipality 'Testkommune' keeps closed logs 30 days, shorter than the legal minimum "
        "of 365 days; nothing was purged. Raise its retention period first."
    )
    assert await session.scalar(select(func.count()).select_from(RelayLog)) == 1


async def test_an_override_shorter_than_the_legal_minimum_is_refused(
    world: World, session: AsyncSession
) -> None:
    with pytest.raises(RetentionTooShort, match="A retention period of 100 days is shorter"):
        await purge_candidates(session, NOW, MINIMUM, retention_days=100)


@pytest.fixture(scope="module")
def purge_database() -> Iterator[str]:
    """A database of its own with one log closed long ago and one still open, committed."""
    data_protection.configure(TEST_SECRET)
    with fresh_database("relaylog_purge") as url:
        upgrade(url)

        async def seed() -> None:
            engine = create_async_engine(async_url(url), poolclass=NullPool)
            try:
                async with AsyncSession(engine, expire_on_commit=False) as session:
                    world = await build_world(session)
                    await _closed_log(world, (await _family(world)).child)
                    await _closed_log(
                        world,
                        await world.seed.child(world.municipality, "Ventende", [world.guardian]),
                        received=False,
                    )
                    await world.seed.log(world.youth, world.holder, level=1)
                    await session.commit()
            finally:
                await engine.dispose()

        asyncio.run(seed())
        yield url


def _count_logs(url: str) -> int:
    async def count() -> int:
        engine = create_async_engine(async_url(url), poolclass=NullPool)
        try:
            async with AsyncSession(engine) as session:
                return await session.scalar(select(func.count()).select_from(RelayLog)) or 0
        finally:
            await engine.dispose()

    return asyncio.run(count())


@pytest.mark.slow
def test_the_purge_command_lists_refuses_and_purges(
    purge_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def run(*args: str) -> Any:
        return relaylog("purge", *args, data_dir=tmp_path, database_url=purge_database)

    dry = run("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines()[-2:] == [
        "1 logs would be purged",
        "1 logs held back: their archive copies have not been received by the archive "
        "(the unit files them and marks them received first)",
    ]
    assert "Testkommune  CLOSED" in dry.stdout
    assert "HELD BACK: 1 not received by the archive" in dry.stdout
    assert CHILD_NAME not in dry.stdout
    assert _count_logs(purge_database) == 3

    refused = run("--retention-days", "30")
    assert "shorter than the legal minimum of 365 days" in assert_one_line_error(refused)
    monkeypatch.setenv("RELAYLOG_RETENTION_MINIMUM_DAYS", "1000")
    refused = run("--dry-run")
    assert "keeps closed logs 730 days, shorter than the legal minimum of 1000 days" in (
        assert_one_line_error(refused)
    )
    assert _count_logs(purge_database) == 3
    monkeypatch.delenv("RELAYLOG_RETENTION_MINIMUM_DAYS")

    done = run()
    assert done.returncode == 0, done.stderr
    assert "1 logs purged" in done.stdout
    assert "1 logs held back" in done.stdout
    assert "kept 1 statistics rows" in done.stdout
    assert _count_logs(purge_database) == 2  # the open log and the one waiting for the archive


async def test_a_log_whose_archive_copy_was_not_received_is_held_back_and_reported(
    world: World, session: AsyncSession
) -> None:
    family = await _family(world)
    waiting = await _closed_log(world, family.child, received=False)
    filed = await _closed_log(
        world, await world.seed.child(world.municipality, "Fridtjof", [world.other_guardian])
    )

    due = {c.log_id: c for c in await purge_candidates(session, NOW, MINIMUM)}
    result = await purge(session, list(due))

    assert (due[waiting.id].held_back, due[waiting.id].unreceived_copies) == (True, 1)
    assert (due[filed.id].held_back, due[filed.id].unreceived_copies) == (False, 0)
    assert result.held_back == [waiting.id]
    assert result.logs == 1
    remaining = set(await session.scalars(select(RelayLog.id)))
    assert waiting.id in remaining
    assert filed.id not in remaining
    packages = await session.scalars(select(ArchiveRecord.log_id))
    assert list(packages) == [waiting.id]  # the unreceived package stays, with its log
    events = await session.scalars(select(AuditEvent.log_id).where(AuditEvent.action == "PURGE"))
    assert list(events) == [filed.id]
