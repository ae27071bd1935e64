"""The PDF is rendered from the one read model: the ``ExportLog`` trusted document executed as
the person printing. Whatever the API hides from them, their printout does not show."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import PolicyField, Relation, can_read
from exports.labels import ENUM_LABELS, LABELS
from models import (
    ActorMembership,
    Child,
    ChildGuardian,
    Evaluation,
    Guardian,
    LevelChange,
    Measure,
    Meeting,
    Note,
    PointOfAttention,
    RelayLog,
    Sparkle,
    StaffAccount,
)
from schema.node import encode_global_id
from schema.trusted import trusted_documents
from tests.exports.conftest import exported, squeeze
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import call, consent_all, gid
from tests.policy.test_policy_matrix import LEVELS, VIEWERS

_PAGE_WORDS = {squeeze(str(text)) for table in LABELS.values() for text in table.values()} | {
    squeeze(text) for table in ENUM_LABELS.values() for text in table.values()
}
REASON = "Bekymring for hjemmesituasjonen etter samtale med mor"


async def test_a_unit_managers_pdf_prints_no_reason_the_api_hides_from_her(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=2, consenting=[world.guardian])
    await consent_all(world, log, 2)
    lowered = await call(
        client,
        "setLevel",
        {
            "logId": gid("RelayLog", log),
            "level": 1,
            "reason": REASON,
            "expectedVersion": log.version,
        },
        as_=world.holder,
        selection="log { level }",
    )
    assert lowered["error"] is None
    seen = await client.query(
        "query($id: ID!) { node(id: $id) { ... on RelayLog { levelHistory { reason } } } }",
        as_=world.manager,
        variables={"id": encode_global_id("RelayLog", log.id)},
    )
    assert [c["reason"] for c in seen["node"]["levelHistory"]] == [None, None]

    managers = await exported(client, log, world.manager)
    holders = await exported(client, log, world.holder)

    assert holders.shows(REASON)
    assert not managers.shows(REASON)


async def _secrets(session: AsyncSession, log: RelayLog) -> set[str]:
    """Every piece of personal data or free text the log holds, from the tables themselves."""
    values: set[Any] = set()
    for model, columns in (
        (Note, ("text",)),
        (Sparkle, ("text",)),
        (PointOfAttention, ("description", "goal")),
        (Measure, ("description",)),
        (Evaluation, ("comment",)),
        (Meeting, ("place", "comments")),
        (LevelChange, ("reason",)),
        (ActorMembership, ("deactivated_reason",)),
    ):
        for row in await session.scalars(select(model).where(model.log_id == log.id)):
            values.update(getattr(row, column) for column in columns)
    values.add(log.paused_reason)
    staff = await session.scalars(
        select(StaffAccount)
        .join(ActorMembership, ActorMembership.staff_id == StaffAccount.id)
        .where(ActorMembership.log_id == log.id)
    )
    for person in staff:
        values.update((person.name, person.office_phone, person.mobile, person.email))
    child = await session.get_one(Child, log.child_id)
    values.update((child.name, child.national_id, child.address))
    guardians = await session.scalars(
        select(Guardian)
        .join(ChildGuardian, ChildGuardian.guardian_id == Guardian.id)
        .where(ChildGuardian.child_id == log.child_id)
    )
    for guardian in guardians:
        values.update((guardian.name, guardian.phone, guardian.email, guardian.national_id))
    # A value that is also a word of the page ("Opprettet") proves nothing either way.
    return {
        v
        for v in values
        if isinstance(v, str) and len(squeeze(v)) >= 6 and squeeze(v) not in _PAGE_WORDS
    }


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


EXPORT_LOG = next(d for d in trusted_documents() if d.name == "ExportLog")
CELLS = [
    pytest.param(relation, level, id=f"{relation.value.lower()}-level-{level}")
    for relation in VIEWERS
    for level in LEVELS
    if can_read(relation, level, PolicyField.LOG_SUMMARY)
]


@pytest.mark.parametrize(("relation", "level"), CELLS)
async def test_every_value_a_pdf_prints_is_in_that_viewers_export_answer(
    client: GraphQLClient, world: World, session: AsyncSession, relation: Relation, level: int
) -> None:
    log = await world.full_log(level, every_field=True)
    await world.seed.access(log, world.external, Relation.EXTERNAL_ACTOR.value)
    person_key, audience = VIEWERS[relation]
    person = getattr(world, person_key)
    answer = await client.post_document(
        EXPORT_LOG.document_id,
        as_=person,
        audience=audience,
        variables={"id": encode_global_id("RelayLog", log.id)},
    )
    readable = {squeeze(s) for s in _strings(json.loads(answer.text))}
    pdf = await exported(client, log, person, audience=audience)

    printed_but_not_readable = [
        value
        for value in await _secrets(session, log)
        if pdf.shows(value) and squeeze(value) not in readable
    ]

    assert not printed_but_not_readable
    assert pdf.shows(log.paused_reason) == can_read(relation, level, PolicyField.LOG_REASONS)
