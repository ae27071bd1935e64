"""Handing the holder role over, and the archive copies taken at every transition."""

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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, UUIDPrimaryKey, pg_enum
from models.enums import TransferStatus

__all__ = ["ArchiveRecord", "Transfer"]


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
    __table_args__ = (CheckConstraint("char_length(sha256) = 64", name="sha256"),)

    log_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("relay_log.id"), index=True)
    reason: Mapped[str] = mapped_column(String(40))
    case_title: Mapped[str] = mapped_column(String(300))
    document_title: Mapped[str] = mapped_column(String(300))
    author_organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisation.id"))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_account.id"))
    document_format: Mapped[str] = mapped_column(String(40), default="PDF/A-2b")
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    package: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
