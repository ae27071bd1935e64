"""Sparkle mutations: holder, actors, guardians and the youth add; the author or holder deletes."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.types import Info

from resolvers.mutation import MutationError as MutationErrorData
from resolvers.mutations import sparkle as r
from schema.content import Sparkle
from schema.mutation import LOGS, MUTATION_TYPES, MutationError, id_of, payload
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
        log_id = id_of(input.log_id, "RelayLog", "logId")
        if isinstance(log_id, MutationErrorData):
            return payload(SparklePayload, "sparkle", log_id)
        result = await r.add_sparkle(info, log_id, input.text, input.occurred_on)
        return payload(SparklePayload, "sparkle", result)

    @audiences(LOGS, description="Delete a sparkle (its author, or the holder).")
    async def delete_sparkle(self, info: Info, sparkle_id: strawberry.ID) -> SparklePayload:
        sid = id_of(sparkle_id, "Sparkle", "sparkleId")
        if isinstance(sid, MutationErrorData):
            return payload(SparklePayload, "sparkle", sid)
        return payload(SparklePayload, "sparkle", await r.delete_sparkle(info, sid))


MUTATION_TYPES.append(SparkleMutations)
