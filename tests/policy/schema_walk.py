"""Walk the strawberry definitions under ``RelayLog`` (or under the mutation payloads) as one
audience sees them: every field, its policy row, and whether it is a gate. The matrix test
builds its query from this walk, so a field added to the schema is tested (or fails for
lacking a policy) automatically."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strawberry.permission import PermissionExtension
from strawberry.types.base import (
    StrawberryList,
    StrawberryObjectDefinition,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.field import StrawberryField

from auth.policy import Audience, PolicyField
from schema.build import field_is_in
from schema.mutations.base import MUTATIONS
from schema.permissions import POLICY_KEY
from schema.relay_log import RelayLog

__all__ = ["WalkedField", "payload_types", "query_for", "walk"]


@dataclass(frozen=True)
class WalkedField:
    type_name: str
    name: str  # GraphQL name
    policy: PolicyField | None
    gated: bool
    child: StrawberryObjectDefinition | None
    is_list: bool


def _unwrap(type_: Any) -> tuple[Any, bool]:
    is_list = False
    while isinstance(type_, (StrawberryOptional, StrawberryList)):
        if isinstance(type_, StrawberryList):
            is_list = True
        type_ = type_.of_type
    return type_, is_list


def _fields(definition: StrawberryObjectDefinition, audience: Audience) -> list[WalkedField]:
    out = []
    for field in definition.fields:
        if not field_is_in(audience, field):
            continue
        inner, is_list = _unwrap(field.type)
        child = inner.__strawberry_definition__ if has_object_definition(inner) else None
        out.append(
            WalkedField(
                type_name=definition.name,
                name=_graphql_name(field),
                policy=field.metadata.get(POLICY_KEY) if field.metadata else None,
                gated=any(isinstance(e, PermissionExtension) for e in field.extensions),
                child=child,
                is_list=is_list,
            )
        )
    return out


def _graphql_name(field: StrawberryField) -> str:
    head, *rest = field.python_name.split("_")
    return head + "".join(part.title() for part in rest)


def payload_types(audience: Audience) -> list[StrawberryObjectDefinition]:
    """The payload type of every mutation in this audience's schema."""
    payloads = []
    for field in MUTATIONS.values():
        if field_is_in(audience, field):
            inner, _ = _unwrap(field.type)
            payloads.append(inner.__strawberry_definition__)
    return payloads


def walk(
    audience: Audience, roots: list[StrawberryObjectDefinition] | None = None
) -> dict[str, list[WalkedField]]:
    """Every object type reachable from RelayLog (or from ``roots``), with its fields, for
    this audience."""
    seen: dict[str, list[WalkedField]] = {}
    pending = roots or [RelayLog.__strawberry_definition__]  # type: ignore[attr-defined]
    while pending:
        definition = pending.pop()
        if definition.name in seen:
            continue
        fields = _fields(definition, audience)
        seen[definition.name] = fields
        pending.extend(f.child for f in fields if f.child is not None)
    return seen


def query_for(audience: Audience) -> str:
    types = walk(audience)

    def selection(type_name: str) -> str:
        parts = []
        for field in types[type_name]:
            if field.child is None:
                parts.append(field.name)
            else:
                parts.append(f"{field.name} {{ {selection(field.child.name)} }}")
        return " ".join(parts)

    body = selection("RelayLog")
    return f"query($id: ID!) {{ node(id: $id) {{ ... on RelayLog {{ {body} }} }} }}"
