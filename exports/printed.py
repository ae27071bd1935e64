"""The printed log: the answer of the ``ExportLog`` trusted document, shaped for the page.

``exports`` decides nothing about access. The caller executes the export document as the
person printing (the archive copy: as the holder) through the one read model
(``schema/operations/export_log.graphql``), and ``printed_log`` only turns that JSON into the
lines the template prints: dates parsed, enumerations as members, the holder picked from the
actors, what a note is about looked up among the points and meetings in the same answer.
What the answer does not hold is not printed: a hidden field is ``null`` there, a hidden
list empty, so a section is printed when it has something in it (the page cannot tell
"nothing there" from "not yours to see", and must not claim the first for the second).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from auth.policy import PolicyField, Relation
from models.enums import (
    ActorStatus,
    AuthorKind,
    CloseReason,
    ConsentEvidence,
    ConsentScope,
    EvaluationOutcome,
    MeasureStatus,
    MeasureType,
    MeetingStatus,
    ParticipantKind,
    PointCategory,
    PointStatus,
    RelayLogStatus,
    StatusAfterEvaluation,
)

__all__ = [
    "ActorLine",
    "ConsentLine",
    "EvaluationLine",
    "ExportAnswer",
    "ExportReader",
    "GuardianLine",
    "LogView",
    "MeasureLine",
    "MeetingLine",
    "NoteLine",
    "ParticipantLine",
    "PointBlock",
    "printed_log",
]


@dataclass(frozen=True, slots=True)
class ExportAnswer:
    """The export document's answer for one log, and under which cell of the policy table
    it was read (``fields``: the kinds of data it may show, for the audit and the archive)."""

    data: dict[str, Any]
    fields: frozenset[PolicyField]
    relation: Relation
    level: int


# How an archive copy gets its data: the export document as the log's holder reads it.
ExportReader = Callable[[uuid.UUID], Awaitable[ExportAnswer | None]]


@dataclass(frozen=True, slots=True)
class ChildLine:
    name: str
    birth_date: date | None
    national_id: str | None
    address: str | None


@dataclass(frozen=True, slots=True)
class LevelLine:
    changed_at: datetime
    from_level: int | None
    to_level: int
    reason: str


@dataclass(frozen=True, slots=True)
class GuardianLine:
    name: str
    phone: str | None
    email: str | None
    national_id: str | None


@dataclass(frozen=True, slots=True)
class ConsentLine:
    scope: ConsentScope
    given_by_kind: AuthorKind
    given_by: str | None
    evidence: ConsentEvidence
    given_on: date
    valid_until: date | None
    withdrawn_at: datetime | None
    form: str | None  # "PDF, 12 kB" when the reader may see the signed form


@dataclass(frozen=True, slots=True)
class ActorLine:
    name: str
    position: str
    organisation: str
    office_phone: str | None
    email: str | None
    mobile: str | None
    is_holder: bool
    status: ActorStatus


@dataclass(frozen=True, slots=True)
class EvaluationLine:
    outcome: EvaluationOutcome
    status_after: StatusAfterEvaluation
    comment: str
    evaluated_at: datetime
    author: str | None


@dataclass(frozen=True, slots=True)
class MeasureLine:
    type: MeasureType
    description: str
    responsible: tuple[str, ...]
    responsible_guardians: bool
    responsible_child: bool
    initiated_on: date
    finished_by: date
    status: MeasureStatus
    days_to_deadline: int
    evaluations: tuple[EvaluationLine, ...]


@dataclass(frozen=True, slots=True)
class PointBlock:
    category: PointCategory
    description: str
    goal: str
    informed_manager: bool
    informed_guardian: bool
    informed_child: bool
    assessed_level: int
    status: PointStatus
    measures: tuple[MeasureLine, ...] | None  # None: the reader may not see measures


@dataclass(frozen=True, slots=True)
class ParticipantLine:
    kind: ParticipantKind
    name: str
    invited: bool
    present: bool | None


@dataclass(frozen=True, slots=True)
class MeetingLine:
    held_on: date
    starts_at: time
    ends_at: time
    place: str
    organisation: str | None
    status: MeetingStatus
    comments: str
    participants: tuple[ParticipantLine, ...]
    agenda: str = ""


@dataclass(frozen=True, slots=True)
class NoteLine:
    created_at: datetime
    text: str
    adults_only: bool
    is_summary: bool
    author_kind: AuthorKind
    author: str | None
    about_point: str | None
    about_meeting: date | None
    edited_at: datetime | None = None  # edited: its earlier versions are kept in the log


@dataclass(frozen=True, slots=True)
class SparkleLine:
    occurred_on: date
    text: str
    author_kind: AuthorKind
    author: str | None


@dataclass(frozen=True, slots=True)
class ActivityLine:
    last_activity_at: datetime
    activity_plan_reported_on: date | None
    activity_plan_deadline: date | None


@dataclass(frozen=True)
class LogView:
    """Everything the PDF prints. ``None`` means the section is not the reader's to see;
    an empty tuple means there is nothing in it."""

    log_id: uuid.UUID
    level: int
    status: RelayLogStatus
    close_reason: CloseReason | None
    paused_reason: str | None
    created_at: datetime
    child: ChildLine
    level_history: tuple[LevelLine, ...]
    holder: ActorLine | None
    guardians: tuple[GuardianLine, ...] | None
    consents: tuple[ConsentLine, ...] | None
    actors: tuple[ActorLine, ...] | None
    points: tuple[PointBlock, ...] | None
    meetings: tuple[MeetingLine, ...] | None
    notes: tuple[NoteLine, ...] | None
    sparkles: tuple[SparkleLine, ...] | None
    activity: ActivityLine | None
    printed_by: str | None  # None: printed by the system
    printed_at: datetime
    show_child_identity: bool
    show_guardian_national_id: bool
    show_actor_mobile: bool
    show_measures: bool

    @property
    def measure_count(self) -> int:
        return sum(len(p.measures or ()) for p in self.points or ())

    @property
    def text_size(self) -> int:
        """Characters of free text in the view: what makes a log long on paper."""
        size = sum(len(n.text) for n in self.notes or ())
        size += sum(len(s.text) for s in self.sparkles or ())
        size += sum(len(m.comments) + len(m.agenda) for m in self.meetings or ())
        for point in self.points or ():
            size += len(point.description) + len(point.goal)
            for measure in point.measures or ():
                size += len(measure.description)
                size += sum(len(e.comment) for e in measure.evaluations)
        return size


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _datetime(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _time(value: Any) -> time | None:
    return None if value is None else time.fromisoformat(value)


def _list(value: Any) -> list[dict[str, Any]]:
    return list(value or [])


_FORMATS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def _size(size_bytes: int) -> str:
    if size_bytes < 1024:
        return f"{size_bytes} B"
    if size_bytes < 1024 * 1024:
        return f"{size_bytes / 1024:.0f} kB"
    return f"{size_bytes / (1024 * 1024):.1f} MB"


def _actor(a: dict[str, Any]) -> ActorLine:
    return ActorLine(
        name=a["name"],
        position=a["position"],
        organisation=a["organisationName"],
        office_phone=a["officePhone"],
        email=a["email"],
        mobile=a["mobile"],
        is_holder=a["isHolder"],
        status=ActorStatus(a["status"]),
    )


def _consent(c: dict[str, Any]) -> ConsentLine:
    document = c["document"]
    form = None
    if document is not None:
        form = f"{_FORMATS.get(document['contentType'], '?')}, {_size(document['sizeBytes'])}"
    return ConsentLine(
        scope=ConsentScope(c["scope"]),
        given_by_kind=AuthorKind(c["givenByKind"]),
        given_by=c["givenByName"],
        evidence=ConsentEvidence(c["evidence"]),
        given_on=date.fromisoformat(c["givenOn"]),
        valid_until=_date(c["validUntil"]),
        withdrawn_at=_datetime(c["withdrawnAt"]),
        form=form,
    )


def _measure(m: dict[str, Any]) -> MeasureLine:
    return MeasureLine(
        type=MeasureType(m["type"]),
        description=m["description"],
        responsible=tuple(sorted(a["name"] for a in _list(m["responsibleActors"]))),
        responsible_guardians=m["responsibleGuardians"],
        responsible_child=m["responsibleChild"],
        initiated_on=date.fromisoformat(m["initiatedOn"]),
        finished_by=date.fromisoformat(m["finishedBy"]),
        status=MeasureStatus(m["status"]),
        days_to_deadline=m["daysToDeadline"],
        evaluations=tuple(
            EvaluationLine(
                outcome=EvaluationOutcome(e["outcome"]),
                status_after=StatusAfterEvaluation(e["statusAfter"]),
                comment=e["comment"],
                evaluated_at=datetime.fromisoformat(e["evaluatedAt"]),
                author=e["authorName"],
            )
            for e in _list(m["evaluations"])
        ),
    )


def _point(p: dict[str, Any], show_measures: bool) -> PointBlock:
    # The export reads measures in the order of the log view; the page lists them by start.
    return PointBlock(
        category=PointCategory(p["category"]),
        description=p["description"],
        goal=p["goal"],
        informed_manager=p["informedManager"],
        informed_guardian=p["informedGuardian"],
        informed_child=p["informedChild"],
        assessed_level=p["assessedLevel"],
        status=PointStatus(p["status"]),
        measures=tuple(_measure(m) for m in _list(p["measures"])) if show_measures else None,
    )


def _meeting(m: dict[str, Any]) -> MeetingLine:
    return MeetingLine(
        held_on=date.fromisoformat(m["heldOn"]),
        starts_at=time.fromisoformat(m["startsAt"]),
        ends_at=time.fromisoformat(m["endsAt"]),
        place=m["place"],
        organisation=m["organisationName"],
        status=MeetingStatus(m["status"]),
        comments=m["comments"],
        agenda=m["agenda"],
        participants=tuple(
            ParticipantLine(ParticipantKind(p["kind"]), p["name"], p["invited"], p["present"])
            for p in _list(m["participants"])
        ),
    )


def printed_log(
    data: dict[str, Any], log_id: uuid.UUID, *, printed_at: datetime, archive: bool = False
) -> LogView | None:
    """The page model of an ``ExportLog`` answer (``None``: the log is not the reader's).

    ``archive``: the system's copy, printed by no person.
    """
    node = data.get("node")
    if not node:
        return None
    child = node["child"]
    points_raw = node["pointsOfAttention"]
    meetings_raw = node["meetings"]
    actors_raw = node["actors"]
    show_measures = any(p["measures"] for p in _list(points_raw))
    actor_lines = [_actor(a) for a in _list(actors_raw)]
    about_point = {p["id"]: p["description"] for p in _list(points_raw)}
    about_meeting = {m["id"]: m["heldOn"] for m in _list(meetings_raw)}
    activity = node["activity"]
    guardians = _list(node["guardians"])
    return LogView(
        log_id=log_id,
        level=node["level"],
        status=RelayLogStatus(node["status"]),
        close_reason=CloseReason(node["closeReason"]) if node["closeReason"] else None,
        paused_reason=node["pausedReason"],
        created_at=datetime.fromisoformat(node["createdAt"]),
        child=ChildLine(
            child["name"], _date(child["birthDate"]), child["nationalId"], child["address"]
        ),
        level_history=tuple(
            LevelLine(
                datetime.fromisoformat(c["changedAt"]), c["fromLevel"], c["toLevel"], c["reason"]
            )
            for c in _list(node["levelHistory"])
        ),
        holder=next((line for line in actor_lines if line.is_holder), None),
        guardians=(
            tuple(
                GuardianLine(g["name"], g["phone"], g["email"], g["nationalId"]) for g in guardians
            )
            or None
        ),
        consents=tuple(_consent(c) for c in _list(node["consents"])) or None,
        actors=tuple(actor_lines) if actors_raw else None,
        points=(tuple(_point(p, show_measures) for p in points_raw) if points_raw else None),
        meetings=tuple(_meeting(m) for m in reversed(_list(meetings_raw))) or None,
        notes=(
            tuple(
                NoteLine(
                    created_at=datetime.fromisoformat(n["createdAt"]),
                    text=n["text"],
                    adults_only=n["adultsOnly"],
                    is_summary=n["isSummary"],
                    author_kind=AuthorKind(n["authorKind"]),
                    author=n["authorName"],
                    about_point=about_point.get(n["pointId"]),
                    about_meeting=_date(about_meeting.get(n["meetingId"])),
                    edited_at=(datetime.fromisoformat(n["editedAt"]) if n["editedAt"] else None),
                )
                for n in reversed(node["notes"])
            )
            if node["notes"]
            else None
        ),
        sparkles=(
            tuple(
                SparkleLine(
                    date.fromisoformat(s["occurredOn"]),
                    s["text"],
                    AuthorKind(s["authorKind"]),
                    s["authorName"],
                )
                for s in reversed(node["sparkles"])
            )
            if node["sparkles"]
            else None
        ),
        activity=(
            ActivityLine(
                datetime.fromisoformat(activity["lastActivityAt"]),
                _date(activity["activityPlanReportedOn"]),
                _date(activity["activityPlanDeadline"]),
            )
            if activity is not None
            else None
        ),
        printed_by=None if archive else node["readerName"],
        printed_at=printed_at,
        show_child_identity=child["nationalId"] is not None or child["address"] is not None,
        show_guardian_national_id=any(g["nationalId"] for g in guardians),
        show_actor_mobile=any(a.mobile for a in actor_lines),
        show_measures=show_measures,
    )
