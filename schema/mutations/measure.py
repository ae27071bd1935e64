"""Measure mutations: the holder adds, edits and ends measures; the holder or a responsible
actor evaluates them (red / yellow / green), keeping every evaluation."""

from __future__ import annotations

import datetime

import strawberry

from auth.gate import OBJECT_KINDS
from auth.policy import Action, Audience, WriteFacts
from models.events import EventKind
from models.operations import measure as ops
from schema.content import Evaluation, Measure
from schema.enums import EvaluationOutcome, MeasureType, StatusAfterEvaluation
from schema.mutations.base import MutationError, Write, id_list, mutation, reply

__all__ = [
    "EvaluateMeasurePayload",
    "MeasurePayload",
    "add_measure",
    "edit_measure",
    "end_measure",
    "evaluate_measure",
]

POINT = OBJECT_KINDS["PointOfAttention"]
MEASURE = OBJECT_KINDS["Measure"]
RESPONSIBLE_ACTORS = "responsibleActorIds"

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


@mutation(
    STAFF,
    audit="Measure",
    event=EventKind.MEASURE_ADDED,
    description="Add a measure under a point of attention (the holder).",
)
async def add_measure(w: Write, input: AddMeasureInput) -> MeasurePayload:
    point = await w.find(input.point_id, POINT)
    w.allow(Action.EDIT_MEASURES)
    measure = await ops.add_measure(
        w.session,
        point,
        type=input.type,
        description=input.description,
        responsibility=ops.Responsibility(
            me=w.viewer.staff_id if input.responsible_me else None,
            actor_ids=id_list(input.responsible_actor_ids, "Actor", RESPONSIBLE_ACTORS),
            guardians=input.responsible_guardians,
            child=input.responsible_child,
        ),
        initiated_on=input.initiated_on or w.today,
        finished_by=input.finished_by,
        created_by=w.viewer.staff_id,
    )
    return reply(MeasurePayload, measure=measure)


@mutation(
    STAFF, audit="Measure", description="Edit an open measure; a stale version is a CONFLICT."
)
async def edit_measure(w: Write, input: EditMeasureInput) -> MeasurePayload:
    measure = await w.find(input.measure_id, MEASURE)
    w.allow(Action.EDIT_MEASURES)
    actors = input.responsible_actor_ids
    changes = ops.MeasureChanges(
        type=input.type,
        description=input.description,
        responsible_me=w.viewer.staff_id if input.responsible_me else None,
        responsible_actor_ids=None
        if actors is None
        else id_list(actors, "Actor", RESPONSIBLE_ACTORS),
        responsible_guardians=input.responsible_guardians,
        responsible_child=input.responsible_child,
        initiated_on=input.initiated_on,
        finished_by=input.finished_by,
    )
    edited = await ops.edit_measure(w.session, measure, input.expected_version, changes)
    return reply(MeasurePayload, measure=edited)


@mutation(
    STAFF,
    audit="Measure",
    event=EventKind.MEASURE_ENDED,
    description="End an open measure (the holder).",
)
async def end_measure(w: Write, input: EndMeasureInput) -> MeasurePayload:
    measure = await w.find(input.measure_id, MEASURE)
    w.allow(Action.EDIT_MEASURES)
    ended = await ops.end_measure(w.session, measure, input.expected_version)
    return reply(MeasurePayload, measure=ended)


@mutation(
    STAFF,
    audit="Evaluation",
    event=EventKind.EVALUATION_RECORDED,
    description="Evaluate an open measure (the holder, or an actor responsible for it). "
    "Every evaluation is kept.",
)
async def evaluate_measure(w: Write, input: EvaluateMeasureInput) -> EvaluateMeasurePayload:
    found = await w.find(input.measure_id, MEASURE)
    measure = await ops.load_measure(w.session, found.id, for_update=True)
    responsible = await ops.is_responsible(w.session, measure, w.viewer.staff_id)
    w.allow(Action.EVALUATE_MEASURE, WriteFacts(responsible=responsible))
    result = await ops.evaluate_measure(
        w.session,
        measure,
        w.author,
        outcome=input.outcome,
        status_after=input.status_after,
        comment=input.comment,
        expected_version=input.expected_version,
    )
    return reply(
        EvaluateMeasurePayload,
        evaluation=result.evaluation,
        measure=result.measure,
        prompt_new_measure=result.prompt_new_measure,
    )
