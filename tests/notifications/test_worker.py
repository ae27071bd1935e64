"""The worker end to end: events from real mutations, mails through a real SMTP server,
real workers (in this process and as separate processes), and what the mails must never
carry."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from models import Guardian, StaffAccount
from models.events import DomainEvent
from models.notification import (
    Delivery,
    Language,
    Notification,
    NotificationKind,
    NotificationPreference,
    NotificationStatus,
    Recipient,
    RecipientKind,
    next_digest_at,
    queue_once,
)
from models.relay_log import OSLO
from relaylog.jobs import jobs
from relaylog.mail import Mailer, OutgoingMail
from relaylog.mail_sink import MailSink
from relaylog.settings import Settings
from relaylog.worker import job_connector
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.mutations.content import gid
from tests.notifications.conftest import (
    SECRET_MEASURE,
    SECRET_NOTE,
    SECRET_SPARKLE,
    assert_no_personal_data,
    committed,
    events,
    notifications,
    now,
    run_until_idle,
    wait_for,
    worker_process,
)

NOTE = """mutation($input: WriteNoteInput!) { writeNote(input: $input) {
  note { id } error { code message } } }"""
SPARKLE = """mutation($input: AddSparkleInput!) { addSparkle(input: $input) {
  sparkle { id } error { code message } } }"""
MEASURE = """mutation($input: AddMeasureInput!) { addMeasure(input: $input) {
  measure { id } error { code message } } }"""


async def _prefer(
    engine: AsyncEngine, person: Any, delivery: Delivery, language: Language = Language.NB
) -> None:
    async with committed(engine) as session:
        if isinstance(person, StaffAccount):
            row = NotificationPreference(staff_id=person.id)
        else:
            row = NotificationPreference(person_hash=person.national_id_hash)
        row.delivery, row.language = delivery.value, language.value
        session.add(row)


async def _holder_adds_a_sparkle(api: GraphQLClient, world: World, log: Any) -> None:
    data = await api.query(
        SPARKLE,
        as_=world.holder,
        variables={"input": {"logId": gid("RelayLog", log), "text": SECRET_SPARKLE}},
    )
    assert data["addSparkle"]["error"] is None


async def _level2_log(world: World, engine: AsyncEngine) -> Any:
    async with committed(engine) as session:
        world.seed.session = session
        log = await world.seed.log(
            world.youth, world.holder, level=2, consenting=[world.guardian, world.other_guardian]
        )
        await world.seed.actor(log, world.actor)
        await world.seed.actor(log, world.external)
        point = await world.seed.point(log)
    return log, point


@pytest.mark.parametrize(
    "languages",
    [
        (Language.NB, Language.NN, Language.SE, Language.EN),
        (Language.PL, Language.LT, Language.SO, Language.AR),
        (Language.UK, Language.TI, Language.NN, Language.SE),
    ],
    ids=lambda languages: "-".join(language.value for language in languages),
)
async def test_each_person_reads_the_news_in_their_own_language_and_no_personal_data(
    api: GraphQLClient,
    live_world: World,
    db_engine: AsyncEngine,
    worker_db: str,
    worker_settings: Settings,
    sink: MailSink,
    languages: tuple[Language, ...],
) -> None:
    from relaylog.mail_texts import mail_text

    world = live_world
    log, _ = await _level2_log(world, db_engine)
    people: list[Any] = [world.guardian, world.other_guardian, world.actor, world.external]
    for person, language in zip(people, languages, strict=True):
        await _prefer(db_engine, person, Delivery.IMMEDIATE, language)
    data = await api.query(
        NOTE,
        as_=world.holder,
        variables={"input": {"logId": gid("RelayLog", log), "text": SECRET_NOTE}},
    )
    assert data["writeNote"]["error"] is None

    await run_until_idle(worker_settings, worker_db, db_engine)

    by_recipient = {mail.recipients: mail for mail in sink.received}
    assert set(by_recipient) == {(person.email,) for person in people}
    for person, language in zip(people, languages, strict=True):
        mail = by_recipient[(person.email,)]
        words = mail_text("NEWS", language, "")
        assert mail.message["Subject"] == words.subject
        assert mail.message["Content-Language"] == language.value
        assert words.body.strip().splitlines()[-1] in mail.text  # the footer, as translated
        assert f"https://stafett.test/logs/{log.id}" in mail.text
        assert "\ufffd" not in mail.text
    assert_no_personal_data(world, sink)


async def test_news_reaches_the_people_of_the_log_once_an_hour_and_carries_no_personal_data(
    api: GraphQLClient,
    live_world: World,
    db_engine: AsyncEngine,
    worker_db: str,
    worker_settings: Settings,
    sink: MailSink,
) -> None:
    world = live_world
    log, point = await _level2_log(world, db_engine)
    await _prefer(db_engine, world.actor, Delivery.IMMEDIATE, Language.EN)
    await _prefer(db_engine, world.other_guardian, Delivery.OFF)
    log_id = gid("RelayLog", log)
    for query, input_ in [
        (NOTE, {"logId": log_id, "text": SECRET_NOTE}),
        (SPARKLE, {"logId": log_id, "text": SECRET_SPARKLE}),
        (
            MEASURE,
            {
                "pointId": gid("PointOfAttention", point),
                "type": "ONE_ON_ONE",
                "description": SECRET_MEASURE,
                "responsibleMe": True,
                "finishedBy": (world.seed.today + timedelta(days=20)).isoformat(),
            },
        ),
    ]:
        data = await api.query(query, as_=world.holder, variables={"input": input_})
        assert all(v["error"] is None for v in data.values()), data

    await run_until_idle(worker_settings, worker_db, db_engine)

    # The guardian (default: at once) and the actor who chose it: one mail each for three
    # events. The holder wrote them; the other guardian turned mail off; the external actor
    # (staff default: the morning digest) waits for 07:00.
    by_recipient: dict[Any, Any] = {mail.recipients: mail for mail in sink.received}
    assert set(by_recipient) == {(world.guardian.email,), (world.actor.email,)}
    assert by_recipient[(world.guardian.email,)].message["Subject"] == (
        "Nytt i en stafettlogg du følger"
    )
    assert by_recipient[(world.actor.email,)].message["Subject"] == "News in a relay log you follow"
    assert f"https://stafett.test/logs/{log.id}" in by_recipient[(world.actor.email,)].text
    assert_no_personal_data(world, sink)
    owed = await notifications(db_engine)
    digest = [n for n in owed if n.kind == NotificationKind.DIGEST.value]
    assert [(n.recipient_id, n.status) for n in digest] == [(world.external.id, "PENDING")]
    assert digest[0].not_before == next_digest_at(now())
    assert all(e.dispatched_at is not None for e in await events(db_engine))

    # Within the hour: more news waits for the hour to pass, in one row.
    for text_ in ["Referat fra møtet", "Enda et notat"]:
        await api.query(
            NOTE, as_=world.holder, variables={"input": {"logId": log_id, "text": text_}}
        )
    await run_until_idle(worker_settings, worker_db, db_engine)
    assert len(sink.received) == 2
    waiting = [
        n
        for n in await notifications(db_engine)
        if n.kind == "NEWS" and n.status == "PENDING" and n.recipient_id == world.guardian.id
    ]
    sent = [
        n
        for n in await notifications(db_engine)
        if n.kind == "NEWS" and n.status == "SENT" and n.recipient_id == world.guardian.id
    ]
    assert len(waiting) == 1
    assert len(sent) == 1
    assert sent[0].sent_at is not None
    assert waiting[0].not_before == sent[0].sent_at + timedelta(hours=1)


async def test_a_malformed_address_is_skipped_and_recorded_and_the_others_get_their_mail(
    api: GraphQLClient,
    live_world: World,
    db_engine: AsyncEngine,
    worker_db: str,
    worker_settings: Settings,
    sink: MailSink,
) -> None:
    world = live_world
    log, _ = await _level2_log(world, db_engine)
    async with committed(db_engine) as session:
        await session.execute(
            update(Guardian)
            .where(Guardian.id == world.guardian.id)
            .values(email="gunnar at example\r\nBcc: x@evil.test")
        )
    await _holder_adds_a_sparkle(api, world, log)

    await run_until_idle(worker_settings, worker_db, db_engine)

    assert [m.recipients for m in sink.received] == [(world.other_guardian.email,)]
    by_person = {n.recipient_id: n for n in await notifications(db_engine)}
    assert by_person[world.guardian.id].status == NotificationStatus.SKIPPED.value
    assert by_person[world.guardian.id].problem == "malformed address"


async def test_an_unreachable_smtp_server_is_retried_then_dead_lettered_without_personal_data(
    api: GraphQLClient,
    sink: MailSink,
    live_world: World,
    db_engine: AsyncEngine,
    worker_db: str,
    worker_settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = live_world
    log, _ = await _level2_log(world, db_engine)
    await _prefer(db_engine, world.other_guardian, Delivery.OFF)
    from relaylog.mail_sink import _free_port

    nobody_listens = _free_port("127.0.0.1")
    unreachable = worker_settings.model_copy(update={"smtp_port": nobody_listens})
    await _holder_adds_a_sparkle(api, world, log)

    with caplog.at_level("INFO", logger="relaylog"):
        await run_until_idle(unreachable, worker_db, db_engine)

    [dead] = [n for n in await notifications(db_engine) if n.kind == "NEWS"]
    assert (dead.status, dead.attempts) == ("DEAD", 3)
    assert "SMTP" in (dead.problem or "")
    failures = [r for r in caplog.records if r.getMessage() == "mail delivery failed"]
    assert [(r.attempt, r.dead_letter) for r in failures] == [  # type: ignore[attr-defined]
        (1, False),
        (2, False),
        (3, True),
    ]
    for record in caplog.records:
        line = str(record.__dict__)
        assert str(world.guardian.email) not in line
        assert world.youth.name not in line
    async with committed(db_engine) as session:
        statuses = (
            await session.execute(
                text(
                    "SELECT status::text, attempts FROM procrastinate.procrastinate_jobs "
                    "WHERE task_name = 'deliver'"
                )
            )
        ).all()
    assert [tuple(s) for s in statuses] == [("failed", 3)]  # the dead letter, kept
    assert len(await events(db_engine)) == 1  # the event is kept too

    from relaylog.worker import worker_status

    status = await worker_status(worker_db)
    assert status.notifications["DEAD"] == 1
    assert status.dead_letters[0][0] == str(dead.id)

    # ... and what an operator alerts on, in /metrics (no id, no address in any label).
    exposition = (await api.http.get("/metrics")).text
    assert 'relaylog_notifications{status="DEAD"} 1.0' in exposition
    assert 'relaylog_job_queue_jobs{queue="mail",status="failed"} 1.0' in exposition
    assert 'relaylog_job_queue_jobs{queue="mail",status="todo"} 0.0' in exposition
    assert "relaylog_outbox_undispatched_events 0.0" in exposition
    assert str(dead.id) not in exposition
    assert str(world.guardian.email) not in exposition

    # The operator fixes the server and requeues the dead letter: it goes, once.
    from relaylog.worker import requeue_dead_letters

    assert await requeue_dead_letters(worker_db, [dead.id]) == 1
    assert await requeue_dead_letters(worker_db, None) == 0  # nothing else is dead
    await run_until_idle(worker_settings, worker_db, db_engine)
    [sent] = [n for n in await notifications(db_engine) if n.kind == "NEWS"]
    assert (sent.id, sent.status, sent.attempts) == (dead.id, "SENT", 1)
    assert await _jobs(db_engine, "deliver") == []  # the dead job went with the requeue
    assert len(sink.received) == 1


async def test_a_tick_while_a_mail_is_being_sent_defers_no_second_job_for_it(
    api: GraphQLClient,
    live_world: World,
    db_engine: AsyncEngine,
    worker_db: str,
    worker_settings: Settings,
) -> None:
    """The minute tick (or a dispatch on another worker) that runs while a mail's job is
    sending must leave that mail to it: a second job would collide with the first one's
    retry and the mail be tried once more than the setting allows (seen in CI)."""
    world = live_world
    log, _ = await _level2_log(world, db_engine)
    await _prefer(db_engine, world.other_guardian, Delivery.OFF)
    from relaylog.jobs import dispatch_and_defer
    from tests.notifications.conftest import runtime_for

    class TickDuringSend(Mailer):
        async def send(self, mail: OutgoingMail) -> None:
            await dispatch_and_defer(jobs, runtime)  # the app the worker runs, mid-job
            raise ConnectionRefusedError

    runtime = runtime_for(worker_settings, db_engine)
    runtime.mailer = TickDuringSend(worker_settings)
    await _holder_adds_a_sparkle(api, world, log)
    # Before the fix the jobs chased each other's retries: bounded, so it fails, not hangs.
    await asyncio.wait_for(
        run_until_idle(worker_settings, worker_db, db_engine, runtime=runtime), timeout=60
    )

    [dead] = [n for n in await notifications(db_engine) if n.kind == "NEWS"]
    assert (dead.status, dead.attempts) == ("DEAD", worker_settings.mail_max_attempts)
    assert await _jobs(db_engine, "deliver") == [("failed", worker_settings.mail_max_attempts)]


class _Broken(Mailer):
    async def send(self, mail: OutgoingMail) -> None:
        raise RuntimeError(f"bug while mailing {mail.to}")  # an address in the message


@pytest.mark.parametrize("where", ["mailer", "text"])
async def test_a_mail_that_fails_for_any_reason_is_dead_after_its_tries_and_gets_no_new_jobs(
    api: GraphQLClient,
    live_world: World,
    db_engine: AsyncEngine,
    worker_db: str,
    worker_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    where: str,
) -> None:
    """Not the SMTP server but a bug: in the mailer, or before it (the text could not be
    made). The row is counted and dead after the last try, as for an unreachable server, the
    log says only the class, and the minute tick defers no new job for it — not even if the
    row were left pending (a last try that could not mark it): its failed job is the dead
    letter until ``worker-requeue``."""
    world = live_world
    log, _ = await _level2_log(world, db_engine)
    await _prefer(db_engine, world.other_guardian, Delivery.OFF)
    from relaylog.jobs import dispatch_and_defer
    from tests.notifications.conftest import runtime_for

    runtime = runtime_for(worker_settings, db_engine)
    if where == "mailer":
        runtime.mailer = _Broken(worker_settings)
    else:

        def no_text(*args: object) -> object:
            raise RuntimeError("catalog broken")

        monkeypatch.setattr("relaylog.notifier.mail_text", no_text)
    await _holder_adds_a_sparkle(api, world, log)
    with caplog.at_level("INFO"):
        await asyncio.wait_for(
            run_until_idle(worker_settings, worker_db, db_engine, runtime=runtime), timeout=60
        )

    tries = worker_settings.mail_max_attempts
    [dead] = [n for n in await notifications(db_engine) if n.kind == "NEWS"]
    assert (dead.status, dead.attempts, dead.problem) == ("DEAD", tries, "RuntimeError")
    assert await _jobs(db_engine, "deliver") == [("failed", tries)]
    failures = [r for r in caplog.records if r.getMessage() == "mail delivery failed"]
    assert [r.dead_letter for r in failures] == [False] * (tries - 1) + [True]  # type: ignore[attr-defined]
    for record in caplog.records:
        line = str(record.__dict__) + record.getMessage() + str(record.exc_text or "")
        assert str(world.guardian.email) not in line

    async with committed(db_engine) as session:  # as if the last try could not mark it
        await session.execute(
            update(Notification).where(Notification.id == dead.id).values(status="PENDING")
        )
    with jobs.replace_connector(job_connector(worker_db)) as app:
        async with app.open_async():
            for _ in range(3):  # three minute ticks
                await dispatch_and_defer(app, runtime)
    assert await _jobs(db_engine, "deliver") == [("failed", tries)]  # none piled up


async def test_an_outbox_row_of_an_unknown_kind_does_not_hold_up_the_events_after_it(
    api: GraphQLClient,
    live_world: World,
    db_engine: AsyncEngine,
    worker_db: str,
    worker_settings: Settings,
    sink: MailSink,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A row this version cannot read (written by a newer one, or by hand) is left
    undispatched for a worker that knows it, the operator sees it, and the news after it
    goes out."""
    world = live_world
    log, _ = await _level2_log(world, db_engine)
    async with committed(db_engine) as session:
        session.add(DomainEvent(kind="NO_SUCH_KIND", log_id=log.id, actor_kind="STAFF"))
    await _holder_adds_a_sparkle(api, world, log)

    with caplog.at_level("WARNING", logger="relaylog"):
        await run_until_idle(worker_settings, worker_db, db_engine)

    assert sorted(m.recipients for m in sink.received) == sorted(
        [(world.guardian.email,), (world.other_guardian.email,)]
    )
    left = {e.kind: e.dispatched_at for e in await events(db_engine)}
    assert left["NO_SUCH_KIND"] is None
    assert left["SPARKLE_ADDED"] is not None
    assert any("unknown kind" in r.getMessage() for r in caplog.records)
    from relaylog.worker import worker_status

    status = await worker_status(worker_db)
    assert (status.undispatched_events, status.unknown_events) == (1, 1)


