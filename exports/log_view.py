"""The log as one reader may see it: the read model the PDF is rendered from.

Built through the policy table, never through GraphQL types: a section is loaded only when
``can_read`` grants its ``PolicyField`` to the reader's relation at the log's level, and
per-object conditions (a guardian's own national id, an actor's mobile when they share it,
adults-only notes, one's own consent form) are decided with ``auth.ownership.facts_for`` —
the same answers the GraphQL fields give. What the reader may not see is not selected from
the database at all.

The number of statements is constant (at most 17), whatever the size of the log.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.ownership import facts_for
from auth.policy import PolicyField, Relation, can_read, condition_for
from auth.viewer import Viewer
from models import (
    ActorMembership,
    Child,
    ChildGuardian,
    Consent,
    ConsentDocument,
    Evaluation,
    Guardian,
    LevelChange,
    Measure,
    MeasureResponsible,
    Meeting,
    MeetingParticipant,
    Note,
    Organisation,
    PointOfAttention,
    RelayLog,
    Sparkle,
    StaffAccount,
)
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
from models.relay_log import activity_plan_deadline

__all__ = [
    "ActorLine",
    "ConsentLine",
    "EvaluationLine",
    "GuardianLine",
    "LogView",
    "MeasureLine",
    "MeetingLine",
    "NoteLine",
    "PointBlock",
    "Reader",
    "load_log_view",
]

F = PolicyField


@dataclass(frozen=True, slots=True)
class Reader:
    """Whom a PDF is rendered for: a relation to the log, and the person printing it.

    ``viewer`` decides the per-object conditions; without one (the archive copy, rendered as
    the holder sees it) no object is the reader's own.
    """

    relation: Relation
    viewer: Viewer | None = None
    staff_id: uuid.UUID | None = None

    @classmethod
    def of(cls, viewer: Viewer, relation: Relation) -> Reader:
        return cls(relation=relation, viewer=viewer, staff_id=viewer.staff_id)

    @classmethod
    def archive(cls, created_by_staff_id: uuid.UUID | None) -> Reader:
        return cls(relation=Relation.HOLDER, staff_id=created_by_staff_id)


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
    relation: Relation
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
    fields_read: frozenset[PolicyField] = field(default_factory=frozenset)

    @property
    def measure_count(self) -> int:
        return sum(len(p.measures or ()) for p in self.points or ())

    @property
    def text_size(self) -> int:
        """Characters of free text in the view: what makes a log long on paper."""
        size = sum(len(n.text) for n in self.notes or ())
        size += sum(len(s.text) for s in self.sparkles or ())
        size += sum(len(m.comments) for m in self.meetings or ())
        for point in self.points or ():
            size += len(point.description) + len(point.goal)
            for measure in point.measures or ():
                size += len(measure.description)
                size += sum(len(e.comment) for e in measure.evaluations)
        return size


class _Policy:
    """The reader's cells of the policy table for this log."""

    def __init__(self, reader: Reader, level: int) -> None:
        self.reader = reader
        self.level = level
        self.read: set[PolicyField] = set()

    def may(self, policy_field: PolicyField) -> bool:
        """May the reader see this kind of data at all (at least one object of it)?"""
        allowed = can_read(self.reader.relation, self.level, policy_field)
        if allowed:
            self.read.add(policy_field)
        return allowed

    def may_object(self, policy_field: PolicyField, obj: Any) -> bool:
        """May the reader see this field of this object (own only, shared, adults-only)?"""
        relation = self.reader.relation
        facts = None
        if condition_for(policy_field, relation) is not None:
            facts = facts_for(self.reader.viewer, relation, obj)
        return can_read(relation, self.level, policy_field, facts)


