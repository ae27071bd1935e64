"""A delivery costs the same few statements whatever was delivered before (no N+1): the
viewer, the standing in the log, the object, and what its selection needs, once per event."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from auth.policy import Audience
from models import Sparkle
from models.events import EventKind
from relaylog.settings import Settings
from resolvers.live import LiveEvent
from schema.node import encode_global_id
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.policy.test_live_matrix import ListFeed, _subscribe

QUERY = """subscription($logId: ID!) { logChanged(logId: $logId) {
  kind node { id ... on Sparkle { text occurredOn authorKind authorName } } } }"""
PER_DELIVERY = 6  # measured: viewer, standing, node, author; the savepoint pair


async def test_each_delivery_costs_the_same_few_statements(
    client: GraphQLClient,
    world: World,
    connection: AsyncConnection,
    settings: Settings,
    count_statements: Any,
) -> None:
    log = await world.full_log(1)
    for _ in range(3):
        await world.seed.sparkle(log, staff=world.holder)
    sparkles = list(
        await world.seed.session.scalars(select(Sparkle.id).where(Sparkle.log_id == log.id))
    )
    counts = []
    for n in (1, 2, 3):
        events = [
            LiveEvent(i, EventKind.SPARKLE_ADDED, log.id, s) for i, s in enumerate(sparkles[:n])
        ]
        with count_statements() as counter:
            delivered = await _subscribe(
                connection,
                settings,
                client,
                world.guardian,
                Audience.FAMILY,
                QUERY,
                {"logId": encode_global_id("RelayLog", log.id)},
                ListFeed(events),
            )
        assert len(delivered) == n
        counts.append(counter.count)
    first, second = counts[1] - counts[0], counts[2] - counts[1]
    assert first == second, counts  # every delivery the same work
    assert first <= PER_DELIVERY, counts
