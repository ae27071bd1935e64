"""Notes: minutes of a meeting (a note linked to it), observations, a word from home.

A note may link to a point of attention or a meeting of the same log, and may be marked
adults-only (hidden from the youth). Only its author edits it, and an edit never rewrites
silently: the text (and mark) it replaces is kept as a ``NoteVersion``. Who may write at
all, and who may write adults-only notes, is the policy's business (``auth.policy``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.authorship import Author
from models.base import utcnow
from models.content import NOTE_MAX, Meeting, Note, NoteVersion, PointOfAttention
from models.errors import NotFound
from models.operations.validation import require_text
from models.operations.versioning import bump, require_version

__all__ = ["edit_note", "write_note"]


async def _in_log(
    session: AsyncSession,
    model: type[PointOfAttention | Meeting],
    object_id: uuid.UUID | None,
    log_id: uuid.UUID,
    field: str,
    label: str,
) -> uuid.UUID | None:
    """The id of an object of this log; one of another log looks exactly like a missing one."""
    if object_id is None:
        return None
    found = await session.scalar(
        select(model.id).where(model.id == object_id, model.log_id == log_id)
    )
    if found is None:
        raise NotFound("No such {label}.", field=field, label=label)
    return found


async def write_note(
    session: AsyncSession,
    log_id: uuid.UUID,
    author: Author,
    *,
    text: str,
    adults_only: bool = False,
    point_id: uuid.UUID | None = None,
    meeting_id: uuid.UUID | None = None,
) -> Note:
    body = require_text(text, "text", max_length=NOTE_MAX)
    point = await _in_log(
        session, PointOfAttention, point_id, log_id, "pointId", "point of attention"
    )
    meeting = await _in_log(session, Meeting, meeting_id, log_id, "meetingId", "meeting")
    note = Note(
        log_id=log_id,
        text=body,
        adults_only=adults_only,
        is_summary=False,
        point_id=point,
        meeting_id=meeting,
        **author.columns(),
    )
    session.add(note)
    await session.flush()
    return note


async def edit_note(
    session: AsyncSession,
    note: Note,
    expected_version: int,
    *,
    text: str | None = None,
    adults_only: bool | None = None,
) -> Note:
    """Change a note's text or adults-only mark, keeping what it said before as a version.

    An edit that changes neither keeps no version (and moves the version on all the same,
    as every accepted edit does)."""
    require_version(note, expected_version)
    body = note.text if text is None else require_text(text, "text", max_length=NOTE_MAX)
    hidden = note.adults_only if adults_only is None else adults_only
    if (body, hidden) != (note.text, note.adults_only):
        now = utcnow()
        await _keep_version(session, note, now)
        note.text = body
        note.adults_only = hidden
        note.edited_at = now
    bump(note)
    await session.flush()
    return note


async def _keep_version(session: AsyncSession, note: Note, now: datetime) -> None:
    """The note as it stands, kept before an edit replaces it (writes to one log take turns,
    ``schema.mutations.base``, so two edits cannot take the same number)."""
    count = await session.scalar(
        select(func.count()).select_from(NoteVersion).where(NoteVersion.note_id == note.id)
    )
    session.add(
        NoteVersion(
            log_id=note.log_id,
            note_id=note.id,
            number=(count or 0) + 1,
            text=note.text,
            adults_only=note.adults_only,
            written_at=note.edited_at or note.created_at,
            replaced_at=now,
            author_kind=note.author_kind,
            author_staff_id=note.author_staff_id,
            author_guardian_id=note.author_guardian_id,
        )
    )