async def load_log_view(
    session: AsyncSession,
    log_id: uuid.UUID,
    reader: Reader,
    *,
    today: date,
    printed_at: datetime,
) -> LogView | None:
    """The log as ``reader`` may see it; ``None`` if the log does not exist or is not theirs
    to read (the caller decides who may export; this only never shows more than the table)."""
    log = await session.get(RelayLog, log_id)
    if log is None:
        return None
    policy = _Policy(reader, log.level)
    if not policy.may(F.LOG_SUMMARY):
        return None

    child = await _child(session, log, policy)
    actors_all = await _actors(session, log.id) if policy.may(F.ACTOR_CONTACT) else []
    staff_names = {row.staff_id: row.name for _, row in actors_all}
    guardian_rows = await _guardians(session, log, policy)
    guardian_names = {g.id: g.name for g in guardian_rows}

    points_rows: list[PointOfAttention] = []
    if policy.may(F.POINTS):
        points_rows = await _rows(session, PointOfAttention, log.id, PointOfAttention.created_at)
    show_measures = policy.may(F.MEASURES)
    measures: list[Measure] = []
    evaluations: dict[uuid.UUID, list[Evaluation]] = defaultdict(list)
    responsible: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if points_rows and show_measures:
        measures = await _rows(session, Measure, log.id, Measure.initiated_on, Measure.created_at)
        for ev in await _rows(session, Evaluation, log.id, Evaluation.evaluated_at):
            evaluations[ev.measure_id].append(ev)
        for mr in await session.scalars(
            select(MeasureResponsible)
            .join(Measure, Measure.id == MeasureResponsible.measure_id)
            .where(Measure.log_id == log.id)
        ):
            responsible[mr.measure_id].append(mr.staff_id)

    meetings = await _meetings(session, log.id) if policy.may(F.MEETINGS) else []
    participants: dict[uuid.UUID, list[MeetingParticipant]] = defaultdict(list)
    if meetings:
        for row in await session.scalars(
            select(MeetingParticipant)
            .join(Meeting, Meeting.id == MeetingParticipant.meeting_id)
            .where(Meeting.log_id == log.id)
            .order_by(MeetingParticipant.kind, MeetingParticipant.id)
        ):
            participants[row.meeting_id].append(row)

    notes: list[Note] = []
    if policy.may(F.NOTES):
        notes = [
            n
            for n in await _rows(session, Note, log.id, Note.created_at)
            if policy.may_object(F.NOTES, n)
        ]
    sparkles: list[Sparkle] = []
    if policy.may(F.SPARKLES):
        sparkles = await _rows(session, Sparkle, log.id, Sparkle.occurred_on, Sparkle.created_at)

    # Staff named as authors, responsible or present who are not (or no longer) actors.
    wanted = {
        *(e.author_staff_id for evs in evaluations.values() for e in evs),
        *(n.author_staff_id for n in notes),
        *(s.author_staff_id for s in sparkles),
        *(p.staff_id for ps in participants.values() for p in ps),
        *(sid for ids in responsible.values() for sid in ids),
        reader.staff_id,
    }
    missing = {sid for sid in wanted if sid is not None and sid not in staff_names}
    if missing:
        rows = await session.execute(
            select(StaffAccount.id, StaffAccount.name).where(StaffAccount.id.in_(missing))
        )
        staff_names.update({row.id: row.name for row in rows})

    names = _Names(policy, child.name, staff_names, guardian_names)
    point_lines = _points(points_rows, measures, evaluations, responsible, names, today)
    if not show_measures:
        point_lines = [_without_measures(p) for p in point_lines]

    actor_lines = [_actor_line(m, a, policy) for m, a in actors_all]
    holder = next((line for line in actor_lines if line.is_holder), None)
    return LogView(
        log_id=log.id,
        relation=reader.relation,
        level=log.level,
        status=log.status,
        close_reason=log.close_reason,
        paused_reason=log.paused_reason,
        created_at=log.created_at,
        child=child,
        level_history=tuple(
            LevelLine(c.changed_at, c.from_level, c.to_level, c.reason)
            for c in await _rows(session, LevelChange, log.id, LevelChange.changed_at)
        ),
        holder=holder,
        guardians=(
            tuple(_guardian_line(g, policy) for g in guardian_rows)
            if policy.may(F.GUARDIAN_CONTACT)
            else None
        ),
        consents=await _consents(session, log.id, policy, names),
        actors=tuple(actor_lines) if policy.may(F.ACTOR_CONTACT) else None,
        points=tuple(point_lines) if policy.may(F.POINTS) else None,
        meetings=(
            tuple(_meeting_line(m, org, participants[m.id], names) for m, org in meetings)
            if policy.may(F.MEETINGS)
            else None
        ),
        notes=(
            tuple(
                _note_line(
                    n,
                    names,
                    {p.id: p.description for p in points_rows},
                    {m.id: m.held_on for m, _ in meetings},
                )
                for n in notes
            )
            if policy.may(F.NOTES)
            else None
        ),
        sparkles=(
            tuple(
                SparkleLine(s.occurred_on, s.text, s.author_kind, names.author(s)) for s in sparkles
            )
            if policy.may(F.SPARKLES)
            else None
        ),
        activity=(
            ActivityLine(
                log.last_activity_at,
                log.activity_plan_reported_on,
                activity_plan_deadline(log.activity_plan_reported_on),
            )
            if policy.may(F.ACTIVITY)
            else None
        ),
        printed_by=await _printed_by(session, log, reader, staff_names, guardian_names, child.name),
        printed_at=printed_at,
        show_child_identity=policy.may(F.CHILD_IDENTITY),
        show_guardian_national_id=policy.may(F.GUARDIAN_NATIONAL_ID),
        show_actor_mobile=policy.may(F.ACTOR_MOBILE),
        show_measures=show_measures,
        fields_read=frozenset(policy.read),
    )


