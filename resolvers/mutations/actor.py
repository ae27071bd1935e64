"""Add and remove actors (holder); an actor decides whether the family sees their mobile."""

from __future__ import annotations

import uuid

from strawberry.types import Info

from auth.policy import Action
from models import ActorMembership
from models.base import utcnow
from models.operations import actor as ops
from models.operations import relay_log as log_ops
from resolvers.context import Context
from resolvers.mutation import MutationError, WriteScope, write
from resolvers.mutations.hidden import missing, write_on
from resolvers.views import ActorView

__all__ = ["add_actor", "remove_actor", "set_mobile_sharing"]


async def _view(info: Info, result: ActorMembership | MutationError) -> ActorView | MutationError:
    if isinstance(result, MutationError):
        return result
    ctx: Context = info.context
    staff = await ctx.loaders.staff.load(result.staff_id)
    organisation = await ctx.loaders.organisation.load(result.organisation_id)
    assert staff is not None
    assert organisation is not None
    return ActorView.of(result, staff, organisation)


async def add_actor(
    info: Info, log_id: uuid.UUID, staff_id: uuid.UUID, shares_mobile: bool
) -> ActorView | MutationError:
    async def run(scope: WriteScope) -> ActorMembership:
        log = await log_ops.load_log(scope.session, log_id)
        return await ops.add_actor(scope.session, log, staff_id, shares_mobile)

    result = await write(info, log_id, Action.MANAGE_LOG, run, object_type="Actor")
    return await _view(info, result)


async def remove_actor(
    info: Info, actor_id: uuid.UUID, reason: str | None
) -> ActorView | MutationError:
    not_found = missing("actor", "actorId")
    membership = await info.context.loaders.actor.load(actor_id)

    async def run(scope: WriteScope, membership: ActorMembership) -> ActorMembership:
        return await ops.remove_actor(scope.session, membership, reason, utcnow())

    return await _view(
        info,
        await write_on(info, membership, not_found, Action.MANAGE_LOG, run, object_type="Actor"),
    )


async def set_mobile_sharing(
    info: Info, log_id: uuid.UUID, shares: bool
) -> ActorView | MutationError:
    async def run(scope: WriteScope) -> ActorMembership:
        assert scope.viewer.staff_id is not None
        return await ops.set_mobile_sharing(scope.session, log_id, scope.viewer.staff_id, shares)

    result = await write(info, log_id, Action.SHARE_MOBILE, run, object_type="Actor")
    return await _view(info, result)
