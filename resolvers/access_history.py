"""``RelayLog.accessHistory``: who read or changed a log, as its family (or holder, or the
unit manager) sees it. Staff are named with position and unit; family members only by their
role ("Guardian", "The child"), with ``isYou`` marking the viewer's own entries. Which
entries a viewer sees is the policy's (``auth.access_history``): only those whose subject
the viewer may read, and no other family member's reads. A person with guardian rows in
several logs is "you" in each (``viewer.guardian_ids``)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from strawberry.types import Info

from auth.access_history import history_scope
from auth.policy import Action, PackageAction, PolicyField, Relation
from auth.viewer import Viewer, ViewerKind
from models import RelayLog
from models.access_history import READ_ACTION, Cursor, HistoryEntry
from resolvers.context import Context
from resolvers.errors import ClientError, ErrorCode
from resolvers.history_loader import HistoryKey
from resolvers.pagination import validate_first

__all__ = [
    "AccessEntryEdgeView",
    "AccessEntryView",
    "AccessHistoryView",
    "AccessKind",
    "AccessorKind",
    "AccessorView",
    "access_history",
]

_STAFF_KINDS = frozenset(
    {ViewerKind.STAFF.value, ViewerKind.MUNICIPAL_ADMIN.value, ViewerKind.REPORTER.value}
)
_DATA_KINDS = frozenset(f.value for f in PolicyField)
_RELATIONS = frozenset(r.value for r in Relation)


class AccessKind(StrEnum):
    READ = "READ"
    WRITE = "WRITE"
    EXPORT = "EXPORT"
    ARCHIVE = "ARCHIVE"


class AccessorKind(StrEnum):
    STAFF = "STAFF"
    GUARDIAN = "GUARDIAN"
    CHILD = "CHILD"
    SYSTEM = "SYSTEM"


_FAMILY_LABELS = {
    ViewerKind.GUARDIAN.value: (AccessorKind.GUARDIAN, "Guardian"),
    ViewerKind.SUBJECT.value: (AccessorKind.CHILD, "The child"),
}


@dataclass(frozen=True, slots=True)
class AccessorView:
    kind: AccessorKind
    display_name: str
    name: str | None = None
    position: str | None = None
    organisation: str | None = None
    is_you: bool = False


@dataclass(frozen=True, slots=True)
class AccessEntryView:
    at: datetime
    first_at: datetime
    count: int
    kind: AccessKind
    action: str | None
    object_type: str | None
    data_read: list[PolicyField]
    relation: Relation | None
    who: AccessorView


@dataclass(frozen=True, slots=True)
class AccessEntryEdgeView:
    cursor: str
    node: AccessEntryView


@dataclass(frozen=True, slots=True)
class AccessHistoryView:
    """A forward page of the history as a Relay connection (``edges``, and the four values
    of its page info), with the older flat ``entries``."""

    edges: list[AccessEntryEdgeView]
    has_next_page: bool
    has_previous_page: bool = False

    @property
    def entries(self) -> list[AccessEntryView]:
        return [edge.node for edge in self.edges]

    @property
    def start_cursor(self) -> str | None:
        return self.edges[0].cursor if self.edges else None

    @property
    def end_cursor(self) -> str | None:
        return self.edges[-1].cursor if self.edges else None


def _encode(entry: HistoryEntry) -> str:
    raw = f"history|{entry.at.isoformat()}|{entry.key}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str | None) -> Cursor | None:
    if cursor is None:
        return None
    try:
        prefix, at, key = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        when = datetime.fromisoformat(at)
        if prefix == "history" and key.isdigit() and len(key) < 19 and when.tzinfo is not None:
            return Cursor(when.astimezone(UTC), int(key))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ClientError(ErrorCode.INVALID_INPUT, "invalid cursor", field="after")


def _kind(action: str) -> AccessKind:
    if action == READ_ACTION:
        return AccessKind.READ
    if action in {Action.EXPORT.value, PackageAction.DOWNLOAD_PACKAGE.value}:
        return AccessKind.EXPORT  # a copy of the log left the service
    if action in {Action.ARCHIVE.value, PackageAction.MARK_PACKAGE_RECEIVED.value}:
        return AccessKind.ARCHIVE
    return AccessKind.WRITE


def _is_you(viewer: Viewer | None, entry: HistoryEntry) -> bool:
    if viewer is None or entry.actor_id is None:
        return False
    if entry.actor_kind in _STAFF_KINDS:
        return entry.actor_id == viewer.staff_id
    if entry.actor_kind == ViewerKind.GUARDIAN.value:
        return entry.actor_id in viewer.guardian_ids
    return entry.actor_id in viewer.subject_child_ids


async def access_history(
    root: RelayLog, info: Info, first: int = 20, after: str | None = None
) -> AccessHistoryView:
    ctx: Context = info.context
    first = validate_first(first, ctx.page_size_max)
    before = _decode(after)
    access = await ctx.loaders.log_access.load(root.id)
    if access is None:  # pragma: no cover - the field's permission needed the standing
        return AccessHistoryView([], False)
    scope = history_scope(ctx.viewer, access)
    found = await ctx.loaders.access_history.load(HistoryKey(scope, first + 1, before))
    page = found[:first]
    staff_ids = list(
        {e.actor_id for e in page if e.actor_kind in _STAFF_KINDS and e.actor_id is not None}
    )
    staff = {s.id: s for s in await ctx.loaders.staff.load_many(staff_ids) if s is not None}
    orgs = {
        o.id: o
        for o in await ctx.loaders.organisation.load_many(
            list({s.organisation_id for s in staff.values()})
        )
        if o is not None
    }
    edges = []
    for entry in page:
        is_you = _is_you(ctx.viewer, entry)
        member = staff.get(entry.actor_id) if entry.actor_id is not None else None
        if member is not None:
            org = orgs.get(member.organisation_id)
            who = AccessorView(
                AccessorKind.STAFF,
                member.name,
                member.name,
                member.position,
                org.name if org is not None else None,
                is_you,
            )
        elif entry.actor_kind in _STAFF_KINDS:  # an account no longer on record
            who = AccessorView(AccessorKind.STAFF, "Staff member", is_you=is_you)
        elif entry.actor_kind in _FAMILY_LABELS:
            kind, label = _FAMILY_LABELS[entry.actor_kind]
            who = AccessorView(kind, label, is_you=is_you)
        else:
            who = AccessorView(AccessorKind.SYSTEM, "System")
        view = AccessEntryView(
            at=entry.at,
            first_at=entry.first_at,
            count=entry.events,
            kind=_kind(entry.action),
            action=None if entry.action == READ_ACTION else entry.action,
            object_type=None if entry.action == READ_ACTION else entry.object_type,
            data_read=[PolicyField(f) for f in entry.fields if f in _DATA_KINDS],
            relation=Relation(entry.relation) if entry.relation in _RELATIONS else None,
            who=who,
        )
        edges.append(AccessEntryEdgeView(_encode(entry), view))
    return AccessHistoryView(edges, len(found) > first, after is not None)
