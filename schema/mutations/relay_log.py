"""The log's lifecycle: create (with the signed consent), level, pause/resume, close, end,
activity plan."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.types import Info

from auth.policy import Audience
from models.operations.person import ChildData, GuardianData
from models.operations.relay_log import ConsentForm, FirstMeeting, NewLog
from resolvers.mutations import relay_log as r
from schema.enums import CloseReason, ConsentScope
from schema.mutation import MUTATION_TYPES, MutationError, payload
from schema.mutations.ids import IdError, object_id, optional_id
from schema.permissions import audiences
from schema.relay_log import RelayLog

__all__ = ["RelayLogMutations"]

STAFF = [Audience.STAFF]
FAMILY = [Audience.FAMILY]
VERSION = "The log's version you last saw."


@strawberry.type
class RelayLogPayload:
    log: RelayLog | None = None
    error: MutationError | None = None


@strawberry.input
class ChildInput:
    name: str
    national_id: str = strawberry.field(description="11 digits with valid check digits.")
    address: str | None = None


@strawberry.input
class GuardianInput:
    name: str
    national_id: str
    phone: str | None = None
    email: str | None = None
    parental_responsibility: bool = True


@strawberry.input(
    description=(
        "A scanned, signed consent form: PDF, JPEG or PNG (checked by content), at most 10 MB, "
        "base64-encoded."
    )
)
class ConsentFormInput:
    file: str
    scopes: list[ConsentScope]
    signed_by_guardian_national_ids: list[str] = strawberry.field(
        default_factory=list, description="Which of the guardians given signed the form."
    )
    signed_by_youth: bool = strawberry.field(
        default=False, description="The youth (of the municipality's consent age) signed too."
    )
    given_on: datetime.date | None = strawberry.field(default=None, description="Default: today.")
    valid_until: datetime.date | None = None


@strawberry.input
class FirstMeetingInput:
    held_on: datetime.date
    starts_at: datetime.time
    ends_at: datetime.time
    place: str


@strawberry.input(
    description=(
        "Create a log, from a concern (`concernId` + the concern's `expectedVersion`) or "
        "directly. The consent is part of it: upload the signed form(s); the level chosen "
        "(1-3) must be allowed by them."
    )
)
class CreateLogInput:
    child: ChildInput
    guardians: list[GuardianInput]
    level: int = strawberry.field(description="1, 2 or 3: the lowest level that will do.")
    consent_forms: list[ConsentFormInput] = strawberry.field(default_factory=list)
    reason: str | None = None
    first_meeting: FirstMeetingInput | None = None
    concern_id: strawberry.ID | None = None
    expected_version: int | None = strawberry.field(
        default=None, description="The concern's version you last saw (with concernId)."
    )


@strawberry.input
class SetLevelInput:
    log_id: strawberry.ID
    level: int
    reason: str
    expected_version: int = strawberry.field(description=VERSION)


@strawberry.input
class PauseLogInput:
    log_id: strawberry.ID
    reason: str = strawberry.field(description="The reason the parties agreed on.")
    expected_version: int = strawberry.field(description=VERSION)


@strawberry.input
class LogVersionInput:
    log_id: strawberry.ID
    expected_version: int = strawberry.field(description=VERSION)


@strawberry.input
class CloseLogInput:
    log_id: strawberry.ID
    reason: CloseReason = strawberry.field(description="GOAL_REACHED or INDIVIDUAL_PLAN.")
    summary: str | None = strawberry.field(
        default=None,
        description="The closing summary (a note); required when the goal is reached.",
    )
    expected_version: int = strawberry.field(description=VERSION)


@strawberry.input
class MarkActivityPlanInput:
    log_id: strawberry.ID
    reported_on: datetime.date | None = strawberry.field(
        description="When the child's report was received; null unmarks the log."
    )
    expected_version: int = strawberry.field(description=VERSION)


def _new_log(input: CreateLogInput) -> NewLog:
    meeting = input.first_meeting
    return NewLog(
        child=ChildData(input.child.name, input.child.national_id, input.child.address),
        guardians=[
            GuardianData(g.name, g.national_id, g.phone, g.email, g.parental_responsibility)
            for g in input.guardians
        ],
        level=input.level,
        consent_forms=[
            ConsentForm(
                file=f.file,
                scopes=list(f.scopes),
                signed_by_national_ids=list(f.signed_by_guardian_national_ids),
                signed_by_youth=f.signed_by_youth,
                given_on=f.given_on,
                valid_until=f.valid_until,
            )
            for f in input.consent_forms
        ],
        reason=input.reason,
        first_meeting=(
            FirstMeeting(meeting.held_on, meeting.starts_at, meeting.ends_at, meeting.place)
            if meeting is not None
            else None
        ),
        concern_id=optional_id(input.concern_id, "AttentionConversation", "concern", "concernId"),
        expected_version=input.expected_version,
    )


@strawberry.type
class RelayLogMutations:
    @audiences(
        STAFF,
        description=(
            "Create a log (you become the holder) with the guardians' signed consent; from a "
            "concern or directly."
        ),
    )
    async def create_log(self, info: Info, input: CreateLogInput) -> RelayLogPayload:
        try:
            new = _new_log(input)
        except IdError as exc:
            return payload(RelayLogPayload, "log", exc.error)
        return payload(RelayLogPayload, "log", await r.create_log(info, new))

    @audiences(
        STAFF,
        description=(
            "Set the level (0-3) with a reason. Raising needs the guardians' valid consent "
            "(1: create, 2: share with other services, 3: broad collaboration); lowering "
            "deactivates the actors the new level no longer admits."
        ),
    )
    async def set_level(self, info: Info, input: SetLevelInput) -> RelayLogPayload:
        try:
            log_id = object_id(input.log_id, "RelayLog", "log", "logId")
        except IdError as exc:
            return payload(RelayLogPayload, "log", exc.error)
        result = await r.set_level(info, log_id, input.level, input.reason, input.expected_version)
        return payload(RelayLogPayload, "log", result)

    @audiences(STAFF, description="Pause the log by agreement (the holder).")
    async def pause_log(self, info: Info, input: PauseLogInput) -> RelayLogPayload:
        try:
            log_id = object_id(input.log_id, "RelayLog", "log", "logId")
        except IdError as exc:
            return payload(RelayLogPayload, "log", exc.error)
        result = await r.pause_log(info, log_id, input.reason, input.expected_version)
        return payload(RelayLogPayload, "log", result)

    @audiences(STAFF, description="Resume a paused log (the holder).")
    async def resume_log(self, info: Info, input: LogVersionInput) -> RelayLogPayload:
        try:
            log_id = object_id(input.log_id, "RelayLog", "log", "logId")
        except IdError as exc:
            return payload(RelayLogPayload, "log", exc.error)
        return payload(
            RelayLogPayload, "log", await r.resume_log(info, log_id, input.expected_version)
        )

    @audiences(
        STAFF,
        description=(
            "Close the log (the holder): the goal was reached (with a closing summary) or the "
            "work continues in an individual plan. A closed log is read-only."
        ),
    )
    async def close_log(self, info: Info, input: CloseLogInput) -> RelayLogPayload:
        try:
            log_id = object_id(input.log_id, "RelayLog", "log", "logId")
        except IdError as exc:
            return payload(RelayLogPayload, "log", exc.error)
        result = await r.close_log(
            info, log_id, input.reason, input.summary, input.expected_version
        )
        return payload(RelayLogPayload, "log", result)

    @audiences(
        FAMILY,
        description="End the log (a guardian, or the youth): always allowed, at any time.",
    )
    async def end_log(self, info: Info, input: LogVersionInput) -> RelayLogPayload:
        try:
            log_id = object_id(input.log_id, "RelayLog", "log", "logId")
        except IdError as exc:
            return payload(RelayLogPayload, "log", exc.error)
        return payload(
            RelayLogPayload, "log", await r.end_log(info, log_id, input.expected_version)
        )

    @audiences(
        STAFF,
        description=(
            "Mark the log as an activity plan (aktivitetsplikt) from the day the concern was "
            "reported; the 7-day deadline is `activity.activityPlanDeadline`."
        ),
    )
    async def mark_activity_plan(self, info: Info, input: MarkActivityPlanInput) -> RelayLogPayload:
        try:
            log_id = object_id(input.log_id, "RelayLog", "log", "logId")
        except IdError as exc:
            return payload(RelayLogPayload, "log", exc.error)
        result = await r.mark_activity_plan(info, log_id, input.reported_on, input.expected_version)
        return payload(RelayLogPayload, "log", result)


MUTATION_TYPES.append(RelayLogMutations)
