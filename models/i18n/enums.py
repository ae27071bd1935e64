"""The English labels of the enumerations (the ``enums`` catalogs' message ids; the enum's
name is the message context, so "Ended" of a point and of a measure may differ in a language
that inflects them).

Clients read them through ``labels(language:)`` (schema/labels.py): no front end hard-codes a
label, and the printed log uses the same words (exports/labels.py).

The tables are keyed by the enum's name: some enumerations are defined above ``models``
(``Relation`` in auth, ``LogOrder`` in resolvers) and imports point one way, so the schema
binds each name to its class (``schema.labels.LABELLED``, which fails on a name it lacks).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

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
from models.i18n import N_, Domain, Language, pgettext

__all__ = ["ENGLISH", "FAMILY_SEEN", "PRINTED", "enum_label"]

_PRINTED_ENGLISH: Final[dict[type[StrEnum], dict[StrEnum, str]]] = {
    RelayLogStatus: {
        RelayLogStatus.DRAFT: N_("Draft (concern)"),
        RelayLogStatus.ACTIVE: N_("Active"),
        RelayLogStatus.PAUSED: N_("Paused"),
        RelayLogStatus.CLOSED: N_("Closed"),
        RelayLogStatus.ARCHIVED: N_("Archived"),
    },
    CloseReason: {
        CloseReason.GOAL_REACHED: N_("Desired effect reached"),
        CloseReason.INDIVIDUAL_PLAN: N_("Moved to an individual plan"),
        CloseReason.ENDED_BY_FAMILY: N_("Ended by the family"),
        CloseReason.CONCERN_ENDED: N_("Concern ended"),
    },
    ConsentScope: {
        ConsentScope.CREATE: N_("Create the relay log"),
        ConsentScope.SHARE: N_("Share with other services"),
        ConsentScope.BROAD: N_("Broad collaboration"),
    },
    ConsentEvidence: {
        ConsentEvidence.UPLOADED_FORM: N_("Signed form"),
        ConsentEvidence.IN_APP: N_("Confirmed in the app"),
    },
    AuthorKind: {
        AuthorKind.STAFF: N_("staff"),
        AuthorKind.GUARDIAN: N_("guardian"),
        AuthorKind.SUBJECT: N_("the child"),
    },
    ActorStatus: {
        ActorStatus.ACTIVE: N_("Active"),
        ActorStatus.DEACTIVATED: N_("Deactivated"),
    },
    PointCategory: {
        PointCategory.LEARNING: N_("Learning challenges"),
        PointCategory.CONCENTRATION_ATTENTION: N_("Concentration/Attention"),
        PointCategory.MOTOR_SKILL: N_("Motor skill"),
        PointCategory.SOCIAL_INTERACTION: N_("Social interaction"),
        PointCategory.COMMUNICATION: N_("Verbal/nonverbal communication"),
        PointCategory.WELLBEING: N_("Wellbeing"),
        PointCategory.LEISURE: N_("Leisure"),
        PointCategory.HEALTH: N_("Health"),
        PointCategory.OTHER: N_("Other"),
    },
    PointStatus: {
        PointStatus.ONGOING: N_("Ongoing"),
        PointStatus.ENDED: N_("Ended"),
    },
    MeasureType: {
        MeasureType.GROUP: N_("Measures in group"),
        MeasureType.ONE_ON_ONE: N_("1-on-1 support"),
        MeasureType.MAPPING: N_("Mapping"),
        MeasureType.HOME_ACTIVITIES: N_("Activities in the home"),
        MeasureType.OBSERVATION: N_("Observation"),
        MeasureType.CLOSE_MONITORING: N_("Close monitoring"),
        MeasureType.TRAINING: N_("Training"),
    },
    MeasureStatus: {
        MeasureStatus.OPEN: N_("Ongoing"),
        MeasureStatus.ENDED: N_("Ended"),
    },
    EvaluationOutcome: {
        EvaluationOutcome.NOT_REACHED: N_("Desired effect not reached"),
        EvaluationOutcome.SOME_EFFECT: N_("Some effect by the measure"),
        EvaluationOutcome.REACHED: N_("Desired effect reached"),
    },
    StatusAfterEvaluation: {
        StatusAfterEvaluation.ENDED_DEFINE_NEW: N_("Ended – define new measure"),
        StatusAfterEvaluation.WILL_BE_ADJUSTED: N_("Measure will be adjusted"),
        StatusAfterEvaluation.ENDED_CONTINUE_DAILY: N_("Ended. Continue in daily routine"),
        StatusAfterEvaluation.ENDED: N_("Ended"),
    },
    MeetingStatus: {
        MeetingStatus.PLANNED: N_("Planned"),
        MeetingStatus.COMPLETED: N_("Completed"),
        MeetingStatus.CANCELLED: N_("Cancelled"),
    },
    ParticipantKind: {
        ParticipantKind.ACTOR: N_("actor"),
        ParticipantKind.GUARDIAN: N_("guardian"),
        ParticipantKind.CHILD: N_("the child"),
    },
}


# Shown to staff only (organisation registry, accounts, concerns, transfers).
_STAFF_ENGLISH: Final[dict[type[StrEnum], dict[StrEnum, str]]] = {
    OrganisationKind: {
        OrganisationKind.KINDERGARTEN: N_("Kindergarten"),
        OrganisationKind.SCHOOL: N_("School"),
        OrganisationKind.HEALTH: N_("Health station"),
        OrganisationKind.PPT: N_("Educational-psychological service (PPT)"),
        OrganisationKind.CHILD_WELFARE: N_("Child welfare service"),
        OrganisationKind.SPECIALIST_HEALTH: N_("Specialist health service"),
    },
    StaffRole: {
        StaffRole.STAFF: N_("Staff"),
        StaffRole.MUNICIPAL_ADMIN: N_("Municipal administrator"),
        StaffRole.REPORTER: N_("Reporter"),
    },
    ConcernOutcome: {
        ConcernOutcome.OPEN: N_("Open"),
        ConcernOutcome.ENDED: N_("Ended"),
        ConcernOutcome.LOG_CREATED: N_("Relay log created"),
    },
    TransferStatus: {
        TransferStatus.PENDING: N_("Pending"),
        TransferStatus.ACCEPTED: N_("Accepted"),
        TransferStatus.CANCELLED: N_("Cancelled"),
        TransferStatus.REFUSED: N_("Refused by the family"),
    },
}

# Enumerations defined above ``models`` or not printed, which the family reads in the app too
# (how its own relation to a log, the log list's order and its mail preference are named),
# keyed by the enum's name (the class's for ``Delivery``, ``NotificationDelivery`` in GraphQL).
_FAMILY_ENGLISH: Final[dict[str, dict[str, str]]] = {
    "Relation": {
        "HOLDER": N_("Relay holder"),
        "ACTOR": N_("Actor"),
        "EXTERNAL_ACTOR": N_("External actor"),
        "GUARDIAN": N_("Guardian"),
        "SUBJECT": N_("The child"),
        "MANAGER": N_("Unit manager"),
        "NONE": N_("No role in the log"),
    },
    "LogOrder": {
        "LAST_ACTIVITY": N_("Most recent activity"),
        "CHILD_NAME": N_("Child's name"),
        "LEVEL": N_("Highest level"),
        "NEXT_DEADLINE": N_("Next deadline"),
    },
    "Delivery": {
        "IMMEDIATE": N_("Right away"),
        "DAILY": N_("Once a day"),
        "OFF": N_("Off"),
    },
}

# The enumerations on the printed log: every language. The rest: nb, nn, en; Northern Sami
# also has those the family sees in the app (``FAMILY_SEEN``), the staff-only fall back to
# bokmål; the other family languages fall back to English for them.
PRINTED: Final = frozenset(_PRINTED_ENGLISH)
ENGLISH: Final[dict[str, dict[str, str]]] = {
    enum.__name__: {member.value: label for member, label in members.items()}
    for enum, members in (_PRINTED_ENGLISH | _STAFF_ENGLISH).items()
} | _FAMILY_ENGLISH
FAMILY_SEEN: Final = frozenset({*_FAMILY_ENGLISH, TransferStatus.__name__})


def enum_label(member: StrEnum, language: Language) -> str:
    """The label of ``member`` in ``language`` (keyed by enum: "ENDED" is in several)."""
    name = type(member).__name__
    return pgettext(Domain.ENUMS, language, name, ENGLISH[name][member.value])
