"""The relay log itself, its level history, actor memberships and consents."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, UUIDPrimaryKey, VersionedMixin, pg_enum, utcnow
from models.enums import (
    ActorStatus,
    AuthorKind,
    CloseReason,
    ConsentEvidence,
    ConsentScope,
    RelayLogStatus,
)

__all__ = [
    "ActorMembership",
    "Consent",
    "ConsentDocument",
    "LevelChange",
    "RelayLog",
]

ACTIVITY_PLAN_DAYS = 7
OSLO = ZoneInfo("Europe/Oslo")


def activity_plan_deadline(reported_on: date | None) -> date | None:
    """The plan must exist within one week of the reported concern (Opplæringslova §12-4)."""
    return reported_on + timedelta(days=ACTIVITY_PLAN_DAYS) if reported_on else None


def activity_plan_met(reported_on: date | None, first_measure_at: datetime | None) -> bool | None:
    """Met when a measure was made by the deadline, counted in Oslo calendar days."""
    deadline = activity_plan_deadline(reported_on)
    if deadline is None:
        return None
    return first_measure_at is not None and first_measure_at.astimezone(OSLO).date() <= deadline


class RelayLog(UUIDPrimaryKey, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "relay_log"
    __table_args__ = (
        CheckConstraint("level BETWEEN 0 AND 3", name="level_range"),
        CheckConstraint(
            "(status IN ('CLOSED', 'ARCHIVED')) = (close_reason IS NOT NULL)", name="closed_reason"
        ),
        CheckConstraint("(status = 'PAUSED') = (paused_reason IS NOT NULL)", name="paused_reason"),
        Index("ix_relay_log_last_activity", "last_activity_at", "id"),
    )

    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipality.id"), index=True)
    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("child.id"), index=True)
    status: Mapped[RelayLogStatus] = mapped_column(
        pg_enum(RelayLogStatus, "relay_log_status"), default=RelayLogStatus.DRAFT
    )
    level: Mapped[int] = mapped_column(Integer, default=0)
    activity_plan_reported_on: Mapped[date | None] = mapped_column(Date)
    paused_reason: Mapped[str | None] = mapped_column(String(500))
    close_reason: Mapped[CloseReason | None] = mapped_column(pg_enum(CloseReason, "close_reason"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_activity_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow
    )

    @property
    def log_id(self) -> uuid.UUID:
        """Every object in a log answers ``log_id``; the log answers with its own id."""
        return self.id


class LevelChange(UUIDPrimaryKey, Base):
    __tablename__ = "level_change"
    __table_args__ = (
        CheckConstraint("to_level BETWEEN 0 AND 3", name="to_level_range"),
        CheckConstraint(
            "from_level IS NULL OR from_level BETWEEN 0 AND 3", name="from_level_range"
        ),
    )

    log_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("relay_log.id"), index=True)
    from_level: Mapped[int | None] = mapped_column(Integer)
    to_level: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(500))
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_account.id"))
    changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow
    )


class ActorMembership(UUIDPrimaryKey, TimestampMixin, Base):
    """A staff member's place in a log; the holder is the one membership marked ``is_holder``."""

    __tablename__ = "actor_membership"
    __table_args__ = (
        CheckConstraint(
            "(status = 'DEACTIVATED') = (deactivated_at IS NOT NULL)", name="deactivated_at"
        ),
        CheckConstraint("NOT (is_holder AND status = 'DEACTIVATED')", name="holder_is_active"),
        Index(
            "uq_actor_membership_one_holder",
            "log_id",
            unique=True,
            postgresql_where=text("is_holder"),
        ),
        Index(
            "uq_actor_membership_active_staff",
            "log_id",
            "staff_id",
            unique=True,
            postgresql_where=text("status = 'ACTIVE'"),
        ),
        Index(
            "ix_actor_membership_staff_active",
            "staff_id",
            postgresql_where=text("status = 'ACTIVE'"),
        ),
        Index(
            "ix_actor_membership_holder_org",
            "organisation_id",
            postgresql_where=text("is_holder"),
        ),
    )

    log_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("relay_log.id"), index=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_account.id"))
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    is_holder: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[ActorStatus] = mapped_column(
        pg_enum(ActorStatus, "actor_status"), default=ActorStatus.ACTIVE
    )
    shares_mobile: Mapped[bool] = mapped_column(Boolean, default=False)
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deactivated_reason: Mapped[str | None] = mapped_column(String(500))


class ConsentDocument(UUIDPrimaryKey, TimestampMixin, Base):
    """The scanned, signed consent form (PDF/JPEG/PNG)."""

    __tablename__ = "consent_document"
    __table_args__ = (
        CheckConstraint("size_bytes > 0 AND size_bytes <= 10485760", name="size_limit"),
        CheckConstraint(
            "content_type IN ('application/pdf', 'image/jpeg', 'image/png')", name="content_type"
        ),
    )

    log_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("relay_log.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class Consent(UUIDPrimaryKey, TimestampMixin, Base):
    """Who consented to what, when, on what evidence, until when — and whether it was withdrawn."""

    __tablename__ = "consent"
    __table_args__ = (
        CheckConstraint(
            "(given_by_kind = 'GUARDIAN') = (given_by_guardian_id IS NOT NULL)",
            name="given_by_guardian",
        ),
        CheckConstraint("given_by_kind <> 'STAFF'", name="given_by_family"),
        CheckConstraint(
            "(evidence = 'UPLOADED_FORM') = (document_id IS NOT NULL)", name="evidence_document"
        ),
        CheckConstraint(
            "valid_until IS NULL OR valid_until >= given_on", name="valid_until_after_given"
        ),
    )

    log_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("relay_log.id"), index=True)
    scope: Mapped[ConsentScope] = mapped_column(pg_enum(ConsentScope, "consent_scope"))
    given_by_kind: Mapped[AuthorKind] = mapped_column(pg_enum(AuthorKind, "author_kind"))
    given_by_guardian_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("guardian.id"))
    evidence: Mapped[ConsentEvidence] = mapped_column(pg_enum(ConsentEvidence, "consent_evidence"))
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("consent_document.id"))
    given_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
