"""Write notes (everyone in the log, by the policy) and edit them (only the author).

The policy decides who may mark a note adults-only: nobody writes a note they could not
read themself (the youth cannot read adults-only notes, so cannot write one).
"""

from __future__ import annotations

import uuid

from strawberry.types import Info

from auth.policy import Action, Facts, PolicyField, can_read
from models import Note
from models.errors import NotAllowed
from models.operations import note as ops
from resolvers.mutation import MutationError, WriteScope, write
from resolvers.mutations.hidden import LOG_NOT_FOUND, as_missing, missing, write_on

__all__ = ["edit_note", "write_note"]

NOT_FOUND = missing("note", "noteId")


def _may_mark_adults_only(scope: WriteScope) -> None:
    access = scope.access
    if access is None or not can_read(
        access.relation, access.level, PolicyField.NOTES, Facts(adults_only=True)
    ):
        raise NotAllowed("You may not write adults-only notes.", field="adultsOnly")


async def write_note(
    info: Info,
    log_id: uuid.UUID,
    *,
    text: str,
    adults_only: bool,
    point_id: uuid.UUID | None,
    meeting_id: uuid.UUID | None,
) -> Note | MutationError:
    async def run(scope: WriteScope) -> Note:
        if adults_only:
            _may_mark_adults_only(scope)
        return await ops.write_note(
            scope.session,
            log_id,
            scope.author,
            text=text,
            adults_only=adults_only,
            point_id=point_id,
            meeting_id=meeting_id,
        )

    result = await write(info, log_id, Action.WRITE_NOTE, run, object_type="Note")
    return as_missing(result, LOG_NOT_FOUND)


async def edit_note(
    info: Info,
    note_id: uuid.UUID,
    expected_version: int,
    *,
    text: str | None,
    adults_only: bool | None,
) -> Note | MutationError:
    note = await info.context.loaders.note.load(note_id)

    async def run(scope: WriteScope, note: Note) -> Note:
        scope.ensure(author=scope.author.wrote(note))
        if adults_only:
            _may_mark_adults_only(scope)
        return await ops.edit_note(
            scope.session, note, expected_version, text=text, adults_only=adults_only
        )

    return await write_on(
        info, note, NOT_FOUND, Action.EDIT_NOTE, run, object_type="Note", read_as=PolicyField.NOTES
    )
