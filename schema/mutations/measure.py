"""Measure mutations: the holder adds, edits and ends measures; the holder or a responsible
actor evaluates them (red / yellow / green), keeping every evaluation."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.types import Info

from auth.policy import Audience
from models.operations.measure import EvaluationResult, MeasureChanges
from resolvers.mutation import MutationError as MutationErrorData
from resolvers.mutations import measure as r
from schema.content import Evaluation, Measure
from schema.enums import EvaluationOutcome, MeasureType, StatusAfterEvaluation
from schema.mutation import MUTATION_TYPES, MutationError, payload
from schema.mutations.ids import IdError, actor_ids, object_id
from schema.permissions import audiences

__all__ = ["MeasureMutations"]

STAFF = [Audience.STAFF]


@strawberry.type
class MeasurePayload:
    measure: Measure | None = None
    error: MutationError | None = None


@strawberry.type
class EvaluateMeasurePayload:
    evaluation: Evaluation | None = None
    measure: Measure | None = None
    prompt_new_measure: bool = strawberry.field(
        default=False,
        description='True after "Ended - define new measure": open a new measure on the same '
        "point (`measure.pointId`).",
    )
    error: MutationError | None = None


@strawberry.input
class AddMeasureInput:
    point_id: strawberry.ID
    type: MeasureType
    description: str = strawberry.field(description="1-1000 characters.")
    responsible_me: bool = strawberry.field(default=False, description="I am responsible.")
    responsible_actor_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Actors of the log (`log.actors { id }`)."
    )
    responsible_guardians: bool = False
    responsible_child: bool = False
    initiated_on: datetime.date | None = strawberry.field(
        default=None, description="Default: today."
    )
    finished_by: datetime.date = strawberry.field(description="Deadline; not before initiatedOn.")


@strawberry.input(
    description="Fields left out (or null) keep their value. `responsibleActorIds` replaces "
    "the staff responsible; `responsibleMe: true` adds you to them."
)
class EditMeasureInput:
    measure_id: strawberry.ID
    expected_version: int = strawberry.field(description="The version you last saw.")
    type: MeasureType | None = None
    description: str | None = None
    responsible_me: bool = False
    responsible_actor_ids: list[strawberry.ID] | None = None
    responsible_guardians: bool | None = None
    responsible_child: bool | None = None
    initiated_on: datetime.date | None = None
    finished_by: datetime.date | None = None


@strawberry.input
class EndMeasureInput:
    measure_id: strawberry.ID
    expected_version: int = strawberry.field(description="The version you last saw.")


@strawberry.input
class EvaluateMeasureInput:
    measure_id: strawberry.ID
    outcome: EvaluationOutcome
    status_after: StatusAfterEvaluation = strawberry.field(
        description="ENDED, ENDED_CONTINUE_DAILY and ENDED_DEFINE_NEW end the measure."
    )
    comment: str = strawberry.field(default="", description="At most 500 characters.")
    expected_version: int | None = strawberry.field(
        default=None, description="When given, a stale version is a CONFLICT."
    )


def _evaluated(result: EvaluationResult | MutationErrorData) -> EvaluateMeasurePayload:
    if isinstance(result, MutationErrorData):
        error = payload(MeasurePayload, "measure", result).error
        return EvaluateMeasurePayload(error=error)
    return EvaluateMeasurePayload(
        evaluation=result.evaluation,  # type: ignore[arg-type]
        measure=result.measure,  # type: ignore[arg-type]
        prompt_new_measure=result.prompt_new_measure,
    )


@strawberry.type
class MeasureMutations:
    @audiences(STAFF, description="Add a measure under a point of attention (the holder).")
    async def add_measure(self, info: Info, input: AddMeasureInput) -> MeasurePayload:
        try:
            point_id = object_id(
                input.point_id, "PointOfAttention", "point of attention", "pointId"
            )
            actors = actor_ids(input.responsible_actor_ids, "responsibleActorIds")
        except IdError as exc:
            return payload(MeasurePayload, "measure", exc.error)
        result = await r.add_measure(
            info,
            point_id,
            type=input.type,
            description=input.description,
            responsible_me=input.responsible_me,
            responsible_actor_ids=list(actors),
            responsible_guardians=input.responsible_guardians,
            responsible_child=input.responsible_child,
            initiated_on=input.initiated_on,
            finished_by=input.finished_by,
        )
        return payload(MeasurePayload, "measure", result)

    @audiences(STAFF, description="Edit an open measure; a stale version is a CONFLICT.")
    async def edit_measure(self, info: Info, input: EditMeasureInput) -> MeasurePayload:
        try:
            measure_id = object_id(input.measure_id, "Measure", "measure", "measureId")
            actors = (
                None
                if input.responsible_actor_ids is None
                else actor_ids(input.responsible_actor_ids, "responsibleActorIds")
            )
        except IdError as exc:
            return payload(MeasurePayload, "measure", exc.error)
        changes = MeasureChanges(
            type=input.type,
            description=input.description,
            responsible_actor_ids=actors,
            responsible_guardians=input.responsible_guardians,
            responsible_child=input.responsible_child,
            initiated_on=input.initiated_on,
            finished_by=input.finished_by,
        )
        result = await r.edit_measure(
            info, measure_id, input.expected_version, changes, responsible_me=input.responsible_me
        )
        return payload(MeasurePayload, "measure", result)

    @audiences(STAFF, description="End an open measure (the holder).")
    async def end_measure(self, info: Info, input: EndMeasureInput) -> MeasurePayload:
        try:
            measure_id = object_id(input.measure_id, "Measure", "measure", "measureId")
        except IdError as exc:
            return payload(MeasurePayload, "measure", exc.error)
        result = await r.end_measure(info, measure_id, input.expected_version)
        return payload(MeasurePayload, "measure", result)

    @audiences(
        STAFF,
        description="Evaluate an open measure (the holder, or an actor responsible for it). "
        "Every evaluation is kept.",
    )
    async def evaluate_measure(
        self, info: Info, input: EvaluateMeasureInput
    ) -> EvaluateMeasurePayload:
        try:
            measure_id = object_id(input.measure_id, "Measure", "measure", "measureId")
        except IdError as exc:
            return _evaluated(exc.error)
        result = await r.evaluate_measure(
            info,
            measure_id,
            outcome=input.outcome,
            status_after=input.status_after,
            comment=input.comment,
            expected_version=input.expected_version,
        )
        return _evaluated(result)


MUTATION_TYPES.append(MeasureMutations)
