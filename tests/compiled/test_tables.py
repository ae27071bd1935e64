"""The compiler's map of the schema is complete: every field of a table-backed type, in
every audience's schema, has its SQL, or is knowingly left to the executor."""

from __future__ import annotations

import pytest
from graphql import GraphQLObjectType

from auth.node_types import NODE_POLICY
from auth.policy import Audience
from schema.build import build_schema
from schema.compiled.tables import TABLES

EXECUTOR_ONLY = {("RelayLog", "accessHistory")}  # a paged, filtered history: the executor's


@pytest.mark.parametrize("audience", [Audience.STAFF, Audience.FAMILY])
def test_every_field_of_a_mapped_type_has_its_sql(audience: Audience) -> None:
    schema = build_schema(audience)._schema
    missing = []
    for type_name, table in TABLES.items():
        type_ = schema.get_type(type_name)
        if not isinstance(type_, GraphQLObjectType):
            continue
        missing += [
            f"{type_name}.{name}"
            for name in type_.fields
            if name not in table.fields and (type_name, name) not in EXECUTOR_ONLY
        ]
    assert not missing, f"fields without SQL in schema/compiled/tables.py: {missing}"


def test_every_node_type_can_be_compiled() -> None:
    assert set(NODE_POLICY) <= set(TABLES)
    assert all(TABLES[name].source for name in NODE_POLICY)
