"""Points of attention, measures, evaluations, meetings, notes and sparkles."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from auth.policy import PolicyField
from models import Evaluation as EvaluationRow
from models import Measure as MeasureRow
from models import Meeting as MeetingRow
from models import Note as NoteRow
from models import NoteVersion as NoteVersionRow
from models import PointOfAttention as PointRow
from models import Sparkle as SparkleRow
from resolvers import content as rc
from resolvers import relay_log as r
from schema.actor import Actor
from schema.enums import (
    AuthorKind,
    EvaluationOutcome,
    MeasureStatus,
    MeasureType,
    MeetingStatus,
    ParticipantKind,
    PointCategory,
    PointStatus,
    StatusAfterEvaluation,
)
from schema.node import Node, encode_global_id, entity_id_field, node_id_field
from schema.permissions import covered, gated

__all__ = [
    "Evaluation",
    "Measure",
    "Meeting",
    "Note",
    "NoteVersion",
    "PointOfAttention",
    "Sparkle",
]

P = PolicyField


def _reference(type_name: str, attribute: str, policy: PolicyField, description: str) -> Any:
    """The global id of an object this one points at (``null`` when it points at none)."""

    def resolve(root: Any, info: Info) -> strawberry.ID | None:
        target = getattr(root, attribute)
        return None if target is None else strawberry.ID(encode_global_id(type_name, target))

    return covered(policy, resolver=resolve, description=description)


@strawberry.type(description="Red / yellow / green, with a short comment.")
class Evaluation(Node):
    id: strawberry.ID = node_id_field("Evaluation", P.MEASURES)
    outcome: EvaluationOutcome = covered(P.MEASURES)
    status_after: StatusAfterEvaluation = covered(P.MEASURES)
    comment: str = covered(P.MEASURES)
    evaluated_at: datetime.datetime = covered(P.MEASURES)
    author_kind: AuthorKind = covered(P.MEASURES)
    author_name: str | None = gated(P.AUTHORS, resolver=rc.author_name)

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, EvaluationRow)


@strawberry.type(description="A measure (tiltak) under a point of attention.")
class Measure(Node):
    id: strawberry.ID = node_id_field("Measure", P.MEASURES)
    point_id: strawberry.ID = _reference(
        "PointOfAttention", "point_id", P.MEASURES, "The point of attention it serves."
    )
    type: MeasureType = covered(P.MEASURES)
    description: str = covered(P.MEASURES)
    responsible_guardians: bool = covered(P.MEASURES)
    responsible_child: bool = covered(P.MEASURES)
    responsible_actors: list[Actor] | None = covered(
        P.MEASURES, resolver=r.measure_responsible_actors
    )
    initiated_on: datetime.date = covered(P.MEASURES)
    finished_by: datetime.date = covered(P.MEASURES)
    status: MeasureStatus = covered(P.MEASURES)
    version: int = covered(P.MEASURES)
    evaluations: list[Evaluation] | None = covered(P.MEASURES, resolver=r.evaluations)

    days_to_deadline: int = covered(
        P.MEASURES, resolver=r.days_to_deadline, description="Negative when overdue."
    )

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, MeasureRow)


@strawberry.type(description="«We are specially aware of …» with the goal to reach.")
class PointOfAttention(Node):
    id: strawberry.ID = node_id_field("PointOfAttention", P.POINTS)
    category: PointCategory = covered(P.POINTS)
    description: str = covered(P.POINTS)
    goal: str = covered(P.POINTS)
    informed_manager: bool = covered(P.POINTS)
    informed_guardian: bool = covered(P.POINTS)
    informed_child: bool = covered(P.POINTS)
    assessed_level: int = covered(P.POINTS)
    status: PointStatus = covered(P.POINTS)
    version: int = covered(P.POINTS)
    measures: list[Measure] | None = gated(P.MEASURES, resolver=r.measures)

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, PointRow)


@strawberry.type(description="Someone invited to, or present at, a meeting.")
class MeetingParticipant:
    id: strawberry.ID = entity_id_field("MeetingParticipant", P.MEETINGS)
    kind: ParticipantKind = covered(P.MEETINGS)
    name: str = covered(P.MEETINGS)
    invited: bool = covered(P.MEETINGS)
    present: bool | None = covered(P.MEETINGS)


@strawberry.type(description="What a note said before an edit replaced it.")
class NoteVersion:
    id: strawberry.ID = entity_id_field("NoteVersion", P.NOTES)
    number: int = covered(P.NOTES, description="1 for the note's first text.")
    text: str = covered(P.NOTES)
    adults_only: bool = covered(P.NOTES)
    author_kind: AuthorKind = covered(P.NOTES)
    author_name: str | None = gated(P.AUTHORS, resolver=rc.author_name)
    written_at: datetime.datetime = covered(P.NOTES)
    replaced_at: datetime.datetime = covered(P.NOTES)

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, NoteVersionRow)


@strawberry.type(description="A note (minutes, observations); may be marked adults-only.")
class Note(Node):
    id: strawberry.ID = node_id_field("Note", P.NOTES)
    text: str = covered(P.NOTES)
    adults_only: bool = covered(P.NOTES)
    is_summary: bool = covered(P.NOTES)
    point_id: strawberry.ID | None = _reference(
        "PointOfAttention", "point_id", P.NOTES, "The point of attention it is about, if any."
    )
    meeting_id: strawberry.ID | None = _reference(
        "Meeting", "meeting_id", P.NOTES, "The meeting it is the minutes of, if any."
    )
    author_kind: AuthorKind = covered(P.NOTES)
    author_name: str | None = gated(P.AUTHORS, resolver=rc.author_name)
    created_at: datetime.datetime = covered(P.NOTES)
    edited_at: datetime.datetime | None = covered(
        P.NOTES, description="When the note was last edited; null: never edited."
    )
    versions: list[NoteVersion] | None = covered(
        P.NOTES,
        resolver=rc.note_versions,
        description="What it said before each edit, oldest first.",
    )
    version: int = covered(P.NOTES)

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, NoteRow)


@strawberry.type(description="A log meeting.")
class Meeting(Node):
    id: strawberry.ID = node_id_field("Meeting", P.MEETINGS)
    held_on: datetime.date = covered(P.MEETINGS)
    starts_at: datetime.time = covered(P.MEETINGS)
    ends_at: datetime.time = covered(P.MEETINGS)
    place: str = covered(P.MEETINGS)
    organisation_name: str | None = covered(P.MEETINGS, resolver=rc.meeting_organisation_name)
    status: MeetingStatus = covered(P.MEETINGS)
    comments: str = covered(P.MEETINGS)
    agenda: str = covered(P.MEETINGS, description="At most 2000 characters.")
    version: int = covered(P.MEETINGS)
    participants: list[MeetingParticipant] | None = covered(
        P.MEETINGS, resolver=r.meeting_participants
    )
    minutes: list[Note] | None = gated(
        P.NOTES,
        resolver=rc.meeting_minutes,
        description="The notes linked to this meeting, newest first, as you may read notes.",
    )

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, MeetingRow)


@strawberry.type(description="A sparkle (lysglimt): a small or big improvement.")
class Sparkle(Node):
    id: strawberry.ID = node_id_field("Sparkle", P.SPARKLES)
    occurred_on: datetime.date = covered(P.SPARKLES)
    text: str = covered(P.SPARKLES)
    author_kind: AuthorKind = covered(P.SPARKLES)
    author_name: str | None = gated(P.AUTHORS, resolver=rc.author_name)

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, SparkleRow)
