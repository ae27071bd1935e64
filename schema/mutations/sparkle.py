"""Sparkle mutations: holder, actors, guardians and the youth add; the author or holder deletes."""

from __future__ import annotations

import datetime

import strawberry

from auth.gate import OBJECT_KINDS
from auth.policy import Action, WriteFacts
from models.events import EventKind
from models.operations import sparkle as ops
from schema.content import Sparkle
from schema.mutations.base import LOGS, MutationError, Write, mutation, reply

__all__ = ["SparklePayload", "add_sparkle", "delete_sparkle"]

SPARKLE = OBJECT_KINDS["Sparkle"]


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


@mutation(
    LOGS,
    audit="Sparkle",
    event=EventKind.SPARKLE_ADDED,
    description="Add a sparkle (lysglimt) to a log.",
)
async def add_sparkle(w: Write, input: AddSparkleInput) -> SparklePayload:
    log = await w.log(input.log_id, Action.ADD_SPARKLE)
    occurred_on = input.occurred_on or w.today
    sparkle = await ops.add_sparkle(
        w.session, log.log_id, w.author, input.text, occurred_on, w.today
    )
    return reply(SparklePayload, sparkle=sparkle)


@mutation(LOGS, audit="Sparkle", description="Delete a sparkle (its author, or the holder).")
async def delete_sparkle(w: Write, sparkle_id: strawberry.ID) -> SparklePayload:
    sparkle = await w.find(sparkle_id, SPARKLE)
    w.allow(Action.DELETE_SPARKLE, WriteFacts(author=w.author.wrote(sparkle)))
    return reply(SparklePayload, sparkle=await ops.delete_sparkle(w.session, sparkle))
