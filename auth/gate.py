"""The write gate: what a mutation may touch and whether it may write there.

Every mutation asks, in this order, and stops at the first no:

1. **Viewer.** Someone signed in on this endpoint. A mutation that names an object answers a
   caller without a viewer exactly as it answers an id that does not exist.
2. **May the viewer read the object?** It exists and the read policy lets this viewer read
   its kind (``OBJECT_KINDS``: the policy row of each kind, with the object's own facts). If
   not, the answer is *exactly* that of a missing id (``NOT_FOUND``, same message, same
   field): hidden, missing and anonymous cannot be told apart, so no answer reveals that an
   object exists. A transfer is visible to the two staff members it is between, and to
   whoever may read the log's transfers (``may_see_transfer``: the family approves one). An
   archive package is visible to its unit's people in ``PACKAGE_POLICY`` only.
3. **The log's status.** A paused log takes only what resumes, ends or protects it; a closed
   log is read-only (``WRITABLE_WHEN_PAUSED`` / ``WRITABLE_WHEN_CLOSED``).
4. **The write rule.** The ``WRITE_POLICY`` cell for the viewer's relation at the log's level.
   A conditional cell (responsible / author / recipient) is decided from the ``WriteFacts``
   the mutation evaluated. Fail closed, structurally: an action whose row has a conditional
   cell is refused to *everyone* (the holder too) unless the mutation evaluated that
   condition, so a mutation that forgets to look cannot be performed at all, and the write
   matrix finds it at once. Then the sign-in strength the action needs.

``auth/`` knows no GraphQL: the per-request loaders come in as a ``Lookups`` protocol. The
object-by-id lookup reads the same node-type table as ``node()`` (``auth.node_types``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Protocol

from auth.node_types import NODE_POLICY
from auth.notifications import may_choose_notifications
from auth.ownership import facts_for
from auth.policy import (
    NOT_EVALUATED,
    WRITABLE_WHEN_CLOSED,
    WRITABLE_WHEN_PAUSED,
    Action,
    PolicyField,
    Relation,
    WriteFacts,
    can,
    can_read,
    conditions_of,
    may_mark_adults_only,
    may_see_transfer,
    may_start_log,
    signed_in_strongly_enough,
)
from auth.scoping import LogAccess
from auth.viewer import Viewer
from models.enums import RelayLogStatus
from models.errors import LogClosed, NotAllowed, NotFound

__all__ = [
    "CONSENT_FORM",
    "OBJECT_KINDS",
    "Lookups",
    "ObjectKind",
    "check_adults_only",
    "check_own",
    "check_start",
    "check_write",
    "find_log",
    "find_object",
    "missing",
]


@dataclass(frozen=True, slots=True)
class ObjectKind:
    """A kind of object a mutation names by id: how to load it and who may see it."""

    type_name: str  # the global id's type
    loader: str  # the per-request loader that finds it by id
    read_as: PolicyField | None  # its row of READ_POLICY (None: a rule of its own, below)
    label: str  # "No such <label>."
    field: str  # the input field that names it


def _kind(type_name: str, loader: str, label: str, field: str) -> ObjectKind:
    """A kind whose visibility is its node type's row (``auth.node_types``): what
    ``node(id:)`` would show is exactly what a mutation may name."""
    return ObjectKind(type_name, loader, NODE_POLICY.get(type_name), label, field)


OBJECT_KINDS: dict[str, ObjectKind] = {
    kind.type_name: kind
    for kind in (
        _kind("RelayLog", "log", "log", "logId"),
        _kind("PointOfAttention", "point", "point of attention", "pointId"),
        _kind("Measure", "measure", "measure", "measureId"),
        _kind("Meeting", "meeting", "meeting", "meetingId"),
        _kind("Note", "note", "note", "noteId"),
        _kind("AttentionConversation", "concern", "concern", "concernId"),
        _kind("Sparkle", "sparkle", "sparkle", "sparkleId"),
        _kind("Consent", "consent", "consent", "consentId"),
        _kind("Actor", "actor", "actor", "actorId"),
        _kind("Transfer", "transfer", "transfer", "transferId"),  # not a node: the transfer rule
        # Not a node, not read through a log relation: PACKAGE_POLICY (Write.package).
        _kind("ArchiveRecord", "", "archive package", "archiveRecordId"),
    )
}


# The signed form of a consent, named by the consent's id: read under its own row of the
# table (``CONSENT_DOCUMENT``: the holder, the guardians, the youth her own), so whoever may
# not read the file gets exactly the answer for a consent that does not exist.
CONSENT_FORM = ObjectKind(
    "Consent", "consent", PolicyField.CONSENT_DOCUMENT, "consent", "consentId"
)


class _Loader(Protocol):
    def load(self, key: uuid.UUID) -> Awaitable[Any]: ...


class Lookups(Protocol):
    """The per-request loaders the gate reads (``resolvers.loaders.Loaders``)."""

    @property
    def log(self) -> _Loader: ...

    @property
    def log_access(self) -> _Loader: ...


def missing(kind: ObjectKind) -> NotFound:
    """The answer for an id that does not exist, and so for every object the viewer may not see."""
    return NotFound("No such {label}.", field=kind.field, label=kind.label)


async def find_log(viewer: Viewer | None, loaders: Lookups, log_id: uuid.UUID | None) -> LogAccess:
    """The viewer's standing in a log they may see; otherwise "No such log." (``logId``)."""
    kind = OBJECT_KINDS["RelayLog"]
    access = None
    if viewer is not None and log_id is not None:
        access = await loaders.log_access.load(log_id)
    if access is None:
        raise missing(kind)
    assert isinstance(access, LogAccess)
    return access