class _Names:
    """Names of the people in a log, each only as far as the reader may read that person."""

    def __init__(
        self,
        policy: _Policy,
        child_name: str,
        staff: dict[uuid.UUID, str],
        guardians: dict[uuid.UUID, str],
    ) -> None:
        self.child = child_name
        self.staff = (
            staff if can_read(policy.reader.relation, policy.level, F.ACTOR_CONTACT) else {}
        )
        self.guardians = (
            guardians if can_read(policy.reader.relation, policy.level, F.GUARDIAN_CONTACT) else {}
        )

    def author(self, row: Any) -> str | None:
        kind: AuthorKind = row.author_kind
        if kind is AuthorKind.STAFF:
            return self.staff.get(row.author_staff_id)
        if kind is AuthorKind.GUARDIAN:
            return self.guardians.get(row.author_guardian_id)
        return self.child

    def staff_name(self, staff_id: uuid.UUID | None) -> str | None:
        return self.staff.get(staff_id) if staff_id is not None else None

    def guardian_name(self, guardian_id: uuid.UUID | None) -> str | None:
        return self.guardians.get(guardian_id) if guardian_id is not None else None


async def _rows(session: AsyncSession, model: Any, log_id: uuid.UUID, *order: Any) -> list[Any]:
    return list(await session.scalars(select(model).where(model.log_id == log_id).order_by(*order)))


async def _child(session: AsyncSession, log: RelayLog, policy: _Policy) -> ChildLine:
    if policy.may(F.CHILD_IDENTITY):
        child = await session.get_one(Child, log.child_id)
        return ChildLine(child.name, child.birth_date, child.national_id, child.address)
    row = (
        await session.execute(select(Child.name, Child.birth_date).where(Child.id == log.child_id))
    ).one()
    return ChildLine(row.name, row.birth_date, None, None)


async def _guardians(session: AsyncSession, log: RelayLog, policy: _Policy) -> list[Any]:
    """The log's guardians — those with parental responsibility — (name, phone, e-mail; the
    national id only where some may be read). Also the source of guardians' names for
    authors and meeting participants."""
    if not can_read(policy.reader.relation, policy.level, F.GUARDIAN_CONTACT):
        return []
    columns: list[Any] = [Guardian.id, Guardian.name, Guardian.phone, Guardian.email]
    if can_read(policy.reader.relation, policy.level, F.GUARDIAN_NATIONAL_ID):
        columns.append(Guardian.national_id)
    rows = await session.execute(
        select(*columns)
        .join(ChildGuardian, ChildGuardian.guardian_id == Guardian.id)
        .where(ChildGuardian.child_id == log.child_id, ChildGuardian.parental_responsibility)
        .order_by(Guardian.name, Guardian.id)
    )
    return list(rows)


