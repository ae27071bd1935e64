"""Concern mutations (level 0): staff register an attention conversation, share it, end it."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.types import Info

from auth.policy import Audience
from resolvers.mutation import MutationError as MutationErrorData
from resolvers.mutations import concern as r
from schema.concern import AttentionConversation
from schema.mutation import MUTATION_TYPES, MutationError, payload
from schema.mutations.ids import IdError, object_id
from schema.permissions import audiences
from schema.relay_log import RelayLog

__all__ = ["ConcernMutations"]

STAFF = [Audience.STAFF]
NOT_FOR_ABUSE = (
    "Suspected violence or abuse goes to child welfare (barnevernet) directly — never into the log."
)


@strawberry.type
class RegisterConcernPayload:
    concern: AttentionConversation | None = None
    log: RelayLog | None = strawberry.field(
        default=None, description="The draft log (level 0) that holds the concern."
    )
    error: MutationError | None = None


@strawberry.type
class ConcernPayload:
    concern: AttentionConversation | None = None
    error: MutationError | None = None


@strawberry.input(description=f"An attention conversation. {NOT_FOR_ABUSE}")
class RegisterConcernInput:
    child_name: str
    child_national_id: str | None = strawberry.field(
        default=None, description="11 digits; the birth date is derived from it."
    )
    observation: str = strawberry.field(
        description=f"What was observed, at most 2000 characters. {NOT_FOR_ABUSE}"
    )
    held_on: datetime.date | None = strawberry.field(default=None, description="Default: today.")


@strawberry.input(description="When the concern was shared; at least one date.")
class ShareConcernInput:
    concern_id: strawberry.ID
    expected_version: int = strawberry.field(description="The version you last saw.")
    shared_with_contact_on: datetime.date | None = None
    shared_with_guardians_on: datetime.date | None = None


@strawberry.input
class EndConcernInput:
    concern_id: strawberry.ID
    expected_version: int = strawberry.field(description="The version you last saw.")


@strawberry.type
class ConcernMutations:
    @audiences(
        STAFF,
        description=(
            "Register a concern (level 0): a draft log with you as holder, visible to nobody "
            f"else. {NOT_FOR_ABUSE}"
        ),
    )
    async def register_concern(
        self, info: Info, input: RegisterConcernInput
    ) -> RegisterConcernPayload:
        result = await r.register_concern(
            info, input.child_name, input.child_national_id, input.observation, input.held_on
        )
        if isinstance(result, MutationErrorData):
            return payload(RegisterConcernPayload, "concern", result)
        log = await info.context.loaders.log.load(result.log_id)
        return RegisterConcernPayload(concern=result, log=log)  # type: ignore[arg-type]

    @audiences(STAFF, description="Record when the concern was shared (contact person, guardians).")
    async def share_concern(self, info: Info, input: ShareConcernInput) -> ConcernPayload:
        try:
            concern_id = object_id(
                input.concern_id, "AttentionConversation", "concern", "concernId"
            )
        except IdError as exc:
            return payload(ConcernPayload, "concern", exc.error)
        result = await r.share_concern(
            info,
            concern_id,
            input.shared_with_contact_on,
            input.shared_with_guardians_on,
            input.expected_version,
        )
        return payload(ConcernPayload, "concern", result)

    @audiences(
        STAFF,
        description="End the concern: the draft log is closed and the conversation archived.",
    )
    async def end_concern(self, info: Info, input: EndConcernInput) -> ConcernPayload:
        try:
            concern_id = object_id(
                input.concern_id, "AttentionConversation", "concern", "concernId"
            )
        except IdError as exc:
            return payload(ConcernPayload, "concern", exc.error)
        result = await r.end_concern(info, concern_id, input.expected_version)
        return payload(ConcernPayload, "concern", result)


MUTATION_TYPES.append(ConcernMutations)