async def find_object(
    viewer: Viewer | None, loaders: Lookups, kind: ObjectKind, object_id: uuid.UUID | None
) -> tuple[Any, LogAccess]:
    """The object and the viewer's standing in its log, if the viewer may read it; otherwise
    exactly the answer for a missing id."""
    if viewer is None or object_id is None:
        raise missing(kind)
    obj = await getattr(loaders, kind.loader).load(object_id)
    if obj is None:
        raise missing(kind)
    access: LogAccess | None = await loaders.log_access.load(obj.log_id)
    if kind.read_as is None:
        between = viewer.staff_id is not None and viewer.staff_id in {
            obj.from_staff_id,
            obj.to_staff_id,
        }
        readable = access is not None and may_see_transfer(
            access.relation, access.level, between=False
        )
        if not between and not readable:
            raise missing(kind)
        if access is None:
            # The recipient of a transfer usually has no relation to the log yet.
            log = await loaders.log.load(obj.log_id)
            access = LogAccess(log.id, Relation.NONE, log.level, log.status)
    elif access is None or not can_read(
        access.relation, access.level, kind.read_as, facts_for(viewer, access.relation, obj)
    ):
        raise missing(kind)
    return obj, access


def check_write(
    viewer: Viewer, access: LogAccess, action: Action, facts: WriteFacts = NOT_EVALUATED
) -> None:
    """Steps 3 and 4: may this viewer perform this action in this log, now?"""
    if access.status in {RelayLogStatus.CLOSED, RelayLogStatus.ARCHIVED} and (
        action not in WRITABLE_WHEN_CLOSED
    ):
        raise LogClosed("The log is closed and can no longer be changed.")
    if access.status is RelayLogStatus.PAUSED and action not in WRITABLE_WHEN_PAUSED:
        raise LogClosed("The log is paused; resume it first.")
    if not conditions_of(action) <= facts.evaluated():
        raise NotAllowed("You may not do this in this log.")
    if not can(access.relation, access.level, action, facts):
        raise NotAllowed("You may not do this in this log.")
    if not signed_in_strongly_enough(action, viewer.acr):
        raise NotAllowed("Sign in with BankID (ID-porten, high level) to do this.")


def check_own(viewer: Viewer | None) -> Viewer:
    """May this viewer change their own notification settings?"""
    if viewer is None:
        raise NotAllowed("Sign in first.")
    if not may_choose_notifications(viewer.kind.value):
        raise NotAllowed("Only staff and guardians get e-mail from Relay Log.")
    return viewer


def check_start(viewer: Viewer | None) -> Viewer:
    """May this viewer start a new log (register a concern, create a log directly)?"""
    if viewer is None:
        raise NotAllowed("Sign in first.")
    if not may_start_log(viewer.kind):
        raise NotAllowed("Only staff may start a log.")
    return viewer


def check_adults_only(access: LogAccess) -> None:
    """Nobody marks a note adults-only who could not read it themself (the youth)."""
    if not may_mark_adults_only(access.relation, access.level):
        raise NotAllowed("You may not write adults-only notes.", field="adultsOnly")
