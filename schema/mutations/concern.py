"""Concern mutations (level 0): staff register an attention conversation, share it, end it."""

from __future__ import annotations

import datetime

import strawberry

from auth.gate import OBJECT_KINDS
from auth.policy import Action, Audience
from exports.archive import file_closure
from models.base import utcnow
from models.operations import concern as ops
from models.operations import relay_log as log_ops
from schema.concern import AttentionConversation
from schema.mutations.base import MutationError, Write, mutation, reply
from schema.relay_log import RelayLog

__all__ = [
    "ConcernPayload",
    "RegisterConcernPayload",
    "end_concern",
    "holder_of",
    "register_concern",
    "share_concern",
]

CONCERN = OBJECT_KINDS["AttentionConversation"]

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


def holder_of(w: Write) -> ops.Holder:
    """The signed-in staff member as the holder of a log they start."""
    viewer = w.viewer
    assert viewer.staff_id
    assert viewer.organisation_id
    assert viewer.municipality_id
    return ops.Holder(viewer.staff_id, viewer.organisation_id, viewer.municipality_id)


@mutation(
    STAFF,
    audit="AttentionConversation",
    description=(
        "Register a concern (level 0): a draft log with you as holder, visible to nobody "
        f"else. {NOT_FOR_ABUSE}"
    ),
)
async def register_concern(w: Write, input: RegisterConcernInput) -> RegisterConcernPayload:
    w.start()
    concern = await ops.register_concern(
        w.session,
        holder_of(w),
        child_name=input.child_name,
        child_national_id=input.child_national_id,
        observation=input.observation,
        held_on=input.held_on or w.today,
        today=w.today,
    )
    log = await log_ops.load_log(w.session, concern.log_id)
    return reply(RegisterConcernPayload, concern=concern, log=log)


@mutation(
    STAFF,
    audit="AttentionConversation",
    description="Record when the concern was shared (contact person, guardians).",
)
async def share_concern(w: Write, input: ShareConcernInput) -> ConcernPayload:
    concern = await w.find(input.concern_id, CONCERN)
    w.allow(Action.MANAGE_LOG)
    shared = await ops.share_concern(
        w.session,
        concern,
        contact_on=input.shared_with_contact_on,
        guardians_on=input.shared_with_guardians_on,
        expected_version=input.expected_version,
        today=w.today,
    )
    return reply(ConcernPayload, concern=shared)


@mutation(
    STAFF,
    audit="AttentionConversation",
    description="End the concern: the draft log is closed and the conversation archived.",
)
async def end_concern(w: Write, input: EndConcernInput) -> ConcernPayload:
    concern = await w.find(input.concern_id, CONCERN)
    w.allow(Action.CLOSE_LOG)
    ended = await ops.end_concern(
        w.session, concern, expected_version=input.expected_version, now=utcnow()
    )
    log = await log_ops.load_log(w.session, concern.log_id)
    await file_closure(w.session, log, read=w.archive_reader(), today=w.today)
    return reply(ConcernPayload, concern=ended)
