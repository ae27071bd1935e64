"""What the parties write in a log: concerns, points of attention, measures and their
evaluations, meetings, notes and sparkles.

Every row carries ``log_id`` (also where a parent would imply it) so that the policy and the
per-request loaders can reach the log of any object in one step.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.authorship import AuthoredMixin, author_check
from models.base import Base, TimestampMixin, UUIDPrimaryKey, VersionedMixin, pg_enum, utcnow
from models.enums import (
    ConcernOutcome,
    EvaluationOutcome,
    MeasureStatus,
    MeasureType,
    MeetingStatus,
    ParticipantKind,
    PointCategory,
    PointStatus,
    StatusAfterEvaluation,
)

__all__ = [
    "POINT_DESCRIPTION_MAX",
    "AttentionConversation",
    "Evaluation",
    "Measure",
    "MeasureResponsible",
    "Meeting",
    "MeetingParticipant",
    "Note",
    "NoteVersion",
    "PointOfAttention",
    "Sparkle",
]

POINT_DESCRIPTION_MAX = 100
GOAL_MAX = 500
MEASURE_DESCRIPTION_MAX = 1000
EVALUATION_COMMENT_MAX = 500
NOTE_MAX = 10000
SPARKLE_MAX = 280
MEETING_COMMENT_MAX = 2000
MEETING_AGENDA_MAX = 2000
CONCERN_MAX = 2000


class AttentionConversation(UUIDPrimaryKey, TimestampMixin, VersionedMixin, Base):
    """The level-0 concern ("oppmerksomhetssamtale"), held in a draft log until it ends."""

    __tablename__ = "attention_conversation"
    __table_args__ = (CheckConstraint(f"char_length(observation) <= {CONCERN_MAX}", name="len"),)

    log_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("relay_log.id"), index=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_account.id"))
    observation: Mapped[str] = mapped_column(Text)
    held_on: Mapped[date] = mapped_column(Date)
    shared_with_contact_on: Mapped[date | None] = mapped_column(Date)
    shared_with_guardians_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[ConcernOutcome] = mapped_column(
        pg_enum(ConcernOutcome, "concern_outcome"), default=ConcernOutcome.OPEN
    )


class PointOfAttention(UUIDPrimaryKey, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "point_of_attention"
    __table_args__ = (
        CheckConstraint(
            f"char_length(description) BETWEEN 1 AND {POINT_DESCRIPTION_MAX}", name="description"
        ),
        CheckConstraint(f"char_length(goal) BETWEEN 1 AND {GOAL_MAX}", name="goal"),
        CheckConstraint("assessed_level BETWEEN 0 AND 3", name="assessed_level"),
    )

    log_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("relay_log.id"), index=True)
    category: Mapped[PointCategory] = mapped_column(pg_enum(PointCategory, "point_category"))
    description: Mapped[str] = mapped_column(String(POINT_DESCRIPTION_MAX))
    goal: Mapped[str] = mapped_column(Text)
    informed_manager: Mapped[bool] = mapped_column(Boolean, default=False)
    informed_guardian: Mapped[bool] = mapped_column(Boolean, default=False)
    informed_child: Mapped[bool] = mapped_column(Boolean, default=False)
    assessed_level: Mapped[int] = mapped_column(Integer)
    status: Mapped[PointStatus] = mapped_column(
        pg_enum(PointStatus, "point_status"), default=PointStatus.ONGOING
    )


class Measure(UUIDPrimaryKey, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "measure"
    __table_args__ = (
        CheckConstraint("finished_by >= initiated_on", name="finished_after_initiated"),
        CheckConstraint(
            f"char_length(description) BETWEEN 1 AND {MEASURE_DESCRIPTION_MAX}", name="description"
        ),
        Index("ix_measure_open_deadline", "log_id", "finished_by"),
    )

    log_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("relay_log.id"), index=True)
    point_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("point_of_attention.id"), index=True)
    type: Mapped[MeasureType] = mapped_column(pg_enum(MeasureType, "measure_type"))
    description: Mapped[str] = mapped_column(Text)
    responsible_guardians: Mapped[bool] = mapped_column(Boolean, default=False)
    responsible_child: Mapped[bool] = mapped_column(Boolean, default=False)
    initiated_on: Mapped[date] = mapped_column(Date)
    finished_by: Mapped[date] = mapped_column(Date)
    status: Mapped[MeasureStatus] = mapped_column(
        pg_enum(MeasureStatus, "measure_status"), default=MeasureStatus.OPEN
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_account.id"))


class MeasureResponsible(Base):
    """Staff members (actors or the holder) responsible for a measure."""

    __tablename__ = "measure_responsible"

    measure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("measure.id"), primary_key=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_account.id"), primary_key=True)


class Evaluation(UUIDPrimaryKey, AuthoredMixin, Base):
    __tablename__ = "evaluation"
    __table_args__ = (
        author_check(),
        CheckConstraint(f"char_length(comment) <= {EVALUATION_COMMENT_MAX}", name="comment"),
    )

    log_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("relay_log.id"), index=True)
    measure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("measure.id"), index=True)
    outcome: Mapped[EvaluationOutcome] = mapped_column(
        pg_enum(EvaluationOutcome, "evaluation_outcome")
    )
    status_after: Mapped[StatusAfterEvaluation] = mapped_column(
        pg_enum(StatusAfterEvaluation, "status_after_evaluation")
    )
    comment: Mapped[str] = mapped_column(Text, default="")
    evaluated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow
    )


class Meeting(UUIDPrimaryKey, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "meeting"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(f"char_length(comments) <= {MEETING_COMMENT_MAX}", name="comments"),
        CheckConstraint(f"char_length(agenda) <= {MEETING_AGENDA_MAX}", name="agenda"),
    )

    log_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("relay_log.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    place: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id"))
    status: Mapped[MeetingStatus] = mapped_column(
        pg_enum(MeetingStatus, "meeting_status"), default=MeetingStatus.PLANNED
    )
    comments: Mapped[str] = mapped_column(Text, default="")
    agenda: Mapped[str] = mapped_column(Text, default="", server_default="")


class MeetingParticipant(UUIDPrimaryKey, Base):
    __tablename__ = "meeting_participant"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'ACTOR') = (staff_id IS NOT NULL)"
            " AND (kind = 'GUARDIAN') = (guardian_id IS NOT NULL)",
            name="who",
        ),
    )

    meeting_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meeting.id"), index=True)
    kind: Mapped[ParticipantKind] = mapped_column(pg_enum(ParticipantKind, "participant_kind"))
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_account.id"))
    guardian_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("guardian.id"))
    invited: Mapped[bool] = mapped_column(Boolean, default=True)
    present: Mapped[bool | None] = mapped_column(Boolean)


class Note(UUIDPrimaryKey, TimestampMixin, VersionedMixin, AuthoredMixin, Base):
    """Minutes and other notes; a closing summary is a note with ``is_summary``."""

    __tablename__ = "note"
    __table_args__ = (
        author_check(),
        CheckConstraint(f"char_length(text) BETWEEN 1 AND {NOTE_MAX}", name="text"),
    )

    log_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("relay_log.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    adults_only: Mapped[bool] = mapped_column(Boolean, default=False)
    is_summary: Mapped[bool] = mapped_column(Boolean, default=False)
    point_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("point_of_attention.id"))
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("meeting.id"))
    # When the text (or the adults-only mark) last changed; null: never edited.
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NoteVersion(UUIDPrimaryKey, AuthoredMixin, Base):
    """What a note said before an edit: kept, never changed, so that no entry in a log is
    silently rewritten. ``number`` counts a note's versions from 1 (its first text);
    ``written_at`` is when that text was written, ``replaced_at`` when an edit replaced it.
    The author columns say who wrote that text (only a note's author edits it). The version
    keeps its own adults-only mark: text that was hidden from the youth stays hidden."""

    __tablename__ = "note_version"
    __table_args__ = (
        author_check(),
        CheckConstraint(f"char_length(text) BETWEEN 1 AND {NOTE_MAX}", name="text"),
        UniqueConstraint("note_id", "number", name="uq_note_version_note_number"),
    )

    log_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("relay_log.id"), index=True)
    note_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("note.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    adults_only: Mapped[bool] = mapped_column(Boolean)
    written_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    replaced_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow
    )


class Sparkle(UUIDPrimaryKey, TimestampMixin, AuthoredMixin, Base):
    __tablename__ = "sparkle"
    __table_args__ = (
        author_check(),
        CheckConstraint(f"char_length(text) BETWEEN 1 AND {SPARKLE_MAX}", name="text"),
    )

    log_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("relay_log.id"), index=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
