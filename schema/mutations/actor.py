"""Actor mutations: the holder adds and removes actors; each actor decides about their mobile."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from auth.policy import Audience
from resolvers.mutations import actor as r
from schema.actor import Actor
from schema.mutation import MUTATION_TYPES, MutationError, payload
from schema.mutations.ids import IdError, object_id
from schema.permissions import audiences

__all__ = ["ActorMutations"]

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


@strawberry.type
class ActorMutations:
    @audiences(
        STAFF,
        description=(
            "Add an actor (the holder). Level 1: only the holder's organisation; other "
            "services need level 2; specialist health needs level 3. Accounts are created by "
            "the municipal admin."
        ),
    )
    async def add_actor(self, info: Info, input: AddActorInput) -> ActorPayload:
        try:
            log_id = object_id(input.log_id, "RelayLog", "log", "logId")
            staff_id = object_id(
                input.staff_account_id, "StaffAccount", "staff account", "staffAccountId"
            )
        except IdError as exc:
            return payload(ActorPayload, "actor", exc.error)
        result = await r.add_actor(info, log_id, staff_id, input.shares_mobile)
        return payload(ActorPayload, "actor", result)

    @audiences(STAFF, description="Remove an actor (the holder); kept in history with the reason.")
    async def remove_actor(self, info: Info, input: RemoveActorInput) -> ActorPayload:
        try:
            actor_id = object_id(input.actor_id, "Actor", "actor", "actorId")
        except IdError as exc:
            return payload(ActorPayload, "actor", exc.error)
        return payload(ActorPayload, "actor", await r.remove_actor(info, actor_id, input.reason))

    @audiences(STAFF, description="Show or hide your own mobile number to the family.")
    async def set_mobile_sharing(self, info: Info, input: SetMobileSharingInput) -> ActorPayload:
        try:
            log_id = object_id(input.log_id, "RelayLog", "log", "logId")
        except IdError as exc:
            return payload(ActorPayload, "actor", exc.error)
        result = await r.set_mobile_sharing(info, log_id, input.shares_mobile)
        return payload(ActorPayload, "actor", result)


MUTATION_TYPES.append(ActorMutations)
