"""Migrations go up and down cleanly, the models match what they build, and the audit
table cannot be rewritten even with plain SQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from models import Base
from relaylog.db import async_url
from relaylog.migrations import downgrade, head_revision, upgrade
from tests.conftest import fresh_database

T = TypeVar("T")

PUBLIC_TABLES = """
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' ORDER BY table_name
"""
PUBLIC_ENUMS = """
    SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = 'public' AND t.typtype = 'e' ORDER BY t.typname
"""
PUBLIC_FUNCTIONS = """
    SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' ORDER BY p.proname
"""


def on_database(url: str, work: Callable[[Connection], T]) -> T:
    """Run ``work`` on a sync view of an async connection to ``url``, outside any test loop."""

    async def run() -> T:
        engine = create_async_engine(async_url(url), poolclass=NullPool)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def names(sql: str) -> Callable[[Connection], list[str]]:
    return lambda conn: list(conn.execute(text(sql)).scalars())


def revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def model_differences(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, Base.metadata))


@pytest.fixture(scope="module")
def empty_database() -> Iterator[str]:
    with fresh_database("relaylog_migrations") as url:
        yield url


def test_upgrade_downgrade_and_upgrade_again(empty_database: str) -> None:
    url = empty_database

    upgrade(url)
    assert on_database(url, revision) == head_revision()
    assert "audit_event" in on_database(url, names(PUBLIC_TABLES))
    assert on_database(url, names(PUBLIC_ENUMS))

    downgrade(url, "base")
    assert on_database(url, revision) is None
    assert on_database(url, names(PUBLIC_TABLES)) == ["alembic_version"]
    assert on_database(url, names(PUBLIC_ENUMS)) == []
    assert on_database(url, names(PUBLIC_FUNCTIONS)) == []

    upgrade(url)
    assert on_database(url, revision) == head_revision()


def test_the_models_match_the_migrated_schema(empty_database: str) -> None:
    upgrade(empty_database)

    assert on_database(empty_database, model_differences) == []


INSERT_AUDIT_EVENT = """
    INSERT INTO audit_event (actor_kind, action, fields, chain, chain_seq, prev_hash, hash)
    VALUES ('STAFF', 'READ', ARRAY['LOG_SUMMARY'], 'system', 1, :zero, :zero)
    RETURNING id
"""


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE audit_event SET action = 'FORGED' WHERE id = :id", id="update"),
        pytest.param("DELETE FROM audit_event WHERE id = :id", id="delete"),
        pytest.param("TRUNCATE audit_event", id="truncate"),
    ],
)
async def test_the_audit_table_refuses_to_be_rewritten(
    session: AsyncSession, statement: str
) -> None:
    async with session.begin_nested():
        event_id = await session.scalar(text(INSERT_AUDIT_EVENT), {"zero": bytes(32)})
    params = {"id": event_id} if ":id" in statement else {}

    with pytest.raises(DBAPIError, match="append-only"):
        async with session.begin_nested():
            await session.execute(text(statement), params)

    action = await session.scalar(
        text("SELECT action FROM audit_event WHERE id = :id"), {"id": event_id}
    )
    assert action == "READ"


def test_downgrade_and_upgrade_again_with_the_demo_municipality_in_the_database() -> None:
    """Real data (the demo municipality: logs at three levels, consents, meetings, notes) goes
    down to base and up again; only data that cannot go back refuses (tests/test_process.py)."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from models import secrets as data_protection
    from relaylog.db import session_scope
    from relaylog.demo import load_demo
    from tests.conftest import TEST_SECRET
    from tests.factories import TODAY

    async def load(url: str) -> None:
        engine = create_async_engine(async_url(url), poolclass=NullPool)
        try:
            async with session_scope(async_sessionmaker(engine)) as session:
                assert await load_demo(session, TODAY)
        finally:
            await engine.dispose()

    data_protection.configure(TEST_SECRET)
    with fresh_database("relaylog_demo_downgrade") as url:
        upgrade(url)
        asyncio.run(load(url))

        downgrade(url, "base")
        assert on_database(url, names(PUBLIC_TABLES)) == ["alembic_version"]
        upgrade(url)
        assert on_database(url, revision) == head_revision()


def test_the_single_chain_of_before_0010_stays_verifiable_as_the_global_chain() -> None:
    """Events appended by the one-chain function keep their hashes; 0010 numbers them as the
    closed chain ``global``, and later appends start chains of their own."""
    from models.audit import AuditEntry, append, verify_chains

    async def appended(url: str, entries: list[AuditEntry]) -> None:
        engine = create_async_engine(async_url(url), poolclass=NullPool)
        try:
            async with AsyncSession(engine) as session:
                await append(session, entries)  # 0006's function ignores the chain key
                await session.commit()
        finally:
            await engine.dispose()

    async def verified(url: str) -> tuple[int, int, list[Any]]:
        engine = create_async_engine(async_url(url), poolclass=NullPool)
        try:
            async with AsyncSession(engine) as session:
                found = await verify_chains(session)
                return found.chains, found.events, found.breaks
        finally:
            await engine.dispose()

    with fresh_database("relaylog_chains") as url:
        upgrade(url, "0006")
        old = [AuditEntry(actor_kind="STAFF", action="READ", log_id=uuid.uuid4()) for _ in "abc"]
        asyncio.run(appended(url, old))
        upgrade(url)
        assert asyncio.run(verified(url)) == (1, 3, [])
        asyncio.run(appended(url, [AuditEntry(actor_kind="STAFF", action="READ")]))
        assert asyncio.run(verified(url)) == (2, 4, [])
