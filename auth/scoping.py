"""Which logs a viewer may see, and as what: the SQL face of the policy table.

``log_access_statement`` yields ``(log_id, relation, level, status)`` for the logs a viewer
has a relation to and may see (the ``LOG_SUMMARY`` row of ``READ_POLICY`` decides from which
level). Every list, lookup and export starts from it; no resolver writes its own filter.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, false, literal, or_, select
from sqlalchemy.orm import aliased

from auth.policy import PolicyField, Relation, may_have_log_relations, min_level
from auth.viewer import Viewer
from models import ActorMembership, ChildGuardian, RelayLog
from models.enums import ActorStatus, RelayLogStatus

__all__ = [
    "LogAccess",
    "holder_organisation_filter",
    "log_access_statement",
    "readable_logs",
]


@dataclass(frozen=True, slots=True)
class LogAccess:
    """A viewer's standing in one log: computed once per request, read by every field."""

    log_id: uuid.UUID
    relation: Relation
    level: int
    status: RelayLogStatus


_HOLDER = aliased(ActorMembership, name="holder_m")
_ME = aliased(ActorMembership, name="me_m")
_CG = aliased(ChildGuardian, name="cg")


def _relation_predicates(viewer: Viewer) -> dict[Relation, ColumnElement[bool]]:
    """Mutually exclusive SQL predicates, one per relation this viewer can have."""
    if viewer.staff_id is not None:
        holder, me = _HOLDER, _ME
        me_exists = me.id.is_not(None)
        manager = holder.organisation_id == viewer.organisation_id if viewer.is_manager else false()
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
    subject = (
        RelayLog.child_id.in_(viewer.subject_child_ids) if viewer.subject_child_ids else false()
    )
    return {
        Relation.GUARDIAN: cg.guardian_id.is_not(None),
        Relation.SUBJECT: and_(cg.guardian_id.is_(None), subject),
    }


def log_access_statement(viewer: Viewer, log_ids: Iterable[uuid.UUID] | None = None) -> Select[Any]:
    """The logs this viewer may see (optionally among ``log_ids``), with relation and level."""
    stmt = _scoped(viewer, RelayLog.id, RelayLog.level, RelayLog.status)
    if log_ids is not None:
        stmt = stmt.where(RelayLog.id.in_(list(log_ids)))
    return stmt


def readable_logs(viewer: Viewer) -> Select[Any]:
    """Whole log rows with the viewer's relation: the start of every list of logs."""
    return _scoped(viewer, RelayLog)


def holder_organisation_filter(organisation_id: uuid.UUID) -> ColumnElement[bool]:
    """Narrow a ``readable_logs`` statement of a staff viewer to logs held by one unit."""
    return _HOLDER.organisation_id == organisation_id


def _scoped(viewer: Viewer, *columns: Any) -> Select[Any]:
    predicates = _relation_predicates(viewer)
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
    if not may_have_log_relations(viewer.kind):
        none = literal(Relation.NONE.value).label("relation")
        return select(first, none, *rest).select_from(RelayLog).where(false())
    stmt = select(first, relation, *rest).select_from(RelayLog)
    if viewer.staff_id is not None:
        holder, me = _HOLDER, _ME
        stmt = stmt.join(holder, and_(holder.log_id == RelayLog.id, holder.is_holder)).outerjoin(
            me,
            and_(
                me.log_id == RelayLog.id,
                me.staff_id == viewer.staff_id,
                me.status == ActorStatus.ACTIVE,
            ),
        )
    elif viewer.guardian_ids or viewer.subject_child_ids:
        cg = _CG
        stmt = stmt.outerjoin(
            cg,
            and_(
                cg.child_id == RelayLog.child_id,
                cg.guardian_id.in_(viewer.guardian_ids) if viewer.guardian_ids else false(),
                cg.parental_responsibility,
            ),
        )
    else:
        return stmt.where(false())
    return stmt.where(visible)
