"""Note mutations: the holder, actors, guardians and the youth write notes (minutes when
linked to a meeting); only the author edits one."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.mutations import note as r
from schema.content import Note
from schema.mutation import LOGS, MUTATION_TYPES, MutationError, payload
from schema.mutations.ids import IdError, object_id, optional_id
from schema.permissions import audiences

__all__ = ["NoteMutations"]


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


@strawberry.type
class NoteMutations:
    @audiences(LOGS, description="Write a note (minutes when linked to a meeting).")
    async def write_note(self, info: Info, input: WriteNoteInput) -> NotePayload:
        try:
            log_id = object_id(input.log_id, "RelayLog", "log", "logId")
            point_id = optional_id(
                input.point_id, "PointOfAttention", "point of attention", "pointId"
            )
            meeting_id = optional_id(input.meeting_id, "Meeting", "meeting", "meetingId")
        except IdError as exc:
            return payload(NotePayload, "note", exc.error)
        result = await r.write_note(
            info,
            log_id,
            text=input.text,
            adults_only=input.adults_only,
            point_id=point_id,
            meeting_id=meeting_id,
        )
        return payload(NotePayload, "note", result)

    @audiences(LOGS, description="Edit your own note; a stale version is a CONFLICT.")
    async def edit_note(self, info: Info, input: EditNoteInput) -> NotePayload:
        try:
            note_id = object_id(input.note_id, "Note", "note", "noteId")
        except IdError as exc:
            return payload(NotePayload, "note", exc.error)
        result = await r.edit_note(
            info,
            note_id,
            input.expected_version,
            text=input.text,
            adults_only=input.adults_only,
        )
        return payload(NotePayload, "note", result)


MUTATION_TYPES.append(NoteMutations)
