"""Real PostgreSQL for every test: ``TEST_DATABASE_URL`` when set (CI), otherwise the
embedded server. Each test run migrates its own fresh database once; each test runs inside
a transaction that is rolled back, so tests never see each other's rows."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.pool import NullPool

from auth.dev_keys import DevKeys
from exports import signing
from models import secrets as data_protection
from relaylog.app import Services, build_app
from relaylog.db import RequestSession
from relaylog.migrations import upgrade
from relaylog.services import archive_signing, make_verifier
from relaylog.settings import PROJECT_ROOT, Settings
from tests.factories import TODAY, World, build_world
from tests.graphql import GraphQLClient

TEST_SECRET = b"relaylog-test-data-protection-secret-0123456789"


def _server_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    from relaylog.embedded import embedded_database_url

    return embedded_database_url(PROJECT_ROOT / ".data" / "pgtest", database="postgres")


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(url: str, sql: str) -> None:
    parsed = make_url(url)
    conn = await asyncpg.connect(
        user=parsed.username or "postgres",
        password=parsed.password,
        host=parsed.query.get("host") or parsed.host,
        port=parsed.port,
        database=parsed.database or "postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def fresh_database(prefix: str = "relaylog_test") -> Iterator[str]:
    """A new, empty database on the test server, dropped afterwards."""
    server = _server_url()
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
    try:
        yield _plain(make_url(server).set(database=name).render_as_string(hide_password=False))
    finally:
        asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    data_protection.configure(TEST_SECRET)
    with fresh_database() as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = _engine(database_url)
    yield engine
    await engine.dispose()


def _engine(url: str) -> AsyncEngine:
    from sqlalchemy.ext.asyncio import create_async_engine

    from relaylog.db import async_url

    return create_async_engine(async_url(url), poolclass=NullPool, hide_parameters=True)


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        transaction = await conn.begin()
        try:
            yield conn
        finally:
            await transaction.rollback()


def _joined_session(connection: AsyncConnection) -> AsyncSession:
    return RequestSession(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
async def session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    async with _joined_session(connection) as s:
        yield s


@pytest.fixture(scope="session", autouse=True)
def archive_signer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[signing.ArchiveSigning]:
    """Archive copies are signed with a demo CA's certificate made for this test run."""
    identity = archive_signing(Settings(mode="dev", data_dir=tmp_path_factory.mktemp("ca")))
    signing.configure(identity)
    yield identity
    signing.configure(None)


@pytest.fixture(scope="session")
def dev_keys(tmp_path_factory: pytest.TempPathFactory) -> DevKeys:
    return DevKeys.load_or_create(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def settings(dev_keys: DevKeys, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    directory: Path = tmp_path_factory.mktemp("jwks")
    (directory / "jwks.json").write_text(__import__("json").dumps(dev_keys.jwks()))
    return Settings(
        mode="dev",
        data_dir=tmp_path_factory.mktemp("data"),
        jwks_file=directory / "jwks.json",
        data_secret=SecretStr(TEST_SECRET.decode()),
    )


@pytest.fixture
async def client(
    settings: Settings, engine: AsyncEngine, connection: AsyncConnection, dev_keys: DevKeys
) -> AsyncIterator[GraphQLClient]:
    services = Services(
        settings=settings,
        engine=engine,
        session_factory=lambda: _joined_session(connection),
        verifier=make_verifier(settings),
        today=lambda: TODAY,
    )
    transport = httpx.ASGITransport(app=build_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, dev_keys, settings)


@pytest.fixture
async def world(session: AsyncSession) -> World:
    return await build_world(session)


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []


@pytest.fixture
def count_statements(engine: AsyncEngine) -> Any:
    @contextmanager
    def counting() -> Iterator[StatementCounter]:
        counter = StatementCounter()

        def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            counter.count += 1
            counter.statements.append(statement)

        event.listen(engine.sync_engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", before)

    return counting
