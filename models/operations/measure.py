"""Measures (tiltak) under a point of attention, and their evaluations (red/yellow/green).

The holder adds, edits and ends measures. Responsible for a measure are staff of the log
(the holder, "me", and selected active actors), the guardians and/or the child; at least one.
Each evaluation is kept (the history of a measure); the status after an evaluation decides
whether the measure stays open. An ended measure is history: not edited, not evaluated.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.authorship import Author
from models.content import (
    EVALUATION_COMMENT_MAX,
    MEASURE_DESCRIPTION_MAX,
    Evaluation,
    Measure,
    MeasureResponsible,
    PointOfAttention,
)
from models.enums import (
    ActorStatus,
    EvaluationOutcome,
    MeasureStatus,
    MeasureType,
    StatusAfterEvaluation,
)
from models.errors import InvalidInput, NotFound
from models.operations.point import require_ongoing
from models.operations.validation import require_dates_in_order, require_text
from models.operations.versioning import bump, require_version
from models.relay_log import ActorMembership

__all__ = [
    "ENDING_STATUSES",
    "EvaluationResult",
    "MeasureChanges",
    "Responsibility",
    "add_measure",
    "edit_measure",
    "end_measure",
    "evaluate_measure",
    "is_responsible",
    "load_measure",
]

ENDING_STATUSES = frozenset(
    {
        StatusAfterEvaluation.ENDED,
        StatusAfterEvaluation.ENDED_CONTINUE_DAILY,
        StatusAfterEvaluation.ENDED_DEFINE_NEW,
    }
)


@dataclass(frozen=True, slots=True)
class Responsibility:
    """Who owns a measure: staff of the log (by actor membership), guardians, the child.

    ``me`` is the staff member doing the write (the holder's "me").
    """

    me: uuid.UUID | None = None
    actor_ids: tuple[uuid.UUID, ...] = ()
    guardians: bool = False
    child: bool = False


@dataclass(frozen=True, slots=True)
class MeasureChanges:
    """What an edit changes; ``None`` keeps the current value.

    ``responsible_actor_ids`` replaces the staff responsible; ``responsible_me`` adds the
    editor to them (to the given ones, or to the current ones when none are given).
    """

    type: MeasureType | None = None
    description: str | None = None
    responsible_me: uuid.UUID | None = None
    responsible_actor_ids: tuple[uuid.UUID, ...] | None = None
    responsible_guardians: bool | None = None
    responsible_child: bool | None = None
    initiated_on: date | None = None
    finished_by: date | None = None


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    """An evaluation with its measure; ``prompt_new_measure`` when the parties chose
    "Ended - define new measure" (the front end then opens a new measure on the same point)."""

    evaluation: Evaluation
    measure: Measure
    prompt_new_measure: bool

    @property
    def id(self) -> uuid.UUID:
        return self.evaluation.id

    @property
    def log_id(self) -> uuid.UUID:
        return self.measure.log_id


async def _active_actor_staff(
    session: AsyncSession, log_id: uuid.UUID, actor_ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Staff ids of active actor memberships of this log; anything else is bad input."""
    wanted = set(actor_ids)
    if not wanted:
        return set()
    rows = await session.execute(
        select(ActorMembership.id, ActorMembership.staff_id).where(
            ActorMembership.id.in_(wanted),
            ActorMembership.log_id == log_id,
            ActorMembership.status == ActorStatus.ACTIVE,
        )
    )
    found = {row.id: row.staff_id for row in rows}
    if set(found) != wanted:
        raise InvalidInput(
            "responsibleActorIds must name active actors of this log.",
            field="responsibleActorIds",
        )
    return set(found.values())


def _require_someone(staff: set[uuid.UUID], guardians: bool, child: bool) -> None:
    if not staff and not guardians and not child:
        raise InvalidInput("A measure needs someone responsible for it.", field="responsible")


async def _set_responsible(
    session: AsyncSession,
    measure: Measure,
    current: Iterable[MeasureResponsible],
    staff: set[uuid.UUID],
) -> None:
    keep: set[uuid.UUID] = set()
    for row in current:
        if row.staff_id in staff:
            keep.add(row.staff_id)
        else:
            await session.delete(row)
    for staff_id in staff - keep:
        session.add(MeasureResponsible(measure_id=measure.id, staff_id=staff_id))


async def add_measure(
    session: AsyncSession,
    point: PointOfAttention,
    *,
    type: MeasureType,
    description: str,
    responsibility: Responsibility,
    initiated_on: date,
    finished_by: date,
    created_by: uuid.UUID | None,
) -> Measure:
    require_ongoing(point)
    text = require_text(description, "description", max_length=MEASURE_DESCRIPTION_MAX)
    require_dates_in_order(initiated_on, finished_by, "initiatedOn", "finishedBy")
    staff = await _active_actor_staff(session, point.log_id, responsibility.actor_ids)
    if responsibility.me is not None:
        staff.add(responsibility.me)
    _require_someone(staff, responsibility.guardians, responsibility.child)
    measure = Measure(
        log_id=point.log_id,
        point_id=point.id,
        type=type,
        description=text,
        responsible_guardians=responsibility.guardians,
        responsible_child=responsibility.child,
        initiated_on=initiated_on,
        finished_by=finished_by,
        status=MeasureStatus.OPEN,
        created_by_id=created_by,
    )
    session.add(measure)
    await session.flush()
    await _set_responsible(session, measure, [], staff)
    await session.flush()
    return measure


async def load_measure(
    session: AsyncSession, measure_id: uuid.UUID, *, for_update: bool = False
) -> Measure:
    """The measure; ``for_update`` locks it, so evaluations of one measure queue up."""
    stmt = select(Measure).where(Measure.id == measure_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    measure = await session.scalar(stmt)
    if measure is None:
        raise NotFound("No such measure.", field="measureId")
    return measure


async def is_responsible(
    session: AsyncSession, measure: Measure, staff_id: uuid.UUID | None
) -> bool:
    if staff_id is None:
        return False
    found = await session.scalar(
        select(MeasureResponsible.staff_id).where(
            MeasureResponsible.measure_id == measure.id, MeasureResponsible.staff_id == staff_id
        )
    )
    return found is not None


def _require_open(measure: Measure) -> None:
    if measure.status is not MeasureStatus.OPEN:
        raise InvalidInput("The measure has ended.", field="measureId")


async def edit_measure(
    session: AsyncSession, measure: Measure, expected_version: int, changes: MeasureChanges
) -> Measure:
    require_version(measure, expected_version)
    _require_open(measure)
    text = (
        None
        if changes.description is None
        else require_text(changes.description, "description", max_length=MEASURE_DESCRIPTION_MAX)
    )
    initiated_on = measure.initiated_on if changes.initiated_on is None else changes.initiated_on
    finished_by = measure.finished_by if changes.finished_by is None else changes.finished_by
    require_dates_in_order(initiated_on, finished_by, "initiatedOn", "finishedBy")
    current = list(
        await session.scalars(
            select(MeasureResponsible).where(MeasureResponsible.measure_id == measure.id)
        )
    )
    if changes.responsible_actor_ids is None:
        staff = {row.staff_id for row in current}
    else:
        staff = await _active_actor_staff(session, measure.log_id, changes.responsible_actor_ids)
    if changes.responsible_me is not None:
        staff.add(changes.responsible_me)
    guardians = (
        measure.responsible_guardians
        if changes.responsible_guardians is None
        else changes.responsible_guardians
    )
    child = (
        measure.responsible_child
        if changes.responsible_child is None
        else changes.responsible_child
    )
    _require_someone(staff, guardians, child)
    if changes.type is not None:
        measure.type = changes.type
    if text is not None:
        measure.description = text
    measure.initiated_on = initiated_on
    measure.finished_by = finished_by
    measure.responsible_guardians = guardians
    measure.responsible_child = child
    await _set_responsible(session, measure, current, staff)
    bump(measure)
    await session.flush()
    return measure


async def end_measure(session: AsyncSession, measure: Measure, expected_version: int) -> Measure:
    require_version(measure, expected_version)
    _require_open(measure)
    measure.status = MeasureStatus.ENDED
    bump(measure)
    await session.flush()
    return measure


async def evaluate_measure(
    session: AsyncSession,
    measure: Measure,
    author: Author,
    *,
    outcome: EvaluationOutcome,
    status_after: StatusAfterEvaluation,
    comment: str,
    expected_version: int | None = None,
) -> EvaluationResult:
    """Add an evaluation to the measure's history; an ending status ends the measure.

    Pass a ``measure`` loaded ``for_update``: two evaluations of one measure never race.
    """
    if expected_version is not None:
        require_version(measure, expected_version)
    _require_open(measure)
    text = require_text(comment, "comment", max_length=EVALUATION_COMMENT_MAX, allow_empty=True)
    evaluation = Evaluation(
        log_id=measure.log_id,
        measure_id=measure.id,
        outcome=outcome,
        status_after=status_after,
        comment=text,
        **author.columns(),
    )
    session.add(evaluation)
    if status_after in ENDING_STATUSES:
        measure.status = MeasureStatus.ENDED
        bump(measure)
    await session.flush()
    return EvaluationResult(
        evaluation=evaluation,
        measure=measure,
        prompt_new_measure=status_after is StatusAfterEvaluation.ENDED_DEFINE_NEW,
    )
