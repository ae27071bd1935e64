"""Point-of-attention mutations: the holder adds, edits and ends points."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from auth.policy import Audience
from models.operations.point import PointChanges
from resolvers.mutations import point as r
from schema.content import PointOfAttention
from schema.enums import PointCategory
from schema.mutation import MUTATION_TYPES, MutationError, payload
from schema.mutations.ids import IdError, object_id
from schema.permissions import audiences

__all__ = ["PointOfAttentionMutations"]

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


@strawberry.type
class PointOfAttentionMutations:
    @audiences(STAFF, description="Add a point of attention (the holder).")
    async def add_point_of_attention(
        self, info: Info, input: AddPointOfAttentionInput
    ) -> PointOfAttentionPayload:
        try:
            log_id = object_id(input.log_id, "RelayLog", "log", "logId")
        except IdError as exc:
            return payload(PointOfAttentionPayload, "point_of_attention", exc.error)
        result = await r.add_point(
            info,
            log_id,
            category=input.category,
            description=input.description,
            goal=input.goal,
            informed_manager=input.informed_manager,
            informed_guardian=input.informed_guardian,
            informed_child=input.informed_child,
            assessed_level=input.assessed_level,
        )
        return payload(PointOfAttentionPayload, "point_of_attention", result)

    @audiences(STAFF, description="Edit a point of attention; a stale version is a CONFLICT.")
    async def edit_point_of_attention(
        self, info: Info, input: EditPointOfAttentionInput
    ) -> PointOfAttentionPayload:
        try:
            point_id = object_id(
                input.point_id, "PointOfAttention", "point of attention", "pointId"
            )
        except IdError as exc:
            return payload(PointOfAttentionPayload, "point_of_attention", exc.error)
        changes = PointChanges(
            category=input.category,
            description=input.description,
            goal=input.goal,
            informed_manager=input.informed_manager,
            informed_guardian=input.informed_guardian,
            informed_child=input.informed_child,
            assessed_level=input.assessed_level,
        )
        result = await r.edit_point(info, point_id, input.expected_version, changes)
        return payload(PointOfAttentionPayload, "point_of_attention", result)

    @audiences(STAFF, description="End a point of attention (its measures keep their status).")
    async def end_point_of_attention(
        self, info: Info, input: EndPointOfAttentionInput
    ) -> PointOfAttentionPayload:
        try:
            point_id = object_id(
                input.point_id, "PointOfAttention", "point of attention", "pointId"
            )
        except IdError as exc:
            return payload(PointOfAttentionPayload, "point_of_attention", exc.error)
        result = await r.end_point(info, point_id, input.expected_version)
        return payload(PointOfAttentionPayload, "point_of_attention", result)


MUTATION_TYPES.append(PointOfAttentionMutations)
