"""No silent last-write-wins: twenty people press "save" on the same version of a log at the
same moment; exactly one change lands, everyone else is told CONFLICT, nothing is lost.

These requests need separate connections and real commits, so this module runs against its
own freshly migrated database instead of the rolled-back test transaction."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from auth.dev_keys import DevKeys
from models import AuditEvent, LevelChange, RelayLog
from models import secrets as data_protection
from models.audit import verify_chain
from relaylog.app import Services, build_app
from relaylog.db import create_engine
from relaylog.migrations import upgrade
from relaylog.services import make_verifier
from relaylog.settings import Settings
from tests.conftest import TEST_SECRET, fresh_database
from tests.factories import TODAY, World, build_world
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import ERROR, consent_all, gid

PEOPLE = 20
SET_LEVEL = f"""mutation($input: SetLevelInput!) {{ setLevel(input: $input) {{
  log {{ level version }} {ERROR} }} }}"""
PAUSE = f"""mutation($input: PauseLogInput!) {{ pauseLog(input: $input) {{
  log {{ status version }} {ERROR} }} }}"""


@dataclass
class Committed:
    engine: AsyncEngine
    sessions: async_sessionmaker[Any]
    client: GraphQLClient
    world: World


@pytest.fixture(scope="module")
def committed_database() -> Iterator[str]:
    data_protection.configure(TEST_SECRET)
    with fresh_database("relaylog_concurrency") as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="module")
async def committed(
    committed_database: str, settings: Settings, dev_keys: DevKeys
) -> AsyncIterator[Committed]:
    engine = create_engine(committed_database)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session:
        world = await build_world(session)
        await session.commit()
    services = Services(
        settings=settings,
        engine=engine,
        session_factory=sessions,
        verifier=make_verifier(settings),
        today=lambda: TODAY,
    )
    transport = httpx.ASGITransport(app=build_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Committed(engine, sessions, GraphQLClient(http, dev_keys, settings), world)
    await engine.dispose()


async def _log_at_level_1_with_consent_for_2(committed: Committed) -> RelayLog:
    async with committed.sessions() as session:
        world = committed.world
        world.seed.session = session
        log = await world.seed.log(world.youth, world.holder, level=1)
        await consent_all(world, log, 2)
        await session.commit()
        return log


async def _fire(committed: Committed, query: str, inputs: list[dict[str, Any]]) -> list[Any]:
    client = committed.client
    token = client.token_for(committed.world.holder)
    responses = await asyncio.gather(
        *(client.post(query, token=token, variables={"input": i}) for i in inputs)
    )
    assert all(r.status_code == 200 for r in responses)
    bodies = [r.json() for r in responses]
    assert all(not b.get("errors") for b in bodies), bodies
    return [next(iter(b["data"].values())) for b in bodies]


async def test_twenty_concurrent_level_changes_on_one_version_exactly_one_wins(
    committed: Committed,
) -> None:
    log = await _log_at_level_1_with_consent_for_2(committed)
    same = {
        "logId": gid("RelayLog", log),
        "level": 2,
        "reason": "Samarbeid med helsestasjonen",
        "expectedVersion": log.version,
    }
    results = await _fire(committed, SET_LEVEL, [same] * PEOPLE)

    winners = [r for r in results if r["error"] is None]
    losers = [r for r in results if r["error"] is not None]
    assert len(winners) == 1
    assert winners[0]["log"] == {"level": 2, "version": log.version + 1}
    assert len(losers) == PEOPLE - 1
    assert {(r["error"]["code"], r["log"]) for r in losers} == {("CONFLICT", None)}

    async with committed.sessions() as session:
        stored = await session.get(RelayLog, log.id)
        assert stored is not None
        assert (stored.level, stored.version) == (2, log.version + 1)
        changes = await session.scalar(
            select(func.count()).where(LevelChange.log_id == log.id, LevelChange.to_level == 2)
        )
        assert changes == 1  # one change recorded, none lost, none doubled
        writes = await session.scalar(
            select(func.count()).where(
                AuditEvent.log_id == log.id, AuditEvent.action == "MANAGE_LOG"
            )
        )
        assert writes == 1  # only the write that happened is in the audit trail
        checked, broken = await verify_chain(session)
        assert broken is None
        assert checked > 0


async def test_concurrent_different_edits_of_one_version_still_let_only_one_through(
    committed: Committed,
) -> None:
    log = await _log_at_level_1_with_consent_for_2(committed)
    level = {
        "logId": gid("RelayLog", log),
        "level": 2,
        "reason": "Opp",
        "expectedVersion": log.version,
    }
    pause = {
        "logId": gid("RelayLog", log),
        "reason": "Ferie",
        "expectedVersion": log.version,
    }
    results = await asyncio.gather(
        _fire(committed, SET_LEVEL, [level] * (PEOPLE // 2)),
        _fire(committed, PAUSE, [pause] * (PEOPLE // 2)),
    )
    flat = [r for batch in results for r in batch]
    assert sum(r["error"] is None for r in flat) == 1
    assert {r["error"]["code"] for r in flat if r["error"] is not None} == {"CONFLICT"}
    async with committed.sessions() as session:
        stored = await session.get(RelayLog, log.id)
        assert stored is not None
        assert stored.version == log.version + 1
