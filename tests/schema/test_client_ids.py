"""The client-cache rule: normalising caches (Apollo Client, urql) key objects by ``id``, so
every object type of every audience's schema either has ``id: ID!`` (an entity, with an id
that is the same wherever and however it is read) or says in its description that it is a
value (``schema.node.VALUE_TYPE``: no id, kept inside its parent). Payloads, connections and
edges are values by their names; the root types are the cache's own."""

from __future__ import annotations

import pytest
from graphql import GraphQLNonNull, GraphQLObjectType, GraphQLScalarType

from auth.policy import Audience
from schema.build import build_schema
from schema.node import VALUE_TYPE

VALUES_BY_NAME = ("Payload", "Connection", "Edge")


def object_types(audience: Audience) -> list[GraphQLObjectType]:
    schema = build_schema(audience)._schema
    roots = {schema.query_type, schema.mutation_type, schema.subscription_type}
    return [
        kind
        for name, kind in sorted(schema.type_map.items())
        if isinstance(kind, GraphQLObjectType) and not name.startswith("__") and kind not in roots
    ]


def has_an_id(kind: GraphQLObjectType) -> bool:
    field = kind.fields.get("id")
    if field is None or not isinstance(field.type, GraphQLNonNull):
        return False
    inner = field.type.of_type
    return isinstance(inner, GraphQLScalarType) and inner.name == "ID"


def is_a_value(kind: GraphQLObjectType) -> bool:
    return kind.name.endswith(VALUES_BY_NAME) or VALUE_TYPE.strip() in (kind.description or "")


@pytest.mark.parametrize("audience", list(Audience), ids=lambda a: a.value.lower())
def test_every_object_type_is_an_entity_with_an_id_or_a_value(audience: Audience) -> None:
    neither = [
        kind.name for kind in object_types(audience) if not has_an_id(kind) and not is_a_value(kind)
    ]

    assert neither == [], (
        "give these `id: ID!` or end their description with schema.node.VALUE_TYPE"
    )
