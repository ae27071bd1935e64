"""Which logs a viewer may see, and as what: the SQL face of the policy table.

``log_access_statement`` yields ``(log_id, relation, level, status)`` for the logs a viewer
has a relation to and may see (the ``LOG_SUMMARY`` row of ``READ_POLICY`` decides from which
level). Every list, lookup and export starts from it; no resolver writes its own filter.

The viewer enters the SQL only as named bind parameters (``viewer_params``), never as
literals: a statement depends on the viewer's *shape* (``access_shape``: staff or family,
manager or not), so the executor's statement cache and the compiled trusted documents
(``schema.compiled``) reuse one SQL text for every viewer of that shape.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    any_,
    bindparam,
    case,
    false,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import aliased

from auth.ownership import condition_sql
from auth.policy import (
    PACKAGE_POLICY,
    READ_POLICY,
    PackageAction,
    PackageRole,
    PolicyField,
    Relation,
    may_handle_package,
    may_have_log_relations,
    min_level,
    package_roles,
)
from auth.viewer import Viewer, ViewerKind
from models import ActorMembership, ArchiveRecord, ChildGuardian, RelayLog
from models.enums import ActorStatus, RelayLogStatus

__all__ = [
    "PLACEHOLDERS",
    "AccessShape",
    "LogAccess",
    "ViewerParams",
    "access_shape",
    "field_visible_sql",
    "holder_organisation_filter",
    "log_access_statement",
    "may_take_package_action",
    "package_roles_of",
    "packages_statement",
    "readable_logs",
    "readable_sql",
    "reader_row_column",
    "scoped_statement",
    "viewer_params",
]


@dataclass(frozen=True, slots=True)
class LogAccess:
    """A viewer's standing in one log: computed once per request, read by every field."""

    log_id: uuid.UUID
    relation: Relation
    level: int
    status: RelayLogStatus


@dataclass(frozen=True, slots=True)
class AccessShape:
    """What of a viewer changes the SQL text of their scoping (not their ids)."""

    any_relations: bool
    staff: bool
    manager: bool
    guardian: bool
    subject: bool


def access_shape(viewer: Viewer) -> AccessShape:
    staff = viewer.staff_id is not None
    return AccessShape(
        any_relations=may_have_log_relations(viewer.kind),
        staff=staff,
        manager=staff and viewer.is_manager,
        guardian=not staff and bool(viewer.guardian_ids),
        subject=not staff and bool(viewer.subject_child_ids),
    )


def viewer_params(viewer: Viewer) -> dict[str, Any]:
    """The values of the bind parameters every scoping statement names."""
    return {
        "viewer_staff_id": viewer.staff_id,
        "viewer_organisation_id": viewer.organisation_id,
        "viewer_guardian_ids": sorted(viewer.guardian_ids),
        "viewer_child_ids": sorted(viewer.subject_child_ids),
    }


_UUIDS = ARRAY(UUID(as_uuid=True))


@dataclass(frozen=True, slots=True)
class ViewerParams:
    """How the viewer's ids appear in a statement: bind parameters for the executor, or
    ``:name`` placeholders in the SQL text a trusted document is compiled to."""

    staff_id: ColumnElement[Any]
    organisation_id: ColumnElement[Any]
    guardian_ids: ColumnElement[Any]
    child_ids: ColumnElement[Any]


BOUND = ViewerParams(
    bindparam("viewer_staff_id", type_=UUID(as_uuid=True)),
    bindparam("viewer_organisation_id", type_=UUID(as_uuid=True)),
    bindparam("viewer_guardian_ids", type_=_UUIDS),
    bindparam("viewer_child_ids", type_=_UUIDS),
)
PLACEHOLDERS = ViewerParams(
    literal_column(":viewer_staff_id"),
    literal_column(":viewer_organisation_id"),
    literal_column(":viewer_guardian_ids"),
    literal_column(":viewer_child_ids"),
)

