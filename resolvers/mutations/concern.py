"""Register a concern (level 0), share it, end it."""

from __future__ import annotations

import uuid
from datetime import date

from strawberry.types import Info

from auth.policy import Action
from models import AttentionConversation, RelayLog
from models.base import utcnow
from models.operations import concern as ops
from resolvers.mutation import MutationError, WriteScope, write
from resolvers.mutations.archiving import file_closure
from resolvers.mutations.hidden import missing, write_on

__all__ = ["end_concern", "holder_of", "register_concern", "share_concern"]


def holder_of(scope: WriteScope) -> ops.Holder:
    """The signed-in staff member as the holder of a log they start."""
    viewer = scope.viewer
    assert viewer.staff_id
    assert viewer.organisation_id
    assert viewer.municipality_id
    return ops.Holder(viewer.staff_id, viewer.organisation_id, viewer.municipality_id)


async def register_concern(
    info: Info,
    child_name: str,
    child_national_id: str | None,
    observation: str,
    held_on: date | None,
) -> AttentionConversation | MutationError:
    async def run(scope: WriteScope) -> AttentionConversation:
        return await ops.register_concern(
            scope.session,
            holder_of(scope),
            child_name=child_name,
            child_national_id=child_national_id,
            observation=observation,
            held_on=held_on or scope.today,
            today=scope.today,
        )

    return await write(info, None, Action.MANAGE_LOG, run, object_type="AttentionConversation")


async def _concern(info: Info, concern_id: uuid.UUID) -> AttentionConversation | None:
    return await info.context.loaders.concern.load(concern_id)


async def share_concern(
    info: Info,
    concern_id: uuid.UUID,
    contact_on: date | None,
    guardians_on: date | None,
    expected_version: int,
) -> AttentionConversation | MutationError:
    not_found = missing("concern", "concernId")
    concern = await _concern(info, concern_id)

    async def run(scope: WriteScope, concern: AttentionConversation) -> AttentionConversation:
        return await ops.share_concern(
            scope.session,
            concern,
            contact_on=contact_on,
            guardians_on=guardians_on,
            expected_version=expected_version,
            today=scope.today,
        )

    return await write_on(
        info, concern, not_found, Action.MANAGE_LOG, run, object_type="AttentionConversation"
    )


async def end_concern(
    info: Info, concern_id: uuid.UUID, expected_version: int
) -> AttentionConversation | MutationError:
    not_found = missing("concern", "concernId")
    concern = await _concern(info, concern_id)

    async def run(scope: WriteScope, concern: AttentionConversation) -> AttentionConversation:
        ended = await ops.end_concern(
            scope.session, concern, expected_version=expected_version, now=utcnow()
        )
        log = await scope.session.get(RelayLog, concern.log_id)
        assert log is not None
        await file_closure(scope, log)
        return ended

    return await write_on(
        info, concern, not_found, Action.CLOSE_LOG, run, object_type="AttentionConversation"
    )
