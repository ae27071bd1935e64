"""Chains do not share a head: appends to different logs never wait for each other, however
long their transactions stay open; appends to one log take turns and keep its chain whole.

Real concurrent transactions on a committed database. Every appending transaction runs with a
``lock_timeout``: had it queued behind another one's head, it would fail, not pass slowly."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from models import AuditEvent
from models.audit import AuditEntry, append, verify_chains
from relaylog.db import async_url
from relaylog.migrations import upgrade
from tests.conftest import fresh_database

TRANSACTIONS = 16


@pytest.fixture(scope="module")
def appends_database() -> Iterator[str]:
    with fresh_database("relaylog_appends") as url:
        upgrade(url)
        yield url


@pytest.fixture
async def engine(appends_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(async_url(appends_database), poolclass=NullPool)
    yield engine
    await engine.dispose()


def read_of(log_id: uuid.UUID) -> list[AuditEntry]:
    return [AuditEntry(actor_kind="STAFF", action="READ", log_id=log_id, fields=("NOTES",))]


async def _impatient(session: AsyncSession) -> None:
    await session.execute(text("SET LOCAL lock_timeout = '3s'"))


async def test_sixteen_open_transactions_append_to_sixteen_logs_without_waiting(
    engine: AsyncEngine,
) -> None:
    """Each transaction appends, then stays open until all sixteen have appended: with one
    shared head (the old global lock) the second would wait for the first to commit, which
    waits for the barrier: every one but the first would time out."""
    appended = asyncio.Barrier(TRANSACTIONS)
    logs = [uuid.uuid4() for _ in range(TRANSACTIONS)]

    async def reader(log_id: uuid.UUID) -> None:
        async with AsyncSession(engine) as session:
            await _impatient(session)
            await append(session, read_of(log_id))
            await asyncio.wait_for(appended.wait(), timeout=30)
            await session.commit()

    await asyncio.gather(*(reader(log_id) for log_id in logs))

    async with AsyncSession(engine) as session:
        chains = set(
            await session.scalars(select(AuditEvent.chain).where(AuditEvent.log_id.in_(logs)))
        )
        assert chains == {f"log:{log_id}" for log_id in logs}
        found = await verify_chains(session)
        assert found.breaks == []


async def test_appends_to_one_log_take_turns_and_keep_its_chain_whole(
    engine: AsyncEngine,
) -> None:
    log_id = uuid.uuid4()
    async with AsyncSession(engine) as holding:
        await append(holding, read_of(log_id))
        async with AsyncSession(engine) as other:
            await other.execute(text("SET LOCAL lock_timeout = '200ms'"))
            with pytest.raises(DBAPIError, match="lock timeout"):
                await append(other, read_of(log_id))  # the same head: it must wait its turn
        await holding.commit()

    async def reader() -> None:
        async with AsyncSession(engine) as session:
            await append(session, read_of(log_id))
            await asyncio.sleep(0.01)  # hold the head a moment: the others queue behind it
            await session.commit()

    await asyncio.gather(*(reader() for _ in range(10)))

    async with AsyncSession(engine) as session:
        numbers = list(
            await session.scalars(
                select(AuditEvent.chain_seq)
                .where(AuditEvent.chain == f"log:{log_id}")
                .order_by(AuditEvent.chain_seq)
            )
        )
        assert numbers == list(range(1, 12))
        assert (await verify_chains(session)).breaks == []


async def test_two_requests_reading_the_same_two_logs_in_opposite_order_do_not_deadlock(
    engine: AsyncEngine,
) -> None:
    """The append takes the heads in chain order, whatever order the request read in."""
    a, b = uuid.uuid4(), uuid.uuid4()
    first_in = asyncio.Event()

    async def request(order: list[uuid.UUID], wait: bool) -> None:
        async with AsyncSession(engine) as session:
            await _impatient(session)
            if wait:
                await first_in.wait()
            await append(session, [e for log_id in order for e in read_of(log_id)])
            first_in.set()
            await asyncio.sleep(0.05)
            await session.commit()

    await asyncio.gather(request([a, b], False), request([b, a], True))

    async with AsyncSession(engine) as session:
        assert (await verify_chains(session)).breaks == []


class Interleaved(AsyncSession):
    """A session after each of whose statements another transaction may commit first: what
    live traffic does to a walk of the trail that takes many statements."""

    meanwhile: list[Callable[[], Awaitable[None]]]

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        result = await super().execute(*args, **kwargs)
        if self.meanwhile:
            await self.meanwhile.pop(0)()
        return result


async def _committed(engine: AsyncEngine, entries: list[AuditEntry]) -> None:
    async with AsyncSession(engine) as session:
        await append(session, entries)
        await session.commit()


async def test_an_append_committed_to_a_walked_chain_during_verify_is_no_break(
    engine: AsyncEngine,
) -> None:
    """The heads are read first, the events batch by batch: the walk is one snapshot, so a
    read committed between two batches is in neither (at READ COMMITTED it was in the events
    only: "recorded head does not match the last event")."""
    log_id = uuid.UUID(int=0)  # the first chain walked (``log:0000…``)
    await _committed(engine, read_of(log_id) * 2)

    async def another_read() -> None:
        await _committed(engine, read_of(log_id))

    async with Interleaved(engine) as session:
        session.meanwhile = [another_read]  # after the heads, before the first batch
        found = await verify_chains(session, batch=1)

    assert found.breaks == []
    assert found.heads[f"log:{log_id}"][0] == 2  # as of the snapshot
    async with AsyncSession(engine) as later:
        assert (await verify_chains(later)).heads[f"log:{log_id}"][0] == 3


async def test_a_chain_begun_during_verify_is_no_break(engine: AsyncEngine) -> None:
    """A log first read while the walk is under way: its chain sorts after the walk's place
    (``log:ffff…``), so a walk that saw it would find it without a recorded head."""
    await _committed(engine, read_of(uuid.uuid4()))
    late = uuid.UUID(int=(1 << 128) - 1 - uuid.uuid4().int % 1000)

    async def first_read_of_another_log() -> None:
        await _committed(engine, read_of(late))

    async with Interleaved(engine) as session:
        session.meanwhile = [first_read_of_another_log]
        found = await verify_chains(session, batch=1)

    assert found.breaks == []
    assert f"log:{late}" not in found.heads
