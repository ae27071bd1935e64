"""The words of the printed log (docs/design.md §4): English message ids here, every
language's words in the ``pdf`` catalogs (models/i18n/locale), enumerations in ``enums``.

``LABELS[language]`` is the template's ``t``: every key below in that language. The export
language is its own enum (``ExportLanguage`` in the API, the member names upper case as
before); ``.code`` is the catalog language.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from models.enums import EvaluationOutcome
from models.i18n import N_, Domain, format_number, pgettext
from models.i18n import Language as Code
from models.i18n.enums import ENGLISH, PRINTED
from models.i18n.enums import enum_label as _enum_label

__all__ = [
    "ENUM_LABELS",
    "LABELS",
    "LABEL_IDS",
    "OUTCOME_COLOURS",
    "Language",
    "enum_label",
    "page_of",
]


class Language(StrEnum):
    """The language of a printed log: every language of the catalogs."""

    NB = "NB"  # Norwegian bokmål
    NN = "NN"  # Norwegian nynorsk
    EN = "EN"
    SE = "SE"  # Northern Sami
    PL = "PL"
    LT = "LT"
    SO = "SO"
    AR = "AR"  # right to left
    UK = "UK"
    TI = "TI"  # Ethiopic script

    @property
    def code(self) -> Code:
        return Code(self.value.lower())


LABEL_IDS: Final[dict[str, str]] = {
    "document": N_("Relay log"),
    "title_for": N_("Relay log for"),
    "log_id": N_("Log ID"),
    "printed_by": N_("Printed by"),
    "printed_at": N_("Printed"),
    "page_of": N_("Page {page} of {pages}"),
    "viewer_scope": N_(
        "This printout shows the log as the person who printed it may see it, at the "
        "level the log had when it was printed. Information they may not see is left out."
    ),
    "archive_scope": N_(
        "Archive copy: the log as the relay holder sees it, at the level the log had "
        "when it was archived."
    ),
    "system": N_("Relay Log (automatic)"),
    "child": N_("The child"),
    "name": N_("Name"),
    "birth_date": N_("Date of birth"),
    "national_id": N_("National identity number"),
    "address": N_("Address"),
    "level": N_("Level"),
    "status": N_("Status"),
    "close_reason": N_("Reason for closing"),
    "paused_reason": N_("Reason for pausing"),
    "created": N_("Created"),
    "holder": N_("Relay holder"),
    "organisation": N_("Organisation"),
    "activity_plan": N_("Activity plan (duty to act)"),
    "reported_on": N_("reported"),
    "deadline": N_("deadline"),
    "last_activity": N_("Last activity"),
    "level_history": N_("Level history"),
    "date": N_("Date"),
    "from_level": N_("From level"),
    "to_level": N_("To level"),
    "reason": N_("Reason"),
    "guardians": N_("Guardians"),
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "consents": N_("Consent"),
    "scope": N_("Scope"),
    "given_by": N_("Given by"),
    "evidence": N_("Evidence"),
    "given_on": N_("Given"),
    "valid_until": N_("Valid until"),
    "withdrawn": N_("Withdrawn"),
    "form": N_("Signed form"),
    "actors": N_("Actors"),
    "position": N_("Position"),
    "office_phone": N_("Office phone"),
    "mobile": N_("Mobile"),
    "role": N_("Role"),
    "actor": N_("Actor"),
    "deactivated": N_("Deactivated"),
    "points": N_("Points of attention"),
    "aware_of": N_("We are specially aware of …"),
    "goal": N_("We have reached our goal when we see …"),
    "category": N_("Category"),
    "informed": N_("Discussed with"),
    "informed_manager": N_("my manager"),
    "informed_guardian": N_("the guardian"),
    "informed_child": N_("the child"),
    "assessed_level": N_("Assessed level when registered"),
    "measures": N_("Measures"),
    "measure": N_("Measure"),
    "responsible": N_("Responsible"),
    "initiated": N_("Initiated"),
    "finished_by": N_("Finished by"),
    "evaluation": N_("Evaluation"),
    "evaluations": N_("Evaluations"),
    "no_evaluation": N_("Not evaluated"),
    "days_left": N_("days left"),
    "days_overdue": N_("days overdue"),
    "the_guardians": N_("the guardians"),
    "the_child": N_("the child"),
    "meetings": N_("Meetings"),
    "time": N_("Time"),
    "place": N_("Place"),
    "invited": N_("Invited"),
    "present": N_("Present"),
    "absent": N_("Not present"),
    "comments": N_("Comments"),
    "agenda": N_("Agenda"),
    "edited": N_("Edited"),
    "notes": N_("Notes"),
    "written_by": N_("Written by"),
    "adults_only": N_("Adults only"),
    "summary": N_("Summary"),
    "about_point": N_("About point of attention"),
    "about_meeting": N_("About meeting"),
    "sparkles": N_("Sparkles"),
    "none": N_("None registered."),
    "yes": N_("yes"),
    "no": N_("no"),
    "colour_red": N_("Red"),
    "colour_yellow": N_("Yellow"),
    "colour_green": N_("Green"),
}


def _labels(language: Language) -> dict[str, str]:
    # The key is the message context: "the child" after "discussed with" is declined in
    # several languages, and is not the same word as "the child" who is responsible.
    words = {
        key: pgettext(Domain.PDF, language.code, key, msgid) for key, msgid in LABEL_IDS.items()
    }
    words["html_lang"] = language.code.value
    words["dir"] = "rtl" if language.code.rtl else "ltr"
    return words


LABELS: Final[dict[Language, dict[str, str]]] = {
    language: _labels(language) for language in Language
}

# Every printed enumeration's words, keyed by (enum class, value): members of different enums
# with the same value ("ENDED") are equal as strings, so the member alone cannot be the key.
ENUM_LABELS: Final[dict[Language, dict[tuple[type, str], str]]] = {
    language: {
        (enum, value): _enum_label(enum(value), language.code)
        for enum in PRINTED
        for value in ENGLISH[enum.__name__]
    }
    for language in Language
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
    return _enum_label(member, language.code)


def page_of(language: Language, page: int, pages: int) -> str:
    """ "Side 2 av 7" with the numbers as the language writes them."""

    code = language.code
    return LABELS[language]["page_of"].format(
        page=format_number(page, code), pages=format_number(pages, code)
    )