def _guardian_line(row: Any, policy: _Policy) -> GuardianLine:
    national_id = None
    # facts_for decides "own only" from the guardian's id.
    if "national_id" in row._fields and policy.may_object(
        F.GUARDIAN_NATIONAL_ID, Guardian(id=row.id)
    ):
        national_id = row.national_id
    return GuardianLine(row.name, row.phone, row.email, national_id)


async def _actors(
    session: AsyncSession, log_id: uuid.UUID
) -> list[tuple[ActorMembership, _ActorRow]]:
    rows = await session.execute(
        select(
            ActorMembership,
            StaffAccount.id,
            StaffAccount.name,
            StaffAccount.position,
            StaffAccount.office_phone,
            StaffAccount.mobile,
            StaffAccount.email,
            Organisation.name.label("organisation"),
        )
        .join(StaffAccount, StaffAccount.id == ActorMembership.staff_id)
        .join(Organisation, Organisation.id == ActorMembership.organisation_id)
        .where(ActorMembership.log_id == log_id)
        .order_by(
            ActorMembership.is_holder.desc(),
            ActorMembership.status,
            ActorMembership.created_at,
        )
    )
    return [
        (row[0], _ActorRow(row[1], row[2], row[3], row[4], row[5], row[6], row[7])) for row in rows
    ]


@dataclass(frozen=True, slots=True)
class _ActorRow:
    staff_id: uuid.UUID
    name: str
    position: str
    office_phone: str | None
    mobile: str | None
    email: str | None
    organisation: str


def _actor_line(membership: ActorMembership, row: _ActorRow, policy: _Policy) -> ActorLine:
    mobile = row.mobile if policy.may_object(F.ACTOR_MOBILE, membership) else None
    return ActorLine(
        name=row.name,
        position=row.position,
        organisation=row.organisation,
        office_phone=row.office_phone,
        email=row.email,
        mobile=mobile,
        is_holder=membership.is_holder,
        status=membership.status,
    )


async def _consents(
    session: AsyncSession, log_id: uuid.UUID, policy: _Policy, names: _Names
) -> tuple[ConsentLine, ...] | None:
    if not policy.may(F.CONSENT_STATUS):
        return None
    consents = await _rows(session, Consent, log_id, Consent.given_on, Consent.id)
    documents: dict[uuid.UUID, Any] = {}
    may_see_forms = policy.may(F.CONSENT_DOCUMENT)
    if may_see_forms and any(c.document_id for c in consents):
        rows = await session.execute(
            select(
                ConsentDocument.id, ConsentDocument.content_type, ConsentDocument.size_bytes
            ).where(ConsentDocument.log_id == log_id)
        )
        documents = {row.id: row for row in rows}
    lines = []
    for consent in consents:
        form = None
        document = documents.get(consent.document_id) if consent.document_id else None
        if document is not None and policy.may_object(F.CONSENT_DOCUMENT, consent):
            form = f"{_FORMATS.get(document.content_type, '?')}, {_size(document.size_bytes)}"
        given_by = (
            names.guardian_name(consent.given_by_guardian_id)
            if consent.given_by_kind is AuthorKind.GUARDIAN
            else names.child
        )
        lines.append(
            ConsentLine(
                scope=consent.scope,
                given_by_kind=consent.given_by_kind,
                given_by=given_by,
                evidence=consent.evidence,
                given_on=consent.given_on,
                valid_until=consent.valid_until,
                withdrawn_at=consent.withdrawn_at,
                form=form,
            )
        )
    return tuple(lines)


_FORMATS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def _size(size_bytes: int) -> str:
    if size_bytes < 1024:
        return f"{size_bytes} B"
    if size_bytes < 1024 * 1024:
        return f"{size_bytes / 1024:.0f} kB"
    return f"{size_bytes / (1024 * 1024):.1f} MB"


