"""One node-type table (``auth.node_types``): ``node(id:)`` executed and compiled, the write
gate's object lookup and the schemas' node types all derive from it."""

from __future__ import annotations

from auth.gate import OBJECT_KINDS
from auth.node_types import NODE_POLICY, REGISTER_NODE_TYPES
from schema.compiled.tables import TABLES
from schema.query import FAMILY_NODE_TYPES, STAFF_NODE_TYPES


def _names(types: list[type]) -> set[str]:
    return {t.__strawberry_definition__.name for t in types}  # type: ignore[attr-defined]


def test_every_node_type_of_the_schemas_is_in_the_table() -> None:
    assert _names(FAMILY_NODE_TYPES) <= set(NODE_POLICY)
    assert _names(STAFF_NODE_TYPES) <= set(NODE_POLICY) | REGISTER_NODE_TYPES


def test_the_gate_finds_an_object_by_the_same_row_node_shows_it_by() -> None:
    for type_name, kind in OBJECT_KINDS.items():
        assert kind.read_as == NODE_POLICY.get(type_name), type_name
    assert set(NODE_POLICY) <= set(TABLES)
