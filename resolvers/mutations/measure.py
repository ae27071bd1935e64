"""Add, edit and end measures (the holder); evaluate them (the holder, or an actor
responsible for the measure)."""

from __future__ import annotations

import uuid
from datetime import date

from strawberry.types import Info

from auth.policy import Action
from models import Measure
from models.enums import EvaluationOutcome, MeasureType, StatusAfterEvaluation
from models.operations import measure as ops
from resolvers.mutation import MutationError, WriteScope, write
from resolvers.mutations.hidden import as_missing, missing, write_on

__all__ = ["add_measure", "edit_measure", "end_measure", "evaluate_measure"]

POINT_NOT_FOUND = missing("point of attention", "pointId")
NOT_FOUND = missing("measure", "measureId")


async def add_measure(
    info: Info,
    point_id: uuid.UUID,
    *,
    type: MeasureType,
    description: str,
    responsible_me: bool,
    responsible_actor_ids: list[uuid.UUID],
    responsible_guardians: bool,
    responsible_child: bool,
    initiated_on: date | None,
    finished_by: date,
) -> Measure | MutationError:
    point = await info.context.loaders.point.load(point_id)
    if point is None:
        return POINT_NOT_FOUND

    async def run(scope: WriteScope) -> Measure:
        me = scope.viewer.staff_id if responsible_me else None
        return await ops.add_measure(
            scope.session,
            point,
            type=type,
            description=description,
            responsibility=ops.Responsibility(
                me=me,
                actor_ids=tuple(responsible_actor_ids),
                guardians=responsible_guardians,
                child=responsible_child,
            ),
            initiated_on=initiated_on or scope.today,
            finished_by=finished_by,
            created_by=scope.viewer.staff_id,
        )

    result = await write(info, point.log_id, Action.EDIT_MEASURES, run, object_type="Measure")
    return as_missing(result, POINT_NOT_FOUND)


async def edit_measure(
    info: Info,
    measure_id: uuid.UUID,
    expected_version: int,
    changes: ops.MeasureChanges,
    *,
    responsible_me: bool,
) -> Measure | MutationError:
    measure = await info.context.loaders.measure.load(measure_id)

    async def run(scope: WriteScope, measure: Measure) -> Measure:
        mine = ops.MeasureChanges(
            type=changes.type,
            description=changes.description,
            responsible_me=scope.viewer.staff_id if responsible_me else None,
            responsible_actor_ids=changes.responsible_actor_ids,
            responsible_guardians=changes.responsible_guardians,
            responsible_child=changes.responsible_child,
            initiated_on=changes.initiated_on,
            finished_by=changes.finished_by,
        )
        return await ops.edit_measure(scope.session, measure, expected_version, mine)

    return await write_on(
        info, measure, NOT_FOUND, Action.EDIT_MEASURES, run, object_type="Measure"
    )


async def end_measure(
    info: Info, measure_id: uuid.UUID, expected_version: int
) -> Measure | MutationError:
    measure = await info.context.loaders.measure.load(measure_id)

    async def run(scope: WriteScope, measure: Measure) -> Measure:
        return await ops.end_measure(scope.session, measure, expected_version)

    return await write_on(
        info, measure, NOT_FOUND, Action.EDIT_MEASURES, run, object_type="Measure"
    )


async def evaluate_measure(
    info: Info,
    measure_id: uuid.UUID,
    *,
    outcome: EvaluationOutcome,
    status_after: StatusAfterEvaluation,
    comment: str,
    expected_version: int | None,
) -> ops.EvaluationResult | MutationError:
    measure = await info.context.loaders.measure.load(measure_id)
    if measure is None:
        return NOT_FOUND

    async def run(scope: WriteScope) -> ops.EvaluationResult:
        locked = await ops.load_measure(scope.session, measure.id, for_update=True)
        scope.ensure(
            responsible=await ops.is_responsible(scope.session, locked, scope.viewer.staff_id)
        )
        return await ops.evaluate_measure(
            scope.session,
            locked,
            scope.author,
            outcome=outcome,
            status_after=status_after,
            comment=comment,
            expected_version=expected_version,
        )

    result = await write(
        info, measure.log_id, Action.EVALUATE_MEASURE, run, object_type="Evaluation"
    )
    return as_missing(result, NOT_FOUND)
