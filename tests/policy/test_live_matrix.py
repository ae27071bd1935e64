"""What a subscription delivers, for every cell of the policy matrix (relation × level 0-3):
for every kind of event, about every object of a fully populated log, ``logChanged``
delivers exactly when ``auth.live.delivered_live`` says and the object is visible to the
subscriber, and the object it delivers is field for field what ``node(id:)`` answers the
same person over HTTP (the executor is the reference, as in the compiled differential test).
The selection is built from the schema walk, so a field added to a node type is covered.

The subscription runs in this process on the test's transaction, fed the events directly
(``tests/live`` has the websockets, the two servers and ``NOTIFY``)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from auth.live import EVENT_OBJECT, delivered_live
from auth.node_types import NODE_POLICY
from auth.notifications import EVENT_SUBJECT
from auth.policy import Audience, PolicyField, Relation, can_read
from auth.viewer import Viewer, resolve_viewer
from models import (
    ActorMembership,
    Consent,
    Evaluation,
    Measure,
    Meeting,
    Note,
    PointOfAttention,
    RelayLog,
    Sparkle,
)
from models.audit import AuditEntry
from models.events import EventKind
from relaylog.services import make_verifier
from relaylog.settings import Settings
from resolvers.live import LiveContext, LiveEvent
from resolvers.loaders import Loaders
from schema.build import build_schema
from schema.node import encode_global_id
from tests.conftest import _joined_session
from tests.factories import TODAY, World
from tests.graphql import GraphQLClient
from tests.policy.schema_walk import walk
from tests.policy.test_policy_matrix import CELLS
from tests.policy.viewers import VIEWERS

MODELS: dict[str, Any] = {
    "RelayLog": RelayLog,
    "Actor": ActorMembership,
    "PointOfAttention": PointOfAttention,
    "Measure": Measure,
    "Evaluation": Evaluation,
    "Meeting": Meeting,
    "Note": Note,
    "Sparkle": Sparkle,
    "Consent": Consent,
}


def test_every_event_kind_shows_a_node_type_read_by_the_events_own_row() -> None:
    assert set(EVENT_OBJECT) == set(EventKind)
    for kind, type_name in EVENT_OBJECT.items():
        assert NODE_POLICY[type_name] == EVENT_SUBJECT[kind], kind
    assert set(EVENT_OBJECT.values()) == set(MODELS)


def test_nobody_without_a_relation_hears_anything_live() -> None:
    assert not any(
        delivered_live(Relation.NONE, level, kind) for level in range(4) for kind in EventKind
    )


def _selection(audience: Audience, type_name: str) -> str:
    """Every scalar field of a node type an event shows, as this audience sees it."""
    scalars = [f.name for f in walk(audience).get(type_name, []) if f.child is None]
    fragment = f"... on {type_name} {{ {' '.join(scalars)} }}" if scalars else ""
    return f"id __typename {fragment}"


class ListFeed:
    """The hub's part, fed by the test: these events, then the end."""

    def __init__(self, events: list[LiveEvent]) -> None:
        self.events = list(events)
        self.audited: list[AuditEntry] = []

    @asynccontextmanager
    async def subscribe(self, viewer_key: str, log_id: uuid.UUID | None) -> AsyncIterator[Any]:
        yield self

    async def get(self) -> LiveEvent | None:
        return self.events.pop(0) if self.events else None

    def audit(self, entries: list[AuditEntry]) -> None:
        self.audited.extend(entries)


async def _objects(session: AsyncSession, log: RelayLog, type_name: str) -> list[uuid.UUID]:
    model = MODELS[type_name]
    column = model.id if model is RelayLog else model.log_id
    return list(await session.scalars(select(model.id).where(column == log.id).order_by(model.id)))


async def _subscribe(
    connection: AsyncConnection,
    settings: Settings,
    client: GraphQLClient,
    person: Any,
    audience: Audience,
    query: str,
    variables: dict[str, Any],
    feed: ListFeed,
) -> list[dict[str, Any]]:
    token = make_verifier(settings).verify(client.token_for(person))

    async def find_viewer(session: AsyncSession) -> Viewer | None:
        return await resolve_viewer(session, token, audience, TODAY)

    session = _joined_session(connection)
    context = LiveContext(
        session=session,
        viewer=None,
        loaders=Loaders(session, None, TODAY),
        today=TODAY,
        request_id="live-matrix",
        feed=feed,
        open_session=lambda: _joined_session(connection),
        find_viewer=find_viewer,
        viewer_key="test",
    )
    stream = await build_schema(audience).subscribe(
        query, variable_values=variables, context_value=context
    )
    answers = []
    async for result in stream:
        assert not result.errors, result.errors
        assert result.data is not None
        answers.append(result.data)
    return answers


@pytest.mark.parametrize(("relation", "level"), CELLS)
async def test_a_subscription_delivers_exactly_what_node_shows_the_subscriber(
    client: GraphQLClient,
    world: World,
    connection: AsyncConnection,
    settings: Settings,
    relation: Relation,
    level: int,
) -> None:
    log = await world.full_log(level, every_field=True)
    person_key, audience = VIEWERS[relation]
    person = getattr(world, person_key)
    delivered_any = False
    for type_name in sorted(set(EVENT_OBJECT.values())):
        selection = _selection(audience, type_name)
        objects = await _objects(world.seed.session, log, type_name)
        assert objects, f"the full log has no {type_name}"
        kinds = [kind for kind, shown in EVENT_OBJECT.items() if shown == type_name]
        events = [
            LiveEvent(i, kind, log.id, object_id)
            for i, (kind, object_id) in enumerate(
                (kind, object_id) for kind in kinds for object_id in objects
            )
        ]
        feed = ListFeed(events)
        query = (
            "subscription($logId: ID!) { logChanged(logId: $logId) { kind logId node { "
            + selection
            + " } } }"
        )
        delivered = await _subscribe(
            connection,
            settings,
            client,
            person,
            audience,
            query,
            {"logId": encode_global_id("RelayLog", log.id)},
            feed,
        )
        aliases = " ".join(
            f'o{i}: node(id: "{encode_global_id(type_name, object_id)}") {{ {selection} }}'
            for i, object_id in enumerate(objects)
        )
        shown = await client.query(f"{{ {aliases} }}", as_=person, audience=audience)
        by_object = {object_id: shown[f"o{i}"] for i, object_id in enumerate(objects)}
        expected = [
            {"kind": event.kind.value, "node": by_object[event.object_id]}
            for event in events
            if event.object_id is not None
            and by_object[event.object_id] is not None
            and delivered_live(relation, level, event.kind)
        ]
        got = [
            {"kind": answer["logChanged"]["kind"], "node": answer["logChanged"]["node"]}
            for answer in delivered
        ]
        assert got == expected, type_name
        if relation is Relation.SUBJECT and type_name == "Note":
            assert all(not g["node"]["adultsOnly"] for g in got)
            if can_read(relation, level, PolicyField.NOTES):
                assert len(objects) > len({g["node"]["id"] for g in got})  # one withheld
        read = {field for entry in feed.audited for field in entry.fields}
        assert bool(got) == bool(read), "a delivery is audited as a read, and only a delivery"
        delivered_any = delivered_any or bool(got)
    assert delivered_any == can_read(relation, level, PolicyField.LOG_SUMMARY)
