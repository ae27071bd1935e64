"""Add and delete sparkles (the author, or the holder, may delete one)."""

from __future__ import annotations

import uuid
from datetime import date

from strawberry.types import Info

from auth.policy import Action
from models import Sparkle
from models.operations import sparkle as ops
from resolvers.mutation import MutationError, WriteScope, write
from resolvers.mutations.hidden import missing, write_on

__all__ = ["add_sparkle", "delete_sparkle"]


async def add_sparkle(
    info: Info, log_id: uuid.UUID, text: str, occurred_on: date | None
) -> Sparkle | MutationError:
    async def run(scope: WriteScope) -> Sparkle:
        return await ops.add_sparkle(
            scope.session, log_id, scope.author, text, occurred_on or scope.today, scope.today
        )

    return await write(info, log_id, Action.ADD_SPARKLE, run, object_type="Sparkle")


async def delete_sparkle(info: Info, sparkle_id: uuid.UUID) -> Sparkle | MutationError:
    not_found = missing("sparkle", "sparkleId")
    sparkle = await info.context.loaders.sparkle.load(sparkle_id)

    async def run(scope: WriteScope, sparkle: Sparkle) -> Sparkle:
        scope.ensure(author=scope.author.wrote(sparkle))
        return await ops.delete_sparkle(scope.session, sparkle)

    return await write_on(
        info, sparkle, not_found, Action.DELETE_SPARKLE, run, object_type="Sparkle"
    )
