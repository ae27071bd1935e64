"""Actor mutations: the holder adds and removes actors; each actor decides about their mobile."""

from __future__ import annotations

import strawberry

from auth.gate import OBJECT_KINDS
from auth.policy import Action, Audience
from models import ActorMembership
from models.base import utcnow
from models.events import EventKind
from models.operations import actor as ops
from models.operations import relay_log as log_ops
from resolvers.views import ActorView
from schema.actor import Actor
from schema.mutations.base import MutationError, Write, mutation, reference, reply

__all__ = ["ActorPayload", "add_actor", "remove_actor", "set_mobile_sharing"]

ACTOR = OBJECT_KINDS["Actor"]

STAFF = [Audience.STAFF]


@strawberry.type
class ActorPayload:
    actor: Actor | None = None
    error: MutationError | None = None


@strawberry.input
class AddActorInput:
    log_id: strawberry.ID
    staff_account_id: strawberry.ID
    shares_mobile: bool = strawberry.field(
        default=False, description="Whether the family sees the actor's mobile number."
    )


@strawberry.input
class RemoveActorInput:
    actor_id: strawberry.ID
    reason: str | None = None


@strawberry.input
class SetMobileSharingInput:
    log_id: strawberry.ID
    shares_mobile: bool


async def _reply(w: Write, membership: ActorMembership) -> ActorPayload:
    loaders = w.context.loaders
    staff = await loaders.staff.load(membership.staff_id)
    organisation = await loaders.organisation.load(membership.organisation_id)
    assert staff is not None
    assert organisation is not None
    return reply(ActorPayload, actor=ActorView.of(membership, staff, organisation))


@mutation(
    STAFF,
    audit="Actor",
    event=EventKind.ACTOR_ADDED,
    description=(
        "Add an actor (the holder). Level 1: only the holder's organisation; other "
        "services need level 2; specialist health needs level 3. Accounts are created by "
        "the municipal admin."
    ),
)
async def add_actor(w: Write, input: AddActorInput) -> ActorPayload:
    access = await w.log(input.log_id, Action.MANAGE_LOG)
    staff_id = reference(input.staff_account_id, "StaffAccount", "staff account", "staffAccountId")
    log = await log_ops.load_log(w.session, access.log_id)
    return await _reply(w, await ops.add_actor(w.session, log, staff_id, input.shares_mobile))


@mutation(
    STAFF,
    audit="Actor",
    event=EventKind.ACTOR_REMOVED,
    description="Remove an actor (the holder); kept in history with the reason.",
)
async def remove_actor(w: Write, input: RemoveActorInput) -> ActorPayload:
    membership = await w.find(input.actor_id, ACTOR)
    w.allow(Action.MANAGE_LOG)
    return await _reply(w, await ops.remove_actor(w.session, membership, input.reason, utcnow()))


@mutation(STAFF, audit="Actor", description="Show or hide your own mobile number to the family.")
async def set_mobile_sharing(w: Write, input: SetMobileSharingInput) -> ActorPayload:
    access = await w.log(input.log_id, Action.SHARE_MOBILE)
    assert w.viewer.staff_id is not None
    membership = await ops.set_mobile_sharing(
        w.session, access.log_id, w.viewer.staff_id, input.shares_mobile
    )
    return await _reply(w, membership)
