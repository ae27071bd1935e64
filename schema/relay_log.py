"""The relay log as a whole: what a front end opens."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from auth.policy import PolicyField
from models import Consent as ConsentRow
from models import RelayLog as RelayLogRow
from resolvers import relay_log as r
from resolvers.access_history import access_history
from resolvers.concern import attention_conversations
from resolvers.content import consent_given_by_name
from resolvers.transfer import log_transfers
from resolvers.views import ActivityView
from schema.access_history import AccessHistory
from schema.actor import Actor
from schema.concern import AttentionConversation
from schema.content import Meeting, Note, PointOfAttention, Sparkle
from schema.enums import AuthorKind, CloseReason, ConsentEvidence, ConsentScope, RelayLogStatus
from schema.node import Node, entity_id_field, node_id_field
from schema.permissions import covered, gated
from schema.person import Child, Guardian
from schema.transfer import Transfer

__all__ = ["Activity", "Consent", "LevelChange", "RelayLog"]

P = PolicyField


@strawberry.type(description="A change of level, with its reason.")
class LevelChange:
    id: strawberry.ID = entity_id_field("LevelChange", P.LOG_SUMMARY)
    from_level: int | None = covered(P.LOG_SUMMARY)
    to_level: int = covered(P.LOG_SUMMARY)
    reason: str | None = gated(P.LOG_REASONS)
    changed_at: datetime.datetime = covered(P.LOG_SUMMARY)


@strawberry.type(description="The signed consent form; the file itself is downloaded apart.")
class ConsentDocument:
    id: strawberry.ID = entity_id_field("ConsentDocument", P.CONSENT_DOCUMENT)
    content_type: str = covered(P.CONSENT_DOCUMENT)
    size_bytes: int = covered(P.CONSENT_DOCUMENT)
    sha256: str = covered(P.CONSENT_DOCUMENT)


@strawberry.type(description="A consent: who gave it, for what scope, until when.")
class Consent(Node):
    id: strawberry.ID = node_id_field("Consent", P.CONSENT_STATUS)
    scope: ConsentScope = covered(P.CONSENT_STATUS)
    given_by_kind: AuthorKind = covered(P.CONSENT_STATUS)
    given_by_name: str | None = gated(P.AUTHORS, resolver=consent_given_by_name)
    evidence: ConsentEvidence = covered(P.CONSENT_STATUS)
    given_on: datetime.date = covered(P.CONSENT_STATUS)
    valid_until: datetime.date | None = covered(P.CONSENT_STATUS)
    withdrawn_at: datetime.datetime | None = covered(P.CONSENT_STATUS)
    document: ConsentDocument | None = gated(P.CONSENT_DOCUMENT, resolver=r.consent_document)

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, ConsentRow)


@strawberry.type(description="Activity counters and deadlines, for follow-up and control.")
class Activity:
    id: strawberry.ID = entity_id_field("Activity", P.ACTIVITY, "log_id")
    last_activity_at: datetime.datetime = covered(P.ACTIVITY)
    open_measures: int = covered(P.ACTIVITY)
    overdue_measures: int = covered(P.ACTIVITY)
    unrecorded_meetings: int = covered(P.ACTIVITY)
    next_meeting_on: datetime.date | None = covered(P.ACTIVITY)
    activity_plan_reported_on: datetime.date | None = covered(P.ACTIVITY)
    activity_plan_deadline: datetime.date | None = covered(P.ACTIVITY)
    activity_plan_met: bool | None = covered(P.ACTIVITY)

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, ActivityView)


@strawberry.type(description="A relay log (stafettlogg).")
class RelayLog(Node):
    id: strawberry.ID = node_id_field("RelayLog", P.LOG_SUMMARY)
    status: RelayLogStatus = covered(P.LOG_SUMMARY)
    level: int = covered(P.LOG_SUMMARY)
    close_reason: CloseReason | None = covered(P.LOG_SUMMARY)
    paused_reason: str | None = gated(P.LOG_REASONS)
    created_at: datetime.datetime = covered(P.LOG_SUMMARY)
    version: int = covered(P.LOG_SUMMARY)
    reader_name: str | None = covered(
        P.LOG_SUMMARY,
        resolver=r.reader_name,
        description="Your own name as this log knows you (what a printout names you by).",
    )
    child: Child | None = covered(P.LOG_SUMMARY, resolver=r.child)
    level_history: list[LevelChange] | None = covered(P.LOG_SUMMARY, resolver=r.level_history)
    guardians: list[Guardian] | None = gated(P.GUARDIAN_CONTACT, resolver=r.guardians)
    consents: list[Consent] | None = gated(P.CONSENT_STATUS, resolver=r.consents)
    actors: list[Actor] | None = gated(P.ACTOR_CONTACT, resolver=r.actors)
    points_of_attention: list[PointOfAttention] | None = gated(P.POINTS, resolver=r.points)
    meetings: list[Meeting] | None = gated(P.MEETINGS, resolver=r.meetings)
    notes: list[Note] | None = gated(P.NOTES, resolver=r.notes)
    sparkles: list[Sparkle] | None = gated(P.SPARKLES, resolver=r.sparkles)
    attention_conversations: list[AttentionConversation] | None = gated(
        P.NOTES, resolver=attention_conversations
    )
    activity: Activity | None = gated(P.ACTIVITY, resolver=r.activity)
    transfers: list[Transfer] | None = gated(
        P.TRANSFERS,
        resolver=log_transfers,
        description="Handovers of the holder role, oldest first: pending, accepted, cancelled.",
    )
    access_history: AccessHistory | None = gated(
        P.ACCESS_HISTORY,
        resolver=access_history,
        description="Who read or changed this log, newest first (reads: one entry per hour).",
    )

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, RelayLogRow)
