"""Sparkle mutations: holder, actors, guardians and the youth add; the author or holder deletes."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.types import Info

from resolvers.mutations import sparkle as r
from schema.content import Sparkle
from schema.mutation import LOGS, MUTATION_TYPES, MutationError, payload
from schema.mutations.ids import IdError, object_id
from schema.permissions import audiences

__all__ = ["SparkleMutations"]


@strawberry.type
class SparklePayload:
    sparkle: Sparkle | None = None
    error: MutationError | None = None


@strawberry.input
class AddSparkleInput:
    log_id: strawberry.ID
    text: str = strawberry.field(description="At most 280 characters.")
    occurred_on: datetime.date | None = strawberry.field(
        default=None, description="Default: today."
    )


@strawberry.type
class SparkleMutations:
    @audiences(LOGS, description="Add a sparkle (lysglimt) to a log.")
    async def add_sparkle(self, info: Info, input: AddSparkleInput) -> SparklePayload:
        try:
            log_id = object_id(input.log_id, "RelayLog", "log", "logId")
        except IdError as exc:
            return payload(SparklePayload, "sparkle", exc.error)
        result = await r.add_sparkle(info, log_id, input.text, input.occurred_on)
        return payload(SparklePayload, "sparkle", result)

    @audiences(LOGS, description="Delete a sparkle (its author, or the holder).")
    async def delete_sparkle(self, info: Info, sparkle_id: strawberry.ID) -> SparklePayload:
        try:
            sid = object_id(sparkle_id, "Sparkle", "sparkle", "sparkleId")
        except IdError as exc:
            return payload(SparklePayload, "sparkle", exc.error)
        return payload(SparklePayload, "sparkle", await r.delete_sparkle(info, sid))


MUTATION_TYPES.append(SparkleMutations)
