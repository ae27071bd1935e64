"""The log's lifecycle: create (with the signed consent), level, pause/resume, close, end,
activity plan."""

from __future__ import annotations

import datetime
import uuid

import strawberry

from auth.gate import OBJECT_KINDS
from auth.policy import Action, Audience
from exports.archive import file_closure
from models import RelayLog as LogRow
from models.base import utcnow
from models.events import EventKind, other_open_logs_of_child
from models.operations import relay_log as ops
from models.operations.person import ChildData, GuardianData
from models.operations.relay_log import ConsentForm, FirstMeeting, NewLog
from schema.enums import CloseReason, ConsentScope
from schema.mutations.base import MutationError, Write, mutation, reply
from schema.mutations.concern import holder_of
from schema.relay_log import RelayLog

__all__ = [
    "RelayLogPayload",
    "close_log",
    "create_log",
    "end_log",
    "mark_activity_plan",
    "pause_log",
    "resume_log",
    "set_level",
]

CONCERN = OBJECT_KINDS["AttentionConversation"]

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


def _new_log(input: CreateLogInput, concern_id: uuid.UUID | None) -> NewLog:
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
        concern_id=concern_id,
        expected_version=input.expected_version,
    )


@mutation(
    STAFF,
    audit="RelayLog",
    event=EventKind.LOG_CREATED,
    description=(
        "Create a log (you become the holder) with the guardians' signed consent; from a "
        "concern or directly."
    ),
)
async def create_log(w: Write, input: CreateLogInput) -> RelayLogPayload:
    concern_id = None
    if input.concern_id is None:
        w.start()
    else:
        concern = await w.find(input.concern_id, CONCERN)
        w.allow(Action.MANAGE_LOG)
        concern_id = concern.id
    log = await ops.create_log(
        w.session, holder_of(w), _new_log(input, concern_id), w.today, utcnow()
    )
    for earlier in await other_open_logs_of_child(w.session, log):
        w.emit(EventKind.DUPLICATE_LOG_ATTEMPT, log_id=earlier, object_id=log.id)
    return reply(RelayLogPayload, log=log)


async def _open(w: Write, log_id: strawberry.ID, action: Action) -> LogRow:
    """The log a lifecycle mutation changes, once the gate let the viewer do ``action``."""
    access = await w.log(log_id, action)
    w.object_id = access.log_id
    return await ops.load_log(w.session, access.log_id)


@mutation(
    STAFF,
    audit="RelayLog",
    event=EventKind.LEVEL_CHANGED,
    description=(
        "Set the level (0-3) with a reason. Raising needs the guardians' valid consent "
        "(1: create, 2: share with other services, 3: broad collaboration); lowering "
        "deactivates the actors the new level no longer admits."
    ),
)
async def set_level(w: Write, input: SetLevelInput) -> RelayLogPayload:
    log = await _open(w, input.log_id, Action.MANAGE_LOG)
    changed = await ops.set_level(
        w.session,
        log,
        level=input.level,
        reason=input.reason,
        expected_version=input.expected_version,
        changed_by=w.viewer.staff_id,
        today=w.today,
        now=utcnow(),
    )
    return reply(RelayLogPayload, log=changed)


@mutation(
    STAFF,
    audit="RelayLog",
    event=EventKind.LOG_PAUSED,
    description="Pause the log by agreement (the holder).",
)
async def pause_log(w: Write, input: PauseLogInput) -> RelayLogPayload:
    log = await _open(w, input.log_id, Action.MANAGE_LOG)
    paused = await ops.pause_log(w.session, log, input.reason, input.expected_version)
    return reply(RelayLogPayload, log=paused)


@mutation(
    STAFF,
    audit="RelayLog",
    event=EventKind.LOG_RESUMED,
    description="Resume a paused log (the holder).",
)
async def resume_log(w: Write, input: LogVersionInput) -> RelayLogPayload:
    log = await _open(w, input.log_id, Action.MANAGE_LOG)
    resumed = await ops.resume_log(w.session, log, input.expected_version)
    return reply(RelayLogPayload, log=resumed)


@mutation(
    STAFF,
    audit="RelayLog",
    event=EventKind.LOG_CLOSED,
    description=(
        "Close the log (the holder): the goal was reached (with a closing summary) or the "
        "work continues in an individual plan. A closed log is read-only."
    ),
)
async def close_log(w: Write, input: CloseLogInput) -> RelayLogPayload:
    log = await _open(w, input.log_id, Action.CLOSE_LOG)
    closed = await ops.close_log(
        w.session,
        log,
        reason=input.reason,
        summary=input.summary,
        expected_version=input.expected_version,
        author=w.author,
        now=utcnow(),
    )
    await file_closure(w.session, closed, read=w.archive_reader(), today=w.today)
    return reply(RelayLogPayload, log=closed)


@mutation(
    FAMILY,
    audit="RelayLog",
    event=EventKind.LOG_ENDED,
    description="End the log (a guardian, or the youth): always allowed, at any time.",
)
async def end_log(w: Write, input: LogVersionInput) -> RelayLogPayload:
    log = await _open(w, input.log_id, Action.END_LOG_AT_WILL)
    ended = await ops.end_log_by_family(w.session, log, input.expected_version, utcnow())
    await file_closure(w.session, ended, read=w.archive_reader(), today=w.today)
    return reply(RelayLogPayload, log=ended)


@mutation(
    STAFF,
    audit="RelayLog",
    description=(
        "Mark the log as an activity plan (aktivitetsplikt) from the day the concern was "
        "reported; the 7-day deadline is `activity.activityPlanDeadline`."
    ),
)
async def mark_activity_plan(w: Write, input: MarkActivityPlanInput) -> RelayLogPayload:
    log = await _open(w, input.log_id, Action.MANAGE_LOG)
    marked = await ops.mark_activity_plan(
        w.session, log, input.reported_on, input.expected_version, w.today
    )
    return reply(RelayLogPayload, log=marked)