async def _jobs(engine: AsyncEngine, task: str) -> list[tuple[str, int]]:
    async with committed(engine) as session:
        rows = await session.execute(
            text(
                "SELECT status::text, attempts FROM procrastinate.procrastinate_jobs "
                "WHERE task_name = :task ORDER BY id"
            ),
            {"task": task},
        )
        return [(r[0], r[1]) for r in rows]


CRASH_AFTER_SEND = """
import os, sys
from relaylog.jobs import Runtime

counted = Runtime.count

def count(self, name):
    counted(self, name)
    if name == "mail_sent":  # the mail went and is recorded; the queue never hears of it
        os._exit(3)

Runtime.count = count
from relaylog.cli import main
sys.argv = ["relaylog", "worker", "--queue", "events", "--queue", "mail", "--concurrency", "1"]
main()
"""


@pytest.mark.slow
async def test_a_worker_killed_between_sending_and_acknowledging_sends_nothing_twice(
    api: GraphQLClient,
    live_world: World,
    db_engine: AsyncEngine,
    worker_db: str,
    worker_settings: Settings,
    sink: MailSink,
) -> None:
    world = live_world
    log, _ = await _level2_log(world, db_engine)
    await _prefer(db_engine, world.other_guardian, Delivery.OFF)
    await _holder_adds_a_sparkle(api, world, log)
    process = worker_process(worker_settings, worker_db, script=CRASH_AFTER_SEND)
    output, _ = await asyncio.to_thread(process.communicate, None, 60)
    assert process.returncode == 3, output.decode()
    assert [m.recipients for m in sink.received] == [(world.guardian.email,)]
    assert await _jobs(db_engine, "deliver") == [("doing", 0)]  # never acknowledged

    await asyncio.sleep(worker_settings.worker_stalled_seconds + 0.5)
    runtime = await run_until_idle(worker_settings, worker_db, db_engine)

    assert len(sink.received) == 1  # the job ran again and sent nothing
    assert runtime.stats.get("mail_already_done") == 1
    assert await _jobs(db_engine, "deliver") == []  # done (and so deleted), not failed
    [sent] = [n for n in await notifications(db_engine) if n.kind == "NEWS"]
    assert (sent.status, sent.attempts) == ("SENT", 1)


