"""The child and the guardians as seen through one log."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from auth.policy import PolicyField
from models import Child as ChildRow
from models import Guardian as GuardianRow
from resolvers.views import InLog
from schema.node import Node, encode_global_id, entity_id_field
from schema.permissions import covered, gated

__all__ = ["Child", "Guardian"]

P = PolicyField


def _scoped_id(type_name: str) -> Any:
    def resolve(root: Any, info: Info) -> strawberry.ID:
        return strawberry.ID(encode_global_id(type_name, root.id, root.log_id))

    return covered(P.LOG_SUMMARY, resolver=resolve, description="Global id (in this log).")


@strawberry.type(description="The child (or youth) the log is about.")
class Child:
    id: strawberry.ID = entity_id_field("Child", P.LOG_SUMMARY, in_log=True)
    name: str = covered(P.LOG_SUMMARY)
    birth_date: datetime.date | None = covered(P.LOG_SUMMARY)
    national_id: str | None = gated(P.CHILD_IDENTITY)
    address: str | None = gated(P.CHILD_IDENTITY)

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, InLog) and isinstance(obj.wrapped, ChildRow)


@strawberry.type(description="A guardian with parental responsibility.")
class Guardian(Node):
    id: strawberry.ID = _scoped_id("Guardian")
    name: str = covered(P.GUARDIAN_CONTACT)
    phone: str | None = covered(P.GUARDIAN_CONTACT)
    email: str | None = covered(P.GUARDIAN_CONTACT)
    parental_responsibility: bool | None = covered(
        P.GUARDIAN_CONTACT,
        description="Without it: shown, but no access to the log and no consent counted.",
    )
    national_id: str | None = gated(P.GUARDIAN_NATIONAL_ID)

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, InLog) and isinstance(obj.wrapped, GuardianRow)
