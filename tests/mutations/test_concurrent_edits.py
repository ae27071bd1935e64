"""No silent last-write-wins: 20 people send conflicting edits at the same moment, each over
its own connection and transaction (committed, as in production). Exactly one wins; every
other one gets CONFLICT and changes nothing; the winner's change is the one that stays."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from auth.dev_keys import DevKeys
from models import AuditEvent, Evaluation, Measure, PointOfAttention
from relaylog.app import Services, build_app
from relaylog.db import async_url
from relaylog.migrations import upgrade
from relaylog.services import make_verifier
from relaylog.settings import Settings
from tests.conftest import fresh_database
from tests.factories import TODAY, World, build_world
from tests.graphql import GraphQLClient
from tests.mutations.content import gid

pytestmark = pytest.mark.slow

EDITORS = 20
EDIT = """mutation($input: EditPointOfAttentionInput!) { editPointOfAttention(input: $input) {
  pointOfAttention { goal version } error { code field } } }"""
EVALUATE = """mutation($input: EvaluateMeasureInput!) { evaluateMeasure(input: $input) {
  measure { status } error { code field } } }"""


@dataclass
class Committed:
    engine: AsyncEngine
    client: GraphQLClient
    world: World
    point: PointOfAttention
    measure: Measure


@pytest.fixture(scope="module")
def committed_url(database_url: str) -> Any:
    """A database of its own: these rows are committed, so they must not leak elsewhere."""
    with fresh_database("relaylog_concurrent") as url:
        upgrade(url)
        yield url


@pytest.fixture
async def committed(
    committed_url: str, settings: Settings, dev_keys: DevKeys
) -> AsyncIterator[Committed]:
    engine = create_async_engine(async_url(committed_url), poolclass=NullPool)
    factory = async_sessionmaker(engine, expire_on_commit=False)
    async with factory() as session:
        world = await build_world(session)
        log = await world.seed.log(world.youth, world.holder, level=1)
        await world.seed.actor(log, world.actor)
        point = await world.seed.point(log)
        measure = await world.seed.measure(point, responsible=[world.actor])
        await session.commit()
    services = Services(
        settings=settings,
        engine=engine,
        session_factory=factory,
        verifier=make_verifier(settings),
        today=lambda: TODAY,
    )
    transport = httpx.ASGITransport(app=build_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Committed(engine, GraphQLClient(http, dev_keys, settings), world, point, measure)
    await engine.dispose()


async def test_twenty_concurrent_edits_of_one_point_one_wins_and_none_is_lost_silently(
    committed: Committed,
) -> None:
    c = committed
    goals = [f"Vi ser at hun holder fokus i {n + 1} økter" for n in range(EDITORS)]
    results = await asyncio.gather(
        *(
            c.client.query(
                EDIT,
                as_=c.world.holder,
                variables={
                    "input": {
                        "pointId": gid("PointOfAttention", c.point),
                        "expectedVersion": 1,
                        "goal": goal,
                    }
                },
            )
            for goal in goals
        )
    )
    outcomes = [r["editPointOfAttention"] for r in results]
    codes = Counter(o["error"]["code"] if o["error"] else "OK" for o in outcomes)
    assert codes == {"OK": 1, "CONFLICT": EDITORS - 1}
    (winner,) = [o["pointOfAttention"] for o in outcomes if o["error"] is None]
    assert winner["version"] == 2
    async with async_sessionmaker(c.engine)() as session:
        row = (
            await session.execute(
                select(PointOfAttention.goal, PointOfAttention.version).where(
                    PointOfAttention.id == c.point.id
                )
            )
        ).one()
        edits = await session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.log_id == c.point.log_id, AuditEvent.action == "EDIT_POINTS"
            )
        )
        assert (row.goal, row.version) == (winner["goal"], 2)
        assert list(edits) == ["EDIT_POINTS"]


async def test_twenty_concurrent_evaluations_that_end_a_measure_end_it_once(
    committed: Committed,
) -> None:
    c = committed
    results = await asyncio.gather(
        *(
            c.client.query(
                EVALUATE,
                as_=c.world.actor,
                variables={
                    "input": {
                        "measureId": gid("Measure", c.measure),
                        "outcome": "REACHED",
                        "statusAfter": "ENDED",
                    }
                },
            )
            for _ in range(EDITORS)
        )
    )
    errors = Counter((r["evaluateMeasure"]["error"] or {}).get("code", "OK") for r in results)
    assert errors == {"OK": 1, "INVALID_INPUT": EDITORS - 1}
    async with async_sessionmaker(c.engine)() as session:
        evaluations = await session.scalars(
            select(Evaluation.id).where(Evaluation.measure_id == c.measure.id)
        )
        assert len(list(evaluations)) == 1
