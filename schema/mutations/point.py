"""Point-of-attention mutations: the holder adds, edits and ends points."""

from __future__ import annotations

import strawberry

from auth.gate import OBJECT_KINDS
from auth.policy import Action, Audience
from models.events import EventKind
from models.operations import point as ops
from models.operations.point import PointChanges
from schema.content import PointOfAttention
from schema.enums import PointCategory
from schema.mutations.base import MutationError, Write, mutation, reply

__all__ = [
    "PointOfAttentionPayload",
    "add_point_of_attention",
    "edit_point_of_attention",
    "end_point_of_attention",
]

POINT = OBJECT_KINDS["PointOfAttention"]

STAFF = [Audience.STAFF]


@strawberry.type
class PointOfAttentionPayload:
    point_of_attention: PointOfAttention | None = None
    error: MutationError | None = None


@strawberry.input
class AddPointOfAttentionInput:
    log_id: strawberry.ID
    category: PointCategory
    description: str = strawberry.field(description="«We are specially aware of …», 1-100.")
    goal: str = strawberry.field(description="«We have reached our goal when we see …».")
    informed_manager: bool = False
    informed_guardian: bool = False
    informed_child: bool = False
    assessed_level: int | None = strawberry.field(
        default=None, description="0-3; default: the log's level."
    )


@strawberry.input(description="Fields left out (or null) keep their value.")
class EditPointOfAttentionInput:
    point_id: strawberry.ID
    expected_version: int = strawberry.field(description="The version you last saw.")
    category: PointCategory | None = None
    description: str | None = None
    goal: str | None = None
    informed_manager: bool | None = None
    informed_guardian: bool | None = None
    informed_child: bool | None = None
    assessed_level: int | None = None


@strawberry.input
class EndPointOfAttentionInput:
    point_id: strawberry.ID
    expected_version: int = strawberry.field(description="The version you last saw.")


@mutation(
    STAFF,
    audit="PointOfAttention",
    event=EventKind.POINT_ADDED,
    description="Add a point of attention (the holder).",
)
async def add_point_of_attention(
    w: Write, input: AddPointOfAttentionInput
) -> PointOfAttentionPayload:
    access = await w.log(input.log_id, Action.EDIT_POINTS)
    point = await ops.add_point(
        w.session,
        access.log_id,
        category=input.category,
        description=input.description,
        goal=input.goal,
        informed_manager=input.informed_manager,
        informed_guardian=input.informed_guardian,
        informed_child=input.informed_child,
        assessed_level=input.assessed_level,
    )
    return reply(PointOfAttentionPayload, point_of_attention=point)


@mutation(
    STAFF,
    audit="PointOfAttention",
    description="Edit a point of attention; a stale version is a CONFLICT.",
)
async def edit_point_of_attention(
    w: Write, input: EditPointOfAttentionInput
) -> PointOfAttentionPayload:
    point = await w.find(input.point_id, POINT)
    w.allow(Action.EDIT_POINTS)
    changes = PointChanges(
        category=input.category,
        description=input.description,
        goal=input.goal,
        informed_manager=input.informed_manager,
        informed_guardian=input.informed_guardian,
        informed_child=input.informed_child,
        assessed_level=input.assessed_level,
    )
    edited = await ops.edit_point(w.session, point, input.expected_version, changes)
    return reply(PointOfAttentionPayload, point_of_attention=edited)


@mutation(
    STAFF,
    audit="PointOfAttention",
    description="End a point of attention (its measures keep their status).",
)
async def end_point_of_attention(
    w: Write, input: EndPointOfAttentionInput
) -> PointOfAttentionPayload:
    point = await w.find(input.point_id, POINT)
    w.allow(Action.EDIT_POINTS)
    ended = await ops.end_point(w.session, point, input.expected_version)
    return reply(PointOfAttentionPayload, point_of_attention=ended)
