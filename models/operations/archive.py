"""The archive's receipt of a package: once the municipal archive (Public 360, Elements) has
filed a copy, the unit records who saw it received, when, and the archive's own reference.

A package is received once: marking it again is refused (the first receipt stands), so the
record of what the archive holds cannot be rewritten by a second click. Until a package is
received the retention purge keeps its log (``models.retention``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models.errors import InvalidInput
from models.transfer import ArchiveRecord

__all__ = ["ARCHIVE_REFERENCE_MAX", "mark_received"]

ARCHIVE_REFERENCE_MAX = 100


async def mark_received(
    session: AsyncSession,
    record: ArchiveRecord,
    *,
    by_staff_id: uuid.UUID | None,
    archive_reference: str,
    now: datetime,
) -> ArchiveRecord:
    """Record that the archive has received this package, under its reference."""
    reference = archive_reference.strip()
    if not reference:
        raise InvalidInput("archiveReference must not be empty.", field="archiveReference")
    if len(reference) > ARCHIVE_REFERENCE_MAX:
        raise InvalidInput(
            "archiveReference must be at most {archive_reference_max} characters.",
            field="archiveReference",
            archive_reference_max=ARCHIVE_REFERENCE_MAX,
        )
    if record.received_at is not None:
        raise InvalidInput(
            "The archive has already received this package.", field="archiveRecordId"
        )
    record.received_at = now
    record.received_by_id = by_staff_id
    record.archive_reference = reference
    await session.flush()
    return record
