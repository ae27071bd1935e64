"""Thin resolvers for a log and what hangs under it: each is a DataLoader call."""

from __future__ import annotations

from typing import Any

from strawberry.types import Info

from auth.policy import Relation
from models import (
    ActorMembership,
    Consent,
    ConsentDocument,
    Evaluation,
    LevelChange,
    Measure,
    Meeting,
    Note,
    PointOfAttention,
    RelayLog,
    Sparkle,
)
from models.enums import ParticipantKind
from resolvers.content import readable_notes
from resolvers.context import Context
from resolvers.views import ActivityView, ActorView, InLog, ParticipantView

__all__ = [
    "activity",
    "actors",
    "child",
    "consent_document",
    "consents",
    "days_to_deadline",
    "evaluations",
    "guardians",
    "level_history",
    "measure_responsible_actors",
    "measures",
    "meeting_participants",
    "meetings",
    "notes",
    "points",
    "reader_name",
    "sparkles",
]


def _ctx(info: Info) -> Context:
    return info.context


async def reader_name(root: RelayLog, info: Info) -> str | None:
    """The viewer's own name in this log: a guardian in several logs has a row in each."""
    ctx = _ctx(info)
    viewer = ctx.viewer
    if viewer is None:
        return None
    if viewer.staff_id is not None:
        staff = await ctx.loaders.staff.load(viewer.staff_id)
        return staff.name if staff is not None else None
    access = ctx.access.get(root.id)
    if access is not None and access.relation is Relation.GUARDIAN:
        row = await ctx.loaders.own_guardian_row(root.id)
        guardian = await ctx.loaders.guardian.load(row) if row is not None else None
        return guardian.name if guardian is not None else None
    child_row = await ctx.loaders.child.load(root.child_id)
    return child_row.name if child_row is not None else None


async def child(root: RelayLog, info: Info) -> InLog:
    row = await _ctx(info).loaders.child.load(root.child_id)
    return InLog(row, root.id)


async def guardians(root: RelayLog, info: Info) -> list[InLog]:
    """The child's guardians in this log, each with whether they have parental
    responsibility (one without it is shown, never dropped; it gives no access)."""
    loaders = _ctx(info).loaders
    links = await loaders.child_guardians.load(root.child_id)
    rows = await loaders.guardian.load_many([link.guardian_id for link in links])
    return [
        InLog(row, root.id, link.parental_responsibility)
        for row, link in zip(rows, links, strict=True)
        if row is not None
    ]


async def level_history(root: RelayLog, info: Info) -> list[LevelChange]:
    return await _ctx(info).loaders.level_changes.load(root.id)


async def consents(root: RelayLog, info: Info) -> list[Consent]:
    return await _ctx(info).loaders.consents.load(root.id)


async def _actor_views(info: Info, memberships: list[ActorMembership]) -> list[ActorView]:
    loaders = _ctx(info).loaders
    staff = await loaders.staff.load_many([m.staff_id for m in memberships])
    orgs = await loaders.organisation.load_many([m.organisation_id for m in memberships])
    return [
        ActorView.of(m, s, o)
        for m, s, o in zip(memberships, staff, orgs, strict=True)
        if s is not None and o is not None
    ]


async def actors(root: RelayLog, info: Info) -> list[ActorView]:
    return await _actor_views(info, await _ctx(info).loaders.actors.load(root.id))


async def points(root: RelayLog, info: Info) -> list[PointOfAttention]:
    return await _ctx(info).loaders.points.load(root.id)


async def measures(root: PointOfAttention, info: Info) -> list[Measure]:
    return await _ctx(info).loaders.measures.load(root.id)


async def evaluations(root: Measure, info: Info) -> list[Evaluation]:
    return await _ctx(info).loaders.evaluations.load(root.id)


async def measure_responsible_actors(root: Measure, info: Info) -> list[ActorView]:
    loaders = _ctx(info).loaders
    responsible = {r.staff_id for r in await loaders.measure_responsibles.load(root.id)}
    memberships = [m for m in await loaders.actors.load(root.log_id) if m.staff_id in responsible]
    return await _actor_views(info, memberships)


def days_to_deadline(root: Measure, info: Info) -> int:
    return (root.finished_by - _ctx(info).today).days


async def meetings(root: RelayLog, info: Info) -> list[Meeting]:
    return await _ctx(info).loaders.meetings.load(root.id)


async def meeting_participants(root: Meeting, info: Info) -> list[ParticipantView]:
    loaders = _ctx(info).loaders
    rows = await loaders.participants.load(root.id)
    staff = await loaders.staff.load_many([r.staff_id for r in rows if r.staff_id])
    guardians_ = await loaders.guardian.load_many([r.guardian_id for r in rows if r.guardian_id])
    log = await loaders.log.load(root.log_id)
    child_row = await loaders.child.load(log.child_id) if log is not None else None
    names: dict[Any, str] = {s.id: s.name for s in staff if s is not None}
    names.update({g.id: g.name for g in guardians_ if g is not None})
    views = []
    for row in rows:
        if row.kind is ParticipantKind.CHILD:
            name = child_row.name if child_row is not None else ""
        else:
            name = names.get(row.staff_id or row.guardian_id, "")
        views.append(ParticipantView(row.id, root.log_id, row.kind, name, row.invited, row.present))
    return views


async def notes(root: RelayLog, info: Info) -> list[Note]:
    return readable_notes(info, root.id, await _ctx(info).loaders.notes.load(root.id))


async def sparkles(root: RelayLog, info: Info) -> list[Sparkle]:
    return await _ctx(info).loaders.sparkles.load(root.id)


async def activity(root: RelayLog, info: Info) -> ActivityView:
    return await _ctx(info).loaders.activity.load(root.id)


async def consent_document(root: Consent, info: Info) -> ConsentDocument | None:
    if root.document_id is None:
        return None
    return await _ctx(info).loaders.consent_document.load(root.document_id)
