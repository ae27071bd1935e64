"""Handing the holder role over, and the archive copies taken at every transition.

An archive package belongs to the unit that filed it (``author_organisation_id``): that unit
files it in the municipal archive, also after the log moved to another unit or closed. It
stays on record until the archive has received it (``received_at``, by whom, the archive's
own reference); the retention purge keeps a log while any package of it has not been.
A transfer to a unit the log's consents do not cover waits for the family's approval
(``TransferApproval``, one row per person whose consent counts) or for that consent.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, UUIDPrimaryKey, pg_enum, utcnow
from models.enums import AuthorKind, TransferStatus

__all__ = ["ArchiveRecord", "Transfer", "TransferApproval"]


class Transfer(UUIDPrimaryKey, TimestampMixin, Base):
    __tablename__ = "transfer"
    __table_args__ = (
        CheckConstraint("from_staff_id <> to_staff_id", name="different_holder"),
        Index(
            "uq_transfer_one_pending",
            "log_id",
            unique=True,
            postgresql_where=text("status = 'PENDING'"),
        ),
    )

    log_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("relay_log.id"), index=True)
    from_staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_account.id"))
    to_staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_account.id"))
    from_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    to_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    status: Mapped[TransferStatus] = mapped_column(
        pg_enum(TransferStatus, "transfer_status"), default=TransferStatus.PENDING
    )
    reason: Mapped[str] = mapped_column(String(500), default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    archive_record_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("archive_record.id"))


class ArchiveRecord(UUIDPrimaryKey, TimestampMixin, Base):
    """A PDF snapshot of a log filed (or to be filed) in the municipal archive, Noark 5 style."""

    __tablename__ = "archive_record"
    __table_args__ = (
        CheckConstraint("char_length(sha256) = 64", name="sha256"),
        CheckConstraint(
            "(received_at IS NULL) = (archive_reference IS NULL)", name="received_with_reference"
        ),
    )

    log_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("relay_log.id"), index=True)
    reason: Mapped[str] = mapped_column(String(40))
    case_title: Mapped[str] = mapped_column(String(300))
    document_title: Mapped[str] = mapped_column(String(300))
    author_organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_account.id"))
    # Who held the log when the package was filed: with the unit's manager, who files it.
    holder_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_account.id"))
    document_format: Mapped[str] = mapped_column(String(40), default="PDF/A-2b")
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    package: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_account.id"))
    archive_reference: Mapped[str | None] = mapped_column(String(100))


class TransferApproval(UUIDPrimaryKey, Base):
    """A guardian's (or the youth's) approval, in the parent app, of one transfer."""

    __tablename__ = "transfer_approval"
    __table_args__ = (
        UniqueConstraint("transfer_id", "given_by_kind", "given_by_guardian_id"),
        Index(
            "uq_transfer_approval_youth_once",
            "transfer_id",
            unique=True,
            postgresql_where=text("given_by_guardian_id IS NULL"),
        ),
    )

    transfer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("transfer.id"), index=True)
    log_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("relay_log.id"), index=True)
    given_by_kind: Mapped[AuthorKind] = mapped_column(pg_enum(AuthorKind, "author_kind"))
    given_by_guardian_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("guardian.id"))
    approved_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow
    )