def _points(
    points: Iterable[PointOfAttention],
    measures: Iterable[Measure],
    evaluations: dict[uuid.UUID, list[Evaluation]],
    responsible: dict[uuid.UUID, list[uuid.UUID]],
    names: _Names,
    today: date,
) -> list[PointBlock]:
    by_point: dict[uuid.UUID, list[MeasureLine]] = defaultdict(list)
    for m in measures:
        by_point[m.point_id].append(
            MeasureLine(
                type=m.type,
                description=m.description,
                responsible=tuple(
                    sorted(
                        name
                        for sid in responsible.get(m.id, ())
                        if (name := names.staff_name(sid)) is not None
                    )
                ),
                responsible_guardians=m.responsible_guardians,
                responsible_child=m.responsible_child,
                initiated_on=m.initiated_on,
                finished_by=m.finished_by,
                status=m.status,
                days_to_deadline=(m.finished_by - today).days,
                evaluations=tuple(
                    EvaluationLine(
                        e.outcome, e.status_after, e.comment, e.evaluated_at, names.author(e)
                    )
                    for e in evaluations.get(m.id, ())
                ),
            )
        )
    return [
        PointBlock(
            category=p.category,
            description=p.description,
            goal=p.goal,
            informed_manager=p.informed_manager,
            informed_guardian=p.informed_guardian,
            informed_child=p.informed_child,
            assessed_level=p.assessed_level,
            status=p.status,
            measures=tuple(by_point.get(p.id, ())),
        )
        for p in points
    ]


def _without_measures(point: PointBlock) -> PointBlock:
    return PointBlock(
        point.category,
        point.description,
        point.goal,
        point.informed_manager,
        point.informed_guardian,
        point.informed_child,
        point.assessed_level,
        point.status,
        None,
    )


async def _meetings(session: AsyncSession, log_id: uuid.UUID) -> list[tuple[Meeting, str | None]]:
    rows = await session.execute(
        select(Meeting, Organisation.name)
        .outerjoin(Organisation, Organisation.id == Meeting.organisation_id)
        .where(Meeting.log_id == log_id)
        .order_by(Meeting.held_on, Meeting.starts_at, Meeting.id)
    )
    return [(row[0], row[1]) for row in rows]


def _meeting_line(
    meeting: Meeting,
    organisation: str | None,
    participants: list[MeetingParticipant],
    names: _Names,
) -> MeetingLine:
    lines = []
    for p in participants:
        if p.kind is ParticipantKind.CHILD:
            name: str | None = names.child
        elif p.kind is ParticipantKind.ACTOR:
            name = names.staff_name(p.staff_id)
        else:
            name = names.guardian_name(p.guardian_id)
        lines.append(ParticipantLine(p.kind, name or "", p.invited, p.present))
    return MeetingLine(
        held_on=meeting.held_on,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        place=meeting.place,
        organisation=organisation,
        status=meeting.status,
        comments=meeting.comments,
        participants=tuple(lines),
    )


def _note_line(
    note: Note,
    names: _Names,
    points: dict[uuid.UUID, str],
    meetings: dict[uuid.UUID, date],
) -> NoteLine:
    """A note; what it is about is named only when the reader may see that point/meeting."""
    point = points.get(note.point_id) if note.point_id else None
    meeting = meetings.get(note.meeting_id) if note.meeting_id else None
    return NoteLine(
        created_at=note.created_at,
        text=note.text,
        adults_only=note.adults_only,
        is_summary=note.is_summary,
        author_kind=note.author_kind,
        author=names.author(note),
        about_point=point,
        about_meeting=meeting,
    )


async def _printed_by(
    session: AsyncSession,
    log: RelayLog,
    reader: Reader,
    staff_names: dict[uuid.UUID, str],
    guardian_names: dict[uuid.UUID, str],
    child_name: str,
) -> str | None:
    """The reader's own name (their own data, whatever the policy says of others)."""
    if reader.staff_id is not None:
        return staff_names.get(reader.staff_id)
    viewer = reader.viewer
    if viewer is None:
        return None
    if viewer.guardian_ids:
        # The reader's own row in this log: each log has its own guardian rows.
        for guardian_id in sorted(viewer.guardian_ids & guardian_names.keys()):
            return guardian_names[guardian_id]
        return await session.scalar(
            select(Guardian.name)
            .join(ChildGuardian, ChildGuardian.guardian_id == Guardian.id)
            .where(
                ChildGuardian.child_id == log.child_id,
                Guardian.id.in_(list(viewer.guardian_ids)),
            )
            .order_by(Guardian.id)
            .limit(1)
        )
    return child_name
