"""Actors in a log, and the municipality's organisations and staff accounts (admin view)."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from auth.policy import Audience, PolicyField
from models import Organisation as OrganisationRow
from models import StaffAccount as StaffAccountRow
from resolvers.views import ActorView
from schema.enums import ActorStatus, OrganisationKind, StaffRole
from schema.node import Node, node_id_field
from schema.permissions import audiences, covered, gated

__all__ = ["Actor", "Organisation", "StaffAccount"]

P = PolicyField
ADMIN = [Audience.STAFF]


@strawberry.type(description="A staff member working in a log; the relay holder is marked.")
class Actor(Node):
    id: strawberry.ID = node_id_field("Actor", P.ACTOR_CONTACT)
    name: str = covered(P.ACTOR_CONTACT)
    position: str = covered(P.ACTOR_CONTACT)
    organisation_name: str = covered(P.ACTOR_CONTACT)
    office_phone: str | None = covered(P.ACTOR_CONTACT)
    email: str | None = covered(P.ACTOR_CONTACT, description="Work e-mail.")
    is_holder: bool = covered(P.ACTOR_CONTACT)
    status: ActorStatus = covered(P.ACTOR_CONTACT)
    deactivated_reason: str | None = gated(P.LOG_REASONS)
    mobile: str | None = gated(P.ACTOR_MOBILE)

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, ActorView)


@strawberry.type(description="A unit of the municipality (kindergarten, school, ...).")
class Organisation(Node):
    id: strawberry.ID = node_id_field("Organisation")
    name: str
    kind: OrganisationKind
    active: bool = strawberry.field(description="False once the municipal admin closed it.")

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, OrganisationRow)


@strawberry.type(description="A staff account, as the municipal admin manages it.")
class StaffAccount(Node):
    id: strawberry.ID = node_id_field("StaffAccount")
    name: str = audiences(ADMIN)
    position: str = audiences(ADMIN)
    organisation_id: strawberry.ID = audiences(ADMIN)
    office_phone: str | None = audiences(ADMIN)
    mobile: str | None = audiences(ADMIN)
    email: str | None = audiences(ADMIN)
    is_manager: bool = audiences(ADMIN)
    role: StaffRole = audiences(ADMIN)
    active: bool = audiences(ADMIN)
    created_at: datetime.datetime = audiences(ADMIN)

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, StaffAccountRow)
