"""The access history of a log (Normen: the citizen may see who accessed their data)."""

from __future__ import annotations

import datetime

import strawberry

from auth.policy import PolicyField
from resolvers.access_history import AccessKind, AccessorKind
from schema.enums import Relation
from schema.node import VALUE_TYPE
from schema.pagination import PageInfo
from schema.permissions import covered

__all__ = ["AccessEntry", "AccessEntryEdge", "AccessHistory", "Accessor"]

P = PolicyField

strawberry.enum(AccessKind, description="Read, changed (a write action), exported or archived.")
strawberry.enum(AccessorKind, description="Who accessed: staff, a guardian, the child, the system.")
strawberry.enum(PolicyField, name="DataKind", description="A kind of data in a log.")


@strawberry.type(
    description="Who accessed. Staff are named with position and unit; family members only by "
    "their role (a guardian is not told when the other guardian or the child looked). "
    "A value, not an entity: no id, caches keep it inside its parent."
)
class Accessor:
    kind: AccessorKind | None = covered(P.ACCESS_HISTORY)
    display_name: str | None = covered(
        P.ACCESS_HISTORY, description="The staff member's name, or 'Guardian' / 'The child'."
    )
    name: str | None = covered(P.ACCESS_HISTORY, description="Staff only.")
    position: str | None = covered(P.ACCESS_HISTORY, description="Staff only.")
    organisation: str | None = covered(P.ACCESS_HISTORY, description="Staff only.")
    is_you: bool | None = covered(P.ACCESS_HISTORY)


@strawberry.type(
    description="One access: a write or an export, or a viewer's reads of the log within one "
    "clock hour (with every kind of data read in it). "
    "A value, not an entity: no id, caches keep it inside its parent."
)
class AccessEntry:
    at: datetime.datetime | None = covered(P.ACCESS_HISTORY, description="The latest event.")
    first_at: datetime.datetime | None = covered(P.ACCESS_HISTORY)
    count: int | None = covered(P.ACCESS_HISTORY, description="Events in this entry.")
    kind: AccessKind | None = covered(P.ACCESS_HISTORY)
    action: str | None = covered(P.ACCESS_HISTORY, description="The write, e.g. ADD_SPARKLE.")
    object_type: str | None = covered(P.ACCESS_HISTORY)
    data_read: list[PolicyField] | None = covered(P.ACCESS_HISTORY)
    relation: Relation | None = covered(P.ACCESS_HISTORY)
    who: Accessor | None = covered(P.ACCESS_HISTORY)


@strawberry.type(description="An entry of the access history with its cursor." + VALUE_TYPE)
class AccessEntryEdge:
    cursor: str | None = covered(P.ACCESS_HISTORY)
    node: AccessEntry | None = covered(P.ACCESS_HISTORY)


@strawberry.type(
    description="A page of the access history, newest first: a Relay connection paged "
    "forward (first/after)." + VALUE_TYPE
)
class AccessHistory:
    edges: list[AccessEntryEdge] | None = covered(P.ACCESS_HISTORY)

    @covered(P.ACCESS_HISTORY)
    def page_info(self) -> PageInfo | None:
        return PageInfo.of(self)

    entries: list[AccessEntry] | None = covered(
        P.ACCESS_HISTORY, deprecation_reason="Use edges { node }."
    )
    has_next_page: bool | None = covered(
        P.ACCESS_HISTORY, deprecation_reason="Use pageInfo { hasNextPage }."
    )
    end_cursor: str | None = covered(
        P.ACCESS_HISTORY, deprecation_reason="Use pageInfo { endCursor }."
    )
