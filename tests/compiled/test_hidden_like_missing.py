"""``node(id:)`` of an object the viewer may not see answers, and works, like a missing id:
the same body and the same statements, executed or compiled (the benchmark measures the
time; ``benchmarks/README.md``)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from models import ActorMembership, Consent, Meeting, Note, PointOfAttention, Sparkle
from schema.node import encode_global_id
from schema.trusted import trusted_documents
from tests.compiled.test_trusted_protocol import _sql
from tests.factories import World
from tests.graphql import GraphQLClient

VIEW = next(d for d in trusted_documents() if d.name == "HolderLogView")
MODELS: dict[str, Any] = {
    "PointOfAttention": PointOfAttention,
    "Note": Note,
    "Sparkle": Sparkle,
    "Actor": ActorMembership,
    "Consent": Consent,
    "Meeting": Meeting,
}
TYPES = ["RelayLog", *MODELS]


async def _hidden_ids(world: World) -> dict[str, uuid.UUID]:
    """Objects of a full log the outsider has no relation to."""
    log = await world.full_log(2)
    ids = {"RelayLog": log.id}
    for type_name, model in MODELS.items():
        found = await world.seed.session.scalar(
            select(model.id).where(model.log_id == log.id).limit(1)
        )
        assert found is not None
        ids[type_name] = found
    return ids


@pytest.mark.parametrize("type_name", TYPES)
async def test_a_hidden_object_answers_and_works_like_a_missing_one(
    client: GraphQLClient, world: World, count_statements: Any, type_name: str
) -> None:
    hidden = (await _hidden_ids(world))[type_name]
    query = f"query($id: ID!) {{ node(id: $id) {{ id ... on {type_name} {{ id }} }} }}"
    answers, statements = [], []
    for object_id in (hidden, uuid.uuid4()):
        with count_statements() as counter:
            response = await client.post(
                query,
                as_=world.outsider,
                variables={"id": encode_global_id(type_name, object_id)},
            )
        answers.append(response.json())
        statements.append(_sql(counter.statements))
    assert answers[0] == answers[1] == {"data": {"node": None}}
    assert statements[0] == statements[1]


async def test_a_hidden_log_and_a_missing_one_cost_the_same_compiled_statements(
    client: GraphQLClient, world: World, count_statements: Any
) -> None:
    hidden = (await _hidden_ids(world))["RelayLog"]
    answers, statements = [], []
    for log_id in (hidden, uuid.uuid4()):
        with count_statements() as counter:
            response = await client.post_document(
                VIEW.document_id,
                as_=world.outsider,
                variables={"id": encode_global_id("RelayLog", log_id)},
            )
        answers.append(response.json())
        statements.append(_sql(counter.statements))
    assert answers[0] == answers[1] == {"data": {"node": None}}
    assert statements[0] == statements[1]
    assert len(statements[0]) == 2  # the viewer, the read: nothing was read, nothing audited