_HOLDER = aliased(ActorMembership, name="holder_m")
_ME = aliased(ActorMembership, name="me_m")
_CG = aliased(ChildGuardian, name="cg")


def _relation_predicates(
    shape: AccessShape, params: ViewerParams
) -> dict[Relation, ColumnElement[bool]]:
    """Mutually exclusive SQL predicates, one per relation this viewer can have."""
    if shape.staff:
        holder, me = _HOLDER, _ME
        me_exists = me.id.is_not(None)
        manager = holder.organisation_id == params.organisation_id if shape.manager else false()
        return {
            Relation.HOLDER: and_(me_exists, me.is_holder),
            Relation.ACTOR: and_(
                me_exists, ~me.is_holder, me.organisation_id == holder.organisation_id
            ),
            Relation.EXTERNAL_ACTOR: and_(
                me_exists, ~me.is_holder, me.organisation_id != holder.organisation_id
            ),
            Relation.MANAGER: and_(me.id.is_(None), manager),
        }
    cg = _CG
    subject = RelayLog.child_id == any_(params.child_ids) if shape.subject else false()
    return {
        Relation.GUARDIAN: cg.guardian_id.is_not(None),
        Relation.SUBJECT: and_(cg.guardian_id.is_(None), subject),
    }


def readable_sql(
    shape: AccessShape, policy_field: PolicyField, params: ViewerParams = BOUND
) -> ColumnElement[bool]:
    """May the viewer read ``policy_field`` of this log? ``READ_POLICY`` over the relation
    predicates and the log's level, for use inside a ``scoped_statement`` (it names the
    statement's joins). A conditional cell (own only, when shared, …) is about one object,
    not the log: here it reads as never."""
    rules = READ_POLICY[policy_field]
    return or_(
        false(),
        *(
            and_(pred, RelayLog.level >= rule.min_level)
            for rel, pred in _relation_predicates(shape, params).items()
            if (rule := rules.get(rel)) is not None and rule.condition is None
        ),
    )


def log_access_statement(viewer: Viewer, log_ids: Iterable[uuid.UUID] | None = None) -> Select[Any]:
    """The logs this viewer may see (optionally among ``log_ids``), with relation and level."""
    stmt = _scoped(viewer, RelayLog.id, RelayLog.level, RelayLog.status)
    if log_ids is not None:
        stmt = stmt.where(RelayLog.id.in_(list(log_ids)))
    return stmt


def readable_logs(viewer: Viewer) -> Select[Any]:
    """Whole log rows with the viewer's relation: the start of every list of logs."""
    return _scoped(viewer, RelayLog)


def holder_organisation_filter(organisation_id: Any) -> ColumnElement[bool]:
    """Narrow a ``readable_logs`` statement of a staff viewer to logs held by one unit."""
    return _HOLDER.organisation_id == organisation_id


def reader_row_column(shape: AccessShape) -> ColumnElement[Any]:
    """The viewer's own guardian row in each scoped log (the audit names a guardian by the
    row that log knows them by); ``NULL`` for everyone else."""
    if shape.guardian and not shape.staff:
        return _CG.guardian_id.label("reader_row")
    return literal_column("NULL::uuid").label("reader_row")


def _scoped(viewer: Viewer, *columns: Any) -> Select[Any]:
    return scoped_statement(access_shape(viewer), *columns).params(viewer_params(viewer))


