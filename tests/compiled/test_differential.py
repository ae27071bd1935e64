"""The compiled trusted documents answer exactly what the executor answers, for every cell
of the policy matrix (relation × level 0-3) and for logs that exercise every condition: own
and other guardian, shared and unshared mobile, adults-only notes, a deactivated actor, a
paused log, a closed log with empty lists. Bodies are compared as JSON with key order."""

from __future__ import annotations

import json
from typing import Any

import pytest

from auth.policy import Audience, PolicyField, Relation, can_read
from models.enums import CloseReason, RelayLogStatus
from schema.node import encode_global_id
from schema.trusted import TrustedDocument, trusted_documents
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.policy.test_policy_matrix import LEVELS, VIEWERS

LOG_KINDS = ["full", "empty-closed"]
CELLS = [
    pytest.param(relation, level, kind, id=f"{relation.value.lower()}-level-{level}-{kind}")
    for relation in VIEWERS
    for level in LEVELS
    for kind in LOG_KINDS
]
# The differential test answers each document with these variables; a trusted document
# not named here fails ``test_every_trusted_document_is_in_the_differential_test``.
LOG_VARIABLES = "log"
VARIABLES: dict[str, str] = {
    "GuardianDashboard": "none",
    "FamilyLogView": LOG_VARIABLES,
    "HolderLogView": LOG_VARIABLES,
    "ExternalLogView": LOG_VARIABLES,
    "HolderMyLogs": "none",
    "PassiveReport": "executor-only",
    "ReportingStatistics": "executor-only",
    "ExportLog": LOG_VARIABLES,
}


def _ordered(text: str) -> Any:
    return json.loads(text, object_pairs_hook=list)


async def _log(world: World, level: int, kind: str) -> Any:
    if kind == "full":
        log = await world.full_log(level, every_field=True)
        await world.seed.access(log, world.external, Relation.EXTERNAL_ACTOR.value)
        return log
    log = await world.seed.log(world.youth, world.holder, level=level, consenting=[world.guardian])
    await world.seed.actor(log, world.actor, shares_mobile=False)
    await world.seed.actor(log, world.external, shares_mobile=False)
    log.status = RelayLogStatus.CLOSED
    log.close_reason = CloseReason.GOAL_REACHED
    await world.seed.session.flush()
    return log


def _documents(audience: Audience) -> list[TrustedDocument]:
    return [
        d
        for d in trusted_documents()
        if audience in d.audiences and VARIABLES[d.name] != "executor-only"
    ]


@pytest.mark.parametrize(("relation", "level", "kind"), CELLS)
async def test_compiled_documents_answer_exactly_as_the_executor(
    client: GraphQLClient, world: World, relation: Relation, level: int, kind: str
) -> None:
    log = await _log(world, level, kind)
    person_key, audience = VIEWERS[relation]
    person = getattr(world, person_key)
    for document in _documents(audience):
        variables = (
            {"id": encode_global_id("RelayLog", log.id)}
            if VARIABLES[document.name] == LOG_VARIABLES
            else {}
        )
        executed = await client.post(
            document.text, as_=person, audience=audience, variables=variables
        )
        compiled = await client.post_document(
            document.document_id, as_=person, audience=audience, variables=variables
        )
        assert executed.status_code == compiled.status_code == 200
        assert "errors" not in executed.json(), executed.text
        assert _ordered(compiled.text) == _ordered(executed.text), document.name
        if VARIABLES[document.name] == LOG_VARIABLES:
            node = executed.json()["data"]["node"]
            assert (node is not None) == can_read(relation, level, PolicyField.LOG_SUMMARY)


def test_every_trusted_document_is_in_the_differential_test() -> None:
    names = {document.name for document in trusted_documents()}
    assert names == set(VARIABLES), "name each trusted document in VARIABLES"
