"""The words of the printed log, in bokmål (default) and English, from docs/design.md §4."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final

from models.enums import (
    ActorStatus,
    AuthorKind,
    CloseReason,
    ConsentEvidence,
    ConsentScope,
    EvaluationOutcome,
    MeasureStatus,
    MeasureType,
    MeetingStatus,
    ParticipantKind,
    PointCategory,
    PointStatus,
    RelayLogStatus,
    StatusAfterEvaluation,
)

__all__ = ["ENUM_LABELS", "LABELS", "OUTCOME_COLOURS", "Language", "enum_label"]


class Language(StrEnum):
    """The language of a printed log."""

    NB = "NB"  # Norwegian bokmål
    EN = "EN"


LABELS: Final[dict[Language, dict[str, str]]] = {
    Language.NB: {
        "html_lang": "nb",
        "document": "Stafettlogg",
        "title_for": "Stafettlogg for",
        "log_id": "Logg-ID",
        "printed_by": "Utskrevet av",
        "printed_at": "Utskrevet",
        "page_of": "Side {page} av {pages}",
        "viewer_scope": (
            "Utskriften viser loggen slik den som skrev den ut har tilgang til den, på det "
            "nivået loggen hadde da den ble skrevet ut. Opplysninger vedkommende ikke har "
            "tilgang til, er ikke med."
        ),
        "archive_scope": (
            "Arkivutskrift: loggen slik stafettholderen ser den, på det nivået loggen hadde "
            "da den ble arkivert."
        ),
        "system": "Stafettloggen (automatisk)",
        "child": "Barnet",
        "name": "Navn",
        "birth_date": "Fødselsdato",
        "national_id": "Fødselsnummer",
        "address": "Adresse",
        "level": "Nivå",
        "status": "Status",
        "close_reason": "Grunn til avslutning",
        "paused_reason": "Grunn til midlertidig lukking",
        "created": "Opprettet",
        "holder": "Stafettholder",
        "organisation": "Organisasjon",
        "activity_plan": "Aktivitetsplan (aktivitetsplikt)",
        "reported_on": "meldt",
        "deadline": "frist",
        "last_activity": "Sist aktivitet",
        "level_history": "Nivåhistorikk",
        "date": "Dato",
        "from_level": "Fra nivå",
        "to_level": "Til nivå",
        "reason": "Begrunnelse",
        "guardians": "Foresatte",
        "phone": "Telefon",
        "email": "E-post",
        "consents": "Samtykke",
        "scope": "Omfang",
        "given_by": "Gitt av",
        "evidence": "Grunnlag",
        "given_on": "Gitt",
        "valid_until": "Gyldig til",
        "withdrawn": "Trukket",
        "form": "Signert skjema",
        "actors": "Aktører",
        "position": "Stilling",
        "office_phone": "Telefon (arbeid)",
        "mobile": "Mobil",
        "role": "Rolle",
        "actor": "Aktør",
        "deactivated": "Deaktivert",
        "points": "Oppmerksomhetspunkter",
        "aware_of": "Vi er særlig oppmerksomme på …",
        "goal": "Vi har nådd målet når vi ser …",
        "category": "Kategori",
        "informed": "Drøftet med",
        "informed_manager": "min leder",
        "informed_guardian": "foresatte",
        "informed_child": "barnet",
        "assessed_level": "Vurdert nivå ved registrering",
        "measures": "Tiltak",
        "measure": "Tiltak",
        "responsible": "Ansvarlig",
        "initiated": "Iverksatt",
        "finished_by": "Frist",
        "evaluation": "Evaluering",
        "evaluations": "Evalueringer",
        "no_evaluation": "Ikke evaluert",
        "days_left": "dager igjen",
        "days_overdue": "dager over fristen",
        "the_guardians": "foresatte",
        "the_child": "barnet",
        "meetings": "Møter",
        "time": "Tid",
        "place": "Sted",
        "invited": "Innkalt",
        "present": "Til stede",
        "absent": "Ikke til stede",
        "comments": "Kommentarer",
        "agenda": "Dagsorden",
        "edited": "Redigert",
        "notes": "Notater",
        "written_by": "Skrevet av",
        "adults_only": "Kun for voksne",
        "summary": "Oppsummering",
        "about_point": "Gjelder oppmerksomhetspunkt",
        "about_meeting": "Gjelder møte",
        "sparkles": "Lysglimt",
        "none": "Ingen registrert.",
        "yes": "ja",
        "no": "nei",
        "colour_red": "Rød",
        "colour_yellow": "Gul",
        "colour_green": "Grønn",
    },
    Language.EN: {
        "html_lang": "en",
        "document": "Relay log",
        "title_for": "Relay log for",
        "log_id": "Log ID",
        "printed_by": "Printed by",
        "printed_at": "Printed",
        "page_of": "Page {page} of {pages}",
        "viewer_scope": (
            "This printout shows the log as the person who printed it may see it, at the "
            "level the log had when it was printed. Information they may not see is left out."
        ),
        "archive_scope": (
            "Archive copy: the log as the relay holder sees it, at the level the log had "
            "when it was archived."
        ),
        "system": "Relay Log (automatic)",
        "child": "The child",
        "name": "Name",
        "birth_date": "Date of birth",
        "national_id": "National identity number",
        "address": "Address",
        "level": "Level",
        "status": "Status",
        "close_reason": "Reason for closing",
        "paused_reason": "Reason for pausing",
        "created": "Created",
        "holder": "Relay holder",
        "organisation": "Organisation",
        "activity_plan": "Activity plan (duty to act)",
        "reported_on": "reported",
        "deadline": "deadline",
        "last_activity": "Last activity",
        "level_history": "Level history",
        "date": "Date",
        "from_level": "From level",
        "to_level": "To level",
        "reason": "Reason",
        "guardians": "Guardians",
        "phone": "Phone",
        "email": "E-mail",
        "consents": "Consent",
        "scope": "Scope",
        "given_by": "Given by",
        "evidence": "Evidence",
        "given_on": "Given",
        "valid_until": "Valid until",
        "withdrawn": "Withdrawn",
        "form": "Signed form",
        "actors": "Actors",
        "position": "Position",
        "office_phone": "Office phone",
        "mobile": "Mobile",
        "role": "Role",
        "actor": "Actor",
        "deactivated": "Deactivated",
        "points": "Points of attention",
        "aware_of": "We are specially aware of …",
        "goal": "We have reached our goal when we see …",
        "category": "Category",
        "informed": "Discussed with",
        "informed_manager": "my manager",
        "informed_guardian": "the guardian",
        "informed_child": "the child",
        "assessed_level": "Assessed level when registered",
        "measures": "Measures",
        "measure": "Measure",
        "responsible": "Responsible",
        "initiated": "Initiated",
        "finished_by": "Finished by",
        "evaluation": "Evaluation",
        "evaluations": "Evaluations",
        "no_evaluation": "Not evaluated",
        "days_left": "days left",
        "days_overdue": "days overdue",
        "the_guardians": "the guardians",
        "the_child": "the child",
        "meetings": "Meetings",
        "time": "Time",
        "place": "Place",
        "invited": "Invited",
        "present": "Present",
        "absent": "Not present",
        "comments": "Comments",
        "agenda": "Agenda",
        "edited": "Edited",
        "notes": "Notes",
        "written_by": "Written by",
        "adults_only": "Adults only",
        "summary": "Summary",
        "about_point": "About point of attention",
        "about_meeting": "About meeting",
        "sparkles": "Sparkles",
        "none": "None registered.",
        "yes": "yes",
        "no": "no",
        "colour_red": "Red",
        "colour_yellow": "Yellow",
        "colour_green": "Green",
    },
}

_NB_EN = tuple[str, str]

_ENUMS: Final[dict[type[StrEnum], dict[Any, _NB_EN]]] = {
    RelayLogStatus: {
        RelayLogStatus.DRAFT: ("Utkast (oppmerksomhet)", "Draft (concern)"),
        RelayLogStatus.ACTIVE: ("Aktiv", "Active"),
        RelayLogStatus.PAUSED: ("Midlertidig lukket", "Paused"),
        RelayLogStatus.CLOSED: ("Avsluttet", "Closed"),
        RelayLogStatus.ARCHIVED: ("Arkivert", "Archived"),
    },
    CloseReason: {
        CloseReason.GOAL_REACHED: ("Ønsket effekt oppnådd", "Desired effect reached"),
        CloseReason.INDIVIDUAL_PLAN: (
            "Overført til individuell plan",
            "Moved to an individual plan",
        ),
        CloseReason.ENDED_BY_FAMILY: ("Avsluttet av familien", "Ended by the family"),
        CloseReason.CONCERN_ENDED: ("Oppmerksomheten avsluttet", "Concern ended"),
    },
    ConsentScope: {
        ConsentScope.CREATE: ("Opprette stafettlogg", "Create the relay log"),
        ConsentScope.SHARE: ("Deling med andre tjenester", "Share with other services"),
        ConsentScope.BROAD: ("Bredt samarbeid", "Broad collaboration"),
    },
    ConsentEvidence: {
        ConsentEvidence.UPLOADED_FORM: ("Signert skjema", "Signed form"),
        ConsentEvidence.IN_APP: ("Bekreftet i appen", "Confirmed in the app"),
    },
    AuthorKind: {
        AuthorKind.STAFF: ("ansatt", "staff"),
        AuthorKind.GUARDIAN: ("foresatt", "guardian"),
        AuthorKind.SUBJECT: ("barnet", "the child"),
    },
    ActorStatus: {
        ActorStatus.ACTIVE: ("Aktiv", "Active"),
        ActorStatus.DEACTIVATED: ("Deaktivert", "Deactivated"),
    },
    PointCategory: {
        PointCategory.LEARNING: ("Læring", "Learning challenges"),
        PointCategory.CONCENTRATION_ATTENTION: (
            "Konsentrasjon/oppmerksomhet",
            "Concentration/Attention",
        ),
        PointCategory.MOTOR_SKILL: ("Motorikk", "Motor skill"),
        PointCategory.SOCIAL_INTERACTION: ("Sosialt samspill", "Social interaction"),
        PointCategory.COMMUNICATION: (
            "Verbal/nonverbal kommunikasjon",
            "Verbal/nonverbal communication",
        ),
        PointCategory.WELLBEING: ("Trivsel", "Wellbeing"),
        PointCategory.LEISURE: ("Fritid", "Leisure"),
        PointCategory.HEALTH: ("Helse", "Health"),
        PointCategory.OTHER: ("Annet", "Other"),
    },
    PointStatus: {
        PointStatus.ONGOING: ("Pågår", "Ongoing"),
        PointStatus.ENDED: ("Avsluttet", "Ended"),
    },
    MeasureType: {
        MeasureType.GROUP: ("Tiltak i gruppe", "Measures in group"),
        MeasureType.ONE_ON_ONE: ("Én-til-én-støtte", "1-on-1 support"),
        MeasureType.MAPPING: ("Kartlegging", "Mapping"),
        MeasureType.HOME_ACTIVITIES: ("Aktiviteter i hjemmet", "Activities in the home"),
        MeasureType.OBSERVATION: ("Observasjon", "Observation"),
        MeasureType.CLOSE_MONITORING: ("Tett oppfølging", "Close monitoring"),
        MeasureType.TRAINING: ("Trening", "Training"),
    },
    MeasureStatus: {
        MeasureStatus.OPEN: ("Pågår", "Ongoing"),
        MeasureStatus.ENDED: ("Avsluttet", "Ended"),
    },
    EvaluationOutcome: {
        EvaluationOutcome.NOT_REACHED: ("Ønsket effekt ikke oppnådd", "Desired effect not reached"),
        EvaluationOutcome.SOME_EFFECT: ("Noe effekt av tiltaket", "Some effect by the measure"),
        EvaluationOutcome.REACHED: ("Ønsket effekt oppnådd", "Desired effect reached"),
    },
    StatusAfterEvaluation: {
        StatusAfterEvaluation.ENDED_DEFINE_NEW: (
            "Avsluttet – definer nytt tiltak",
            "Ended – define new measure",
        ),
        StatusAfterEvaluation.WILL_BE_ADJUSTED: ("Tiltaket justeres", "Measure will be adjusted"),
        StatusAfterEvaluation.ENDED_CONTINUE_DAILY: (
            "Avsluttet – videreføres i daglig rutine",
            "Ended. Continue in daily routine",
        ),
        StatusAfterEvaluation.ENDED: ("Avsluttet", "Ended"),
    },
    MeetingStatus: {
        MeetingStatus.PLANNED: ("Planlagt", "Planned"),
        MeetingStatus.COMPLETED: ("Gjennomført", "Completed"),
        MeetingStatus.CANCELLED: ("Avlyst", "Cancelled"),
    },
    ParticipantKind: {
        ParticipantKind.ACTOR: ("aktør", "actor"),
        ParticipantKind.GUARDIAN: ("foresatt", "guardian"),
        ParticipantKind.CHILD: ("barnet", "the child"),
    },
}

# Keyed by (enum class, value): members of different enums with the same value ("ENDED")
# are equal as strings, so the member alone cannot be the key.
_Key = tuple[type, str]
ENUM_LABELS: Final[dict[Language, dict[_Key, str]]] = {
    Language.NB: {(enum, m.value): nb for enum, ms in _ENUMS.items() for m, (nb, _) in ms.items()},
    Language.EN: {(enum, m.value): en for enum, ms in _ENUMS.items() for m, (_, en) in ms.items()},
}

# Red / yellow / green: shown as a coloured mark AND as text, so it survives black-and-white
# printing and colour blindness. Dark enough to read on white paper.
OUTCOME_COLOURS: Final[dict[EvaluationOutcome, tuple[str, str]]] = {
    EvaluationOutcome.NOT_REACHED: ("#c62828", "colour_red"),
    EvaluationOutcome.SOME_EFFECT: ("#e6a100", "colour_yellow"),
    EvaluationOutcome.REACHED: ("#2e7d32", "colour_green"),
}


def enum_label(language: Language, member: StrEnum) -> str:
    """The printed word for an enum member."""
    return ENUM_LABELS[language][(type(member), member.value)]
