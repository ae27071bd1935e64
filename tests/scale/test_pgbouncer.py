"""Several API processes against one PostgreSQL through a pgbouncer in transaction mode.

Two ``relaylog serve`` processes (``RELAYLOG_DATABASE_POOLER=pgbouncer``) share four server
connections: every transaction may land on another server connection than the last, which
breaks any statement prepared under a reused name. The smoke reads (ad hoc and trusted
documents, staff and family), a write and the audit commands all go through it at once, and
so do three job workers sending mails (psycopg's statements, not asyncpg's)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.dev_keys import DevKeys
from auth.policy import Audience
from models import AuditEvent, RelayLog
from models.audit import verify_chains
from models.base import utcnow
from models.notification import (
    Notification,
    NotificationKind,
    Recipient,
    RecipientKind,
    queue_once,
)
from relaylog.db import create_engine
from relaylog.mail_sink import MailSink
from relaylog.settings import PROJECT_ROOT, Settings
from schema.trusted import trusted_documents
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import ERROR, gid
from tests.scale.conftest import ApiProcess, Bouncer, api_environment, committed_world, start_apis
from tests.test_cli import relaylog

pytestmark = pytest.mark.slow

MY_LOGS = "{ viewer { kind name } myLogs { edges { node { id level child { name } } } } }"
WRITE_NOTE = f"""mutation($input: WriteNoteInput!) {{ writeNote(input: $input) {{
  note {{ id }} {ERROR} }} }}"""
ROUNDS = 8


@dataclass
class Deployment:
    bouncer: Bouncer
    world: World
    log: RelayLog
    apis: list[ApiProcess]


@pytest.fixture(scope="module")
async def deployment(
    bouncer: Bouncer, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Deployment]:
    world = await committed_world(bouncer.url, pooler="pgbouncer")
    engine = create_engine(bouncer.url, pooler="pgbouncer")
    async with AsyncSession(engine, expire_on_commit=False) as session:
        world.seed.session = session
        log = await world.full_log(level=2)
        await session.commit()
    await engine.dispose()
    env = api_environment(settings, bouncer.url, RELAYLOG_DATABASE_POOLER="pgbouncer")
    apis = await start_apis(env, tmp_path_factory.mktemp("apis"), 2)
    try:
        yield Deployment(bouncer, world, log, apis)
    finally:
        for api in apis:
            api.stop()


async def test_two_api_processes_answer_reads_and_writes_through_pgbouncer(
    deployment: Deployment, dev_keys: DevKeys, settings: Settings
) -> None:
    world, log = deployment.world, deployment.log
    view = next(d for d in trusted_documents() if d.name == "HolderLogView")
    dashboard = next(d for d in trusted_documents() if d.name == "GuardianDashboard")
    clients = [httpx.AsyncClient(base_url=api.base_url, timeout=30) for api in deployment.apis]
    try:
        apis = [GraphQLClient(http, dev_keys, settings) for http in clients]

        async def smoke(api: GraphQLClient, i: int) -> tuple[httpx.Response, ...]:
            return await asyncio.gather(
                api.post(MY_LOGS, as_=world.holder),
                api.post_document(
                    view.document_id, as_=world.holder, variables={"id": gid("RelayLog", log)}
                ),
                api.post_document(
                    dashboard.document_id, as_=world.guardian, audience=Audience.FAMILY
                ),
                api.post(
                    WRITE_NOTE,
                    as_=world.holder,
                    variables={"input": {"logId": gid("RelayLog", log), "text": f"Notat {i}"}},
                ),
            )

        rounds = await asyncio.gather(*(smoke(apis[i % 2], i) for i in range(ROUNDS)))
    finally:
        for http in clients:
            await http.aclose()

    for my_logs, holder_view, guardian, note in rounds:
        for response in (my_logs, holder_view, guardian, note):
            assert response.status_code == 200, response.text
            assert not response.json().get("errors"), response.text
        assert my_logs.json()["data"]["viewer"] == {"kind": "STAFF", "name": "Hanne Holder"}
        assert holder_view.json()["data"]["node"]["level"] == 2
        assert guardian.json()["data"]["myLogs"]["edges"]
        assert note.json()["data"]["writeNote"]["error"] is None

    engine = create_engine(deployment.bouncer.url, pooler="pgbouncer")
    try:
        async with AsyncSession(engine) as session:
            writes = await session.scalar(
                select(func.count()).where(AuditEvent.log_id == log.id, AuditEvent.action != "READ")
            )
            found = await verify_chains(session)
    finally:
        await engine.dispose()
    assert writes == ROUNDS
    assert found.breaks == []


def test_audit_verify_and_checkpoint_run_through_pgbouncer(
    deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAYLOG_DATABASE_POOLER", "pgbouncer")
    url = deployment.bouncer.url
    exported = tmp_path / "checkpoint.json"

    made = relaylog(
        "audit", "checkpoint", "--export", str(exported), data_dir=tmp_path, database_url=url
    )
    verified = relaylog(
        "audit", "verify", "--against", str(exported), data_dir=tmp_path, database_url=url
    )

    assert made.returncode == 0, made.stderr
    assert verified.returncode == 0, verified.stderr + verified.stdout
    assert verified.stdout.startswith("audit trail intact: ")


MAILS = 30


async def _owed_digests(deployment: Deployment, n: int) -> list[uuid.UUID]:
    """``n`` staff, each owed a digest now (committed through pgbouncer)."""
    world = deployment.world
    engine = create_engine(deployment.bouncer.url, pooler="pgbouncer")
    owed: list[uuid.UUID] = []
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            world.seed.session = session
            for i in range(n):
                staff = await world.seed.staff(world.school, f"Lærer Bouncer{i}")
                staff.email = f"bouncer{i}@skole.test"
                await session.flush()
                row = await queue_once(
                    session,
                    kind=NotificationKind.DIGEST,
                    recipient=Recipient(RecipientKind.STAFF, staff.id),
                    idempotency_key=f"bouncer-digest-{i}",
                    not_before=utcnow(),
                )
                assert row is not None
                owed.append(row)
            await session.commit()
    finally:
        await engine.dispose()
    return owed


def _worker_once(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "relaylog", "worker", "--once"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


async def test_three_job_workers_send_the_owed_mails_through_pgbouncer(
    deployment: Deployment, settings: Settings
) -> None:
    """Each worker runs procrastinate's few statements dozens of times: psycopg would prepare
    them under names another client's server connection already holds. One worker listens on
    PostgreSQL itself (``RELAYLOG_LISTEN_URL``); the others have no direct URL and rely on the
    dispatch they defer at start and the minute tick."""
    owed = await _owed_digests(deployment, MAILS)
    with MailSink() as sink:
        env = api_environment(
            settings,
            deployment.bouncer.url,
            RELAYLOG_DATABASE_POOLER="pgbouncer",
            RELAYLOG_SMTP_HOST=sink.host,
            RELAYLOG_SMTP_PORT=str(sink.port),
            RELAYLOG_MAIL_RETRY_BASE_SECONDS="0",
        )
        listening = {**env, "RELAYLOG_LISTEN_URL": deployment.bouncer.direct_url}
        workers = [_worker_once(worker_env) for worker_env in (listening, env, env)]
        outputs = []
        for worker in workers:
            out, _ = await asyncio.to_thread(worker.communicate, None, 120)
            outputs.append(out.decode())
            assert worker.returncode == 0, out.decode()
        received = sink.received

    for output in outputs:
        assert "prepared statement" not in output.lower(), output
        assert "Traceback" not in output, output
    to_staff = [m.recipients[0] for m in received if m.recipients[0].startswith("bouncer")]
    assert sorted(to_staff) == sorted(f"bouncer{i}@skole.test" for i in range(MAILS))  # once each
    # (the others are the news of the notes written above, to the log's guardian)
    engine = create_engine(deployment.bouncer.url, pooler="pgbouncer")
    try:
        async with AsyncSession(engine) as session:
            statuses = list(
                await session.scalars(select(Notification.status).where(Notification.id.in_(owed)))
            )
    finally:
        await engine.dispose()
    assert statuses == ["SENT"] * MAILS


def test_a_duty_run_by_hand_defers_its_dispatch_through_pgbouncer(
    deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``relaylog worker --run NAME`` ends by deferring a dispatch job: behind pgbouncer that
    connection too must be the pooler's (pgbouncer refuses the plain one's startup options)."""
    monkeypatch.setenv("RELAYLOG_DATABASE_POOLER", "pgbouncer")

    ran = relaylog(
        "worker", "--run", "remind", data_dir=tmp_path, database_url=deployment.bouncer.url
    )

    assert ran.returncode == 0, ran.stderr + ran.stdout
    assert "Traceback" not in ran.stderr, ran.stderr