@pytest.mark.slow
async def test_two_workers_share_the_mails_and_each_goes_once(
    live_world: World,
    db_engine: AsyncEngine,
    worker_db: str,
    worker_settings: Settings,
    sink: MailSink,
) -> None:
    world = live_world
    owed: list[uuid.UUID] = []
    async with committed(db_engine) as session:
        world.seed.session = session
        for n in range(24):
            staff = await world.seed.staff(world.school, f"Lærer Nummer{n}")
            staff.email = f"laerer{n}@skole.test"
            await session.flush()
            row = await queue_once(
                session,
                kind=NotificationKind.DIGEST,
                recipient=Recipient(RecipientKind.STAFF, staff.id),
                idempotency_key=f"test-digest-{n}",
                not_before=now(),
            )
            assert row is not None
            owed.append(row)
    from relaylog.jobs import defer_delivery

    with jobs.replace_connector(job_connector(worker_db)) as app:
        async with app.open_async():
            for notification_id in owed:
                await defer_delivery(app, notification_id, now())
                await defer_delivery(app, notification_id, now())  # a second defer: no-op

    first = worker_process(worker_settings, worker_db, "--once", "--queue", "mail")
    second = worker_process(worker_settings, worker_db, "--once", "--queue", "mail")
    for process in (first, second):
        output, _ = await asyncio.to_thread(process.communicate, None, 90)
        assert process.returncode == 0, output.decode()

    assert len(sink.received) == 24
    assert len({m.message["Message-ID"] for m in sink.received}) == 24
    assert sorted(m.recipients[0] for m in sink.received) == sorted(
        f"laerer{n}@skole.test" for n in range(24)
    )
    statuses = [n.status for n in await notifications(db_engine)]
    assert statuses == ["SENT"] * 24
    assert await _jobs(db_engine, "deliver") == []  # each done once, none failed


