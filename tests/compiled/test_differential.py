"""The compiled trusted documents answer exactly what the executor answers, for every cell
of the policy matrix (relation × level 0-3) and for logs that exercise every condition: own
and other guardian, shared and unshared mobile, adults-only notes, a deactivated actor, a
paused log, a closed log with empty lists. Bodies are compared as JSON with key order."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from auth.policy import Audience, PolicyField, Relation, can_read
from models import AuditEvent, Child
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
# The differential test answers each document with these variables; a trusted query or
# subscription not named here fails ``test_every_trusted_document_is_in_the_differential_test``.
# Mutations are never compiled (the executor answers them): tests/compiled/
# test_trusted_mutations.py sends each by id and checks the family's set is complete.
LOG_VARIABLES = "log"
VARIABLES: dict[str, str] = {
    "GuardianDashboard": "none",
    "FamilyLogView": LOG_VARIABLES,
    "HolderLogView": LOG_VARIABLES,
    "ExternalLogView": LOG_VARIABLES,
    "HolderMyLogs": "none",
    "PassiveReport": "unit",
    "ReportingStatistics": "executor-only",
    "ExportLog": LOG_VARIABLES,
    # Subscriptions run on the executor; tests/policy/test_live_matrix.py compares what they
    # deliver with node(id:), tests/live runs these two over websockets.
    "LogChanges": "subscription",
    "MyLogChanges": "subscription",
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
        if audience in d.audiences
        and d.operation_type != "mutation"
        and VARIABLES[d.name] not in {"executor-only", "subscription"}
    ]


@pytest.mark.parametrize(("relation", "level", "kind"), CELLS)
async def test_compiled_documents_answer_exactly_as_the_executor(
    client: GraphQLClient, world: World, relation: Relation, level: int, kind: str
) -> None:
    log = await _log(world, level, kind)
    person_key, audience = VIEWERS[relation]
    person = getattr(world, person_key)
    for document in _documents(audience):
        by_kind: dict[str, dict[str, Any]] = {
            LOG_VARIABLES: {"id": encode_global_id("RelayLog", log.id)},
            "unit": {"unit": encode_global_id("Organisation", world.school.id), "inactiveDays": 1},
            "none": {},
        }
        variables = by_kind[VARIABLES[document.name]]
        executed = await client.post(
            document.text, as_=person, audience=audience, variables=variables
        )
        compiled = await client.post_document(
            document.document_id, as_=person, audience=audience, variables=variables
        )
        assert executed.status_code == compiled.status_code == 200
        # The passive report is the unit manager's: anyone else gets its typed error, alike.
        assert "errors" not in executed.json() or document.name == "PassiveReport"
        assert _ordered(compiled.text) == _ordered(executed.text), document.name
        if VARIABLES[document.name] == LOG_VARIABLES:
            node = executed.json()["data"]["node"]
            assert (node is not None) == can_read(relation, level, PolicyField.LOG_SUMMARY)


def test_every_trusted_document_is_in_the_differential_test() -> None:
    names = {d.name for d in trusted_documents() if d.operation_type != "mutation"}
    assert names == set(VARIABLES), "name each trusted query and subscription in VARIABLES"


async def test_pages_and_filters_of_my_logs_answer_exactly_as_the_executor(
    client: GraphQLClient, world: World
) -> None:
    for level in (1, 2, 1, 3):
        await world.full_log(level)
    my_logs = next(d for d in trusted_documents() if d.name == "HolderMyLogs")
    first = await client.post_document(my_logs.document_id, as_=world.holder)
    cursors = [edge["cursor"] for edge in first.json()["data"]["myLogs"]["edges"]]
    assert len(cursors) == 4
    for variables in (
        {"after": cursors[1]},
        {"after": cursors[-1]},
        {"level": 1},
        {"status": "ACTIVE", "level": 3},
        {"status": "CLOSED"},
        {"after": cursors[0], "before": cursors[3]},
        {"last": 2, "after": cursors[0], "before": cursors[3]},
        {"last": 1, "level": 1},
    ):
        executed = await client.post(my_logs.text, as_=world.holder, variables=variables)
        compiled = await client.post_document(
            my_logs.document_id, as_=world.holder, variables=variables
        )
        assert "errors" not in executed.json(), executed.text
        assert _ordered(compiled.text) == _ordered(executed.text), variables


async def test_a_window_between_two_cursors_of_an_ordering_answers_as_the_executor(
    client: GraphQLClient, world: World
) -> None:
    await world.several_children()
    my_logs = next(d for d in trusted_documents() if d.name == "HolderMyLogs")
    for order in ("CHILD_NAME", "NEXT_DEADLINE"):
        page = await _both(client, my_logs, world.holder, {"orderBy": order, "first": 5})
        cursors = [edge["cursor"] for edge in page["edges"]]
        window = {"orderBy": order, "after": cursors[0], "before": cursors[4]}
        forward = await _both(client, my_logs, world.holder, {**window, "first": 2})
        backward = await _both(client, my_logs, world.holder, {**window, "last": 2})
        assert [e["cursor"] for e in forward["edges"]] == cursors[1:3]
        assert [e["cursor"] for e in backward["edges"]] == cursors[2:4]


async def _both(
    client: GraphQLClient, document: TrustedDocument, person: Any, variables: dict[str, Any]
) -> Any:
    executed = await client.post(document.text, as_=person, variables=variables)
    compiled = await client.post_document(document.document_id, as_=person, variables=variables)
    assert "errors" not in executed.json(), executed.text
    assert _ordered(compiled.text) == _ordered(executed.text), variables
    return executed.json()["data"]["myLogs"]


LIST_VIEWERS = {"holder": 5, "actor": 3, "external": 2, "manager": 5}  # logs each sees


@pytest.mark.parametrize("order", ["LAST_ACTIVITY", "CHILD_NAME", "LEVEL", "NEXT_DEADLINE"])
async def test_every_ordering_pages_both_ways_exactly_as_the_executor(
    client: GraphQLClient, world: World, order: str
) -> None:
    """For each staff relation: forward with first/after to the end, then backward with
    last/before to the start; every page alike on both paths, and both walks meet the same
    logs in the same order as one page of all."""
    await world.several_children()
    my_logs = next(d for d in trusted_documents() if d.name == "HolderMyLogs")
    for person_key, count in LIST_VIEWERS.items():
        person = getattr(world, person_key)
        forward: list[str] = []
        variables: dict[str, Any] = {"orderBy": order, "first": 2}
        while True:
            page = await _both(client, my_logs, person, variables)
            forward += [edge["node"]["id"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            variables = {"orderBy": order, "first": 2, "after": page["pageInfo"]["endCursor"]}
        backward: list[str] = []
        variables = {"orderBy": order, "last": 2}
        while True:
            page = await _both(client, my_logs, person, variables)
            backward = [edge["node"]["id"] for edge in page["edges"]] + backward
            if not page["pageInfo"]["hasPreviousPage"]:
                break
            variables = {"orderBy": order, "last": 2, "before": page["pageInfo"]["startCursor"]}
        everything = await _both(client, my_logs, person, {"orderBy": order, "first": 100})
        assert forward == backward == [edge["node"]["id"] for edge in everything["edges"]]
        assert len(forward) == count, person_key


async def test_searches_answer_exactly_as_the_executor(client: GraphQLClient, world: World) -> None:
    """Names of children and guardians, a national id, wildcards taken literally, no match;
    as every staff relation (each may read different fields), with orderings and filters."""
    logs = await world.several_children()
    child = await world.seed.session.get(Child, logs[3].child_id)
    assert child is not None
    assert child.national_id is not None
    my_logs = next(d for d in trusted_documents() if d.name == "HolderMyLogs")
    searches = ["berg", "Foresatt", "%", "Erik Fjell", child.national_id, "DAG EK", "ingen"]
    for person_key in LIST_VIEWERS:
        person = getattr(world, person_key)
        for search in searches:
            await _both(client, my_logs, person, {"search": search})
        for variables in (
            {"search": "Dahl", "orderBy": "CHILD_NAME", "last": 1},
            {"search": "a", "orderBy": "NEXT_DEADLINE", "first": 1, "level": 2},
        ):
            await _both(client, my_logs, person, variables)


async def test_both_paths_audit_the_same_logs_as_the_same_person(
    client: GraphQLClient, world: World
) -> None:
    """A guardian of two children's logs is recorded under the row each log knows them by;
    the compiled path names at least the kinds of data the executor saw read."""
    await world.full_log(1)
    await world.full_log(2)
    dashboard = next(d for d in trusted_documents() if d.name == "GuardianDashboard")
    entries = []
    for send in (
        client.post(dashboard.text, as_=world.guardian, audience=Audience.FAMILY),
        client.post_document(dashboard.document_id, as_=world.guardian, audience=Audience.FAMILY),
    ):
        before = await _audit_count(world)
        assert "errors" not in (await send).json()
        entries.append(await _audit_since(world, before))
    executed, compiled = entries
    assert {(e.actor_id, e.relation, e.log_id) for e in executed} == {
        (e.actor_id, e.relation, e.log_id) for e in compiled
    }
    by_log = {e.log_id: set(e.fields) for e in compiled}
    assert all(set(e.fields) <= by_log[e.log_id] for e in executed)


async def _audit_count(world: World) -> int:
    return int(await world.seed.session.scalar(select(func.max(AuditEvent.id))) or 0)


async def _audit_since(world: World, after: int) -> list[AuditEvent]:
    rows = await world.seed.session.scalars(
        select(AuditEvent).where(AuditEvent.id > after, AuditEvent.action == "READ")
    )
    return list(rows)


async def test_the_managers_passive_report_answers_exactly_as_the_executor(
    client: GraphQLClient, world: World
) -> None:
    for level in (0, 1, 2):
        log = await world.full_log(level)
        log.status = RelayLogStatus.ACTIVE
        log.last_activity_at = datetime.now(UTC) - timedelta(days=100 + level)
    await world.seed.session.flush()
    report = next(d for d in trusted_documents() if d.name == "PassiveReport")
    unit = encode_global_id("Organisation", world.school.id)
    for variables in ({"unit": unit, "inactiveDays": 1}, {"unit": unit}):
        executed = await client.post(report.text, as_=world.manager, variables=variables)
        compiled = await client.post_document(
            report.document_id, as_=world.manager, variables=variables
        )
        assert "errors" not in executed.json(), executed.text
        assert _ordered(compiled.text) == _ordered(executed.text), variables
    assert len(executed.json()["data"]["passiveLogs"]["logs"]) == 3
