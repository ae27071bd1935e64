"""Enumerations of the routines, exactly as the municipal guides name them (docs/design.md)."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "ActorStatus",
    "AuthorKind",
    "CloseReason",
    "ConcernOutcome",
    "ConsentEvidence",
    "ConsentScope",
    "EvaluationOutcome",
    "MeasureStatus",
    "MeasureType",
    "MeetingStatus",
    "OrganisationKind",
    "ParticipantKind",
    "PointCategory",
    "PointStatus",
    "RelayLogStatus",
    "StaffRole",
    "StatusAfterEvaluation",
    "TransferStatus",
]


class OrganisationKind(StrEnum):
    KINDERGARTEN = "KINDERGARTEN"
    SCHOOL = "SCHOOL"
    HEALTH = "HEALTH"
    PPT = "PPT"
    CHILD_WELFARE = "CHILD_WELFARE"
    SPECIALIST_HEALTH = "SPECIALIST_HEALTH"


class StaffRole(StrEnum):
    STAFF = "STAFF"
    MUNICIPAL_ADMIN = "MUNICIPAL_ADMIN"
    REPORTER = "REPORTER"


class RelayLogStatus(StrEnum):
    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    CLOSED = "CLOSED"
    ARCHIVED = "ARCHIVED"


class CloseReason(StrEnum):
    GOAL_REACHED = "GOAL_REACHED"
    INDIVIDUAL_PLAN = "INDIVIDUAL_PLAN"
    ENDED_BY_FAMILY = "ENDED_BY_FAMILY"
    CONCERN_ENDED = "CONCERN_ENDED"


class ConcernOutcome(StrEnum):
    OPEN = "OPEN"
    ENDED = "ENDED"
    LOG_CREATED = "LOG_CREATED"


class ConsentScope(StrEnum):
    CREATE = "CREATE"
    SHARE = "SHARE"
    BROAD = "BROAD"


class ConsentEvidence(StrEnum):
    UPLOADED_FORM = "UPLOADED_FORM"
    IN_APP = "IN_APP"


class ActorStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DEACTIVATED = "DEACTIVATED"


class PointCategory(StrEnum):
    LEARNING = "LEARNING"
    CONCENTRATION_ATTENTION = "CONCENTRATION_ATTENTION"
    MOTOR_SKILL = "MOTOR_SKILL"
    SOCIAL_INTERACTION = "SOCIAL_INTERACTION"
    COMMUNICATION = "COMMUNICATION"
    WELLBEING = "WELLBEING"
    LEISURE = "LEISURE"
    HEALTH = "HEALTH"
    OTHER = "OTHER"


class PointStatus(StrEnum):
    ONGOING = "ONGOING"
    ENDED = "ENDED"


class MeasureType(StrEnum):
    GROUP = "GROUP"
    ONE_ON_ONE = "ONE_ON_ONE"
    MAPPING = "MAPPING"
    HOME_ACTIVITIES = "HOME_ACTIVITIES"
    OBSERVATION = "OBSERVATION"
    CLOSE_MONITORING = "CLOSE_MONITORING"
    TRAINING = "TRAINING"


class MeasureStatus(StrEnum):
    OPEN = "OPEN"
    ENDED = "ENDED"


class EvaluationOutcome(StrEnum):
    """Red / yellow / green."""

    NOT_REACHED = "NOT_REACHED"
    SOME_EFFECT = "SOME_EFFECT"
    REACHED = "REACHED"


class StatusAfterEvaluation(StrEnum):
    ENDED_DEFINE_NEW = "ENDED_DEFINE_NEW"
    WILL_BE_ADJUSTED = "WILL_BE_ADJUSTED"
    ENDED_CONTINUE_DAILY = "ENDED_CONTINUE_DAILY"
    ENDED = "ENDED"


class MeetingStatus(StrEnum):
    PLANNED = "PLANNED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class ParticipantKind(StrEnum):
    ACTOR = "ACTOR"
    GUARDIAN = "GUARDIAN"
    CHILD = "CHILD"


class AuthorKind(StrEnum):
    STAFF = "STAFF"
    GUARDIAN = "GUARDIAN"
    SUBJECT = "SUBJECT"


class TransferStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    CANCELLED = "CANCELLED"  # declined by the staff member asked, or taken back by the holder
    REFUSED = "REFUSED"  # refused by the family in the app
