"""What changed about the people of a log after it was created: guardians added and removed.

A removed guardian's row stays (their consents, notes and meeting attendance name it) but
their link to the child goes, so they no longer stand in any relation to the log and their
consents stop counting; this table keeps who was added or removed, when, by whom and why.
The retention purge removes these rows with the log and the guardian rows only they needed.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UUIDPrimaryKey, utcnow

__all__ = ["GUARDIAN_ADDED", "GUARDIAN_REMOVED", "GuardianChange"]

GUARDIAN_ADDED = "ADDED"
GUARDIAN_REMOVED = "REMOVED"


class GuardianChange(UUIDPrimaryKey, Base):
    __tablename__ = "guardian_change"
    __table_args__ = (CheckConstraint("change IN ('ADDED', 'REMOVED')", name="change_kind"),)

    log_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("relay_log.id"), index=True)
    guardian_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("guardian.id"), index=True)
    change: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(500))
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_account.id"))
    changed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow
    )
