"""The exhaustive policy test: for every relation and every level 0-3, read a fully populated
log through the API and check every field against ``READ_POLICY`` — nothing visible that
the table denies, nothing hidden that it grants. Cells come from the table and the schema
walk, not from a hand-written list."""

from __future__ import annotations

from typing import Any

import pytest

from auth.policy import READ_POLICY, Audience, Facts, PolicyField, Relation, can_read
from schema.node import encode_global_id
from tests.factories import World
from tests.graphql import GraphQLClient
from tests.policy.schema_walk import WalkedField, payload_types, query_for, walk
from tests.policy.viewers import VIEWERS

LEVELS = [0, 1, 2, 3]
CELLS = [
    pytest.param(relation, level, id=f"{relation.value.lower()}-level-{level}")
    for relation in VIEWERS
    for level in LEVELS
]


def _facts(
    world: World, relation: Relation, type_name: str, item: dict[str, Any], parent: Facts
) -> Facts:
    """An object's own facts; parts of an object (a consent's document) share its facts."""
    if type_name == "Guardian":
        return Facts(own=relation is Relation.GUARDIAN and item.get("name") == world.guardian.name)
    if type_name == "Actor":
        return Facts(shared_by_actor=item.get("name") == world.actor.name)
    if type_name == "Consent":
        by = item.get("givenByKind")
        return Facts(own=(by == "SUBJECT") == (relation is Relation.SUBJECT))
    if type_name in {"Note", "NoteVersion"}:  # a version by its own mark
        return Facts(adults_only=bool(item.get("adultsOnly")))
    return parent


def _empty(value: Any) -> bool:
    return value is None or value == []


class Checker:
    def __init__(self, world: World, relation: Relation, level: int, audience: Audience) -> None:
        self.world = world
        self.relation = relation
        self.level = level
        self.types = walk(audience)
        self.problems: list[str] = []
        self.seen_policies: set[PolicyField] = set()
        self.empty_gates: dict[tuple[str, str], str] = {}
        self.visible_gates: set[tuple[str, str]] = set()

    def hidden_gates(self) -> list[str]:
        return [
            f"HIDDEN {path} should be visible"
            for key, path in self.empty_gates.items()
            if key not in self.visible_gates
        ]

    def check_object(self, type_name: str, obj: dict[str, Any], facts: Facts, path: str) -> None:
        for field in self.types[type_name]:
            self.check_field(field, obj.get(field.name), facts, f"{path}.{field.name}")

    def check_field(self, field: WalkedField, value: Any, facts: Facts, path: str) -> None:
        assert field.policy is not None, f"{path} has no policy entry"
        self.seen_policies.add(field.policy)
        allowed = can_read(self.relation, self.level, field.policy, facts)
        if not allowed and not _empty(value):
            self.problems.append(f"LEAK {path} ({field.policy}) is visible")
            return
        key = (field.type_name, field.name)
        if field.gated and allowed:
            if _empty(value):
                # Some objects legitimately lack a value (an active actor has no
                # deactivation reason); the field must show on at least one of them.
                self.empty_gates.setdefault(key, path)
                return
            self.visible_gates.add(key)
        if field.child is None or _empty(value):
            return
        items = value if field.is_list else [value]
        for index, item in enumerate(items):
            item_facts = _facts(self.world, self.relation, field.child.name, item, facts)
            self.check_object(field.child.name, item, item_facts, f"{path}[{index}]")


@pytest.mark.parametrize(("relation", "level"), CELLS)
async def test_every_field_is_visible_exactly_where_the_policy_table_says(
    client: GraphQLClient, world: World, relation: Relation, level: int
) -> None:
    log = await world.full_log(level, every_field=True)
    await world.seed.access(log, world.external, Relation.EXTERNAL_ACTOR.value)
    person_key, audience = VIEWERS[relation]
    data = await client.query(
        query_for(audience),
        as_=getattr(world, person_key),
        audience=audience,
        variables={"id": encode_global_id("RelayLog", log.id)},
    )
    node = data["node"]
    if not can_read(relation, level, PolicyField.LOG_SUMMARY):
        assert node is None, f"{relation} must not see a level-{level} log at all"
        return
    assert node is not None, f"{relation} must see a level-{level} log"
    checker = Checker(world, relation, level, audience)
    checker.check_object("RelayLog", node, Facts(), "log")
    problems = checker.problems + checker.hidden_gates()
    assert not problems, "\n".join(problems)
    if relation is Relation.SUBJECT and can_read(relation, level, PolicyField.NOTES):
        assert all(not note["adultsOnly"] for note in node["notes"])
        assert len(node["notes"]) == 2  # "Til alle" and the minutes, not the adults-only one
        (minutes,) = node["meetings"][0]["minutes"]
        assert [v["text"] for v in minutes["versions"]] == ["Referat, andre utkast"]


@pytest.mark.parametrize("audience", [Audience.STAFF, Audience.FAMILY])
def test_every_log_field_in_the_schema_has_a_policy_entry(audience: Audience) -> None:
    missing = [
        f"{field.type_name}.{field.name}"
        for fields in walk(audience).values()
        for field in fields
        if field.policy is None
    ]
    assert not missing, f"fields without a policy row: {missing}"


# What a mutation returns besides log data: the error, and results that are no log field.
NOT_LOG_DATA = {
    "MutationError": "the one error type of every payload",
    "RelayLogPdf": "the export, rendered through the read policy for the asking viewer",
    "FileDownload": "a consent form or invitation, for who may read it (the gate's kind row)",
    "ArchivePackage": "archive metadata; its file only for who may read all of it",
    "Transfer": "seen by the two staff members it is between (the gate's transfer rule)",
    "ArchiveRecord": "a unit's archive package: PACKAGE_POLICY (tests/policy/test_package_matrix)",
    "ArchivePackageFile": "a unit's archive package: PACKAGE_POLICY, delivered as the export is",
    "Organisation": "a unit of the register: REGISTER_POLICY (tests/policy/test_register_matrix)",
    "StaffAccount": "an account of the register: REGISTER_POLICY, never log data",
    "NotificationPreferences": "the viewer's own choice of mail, in no log",
}


@pytest.mark.parametrize("audience", [Audience.STAFF, Audience.FAMILY])
def test_every_type_a_mutation_returns_has_a_policy_entry(audience: Audience) -> None:
    payloads = payload_types(audience)
    assert payloads, f"the {audience} schema has no mutations"
    envelopes = {payload.name for payload in payloads}
    assert all(name.endswith("Payload") for name in envelopes)
    types = walk(audience, roots=payloads)
    assert all(
        any(f.name == "error" and f.child and f.child.name == "MutationError" for f in types[name])
        for name in envelopes
    ), "every payload carries the one error type"
    missing = [
        f"{field.type_name}.{field.name}"
        for type_name, fields in types.items()
        if type_name not in envelopes and type_name not in NOT_LOG_DATA
        for field in fields
        if field.policy is None
    ]
    assert not missing, f"fields a mutation returns without a policy row: {missing}"


@pytest.mark.parametrize("audience", [Audience.STAFF, Audience.FAMILY])
def test_the_matrix_query_reaches_every_policy_row_its_audience_may_read(
    audience: Audience,
) -> None:
    from auth.policy import audience_may_ever

    reached = {f.policy for fields in walk(audience).values() for f in fields}
    expected = {p for p in READ_POLICY if audience_may_ever(audience, p)}
    unreached = expected - reached
    assert not unreached, f"policy rows with no field in the {audience} schema: {unreached}"