async def test_the_event_listener_dispatches_as_soon_as_a_change_is_committed(
    api: GraphQLClient,
    live_world: World,
    db_engine: AsyncEngine,
    worker_db: str,
    worker_settings: Settings,
    sink: MailSink,
) -> None:
    """``relaylog worker`` as it runs beside ``serve``: started first, then a change."""
    world = live_world
    log, _ = await _level2_log(world, db_engine)
    process = worker_process(worker_settings, worker_db, "--queue", "events", "--queue", "mail")
    try:
        await asyncio.sleep(4)  # the worker is up and listening
        await api.query(
            SPARKLE,
            as_=world.holder,
            variables={"input": {"logId": gid("RelayLog", log), "text": SECRET_SPARKLE}},
        )

        async def two_mails() -> bool:
            return len(sink.received) == 2

        await wait_for(two_mails, 40)
    finally:
        process.terminate()
        await asyncio.to_thread(process.communicate, None, 30)
    assert sorted(m.recipients for m in sink.received) == sorted(
        [(world.guardian.email,), (world.other_guardian.email,)]
    )
    assert_no_personal_data(world, sink)


def test_the_morning_digest_is_at_seven_in_oslo() -> None:
    evening = datetime(2026, 12, 1, 20, 0, tzinfo=OSLO)
    assert next_digest_at(evening) == datetime(2026, 12, 2, 7, 0, tzinfo=OSLO)
    early = datetime(2026, 7, 1, 4, 0, tzinfo=OSLO)
    assert next_digest_at(early) == datetime(2026, 7, 1, 7, 0, tzinfo=OSLO)


