"""The scheduled duties, run as the worker runs them: through the job queue or their job's
body, against a committed database, twice (a second run changes nothing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from models import ActorMembership, AuditEvent, LevelChange, RelayLog
from models.enums import ActorStatus, ConsentScope
from models.events import DomainEvent
from models.relay_log import OSLO
from relaylog.jobs import jobs, run_duty
from relaylog.mail_sink import MailSink
from relaylog.settings import Settings
from relaylog.worker import job_connector
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.mutations.content import gid
from tests.notifications.conftest import (
    committed,
    notifications,
    now,
    oslo_today,
    run_until_idle,
    runtime_for,
)

LOG_LEVEL = "query($id: ID!) { node(id: $id) { ... on RelayLog { id level } } }"


async def _log_with_expiring_share_consent(world: World, engine: AsyncEngine) -> Any:
    """Level 2, the external actor in it, and the first guardian's consent to share with
    other services ran out yesterday (the other guardian's and the youth's have no end)."""
    yesterday = oslo_today() - timedelta(days=1)
    async with committed(engine) as session:
        s = world.seed
        s.session = session
        log = await s.log(
            world.youth, world.holder, level=1, consenting=[world.guardian, world.other_guardian]
        )
        await s.consent(
            log, world.guardian, ConsentScope.SHARE, valid_until=yesterday, given_on=yesterday
        )
        await s.consent(log, world.other_guardian, ConsentScope.SHARE)
        for scope in (ConsentScope.CREATE, ConsentScope.SHARE):  # the youth (16) consents too
            await s.consent(log, None, scope, with_document=False)
        log.level = 2
        await s.actor(log, world.actor)
        await s.actor(log, world.external)
    return log


async def _defer_duty(url: str, name: str, at: datetime) -> None:
    with jobs.replace_connector(job_connector(url)) as app:
        async with app.open_async():
            await app.tasks[f"duty.{name}"].defer_async(timestamp=int(at.timestamp()))


async def test_consent_expiry_lowers_the_level_and_the_outside_actor_loses_access_at_once(
    api: GraphQLClient,
    live_world: World,
    db_engine: AsyncEngine,
    worker_db: str,
    worker_settings: Settings,
) -> None:
    world = live_world
    log = await _log_with_expiring_share_consent(world, db_engine)
    variables = {"id": gid("RelayLog", log)}
    before = await api.query(LOG_LEVEL, as_=world.external, variables=variables)
    assert before["node"] == {"id": gid("RelayLog", log), "level": 2}

    # Oslo midnight is minute 0 of an hour in UTC, winter and summer: the hourly tick.
    midnight = datetime.combine(oslo_today(), datetime.min.time(), tzinfo=OSLO)
    await _defer_duty(worker_db, "expire_consents", midnight.astimezone(UTC))
    await run_until_idle(worker_settings, worker_db, db_engine, queues=["duties"])

    after = await api.query(LOG_LEVEL, as_=world.external, variables=variables)
    assert after["node"] is None  # exactly as for a log that does not exist
    inside = await api.query(LOG_LEVEL, as_=world.actor, variables=variables)
    assert inside["node"] == {"id": gid("RelayLog", log), "level": 1}
    async with committed(db_engine) as session:
        row = await session.get(RelayLog, log.id)
        assert row is not None
        assert row.level == 1
        places = {
            m.staff_id: m
            for m in await session.scalars(
                select(ActorMembership).where(ActorMembership.log_id == log.id)
            )
        }
        assert places[world.external.id].status is ActorStatus.DEACTIVATED
        assert places[world.external.id].deactivated_reason == "consent expired"
        assert places[world.actor.id].status is ActorStatus.ACTIVE
        [change] = await session.scalars(
            select(LevelChange).where(LevelChange.log_id == log.id, LevelChange.from_level == 2)
        )
        assert (change.from_level, change.reason, change.changed_by_id) == (
            2,
            "consent expired",
            None,
        )
        audited = [
            (e.actor_kind, e.action)
            for e in await session.scalars(
                select(AuditEvent).where(AuditEvent.log_id == log.id).order_by(AuditEvent.id)
            )
            if e.action == "EXPIRE_CONSENT"
        ]
        assert audited == [("SYSTEM", "EXPIRE_CONSENT")]
        kinds = [
            e.kind
            for e in await session.scalars(
                select(DomainEvent).where(DomainEvent.log_id == log.id).order_by(DomainEvent.id)
            )
        ]
        assert kinds == ["CONSENT_EXPIRED", "LEVEL_CHANGED"]

    again = await run_duty("expire_consents", runtime_for(worker_settings, db_engine))
    assert again == 0


async def test_reminders_are_owed_once_to_those_who_may_read_them(
    live_world: World,
    db_engine: AsyncEngine,
    worker_db: str,
    worker_settings: Settings,
    sink: MailSink,
) -> None:
    world = live_world
    today = oslo_today()
    async with committed(db_engine) as session:
        s = world.seed
        s.session = session
        log = await s.log(
            world.youth, world.holder, level=1, consenting=[world.guardian, world.other_guardian]
        )
        await s.actor(log, world.actor)
        point = await s.point(log)
        due = await s.measure(
            point, responsible=[world.actor], initiated_on=today - timedelta(days=7), days=10
        )
        await s.meeting(log, held_on=today + timedelta(days=1), actors=[world.holder])
        log.activity_plan_reported_on = today - timedelta(days=5)
        await session.flush()
    runtime = runtime_for(worker_settings, db_engine)
    assert await run_duty("remind", runtime) == 3  # holder and actor; the holder's meeting
    assert await run_duty("remind", runtime) == 0
    owed = sorted(
        (n.topic or "", n.recipient_id == world.holder.id) for n in await notifications(db_engine)
    )
    assert owed == [
        ("MEASURE_DUE_SOON", False),
        ("MEASURE_DUE_SOON", True),
        ("MEETING_TOMORROW", True),
    ]
    assert all(
        n.object_id in {due.id} or n.topic == "MEETING_TOMORROW"
        for n in await notifications(db_engine)
    )

    await run_until_idle(worker_settings, worker_db, db_engine)
    subjects = sorted(m.message["Subject"] for m in sink.received)
    assert subjects == ["Påminnelse fra en stafettlogg du følger"] * 3


async def test_the_passive_log_report_goes_to_unit_managers_on_the_control_dates(
    live_world: World, db_engine: AsyncEngine, worker_settings: Settings
) -> None:
    world = live_world
    async with committed(db_engine) as session:
        world.seed.session = session
        await world.seed.log(world.youth, world.holder, level=1, consenting=[world.guardian])
    today = oslo_today()
    off_day = worker_settings.model_copy(update={"passive_report_dates": "02-30"})
    assert await run_duty("passive_log_reports", runtime_for(off_day, db_engine)) == 0
    control_day = worker_settings.model_copy(
        update={"passive_report_dates": f"01-15,{today:%m-%d}"}
    )
    runtime = runtime_for(control_day, db_engine)
    assert await run_duty("passive_log_reports", runtime) == 1
    assert await run_duty("passive_log_reports", runtime) == 0
    [report] = await notifications(db_engine)
    assert (report.kind, report.recipient_id, report.object_id) == (
        "REPORT",
        world.manager.id,
        world.school.id,
    )
    async with committed(db_engine) as session:
        mailed = list(
            await session.scalars(
                select(AuditEvent.object_id).where(AuditEvent.action == "REPORT_PASSIVE_MAILED")
            )
        )
    assert mailed == [world.school.id]


async def test_the_nightly_purge_respects_the_legal_minimum(
    live_world: World, db_engine: AsyncEngine, worker_settings: Settings
) -> None:
    world = live_world
    async with committed(db_engine) as session:
        world.seed.session = session
        log = await world.seed.log(world.youth, world.holder, level=1, consenting=[world.guardian])
        await world.seed.close(log, closed_at=now() - timedelta(days=3 * 365))
    strict = worker_settings.model_copy(update={"retention_minimum_days": 5000})
    assert await run_duty("purge_expired_logs", runtime_for(strict, db_engine)) == 0
    async with committed(db_engine) as session:
        assert await session.get(RelayLog, log.id) is not None
    runtime = runtime_for(worker_settings, db_engine)
    assert await run_duty("purge_expired_logs", runtime) == 1
    assert await run_duty("purge_expired_logs", runtime) == 0
    async with committed(db_engine) as session:
        assert await session.get(RelayLog, log.id) is None
        duties = list(
            await session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("DUTY_%")))
        )
    assert duties == ["DUTY_PURGE_EXPIRED_LOGS"] * 3


async def test_the_worker_signs_an_audit_checkpoint_that_later_verification_holds_to(
    live_world: World, db_engine: AsyncEngine, worker_settings: Settings
) -> None:
    """The nightly duty signs every chain's head with the key outside the database; what it
    signed verifies, and the chains it covers are checked against it."""
    from models.audit import AuditEntry, append
    from models.audit_checkpoint import AuditCheckpoint, check_against, export, parse_export
    from relaylog.audit_keys import signing_key

    async with committed(db_engine) as session:
        live_world.seed.session = session
        log = await live_world.seed.log(
            live_world.youth, live_world.holder, level=1, consenting=[live_world.guardian]
        )
        await append(session, [AuditEntry(actor_kind="STAFF", action="READ", log_id=log.id)])
    runtime = runtime_for(worker_settings, db_engine)
    assert await run_duty("sign_audit_checkpoint", runtime) == 1
    async with committed(db_engine) as session:
        latest = await session.scalar(
            select(AuditCheckpoint).order_by(AuditCheckpoint.created_at.desc()).limit(1)
        )
        assert latest is not None
        heads = parse_export(export(latest), signing_key(worker_settings).public_key())
        assert heads
        assert await check_against(session, heads) == []


async def test_the_nightly_purge_says_how_many_logs_it_held_back_and_names_none(
    live_world: World,
    db_engine: AsyncEngine,
    worker_settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A log whose archive copy the archive has not received stays; the duty's log says how
    many such logs there are, and nothing that names one."""
    from models.transfer import ArchiveRecord

    world = live_world
    async with committed(db_engine) as session:
        world.seed.session = session
        log = await world.seed.log(world.youth, world.holder, level=1, consenting=[world.guardian])
        session.add(
            ArchiveRecord(
                log_id=log.id,
                reason="CLOSED",
                case_title="Stafettlogg - Ylva Ungdom",
                document_title="Avsluttet stafettlogg",
                author_organisation_id=world.school.id,
                created_by_id=world.holder.id,
                size_bytes=4,
                sha256="a" * 64,
                package=b"%PDF",
                holder_id=world.holder.id,
            )
        )
        await world.seed.close(log, closed_at=now() - timedelta(days=3 * 365))
    with caplog.at_level("WARNING", logger="relaylog.duties"):
        assert await run_duty("purge_expired_logs", runtime_for(worker_settings, db_engine)) == 0
    (line,) = [r for r in caplog.records if r.name == "relaylog.duties"]
    assert line.levelname == "WARNING"
    assert "held back" in line.getMessage()
    assert line.__dict__["held_back"] == 1
    for secret in (str(log.id), str(world.youth.id), "Ylva", str(world.school.id)):
        assert secret not in caplog.text
        assert secret not in str(line.__dict__)
    async with committed(db_engine) as session:
        assert await session.get(RelayLog, log.id) is not None
