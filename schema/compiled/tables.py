"""Where each GraphQL type's fields live in PostgreSQL: the compiler's map of the schema.

Each object type names the table its rows come from and, per GraphQL field, the SQL that
yields the value the executor's resolver would (same order of lists, same formats). Which
fields a viewer may read is *not* here: that comes from the policy table through the
fields' ``gated``/``covered`` metadata (``schema.compiled.compiler``). ``{t}`` stands for the
row's alias, ``{p}`` for the parent row's, ``a`` is the viewer's access row of the log.

A test walks the staff and family schemas and fails for a field of a mapped type that has
no entry here, so a new field is either compiled or knowingly left to the executor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from auth.policy import PolicyField, Relation
from models import ActorMembership, Consent, Guardian, Note, NoteVersion
from models.enums import (
    AuthorKind,
    ConsentScope,
    MeasureStatus,
    MeetingStatus,
    OrganisationKind,
    ParticipantKind,
)
from models.relay_log import ACTIVITY_PLAN_DAYS
from schema.compiled.sql import datetime_sql, global_id_sql, time_sql

__all__ = [
    "TABLES",
    "Many",
    "One",
    "Same",
    "Table",
    "Value",
]


@dataclass(frozen=True, slots=True)
class Value:
    """A scalar: SQL over the row; ``encrypted`` values (national ids, addresses) are
    decrypted after the query."""

    sql: str
    encrypted: bool = False


@dataclass(frozen=True, slots=True)
class One:
    """An object found by ``source`` (``FROM``…``WHERE`` over ``{t}`` and ``{p}``)."""

    type_name: str
    source: str


@dataclass(frozen=True, slots=True)
class Many:
    """A list: ``source`` rows in ``order``; ``item_policy`` drops the items a conditional
    cell hides (the youth's list of notes has no adults-only note)."""

    type_name: str
    source: str
    order: str
    item_policy: PolicyField | None = None


@dataclass(frozen=True, slots=True)
class Same:
    """An object read from the parent's own row (a log's activity counters)."""

    type_name: str


FieldSql = Value | One | Many | Same


@dataclass(frozen=True, slots=True)
class Table:
    """A table-backed type: ``source`` finds its row by ``:node_id`` (for ``node(id:)``),
    ``log_id`` is the SQL of its log; ``model`` is what conditional cells ask about."""

    source: str
    log_id: str
    fields: dict[str, FieldSql]
    model: type[Any] | None = None
    node_needs_log: bool = False  # the id names the log too (people are seen in a log)


def _id(type_name: str) -> Value:
    return Value(global_id_sql(type_name, "{t}.id"))


def _ref(type_name: str, column: str) -> Value:
    return Value(global_id_sql(type_name, f"{{t}}.{column}"))


def _cols(**columns: str) -> dict[str, FieldSql]:
    return {name: Value(f"{{t}}.{column}") for name, column in columns.items()}


def _at(column: str) -> Value:
    return Value(datetime_sql(f"{{t}}.{column}"))


_ACTORS = (
    "actor_membership {t} JOIN staff_account {t}_s ON {t}_s.id = {t}.staff_id"
    " JOIN organisation {t}_o ON {t}_o.id = {t}.organisation_id"
)
_ACTOR_ORDER = "{t}.is_holder DESC, {t}.created_at, {t}.id"
_OPEN = f"'{MeasureStatus.OPEN.value}'"
_PLANNED = f"'{MeetingStatus.PLANNED.value}'"


def _person_name(kind: str, staff_id: str | None, guardian_id: str) -> Value:
    """``resolvers.content.author_name``: a staff member's, a guardian's or the child's name."""
    staff = (
        f"WHEN '{AuthorKind.STAFF.value}' THEN (SELECT {{t}}_an.name FROM staff_account {{t}}_an"
        f" WHERE {{t}}_an.id = {{t}}.{staff_id}) "
        if staff_id
        else ""
    )
    return Value(
        f"(CASE {{t}}.{kind} {staff}"
        f"WHEN '{AuthorKind.GUARDIAN.value}' THEN (SELECT {{t}}_an.name FROM guardian {{t}}_an"
        f" WHERE {{t}}_an.id = {{t}}.{guardian_id})"
        f" ELSE (SELECT {{t}}_ac.name FROM relay_log {{t}}_al JOIN child {{t}}_ac"
        f" ON {{t}}_ac.id = {{t}}_al.child_id WHERE {{t}}_al.id = {{t}}.log_id) END)"
    )


def _name_of(table: str, column: str) -> Value:
    """The ``name`` of the row of ``table`` that ``column`` points at."""
    return Value(f"(SELECT {{t}}_n.name FROM {table} {{t}}_n WHERE {{t}}_n.id = {{t}}.{column})")


_AUTHOR = _person_name("author_kind", "author_staff_id", "author_guardian_id")
_FIRST_MEASURE = "(SELECT min({t}_fm.created_at) FROM measure {t}_fm WHERE {t}_fm.log_id = {t}.id)"

TABLES: dict[str, Table] = {
    "RelayLog": Table(
        source="relay_log {t} WHERE {t}.id = :node_id",
        log_id="{t}.id",
        fields={
            "id": _id("RelayLog"),
            **_cols(
                status="status",
                level="level",
                closeReason="close_reason",
                pausedReason="paused_reason",
                version="version",
            ),
            "createdAt": _at("created_at"),
            "readerName": Value(
                f"(CASE a.relation WHEN '{Relation.GUARDIAN.value}' THEN"
                " (SELECT {t}_rg.name FROM guardian {t}_rg WHERE {t}_rg.id = a.reader_row)"
                f" WHEN '{Relation.SUBJECT.value}' THEN"
                " (SELECT {t}_rc.name FROM child {t}_rc WHERE {t}_rc.id = {t}.child_id)"
                " ELSE (SELECT {t}_rs.name FROM staff_account {t}_rs"
                " WHERE {t}_rs.id = :viewer_staff_id) END)"
            ),
            "child": One("Child", "child {t} WHERE {t}.id = {p}.child_id"),
            "levelHistory": Many(
                "LevelChange",
                "level_change {t} WHERE {t}.log_id = {p}.id",
                "{t}.changed_at, {t}.id",
            ),
            "guardians": Many(
                "Guardian",
                "child_guardian {t}_cg JOIN guardian {t} ON {t}.id = {t}_cg.guardian_id"
                " WHERE {t}_cg.child_id = {p}.child_id",
                "{t}.id",
            ),
            "consents": Many(
                "Consent", "consent {t} WHERE {t}.log_id = {p}.id", "{t}.given_on, {t}.id"
            ),
            "actors": Many("Actor", _ACTORS + " WHERE {t}.log_id = {p}.id", _ACTOR_ORDER),
            "pointsOfAttention": Many(
                "PointOfAttention",
                "point_of_attention {t} WHERE {t}.log_id = {p}.id",
                "{t}.created_at, {t}.id",
            ),
            "meetings": Many(
                "Meeting", "meeting {t} WHERE {t}.log_id = {p}.id", "{t}.held_on DESC, {t}.id"
            ),
            "notes": Many(
                "Note",
                "note {t} WHERE {t}.log_id = {p}.id",
                "{t}.created_at DESC, {t}.id",
                item_policy=PolicyField.NOTES,
            ),
            "sparkles": Many(
                "Sparkle", "sparkle {t} WHERE {t}.log_id = {p}.id", "{t}.occurred_on DESC, {t}.id"
            ),
            "attentionConversations": Many(
                "AttentionConversation",
                "attention_conversation {t} WHERE {t}.log_id = {p}.id",
                "{t}.held_on, {t}.created_at, {t}.id",
            ),
            "activity": Same("Activity"),
            "transfers": Many(
                "Transfer", "transfer {t} WHERE {t}.log_id = {p}.id", "{t}.created_at, {t}.id"
            ),
        },
    ),
    "Activity": Table(
        source="",
        log_id="{t}.id",
        fields={
            "id": Value(global_id_sql("Activity", "{t}.id")),  # {t}: the log's own row
            "lastActivityAt": _at("last_activity_at"),
            "openMeasures": Value(
                "(SELECT count(*) FROM measure {t}_m WHERE {t}_m.log_id = {t}.id"
                f" AND {{t}}_m.status = {_OPEN})"
            ),
            "overdueMeasures": Value(
                "(SELECT count(*) FROM measure {t}_m WHERE {t}_m.log_id = {t}.id"
                f" AND {{t}}_m.status = {_OPEN} AND {{t}}_m.finished_by < :today)"
            ),
            "unrecordedMeetings": Value(
                "(SELECT count(*) FROM meeting {t}_mt WHERE {t}_mt.log_id = {t}.id"
                f" AND {{t}}_mt.status = {_PLANNED} AND {{t}}_mt.held_on < :today)"
            ),
            "nextMeetingOn": Value(
                "(SELECT min({t}_mt.held_on) FROM meeting {t}_mt WHERE {t}_mt.log_id = {t}.id"
                f" AND {{t}}_mt.status = {_PLANNED} AND {{t}}_mt.held_on >= :today)"
            ),
            "activityPlanReportedOn": Value("{t}.activity_plan_reported_on"),
            "activityPlanDeadline": Value(
                f"({{t}}.activity_plan_reported_on + {ACTIVITY_PLAN_DAYS})"
            ),
            "activityPlanMet": Value(
                "(CASE WHEN {t}.activity_plan_reported_on IS NULL THEN NULL ELSE coalesce(("
                + _FIRST_MEASURE
                + " AT TIME ZONE 'Europe/Oslo')::date"
                f" <= {{t}}.activity_plan_reported_on + {ACTIVITY_PLAN_DAYS}, false) END)"
            ),
        },
    ),
    "Child": Table(
        source="",
        log_id="a.log_id",
        fields={
            "id": Value(global_id_sql("Child", "{t}.id", "a.log_id")),
            **_cols(name="name", birthDate="birth_date"),
            "nationalId": Value("{t}.national_id", encrypted=True),
            "address": Value("{t}.address", encrypted=True),
        },
    ),
    "Guardian": Table(
        source=(
            "guardian {t} JOIN child_guardian {t}_cg ON {t}_cg.guardian_id = {t}.id"
            " JOIN relay_log {t}_l"
            " ON {t}_l.child_id = {t}_cg.child_id AND {t}_l.id = :node_log_id"
            " WHERE {t}.id = :node_id"
        ),
        log_id=":node_log_id",
        model=Guardian,
        node_needs_log=True,
        fields={
            "id": Value(global_id_sql("Guardian", "{t}.id", "a.log_id")),
            **_cols(name="name", phone="phone", email="email"),
            "parentalResponsibility": Value("{t}_cg.parental_responsibility"),
            "nationalId": Value("{t}.national_id", encrypted=True),
        },
    ),
    "LevelChange": Table(
        source="",
        log_id="{t}.log_id",
        fields={
            "id": _id("LevelChange"),
            **_cols(fromLevel="from_level", toLevel="to_level", reason="reason"),
            "changedAt": _at("changed_at"),
        },
    ),
    "Consent": Table(
        source="consent {t} WHERE {t}.id = :node_id",
        log_id="{t}.log_id",
        model=Consent,
        fields={
            "id": _id("Consent"),
            **_cols(
                scope="scope",
                givenByKind="given_by_kind",
                evidence="evidence",
                givenOn="given_on",
                validUntil="valid_until",
            ),
            "givenByName": _person_name("given_by_kind", None, "given_by_guardian_id"),
            "withdrawnAt": _at("withdrawn_at"),
            "document": One(
                "ConsentDocument", "consent_document {t} WHERE {t}.id = {p}.document_id"
            ),
        },
    ),
    "ConsentDocument": Table(
        source="",
        log_id="{t}.log_id",
        fields={
            "id": _id("ConsentDocument"),
            **_cols(contentType="content_type", sizeBytes="size_bytes", sha256="sha256"),
        },
    ),
    "Actor": Table(
        source=_ACTORS + " WHERE {t}.id = :node_id",
        log_id="{t}.log_id",
        model=ActorMembership,
        fields={
            "id": _id("Actor"),
            "name": Value("{t}_s.name"),
            "position": Value("{t}_s.position"),
            "organisationName": Value("{t}_o.name"),
            "officePhone": Value("{t}_s.office_phone"),
            "email": Value("{t}_s.email"),
            "mobile": Value("{t}_s.mobile"),
            **_cols(isHolder="is_holder", status="status", deactivatedReason="deactivated_reason"),
        },
    ),
    "PointOfAttention": Table(
        source="point_of_attention {t} WHERE {t}.id = :node_id",
        log_id="{t}.log_id",
        fields={
            "id": _id("PointOfAttention"),
            **_cols(
                category="category",
                description="description",
                goal="goal",
                informedManager="informed_manager",
                informedGuardian="informed_guardian",
                informedChild="informed_child",
                assessedLevel="assessed_level",
                status="status",
                version="version",
            ),
            "measures": Many(
                "Measure", "measure {t} WHERE {t}.point_id = {p}.id", "{t}.initiated_on, {t}.id"
            ),
        },
    ),
    "Measure": Table(
        source="measure {t} WHERE {t}.id = :node_id",
        log_id="{t}.log_id",
        fields={
            "id": _id("Measure"),
            "pointId": _ref("PointOfAttention", "point_id"),
            **_cols(
                type="type",
                description="description",
                responsibleGuardians="responsible_guardians",
                responsibleChild="responsible_child",
                initiatedOn="initiated_on",
                finishedBy="finished_by",
                status="status",
                version="version",
            ),
            "responsibleActors": Many(
                "Actor",
                _ACTORS + " WHERE {t}.log_id = {p}.log_id AND {t}.staff_id IN"
                " (SELECT {t}_r.staff_id FROM measure_responsible {t}_r"
                " WHERE {t}_r.measure_id = {p}.id)",
                _ACTOR_ORDER,
            ),
            "evaluations": Many(
                "Evaluation",
                "evaluation {t} WHERE {t}.measure_id = {p}.id",
                "{t}.evaluated_at, {t}.id",
            ),
            "daysToDeadline": Value("({t}.finished_by - :today)"),
        },
    ),
    "Evaluation": Table(
        source="evaluation {t} WHERE {t}.id = :node_id",
        log_id="{t}.log_id",
        fields={
            "id": _id("Evaluation"),
            **_cols(
                outcome="outcome",
                statusAfter="status_after",
                comment="comment",
                authorKind="author_kind",
            ),
            "authorName": _AUTHOR,
            "evaluatedAt": _at("evaluated_at"),
        },
    ),
    "Meeting": Table(
        source="meeting {t} WHERE {t}.id = :node_id",
        log_id="{t}.log_id",
        fields={
            "id": _id("Meeting"),
            **_cols(
                heldOn="held_on",
                place="place",
                status="status",
                comments="comments",
                agenda="agenda",
                version="version",
            ),
            "startsAt": Value(time_sql("{t}.starts_at")),
            "endsAt": Value(time_sql("{t}.ends_at")),
            "organisationName": Value(
                "(SELECT {t}_o.name FROM organisation {t}_o WHERE {t}_o.id = {t}.organisation_id)"
            ),
            "participants": Many(
                "MeetingParticipant",
                "meeting_participant {t} WHERE {t}.meeting_id = {p}.id",
                "{t}.kind, {t}.id",
            ),
            "minutes": Many(
                "Note",
                "note {t} WHERE {t}.meeting_id = {p}.id",
                "{t}.created_at DESC, {t}.id",
                item_policy=PolicyField.NOTES,
            ),
        },
    ),
    "MeetingParticipant": Table(
        source="",
        log_id="a.log_id",
        fields={
            "id": _id("MeetingParticipant"),
            **_cols(kind="kind", invited="invited", present="present"),
            "name": Value(
                f"coalesce(CASE WHEN {{t}}.kind = '{ParticipantKind.CHILD.value}' THEN"
                " (SELECT {t}_c.name FROM relay_log {t}_l JOIN child {t}_c"
                " ON {t}_c.id = {t}_l.child_id WHERE {t}_l.id = a.log_id)"
                " ELSE coalesce("
                "(SELECT {t}_s.name FROM staff_account {t}_s"
                " WHERE {t}_s.id = coalesce({t}.staff_id, {t}.guardian_id)),"
                " (SELECT {t}_g.name FROM guardian {t}_g"
                " WHERE {t}_g.id = coalesce({t}.staff_id, {t}.guardian_id))) END, '')"
            ),
        },
    ),
    "Note": Table(
        source="note {t} WHERE {t}.id = :node_id",
        log_id="{t}.log_id",
        model=Note,
        fields={
            "id": _id("Note"),
            **_cols(
                text="text",
                adultsOnly="adults_only",
                isSummary="is_summary",
                authorKind="author_kind",
                version="version",
            ),
            "pointId": _ref("PointOfAttention", "point_id"),
            "meetingId": _ref("Meeting", "meeting_id"),
            "authorName": _AUTHOR,
            "createdAt": _at("created_at"),
            "editedAt": _at("edited_at"),
            "versions": Many(
                "NoteVersion",
                "note_version {t} WHERE {t}.note_id = {p}.id",
                "{t}.number",
                item_policy=PolicyField.NOTES,
            ),
        },
    ),
    "NoteVersion": Table(
        source="",
        log_id="{t}.log_id",
        model=NoteVersion,
        fields={
            "id": _id("NoteVersion"),
            **_cols(
                number="number", text="text", adultsOnly="adults_only", authorKind="author_kind"
            ),
            "authorName": _AUTHOR,
            "writtenAt": _at("written_at"),
            "replacedAt": _at("replaced_at"),
        },
    ),
    "Sparkle": Table(
        source="sparkle {t} WHERE {t}.id = :node_id",
        log_id="{t}.log_id",
        fields={
            "id": _id("Sparkle"),
            **_cols(occurredOn="occurred_on", text="text", authorKind="author_kind"),
            "authorName": _AUTHOR,
        },
    ),
    "AttentionConversation": Table(
        source="attention_conversation {t} WHERE {t}.id = :node_id",
        log_id="{t}.log_id",
        fields={
            "id": _id("AttentionConversation"),
            **_cols(
                observation="observation",
                heldOn="held_on",
                sharedWithContactOn="shared_with_contact_on",
                sharedWithGuardiansOn="shared_with_guardians_on",
                outcome="outcome",
                version="version",
            ),
        },
    ),
    "Transfer": Table(
        source="",
        log_id="{t}.log_id",
        fields={
            "id": _id("Transfer"),
            **_cols(status="status", reason="reason"),
            "createdAt": _at("created_at"),
            "decidedAt": _at("decided_at"),
            "logId": _ref("RelayLog", "log_id"),
            "fromStaffName": _name_of("staff_account", "from_staff_id"),
            "toStaffName": _name_of("staff_account", "to_staff_id"),
            "fromOrganisationName": _name_of("organisation", "from_organisation_id"),
            "toOrganisationName": _name_of("organisation", "to_organisation_id"),
            # ``models.operations.transfer.scope_needed``: from the two units' services.
            "consentNeeded": Value(
                "(SELECT CASE WHEN {t}_ot.kind = {t}_of.kind THEN NULL"
                f" WHEN {{t}}_ot.kind = '{OrganisationKind.SPECIALIST_HEALTH.value}'"
                f" THEN '{ConsentScope.BROAD.value}' ELSE '{ConsentScope.SHARE.value}' END"
                " FROM organisation {t}_of, organisation {t}_ot"
                " WHERE {t}_of.id = {t}.from_organisation_id"
                " AND {t}_ot.id = {t}.to_organisation_id)"
            ),
            "approvals": Many(
                "TransferApproval",
                "transfer_approval {t} WHERE {t}.transfer_id = {p}.id",
                "{t}.approved_at, {t}.id",
            ),
        },
    ),
    "TransferApproval": Table(
        source="",
        log_id="{t}.log_id",
        fields={
            "id": _id("TransferApproval"),
            "givenByKind": Value("{t}.given_by_kind"),
            "givenByName": _person_name("given_by_kind", None, "given_by_guardian_id"),
            "approvedAt": _at("approved_at"),
        },
    ),
}