def test_an_address_is_checked_before_a_mail_goes() -> None:
    from relaylog.mail import checked_address

    assert checked_address("gunnar@example.no") == "gunnar@example.no"
    for bad in [
        "",
        None,
        "gunnar",
        "gunnar@localhost",
        "a b@c.no",
        "x@y.no\r\nBcc: z@w.no",
        "Gunnar <gunnar@example.no>",
    ]:
        assert checked_address(bad) is None, bad


def test_every_mail_text_exists_in_every_language_and_names_nobody() -> None:
    from relaylog.mail_texts import MAIL_TEXTS, mail_text

    assert set(MAIL_TEXTS) == {k.value for k in NotificationKind}
    for kind in MAIL_TEXTS:
        for language in Language:
            text_ = mail_text(kind, language, "https://x.test/")
            assert "https://x.test/" in text_.body
            assert "{" not in text_.body + text_.subject


def test_the_worker_help_reads_whole_lines_in_an_80_column_terminal() -> None:
    """Its lines are kept as written: each must fit, or the terminal breaks them mid-line."""
    from typer.testing import CliRunner

    from relaylog.cli import app, worker

    shown = CliRunner().invoke(app, ["worker", "--help"], env={"COLUMNS": "80"}, color=False)
    assert shown.exit_code == 0, shown.output
    screen = [line.strip() for line in shown.output.splitlines()]
    written = [line.strip() for line in (worker.__doc__ or "").splitlines()]
    for line in written:
        if line and line != "\b":  # click's mark for a block kept as written
            assert line in screen, line
