"""The scheduled duties, run as the worker runs them: through the job queue or their job's
body, against a committed database, twice (a second run changes nothing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from models import ActorMembership, ArchiveRecord, AuditEvent, LevelChange, RelayLog
from models.enums import ActorStatus, ConsentScope
from models.events import DomainEvent
from models.notification import (
    NEWS_INTERVAL,
    Notification,
    NotificationKind,
    Recipient,
    RecipientKind,
    queue_once,
)
from models.relay_log import OSLO
from relaylog.jobs import jobs, run_duty
from relaylog.mail_sink import MailSink
from relaylog.settings import Settings
from relaylog.worker import job_connector
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.mutations.content import gid
from tests.notifications.conftest import (
    assert_no_personal_data,
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
    # One mail per person and log on a day: the holder's measure and meeting are one.
    assert await run_duty("remind", runtime) == 2
    assert await run_duty("remind", runtime) == 0
    owed = sorted(
        (n.topic or "", n.recipient_id == world.holder.id, n.log_id == log.id)
        for n in await notifications(db_engine)
    )
    assert owed == [("MEASURE_DUE_SOON", False, True), ("MEASURE_DUE_SOON", True, True)]
    assert {n.object_id for n in await notifications(db_engine)} == {due.id}

    await run_until_idle(worker_settings, worker_db, db_engine)
    assert sorted(m.recipients for m in sink.received) == sorted(
        [(world.holder.email,), (world.actor.email,)]
    )
    subjects = sorted(m.message["Subject"] for m in sink.received)
    assert subjects == ["Påminnelse fra en stafettlogg du følger"] * 2


async def test_a_reminder_waits_an_hour_after_the_last_mail_about_the_log(
    live_world: World, db_engine: AsyncEngine, worker_settings: Settings
) -> None:
    """The hourly limit news keeps holds for reminders: one sent about the log a quarter of
    an hour ago makes the reminder wait until an hour after it."""
    world = live_world
    today = oslo_today()
    async with committed(db_engine) as session:
        s = world.seed
        s.session = session
        log = await s.log(world.youth, world.holder, level=1, consenting=[world.guardian])
        await s.meeting(log, held_on=today + timedelta(days=1), actors=[world.holder])
        sent_at = now() - timedelta(minutes=15)
        await queue_once(
            session,
            kind=NotificationKind.NEWS,
            recipient=Recipient(RecipientKind.STAFF, world.holder.id),
            idempotency_key="news-a-quarter-ago",
            not_before=sent_at,
            log_id=log.id,
        )
        await session.execute(
            update(Notification)
            .where(Notification.idempotency_key == "news-a-quarter-ago")
            .values(status="SENT", sent_at=sent_at)
        )
    assert await run_duty("remind", runtime_for(worker_settings, db_engine)) == 1
    [reminder] = [n for n in await notifications(db_engine) if n.kind == "REMINDER"]
    assert reminder.not_before == sent_at + NEWS_INTERVAL


async def test_every_kind_of_reminder_reaches_who_it_is_for_and_names_nothing(
    live_world: World,
    db_engine: AsyncEngine,
    worker_db: str,
    worker_settings: Settings,
    sink: MailSink,
) -> None:
    """A measure past its deadline (the guardians are responsible for it), one due today
    that nobody evaluated, an activity plan on its fifth day with no measure: each reaches
    its people as a reminder, through the SMTP server, with no name and no text in it."""
    world = live_world
    today = oslo_today()
    async with committed(db_engine) as session:
        s = world.seed
        s.session = session
        overdue_log = await s.log(
            world.youth, world.holder, level=1, consenting=[world.guardian, world.other_guardian]
        )
        overdue = await s.measure(
            await s.point(overdue_log),
            "Leselekser med foresatte hver kveld",
            responsible_guardians=True,
            initiated_on=today - timedelta(days=10),
            days=9,
        )
        sibling = await s.child(world.municipality, "Sander Ungdom", [world.guardian])
        evaluation_log = await s.log(sibling, world.holder, level=1, consenting=[world.guardian])
        await s.actor(evaluation_log, world.actor)
        unevaluated = await s.measure(
            await s.point(evaluation_log),
            "Samtale med miljøterapeut",
            responsible=[world.actor],
            initiated_on=today - timedelta(days=14),
            days=14,
        )
        third = await s.child(world.municipality, "Tiril Ungdom", [world.other_guardian])
        plan_log = await s.log(third, world.holder, level=1, consenting=[world.other_guardian])
        plan_log.activity_plan_reported_on = today - timedelta(days=5)
        await session.flush()
    runtime = runtime_for(worker_settings, db_engine)
    assert await run_duty("remind", runtime) == 6
    assert await run_duty("remind", runtime) == 0
    holder, actor = world.holder.id, world.actor.id
    guardian, other = world.guardian.id, world.other_guardian.id
    owed = {
        (n.log_id, n.recipient_id): (n.topic, n.object_id) for n in await notifications(db_engine)
    }
    assert owed == {
        (overdue_log.id, holder): ("MEASURE_OVERDUE", overdue.id),
        (overdue_log.id, guardian): ("MEASURE_OVERDUE", overdue.id),
        (overdue_log.id, other): ("MEASURE_OVERDUE", overdue.id),
        (evaluation_log.id, holder): ("EVALUATION_DUE", unevaluated.id),
        (evaluation_log.id, actor): ("EVALUATION_DUE", unevaluated.id),
        (plan_log.id, holder): ("ACTIVITY_PLAN_DUE", plan_log.id),
    }

    await run_until_idle(worker_settings, worker_db, db_engine)
    expected = [world.holder.email] * 3 + [
        world.guardian.email,
        world.other_guardian.email,
        world.actor.email,
    ]
    assert sorted(m.recipients[0] for m in sink.received) == sorted(str(e) for e in expected)
    assert {m.message["Subject"] for m in sink.received} == {
        "Påminnelse fra en stafettlogg du følger"
    }
    links = {f"https://stafett.test/logs/{x.id}" for x in (overdue_log, evaluation_log, plan_log)}
    assert all(any(link in m.text for link in links) for m in sink.received)
    assert_no_personal_data(
        world,
        sink,
        "Sander",
        "Tiril",
        "Leselekser",
        "miljøterapeut",
        "Konsentrasjon",  # the points' description
    )


async def test_the_passive_log_report_goes_to_unit_managers_on_the_control_dates(
    live_world: World,
    db_engine: AsyncEngine,
    worker_db: str,
    worker_settings: Settings,
    sink: MailSink,
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

    await run_until_idle(control_day, worker_db, db_engine)
    [mail] = sink.received
    assert mail.recipients == (world.manager.email,)
    assert "https://stafett.test/passive-logs" in mail.text
    assert mail.message["Subject"] == "Kontroll av passive stafettlogger"
    assert [part.get_content_type() for part in mail.message.walk()] == ["text/plain"]
    assert not any(True for _ in mail.message.iter_attachments())  # a link, never the report
    assert_no_personal_data(world, sink)


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


async def test_the_nightly_purge_holds_back_a_log_whose_archive_copy_was_not_received(
    live_world: World, db_engine: AsyncEngine, worker_settings: Settings
) -> None:
    world = live_world
    closed_at = now() - timedelta(days=3 * 365)
    async with committed(db_engine) as session:
        world.seed.session = session
        log = await world.seed.log(world.youth, world.holder, level=1, consenting=[world.guardian])
        await world.seed.close(log, closed_at=closed_at)
        package = b"%PDF-1.4 avsluttet stafettlogg"
        session.add(
            ArchiveRecord(
                log_id=log.id,
                reason="CLOSED",
                case_title="Stafettlogg",
                document_title="Avsluttet stafettlogg",
                author_organisation_id=world.school.id,
                created_by_id=world.holder.id,
                size_bytes=len(package),
                sha256="a" * 64,
                package=package,
                holder_id=world.holder.id,
            )
        )
    runtime = runtime_for(worker_settings, db_engine)
    assert await run_duty("purge_expired_logs", runtime) == 0
    async with committed(db_engine) as session:
        assert await session.get(RelayLog, log.id) is not None  # kept for the archive
        await session.execute(
            update(ArchiveRecord)
            .where(ArchiveRecord.log_id == log.id)
            .values(received_at=now(), received_by_id=world.manager.id, archive_reference="1/2")
        )
    assert await run_duty("purge_expired_logs", runtime) == 1
    async with committed(db_engine) as session:
        assert await session.get(RelayLog, log.id) is None


async def test_a_duty_running_elsewhere_is_not_run_a_second_time(
    live_world: World, db_engine: AsyncEngine, worker_settings: Settings
) -> None:
    """Another worker (or ``relaylog worker --run``) holds the duty's lock: this run does
    nothing, not even its audit entry, and says so (``None``); once the lock is free it
    runs."""
    from sqlalchemy import text

    from relaylog.jobs import _lock_key

    world = live_world
    today = oslo_today()
    async with committed(db_engine) as session:
        world.seed.session = session
        log = await world.seed.log(world.youth, world.holder, level=1, consenting=[world.guardian])
        await world.seed.meeting(log, held_on=today + timedelta(days=1), actors=[world.holder])
    runtime = runtime_for(worker_settings, db_engine)
    async with db_engine.connect() as elsewhere, elsewhere.begin():
        await elsewhere.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key("remind")}
        )
        assert await run_duty("remind", runtime) is None
        assert await notifications(db_engine) == []
    async with committed(db_engine) as session:
        ran = await session.scalar(select(func.count()).where(AuditEvent.action == "DUTY_REMIND"))
    assert ran == 0
    assert await run_duty("remind", runtime) == 1


async def test_a_duty_run_by_hand_defers_a_dispatch_for_what_it_owed(
    live_world: World, db_engine: AsyncEngine, worker_db: str, worker_settings: Settings
) -> None:
    """``relaylog worker --run remind``: the reminders go as soon as a worker runs, not at
    the next minute tick."""
    from sqlalchemy import text

    from relaylog.worker import run_duty_now

    world = live_world
    async with committed(db_engine) as session:
        world.seed.session = session
        log = await world.seed.log(world.youth, world.holder, level=1, consenting=[world.guardian])
        await world.seed.meeting(
            log, held_on=oslo_today() + timedelta(days=1), actors=[world.holder]
        )
    assert await run_duty_now(worker_settings, worker_db, "remind") == 1
    async with committed(db_engine) as session:
        waiting = list(
            await session.scalars(
                text("SELECT task_name FROM procrastinate.procrastinate_jobs WHERE status = 'todo'")
            )
        )
    assert waiting == ["dispatch"]


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
