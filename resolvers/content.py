"""Thin resolvers for what content objects point at (loaded through the request's loaders)."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from auth.ownership import facts_for
from auth.policy import PolicyField, can_read
from models import Consent, Meeting, Note, NoteVersion
from models.enums import AuthorKind

__all__ = [
    "author_name",
    "consent_given_by_name",
    "meeting_minutes",
    "meeting_organisation_name",
    "note_versions",
    "readable_notes",
]


def readable_notes(info: Info, log_id: Any, rows: list[Any]) -> list[Any]:
    """The notes (or versions of a note) of a log that this viewer may read: each by its
    own adults-only mark, under the one ``NOTES`` row of the policy."""
    ctx = info.context
    access = ctx.access.get(log_id)
    if access is None:
        return []
    return [
        row
        for row in rows
        if can_read(
            access.relation,
            access.level,
            PolicyField.NOTES,
            facts_for(ctx.viewer, access.relation, row),
        )
    ]


async def meeting_minutes(root: Meeting, info: Info) -> list[Note]:
    """The notes linked to the meeting (its minutes), as the viewer may read notes."""
    rows = await info.context.loaders.minutes.load(root.id)
    return readable_notes(info, root.log_id, rows)


async def note_versions(root: Note, info: Info) -> list[NoteVersion]:
    """What the note said before each edit, oldest first."""
    rows = await info.context.loaders.note_versions.load(root.id)
    return readable_notes(info, root.log_id, rows)


async def meeting_organisation_name(root: Meeting, info: Info) -> str | None:
    if root.organisation_id is None:
        return None
    organisation = await info.context.loaders.organisation.load(root.organisation_id)
    return None if organisation is None else organisation.name


async def author_name(root: Any, info: Info) -> str | None:
    """The name of whoever wrote an entry (a staff member, a guardian, the child)."""
    return await _person_name(
        info, root.log_id, root.author_kind, root.author_staff_id, root.author_guardian_id
    )


async def consent_given_by_name(root: Consent, info: Info) -> str | None:
    return await _person_name(
        info, root.log_id, root.given_by_kind, None, root.given_by_guardian_id
    )


async def _person_name(
    info: Info, log_id: Any, kind: AuthorKind, staff_id: Any, guardian_id: Any
) -> str | None:
    loaders = info.context.loaders
    if kind is AuthorKind.STAFF:
        staff = await loaders.staff.load(staff_id) if staff_id is not None else None
        return staff.name if staff is not None else None
    if kind is AuthorKind.GUARDIAN:
        guardian = await loaders.guardian.load(guardian_id) if guardian_id is not None else None
        return guardian.name if guardian is not None else None
    log = await loaders.log.load(log_id)
    child = await loaders.child.load(log.child_id) if log is not None else None
    return child.name if child is not None else None
