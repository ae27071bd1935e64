"""Every word a person reads, in their language: gettext catalogs read with Babel.

Why here, in ``models``: every layer speaks to people (the domain's typed errors, the printed
log in ``exports``, the worker's mails in ``relaylog``) and imports point one way, so the
catalogs live in the lowest layer and know nothing of requests or viewers.

The catalogs are the ``.po`` files in ``models/i18n/locale/<language>/LC_MESSAGES/``, one per
*domain* (errors, pdf, mail, enums); message ids are the English texts. They are compiled in
memory when first used (Babel's ``write_mo`` into ``gettext.GNUTranslations``), so a fresh
clone needs no build step and a compiled file can never be older than its source
(docs/languages.md says how to add a language and how translations are reviewed).

Which catalog must be complete for which language is ``REQUIRED``; what is not required falls
back along ``FALLBACK`` (Northern Sami to bokmål for staff-only texts; the family languages to
English for the API). ``tests/i18n`` fails when a required catalog misses a message, or when a
message in the code is in no catalog.
"""

from __future__ import annotations

import gettext as _gettext
import re
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from babel.dates import format_date as _format_date
from babel.dates import format_time as _format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

__all__ = [
    "FALLBACK",
    "FAMILY_LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "REQUIRED",
    "Domain",
    "Language",
    "format_date",
    "format_datetime",
    "format_number",
    "format_time",
    "negotiate",
    "pgettext",
    "translate",
    "translator",
]

LOCALE_DIR: Final = Path(__file__).parent / "locale"
OSLO: Final = ZoneInfo("Europe/Oslo")


class Language(StrEnum):
    """A language the product speaks (BCP 47 primary tags, as mails' Content-Language)."""

    NB = "nb"  # Norwegian bokmål
    NN = "nn"  # Norwegian nynorsk
    EN = "en"  # English (the message ids)
    SE = "se"  # Northern Sami (davvisámegiella)
    PL = "pl"  # Polish
    LT = "lt"  # Lithuanian
    SO = "so"  # Somali
    AR = "ar"  # Arabic (right to left)
    UK = "uk"  # Ukrainian
    TI = "ti"  # Tigrinya (Ethiopic script)

    @property
    def rtl(self) -> bool:
        return self is Language.AR


class Domain(StrEnum):
    """One catalog per kind of text, so completeness can differ by audience."""

    ERRORS = "errors"  # the API's typed error messages
    PDF = "pdf"  # the printed log's labels and headings
    MAIL = "mail"  # the worker's e-mails
    ENUMS = "enums"  # labels of the enumerations exposed to clients (msgctxt: the enum)


NORWEGIAN_AND_SAMI: Final = (Language.NB, Language.NN, Language.EN, Language.SE)
FAMILY_LANGUAGES: Final = (
    Language.PL,
    Language.LT,
    Language.SO,
    Language.AR,
    Language.UK,
    Language.TI,
)

# The languages whose catalog must hold every message of a domain. The family sees the
# printed log, the mails and the printed enumerations in all ten; typed errors and the
# staff-only enumerations in nb, nn and en, and Northern Sami has what the family can see of
# them (``relaylog.i18n_messages.required_languages`` has the exact rule).
REQUIRED: Final[dict[Domain, tuple[Language, ...]]] = {
    Domain.PDF: tuple(Language),
    Domain.MAIL: tuple(Language),
    Domain.ENUMS: (Language.NB, Language.NN, Language.EN),
    Domain.ERRORS: (Language.NB, Language.NN, Language.EN),
}

# Where a message missing in a catalog is looked up next. English is the message id, so the
# end of every chain reads as the code wrote it.
FALLBACK: Final[dict[Language, Language | None]] = {
    Language.NB: Language.EN,
    Language.NN: Language.NB,
    Language.EN: None,
    Language.SE: Language.NB,
    **{language: Language.EN for language in FAMILY_LANGUAGES},
}


def N_(message: str) -> str:
    """Mark a message for extraction where it is defined; translated where it is used."""
    return message


def catalog_path(domain: Domain, language: Language) -> Path:
    return LOCALE_DIR / language.value / "LC_MESSAGES" / f"{domain.value}.po"


@cache
def translator(domain: Domain, language: Language) -> _gettext.NullTranslations:
    """The compiled catalog with its fallbacks (a missing file: straight to the fallback)."""
    path = catalog_path(domain, language)
    if path.exists():
        with path.open("rb") as f:
            catalog = read_po(f, locale=language.value, domain=domain.value)
        buffer = BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        buffer.seek(0)
        result: _gettext.NullTranslations = _gettext.GNUTranslations(buffer)
    else:
        result = _gettext.NullTranslations()
    nxt = FALLBACK[language]
    if nxt is not None:
        result.add_fallback(translator(domain, nxt))
    return result


def translate(domain: Domain, language: Language, message: str, **params: object) -> str:
    """``message`` (its English id) in ``language``, with ``{name}`` placeholders filled."""
    text = translator(domain, language).gettext(message)
    return text.format(**params) if params else text


def pgettext(domain: Domain, language: Language, context: str, message: str) -> str:
    return translator(domain, language).pgettext(context, message)


_TAG = re.compile(r"^\s*([A-Za-z]{1,8})(?:[-_][A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")
# "no" is Norwegian without a written standard: bokmål, as most readers write it.
_ALIASES: Final = {"no": Language.NB, "nob": Language.NB, "nno": Language.NN, "sme": Language.SE}


def negotiate(accept_language: str | None) -> Language | None:
    """The best language of an ``Accept-Language`` header (RFC 9110 weights), or ``None``."""
    if not accept_language:
        return None
    best: tuple[float, int, Language] | None = None
    for index, part in enumerate(accept_language.split(",")[:20]):
        match = _TAG.match(part)
        if match is None:
            continue
        tag = match.group(1).lower()
        try:
            weight = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        language = _ALIASES.get(tag) or next((x for x in Language if x.value == tag), None)
        if language is None or weight <= 0:
            continue
        if best is None or (weight, -index) > (best[0], best[1]):
            best = (weight, -index, language)
    return None if best is None else best[2]


# Bidi marks CLDR puts in Arabic dates ("4‏/3‏/2026"): the PDF's bidi pass orders the digits,
# and a mark no font draws would print as a box.
_MARKS = re.compile("[\u200e\u200f\u061c]")


def format_date(value: date | datetime | None, language: Language) -> str:
    """A date as people in this language write it, always with a four-digit year."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(OSLO).date()
    if language is Language.EN:
        return value.isoformat()  # unambiguous for every English reader
    if language in (Language.NB, Language.NN):
        return value.strftime("%d.%m.%Y")
    return _MARKS.sub("", _format_date(value, _date_pattern(language), locale=language.value))


@cache
def _date_pattern(language: Language) -> str:
    from babel.dates import get_date_format

    pattern = get_date_format("short", locale=language.value).pattern
    # Two-digit years ("04.03.26") are ambiguous on a document kept for years.
    return re.sub(r"(?<!y)y{1,2}(?!y)", "yyyy", pattern)


def format_time(value: datetime | None, language: Language) -> str:
    if value is None:
        return ""
    return _MARKS.sub("", _format_time(value, "HH:mm", locale=language.value))


def format_datetime(value: datetime | None, language: Language) -> str:
    if value is None:
        return ""
    local = value.astimezone(OSLO)
    return f"{format_date(local.date(), language)} {local.strftime('%H:%M')}"


def format_number(value: int | float, language: Language) -> str:
    return _MARKS.sub("", format_decimal(value, locale=language.value))
