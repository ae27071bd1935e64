"""Note mutations: the holder, actors, guardians and the youth write notes (minutes when
linked to a meeting); only the author edits one."""

from __future__ import annotations

import strawberry

from auth.gate import OBJECT_KINDS, check_adults_only
from auth.policy import Action, WriteFacts
from models.events import EventKind
from models.operations import note as ops
from schema.content import Note
from schema.mutations.base import LOGS, MutationError, Write, mutation, optional_id, reply

__all__ = ["NotePayload", "edit_note", "write_note"]

NOTE = OBJECT_KINDS["Note"]


@strawberry.type
class NotePayload:
    note: Note | None = None
    error: MutationError | None = None


@strawberry.input
class WriteNoteInput:
    log_id: strawberry.ID
    text: str = strawberry.field(description="1-10000 characters.")
    adults_only: bool = strawberry.field(
        default=False, description="Hidden from the youth; the youth cannot write one."
    )
    point_id: strawberry.ID | None = strawberry.field(
        default=None, description="A point of attention of the same log."
    )
    meeting_id: strawberry.ID | None = strawberry.field(
        default=None, description="A meeting of the same log: the note is its minutes."
    )


@strawberry.input(description="Only the author edits a note. Fields left out keep their value.")
class EditNoteInput:
    note_id: strawberry.ID
    expected_version: int = strawberry.field(description="The version you last saw.")
    text: str | None = None
    adults_only: bool | None = None


@mutation(LOGS, audit="Note", description="Write a note (minutes when linked to a meeting).")
async def write_note(w: Write, input: WriteNoteInput) -> NotePayload:
    access = await w.log(input.log_id, Action.WRITE_NOTE)
    if input.adults_only:
        check_adults_only(access)
    note = await ops.write_note(
        w.session,
        access.log_id,
        w.author,
        text=input.text,
        adults_only=input.adults_only,
        point_id=optional_id(input.point_id, "PointOfAttention", "point of attention", "pointId"),
        meeting_id=optional_id(input.meeting_id, "Meeting", "meeting", "meetingId"),
    )
    # Minutes are told to those present at the meeting (``auth.notifications``), any other
    # note to everyone who may read it.
    w.emit(EventKind.MINUTES_WRITTEN if note.meeting_id else EventKind.NOTE_WRITTEN)
    return reply(NotePayload, note=note)


@mutation(LOGS, audit="Note", description="Edit your own note; a stale version is a CONFLICT.")
async def edit_note(w: Write, input: EditNoteInput) -> NotePayload:
    note = await w.find(input.note_id, NOTE)
    w.allow(Action.EDIT_NOTE, WriteFacts(author=w.author.wrote(note)))
    if input.adults_only:
        assert w.access is not None
        check_adults_only(w.access)
    edited = await ops.edit_note(
        w.session, note, input.expected_version, text=input.text, adults_only=input.adults_only
    )
    return reply(NotePayload, note=edited)
