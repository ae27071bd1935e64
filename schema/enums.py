"""The domain's enumerations, registered with Strawberry under the same names.

``strawberry.enum`` marks the class in place, so the schema and the models share one enum.
"""

from __future__ import annotations

import strawberry

from auth.policy import Relation
from models.enums import (
    ActorStatus,
    AuthorKind,
    CloseReason,
    ConcernOutcome,
    ConsentEvidence,
    ConsentScope,
    EvaluationOutcome,
    MeasureStatus,
    MeasureType,
    MeetingStatus,
    OrganisationKind,
    ParticipantKind,
    PointCategory,
    PointStatus,
    RelayLogStatus,
    StaffRole,
    StatusAfterEvaluation,
    TransferStatus,
)
from resolvers.log_lists import LogOrder

__all__ = [
    "ActorStatus",
    "AuthorKind",
    "CloseReason",
    "ConcernOutcome",
    "ConsentEvidence",
    "ConsentScope",
    "EvaluationOutcome",
    "LogOrder",
    "MeasureStatus",
    "MeasureType",
    "MeetingStatus",
    "OrganisationKind",
    "ParticipantKind",
    "PointCategory",
    "PointStatus",
    "Relation",
    "RelayLogStatus",
    "StaffRole",
    "StatusAfterEvaluation",
    "TransferStatus",
]

for _enum in (
    ActorStatus,
    AuthorKind,
    CloseReason,
    ConcernOutcome,
    ConsentEvidence,
    ConsentScope,
    MeasureStatus,
    MeasureType,
    MeetingStatus,
    OrganisationKind,
    ParticipantKind,
    PointCategory,
    PointStatus,
    RelayLogStatus,
    StaffRole,
    StatusAfterEvaluation,
    TransferStatus,
):
    strawberry.enum(_enum)
strawberry.enum(EvaluationOutcome, description="Red (not reached), yellow (some effect), green.")
strawberry.enum(Relation, description="The viewer's relation to a log.")
strawberry.enum(LogOrder, description="How myLogs is ordered; every ordering ends in the log id.")