def scoped_statement(
    shape: AccessShape, *columns: Any, params: ViewerParams = BOUND
) -> Select[Any]:
    """``SELECT columns, relation`` of the logs a viewer of this shape may see, the viewer's
    ids left as the parameters of ``viewer_params``."""
    predicates = _relation_predicates(shape, params)
    relation = case(
        *((pred, literal(rel.value)) for rel, pred in predicates.items()),
        else_=literal(Relation.NONE.value),
    ).label("relation")
    visible = or_(
        false(),
        *(
            and_(pred, RelayLog.level >= level)
            for rel, pred in predicates.items()
            if (level := min_level(PolicyField.LOG_SUMMARY, rel)) is not None
        ),
    )
    first, *rest = columns
    if not shape.any_relations:
        none = literal(Relation.NONE.value).label("relation")
        return select(first, none, *rest).select_from(RelayLog).where(false())
    stmt = select(first, relation, *rest).select_from(RelayLog)
    if shape.staff:
        holder, me = _HOLDER, _ME
        stmt = stmt.join(holder, and_(holder.log_id == RelayLog.id, holder.is_holder)).outerjoin(
            me,
            and_(
                me.log_id == RelayLog.id,
                me.staff_id == params.staff_id,
                me.status == ActorStatus.ACTIVE,
            ),
        )
    elif shape.guardian or shape.subject:
        cg = _CG
        stmt = stmt.outerjoin(
            cg,
            and_(
                cg.child_id == RelayLog.child_id,
                cg.guardian_id == any_(params.guardian_ids) if shape.guardian else false(),
                cg.parental_responsibility,
            ),
        )
    else:
        return stmt.where(false())
    return stmt.where(visible)


def field_visible_sql(
    policy_field: PolicyField,
    model: type[Any] | None = None,
    row: str = "",
    *,
    relation: str = "a.relation",
    level: str = "a.level",
) -> str:
    """May the viewer read ``policy_field`` of this row? ``READ_POLICY`` as a SQL ``CASE``
    over the viewer's relation and the log's level (the columns of a scoped access row),
    with each conditional cell rendered by ``condition_sql`` for a row of ``model``."""
    branches = []
    for rel, rule in READ_POLICY[policy_field].items():
        test = f"{level} >= {rule.min_level}"
        if rule.condition is not None:
            test += f" AND {condition_sql(rule.condition, model, row, relation)}"
        branches.append(f"WHEN '{rel.value}' THEN {test}")
    if not branches:
        return "false"
    return f"(CASE {relation} {' '.join(branches)} ELSE false END)"


def _package_role_sql(role: PackageRole, viewer: Viewer) -> ColumnElement[bool]:
    """The SQL face of one ``PackageRole`` (the unit is checked for every role alike)."""
    if role is PackageRole.HOLDER_AT_THE_TIME:
        return ArchiveRecord.holder_id == literal(viewer.staff_id, ArchiveRecord.holder_id.type)
    return literal(viewer.is_manager)


def packages_statement(viewer: Viewer, action: PackageAction) -> Select[Any]:
    """The archive packages this viewer may take ``action`` on: the rows of
    ``PACKAGE_POLICY`` as a ``WHERE`` (the start of every package list and lookup)."""
    stmt = select(ArchiveRecord)
    if viewer.kind is not ViewerKind.STAFF or viewer.staff_id is None:
        return stmt.where(false())
    roles = [_package_role_sql(role, viewer) for role in sorted(PACKAGE_POLICY[action])]
    unit = ArchiveRecord.author_organisation_id == literal(
        viewer.organisation_id, ArchiveRecord.author_organisation_id.type
    )
    return stmt.where(unit, or_(false(), *roles))


def package_roles_of(viewer: Viewer, record: ArchiveRecord) -> frozenset[PackageRole]:
    """How this viewer stands to this package (empty: it is none of theirs)."""
    return package_roles(
        viewer.kind,
        is_manager=viewer.is_manager,
        same_unit=viewer.organisation_id is not None
        and record.author_organisation_id == viewer.organisation_id,
        held_it=viewer.staff_id is not None and record.holder_id == viewer.staff_id,
    )


def may_take_package_action(viewer: Viewer, record: ArchiveRecord, action: PackageAction) -> bool:
    """May this viewer take ``action`` on this package (the table, for one loaded row)?"""
    return may_handle_package(action, package_roles_of(viewer, record))
