"""The worker against real parts: a committed database of its own per test (copied from a
migrated template, so a test's jobs never reach another's), a real SMTP server in the test
process (aiosmtpd) and the real worker, in process or as separate processes."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from auth.dev_keys import DevKeys
from models.base import utcnow
from models.events import DomainEvent
from models.notification import Notification
from models.relay_log import OSLO
from relaylog.app import Services, build_app
from relaylog.db import RequestSession, create_engine
from relaylog.jobs import Runtime
from relaylog.mail import Mailer
from relaylog.mail_sink import MailSink
from relaylog.services import make_verifier
from relaylog.settings import PROJECT_ROOT, Settings
from relaylog.worker import run_worker
from tests.conftest import TEST_SECRET, _admin, _plain, _server_url, fresh_database
from tests.factories import World, build_world
from tests.graphql import GraphQLClient

EVENT_AND_MAIL_QUEUES = ["events", "mail"]

SECRET_NOTE = "Ylva gråt i friminuttet og ville ikke gå hjem"
SECRET_MEASURE = "Samtale med helsesykepleier om søvn hver tirsdag"
SECRET_SPARKLE = "Ylva fikk en ny venn i klassen"


def oslo_today() -> date:
    return utcnow().astimezone(OSLO).date()


@pytest.fixture(scope="session")
def worker_template() -> Iterator[str]:
    """A migrated database that each test copies (``CREATE DATABASE … TEMPLATE``)."""
    from models import secrets as data_protection
    from relaylog.migrations import upgrade

    data_protection.configure(TEST_SECRET)
    with fresh_database("relaylog_worker_template") as url:
        upgrade(url)
        yield url


@pytest.fixture
def worker_db(worker_template: str) -> Iterator[str]:
    server = _server_url()
    template = make_url(worker_template).database
    name = f"relaylog_worker_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield _plain(make_url(server).set(database=name).render_as_string(hide_password=False))
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink() as running:
        yield running


@pytest.fixture
def worker_settings(settings: Settings, sink: MailSink) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": sink.host,
            "smtp_port": sink.port,
            "mail_retry_base_seconds": 0,
            "mail_max_attempts": 3,
            "worker_heartbeat_seconds": 0.5,
            "worker_stalled_seconds": 2.0,
            "public_url": "https://stafett.test",
            "smtp_timeout_seconds": 5.0,
        }
    )


@pytest.fixture
async def db_engine(worker_db: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(worker_db)
    yield engine
    await engine.dispose()


@asynccontextmanager
async def committed(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        yield session
        await session.commit()


@pytest.fixture
async def live_world(db_engine: AsyncEngine) -> World:
    """The test municipality, committed, with logs dated from the real (Oslo) today."""
    async with committed(db_engine) as session:
        world = await build_world(session)
        world.seed.today = oslo_today()
    return world


@pytest.fixture
async def api(
    worker_settings: Settings, db_engine: AsyncEngine, dev_keys: DevKeys
) -> AsyncIterator[GraphQLClient]:
    """The API on the worker's database: every request commits, as in production."""
    services = Services(
        settings=worker_settings,
        engine=db_engine,
        session_factory=async_sessionmaker(
            db_engine, class_=RequestSession, expire_on_commit=False
        ),
        verifier=make_verifier(worker_settings),
        today=oslo_today,
    )
    transport = httpx.ASGITransport(app=build_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, dev_keys, worker_settings)


def runtime_for(settings: Settings, engine: AsyncEngine, **kwargs: Any) -> Runtime:
    return Runtime(
        settings, async_sessionmaker(engine, expire_on_commit=False), Mailer(settings), **kwargs
    )


async def run_until_idle(
    settings: Settings,
    url: str,
    engine: AsyncEngine,
    *,
    queues: list[str] | None = None,
    runtime: Runtime | None = None,
) -> Runtime:
    """A real worker, in this process, until no job is waiting."""
    runtime = runtime or runtime_for(settings, engine)
    await run_worker(
        settings,
        url,
        queues=queues or EVENT_AND_MAIL_QUEUES,
        wait=False,
        install_signal_handlers=False,
        listen=False,
        runtime=runtime,
    )
    return runtime


async def notifications(engine: AsyncEngine) -> list[Notification]:
    async with committed(engine) as session:
        return list(await session.scalars(select(Notification).order_by(Notification.created_at)))


async def events(engine: AsyncEngine) -> list[DomainEvent]:
    async with committed(engine) as session:
        return list(await session.scalars(select(DomainEvent).order_by(DomainEvent.id)))


def worker_process(settings: Settings, url: str, *args: str, script: str | None = None) -> Any:
    """``relaylog worker`` (or a script) as its own OS process, configured like ours."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "RELAYLOG_DATA_SECRET": TEST_SECRET.decode(),
        "RELAYLOG_DATA_DIR": str(settings.data_dir),
        "RELAYLOG_JWKS_FILE": str(settings.jwks_file),
        "RELAYLOG_SMTP_HOST": settings.smtp_host,
        "RELAYLOG_SMTP_PORT": str(settings.smtp_port),
        "RELAYLOG_MAIL_RETRY_BASE_SECONDS": str(settings.mail_retry_base_seconds),
        "RELAYLOG_MAIL_MAX_ATTEMPTS": str(settings.mail_max_attempts),
        "RELAYLOG_WORKER_HEARTBEAT_SECONDS": str(settings.worker_heartbeat_seconds),
        "RELAYLOG_WORKER_STALLED_SECONDS": str(settings.worker_stalled_seconds),
        "RELAYLOG_PUBLIC_URL": settings.public_url,
        "RELAYLOG_LOG_LEVEL": "WARNING",
    }
    command = (
        [sys.executable, "-c", script]
        if script is not None
        else [sys.executable, "-m", "relaylog", "worker", *args]
    )
    return subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


async def wait_for(predicate: Any, seconds: float = 30.0) -> None:
    async with asyncio.timeout(seconds):
        while not await predicate():  # noqa: ASYNC110 - polls the database and the sink
            await asyncio.sleep(0.2)


def now() -> datetime:
    return utcnow()


def _forbidden(world: World, also: tuple[str, ...]) -> list[str]:
    """What no mail may contain: the child, every national id, every name, every text."""
    people: list[Any] = [
        world.holder,
        world.actor,
        world.external,
        world.manager,
        world.guardian,
        world.other_guardian,
    ]
    return [
        world.youth.name,
        world.youth.name.split()[0],
        world.youth.national_id or "",
        *(p.national_id for p in people),
        *(p.name for p in people),
        SECRET_NOTE,
        SECRET_MEASURE,
        SECRET_SPARKLE,
        "Storgata",  # the child's address
        *also,
    ]


def assert_no_personal_data(world: World, sink: MailSink, *also: str) -> None:
    """No mail the sink received names a person of the world, the child or a text (and
    ``also``: the texts a test wrote)."""
    assert sink.received
    for mail in sink.received:
        found = [
            word for word in _forbidden(world, also) if word and word.lower() in mail.text.lower()
        ]
        assert found == [], (found, mail.text)
