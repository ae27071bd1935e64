"""Norwegian national identity numbers (fødselsnummer, D-number, H-number, synthetic ids).

A national id is 11 digits, ``DDMMYYIIIKK``: birth date (``DDMMYY``), individual number
(``III``, which also fixes the century) and two mod-11 check digits (``KK``). See docs/design.md §3.

Why this module looks the way it does:

* **Privacy.** A national id identifies a person for life and is sensitive personal data. Error
  messages from this module reach API clients and logs, so they describe *what* is wrong and
  never contain the number (not even part of it). :class:`NationalId` keeps the digits in
  ``.value`` for storage and look-up, but its ``repr``/``str`` mask them, so an id that ends up
  in a log line, a traceback or an f-string does not leak.
* **Synthetic-only test data.** Demo and test data must never contain a real person's id. The
  national test-data service marks synthetic ids by adding 80 to the month (a synthetic D-number
  adds 40 to the day as well); no real person has such an id. :func:`synthetic_national_id`
  deterministically generates valid synthetic ids for seeding and tests.
* **Pure.** No database, no clock, no project imports: the service layer decides what "today" is
  (``Europe/Oslo``) and passes it to :func:`age_on`.

Accepted forms (after stripping surrounding whitespace; inner spaces or separators are rejected):

* ordinary fødselsnummer: day 01–31, month 01–12;
* D-number: day + 40 (41–71);
* H-number: month + 40 (41–52);
* synthetic: month + 80 (81–92), optionally combined with the D-number day + 40.

Century from the individual number (Skatteetaten's rules):

* 000–499 → 1900–1999;
* 500–749 with year 54–99 → 1854–1899;
* 500–999 with year 00–39 → 2000–2039;
* 900–999 with year 40–99 → 1940–1999;
* any other combination is invalid.

Validation order (the first failure decides the :class:`NationalIdError` ``reason``):
``LENGTH`` → ``NOT_DIGITS`` → ``CHECK_DIGIT`` → ``DATE``. A birth date in the future is not
rejected here, since this module has no notion of "today".
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Final, Literal

__all__ = [
    "NationalId",
    "NationalIdError",
    "NationalIdErrorReason",
    "NationalIdKind",
    "age_on",
    "is_valid_national_id",
    "parse_national_id",
    "synthetic_national_id",
]

NationalIdErrorReason = Literal["LENGTH", "NOT_DIGITS", "CHECK_DIGIT", "DATE"]

_LENGTH: Final = 11
_WEIGHTS_K1: Final = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_WEIGHTS_K2: Final = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_D_NUMBER_DAY_OFFSET: Final = 40
_H_NUMBER_MONTH_OFFSET: Final = 40
_SYNTHETIC_MONTH_OFFSET: Final = 80
_DIGITS: Final = frozenset("0123456789")


class NationalIdError(ValueError):
    """A national id failed validation.

    ``reason`` is one of ``"LENGTH"``, ``"NOT_DIGITS"``, ``"CHECK_DIGIT"``, ``"DATE"``. The
    message never contains the number, so it is safe to return to API clients and to log.
    """

    reason: NationalIdErrorReason

    def __init__(self, reason: NationalIdErrorReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[type[NationalIdError], tuple[NationalIdErrorReason, str]]:
        # Keep the exception picklable despite the two-argument constructor.
        return (type(self), (self.reason, str(self)))


class NationalIdKind(StrEnum):
    ORDINARY = "ORDINARY"
    D_NUMBER = "D_NUMBER"
    H_NUMBER = "H_NUMBER"
    SYNTHETIC = "SYNTHETIC"


@dataclass(frozen=True, repr=False)
class NationalId:
    """A validated national id. Create it with :func:`parse_national_id`.

    ``value`` holds the 11 digits for storage and look-up; ``repr``/``str`` never show them.
    """

    value: str = field(repr=False)
    birth_date: date
    kind: NationalIdKind

    def __repr__(self) -> str:
        return f"NationalId(kind={self.kind.value}, ***)"

    __str__ = __repr__


def _check_digit(digits: str, weights: tuple[int, ...]) -> int | None:
    """The mod-11 check digit for ``digits``, or ``None`` if none exists (remainder 1)."""
    remainder = sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    if remainder == 0:
        return 0
    if remainder == 1:
        return None
    return 11 - remainder


def _check_digits(first_nine: str) -> str | None:
    """Both check digits for the first nine digits, or ``None`` if the nine cannot be completed."""
    k1 = _check_digit(first_nine, _WEIGHTS_K1)
    if k1 is None:
        return None
    k2 = _check_digit(f"{first_nine}{k1}", _WEIGHTS_K2)
    if k2 is None:
        return None
    return f"{k1}{k2}"


def _century(individual: int, year_2: int) -> int | None:
    """The century (1800, 1900, 2000) for an individual number and two-digit year, or ``None``."""
    if 0 <= individual <= 499:
        return 1900
    if 500 <= individual <= 749 and year_2 >= 54:
        return 1800
    if 500 <= individual <= 999 and year_2 <= 39:
        return 2000
    if 900 <= individual <= 999 and year_2 >= 40:
        return 1900
    return None


def _individual_numbers(year: int) -> range | tuple[int, ...] | None:
    """The individual numbers that encode ``year``'s century, in ascending order."""
    if 1854 <= year <= 1899:
        return range(500, 750)
    if 1900 <= year <= 1939:
        return range(0, 500)
    if 1940 <= year <= 1999:
        return (*range(0, 500), *range(900, 1000))
    if 2000 <= year <= 2039:
        return range(500, 1000)
    return None


def _date_error(detail: str) -> NationalIdError:
    return NationalIdError("DATE", f"national id does not encode a valid birth date: {detail}")


def parse_national_id(raw: str) -> NationalId:
    """Validate ``raw`` and return the parsed :class:`NationalId`.

    Raises :class:`NationalIdError` (a ``ValueError``) with a ``reason`` and a message that does
    not contain the number.
    """
    if not isinstance(raw, str):
        raise TypeError("national id must be given as a string")
    value = raw.strip()
    if len(value) != _LENGTH:
        raise NationalIdError("LENGTH", "national id must be exactly 11 digits")
    if not _DIGITS.issuperset(value):
        raise NationalIdError("NOT_DIGITS", "national id must contain digits only")
    if _check_digits(value[:9]) != value[9:]:
        raise NationalIdError("CHECK_DIGIT", "national id check digits do not match")

    day_field, month_field = int(value[0:2]), int(value[2:4])
    year_2, individual = int(value[4:6]), int(value[6:9])

    is_d_number = day_field > _D_NUMBER_DAY_OFFSET
    day = day_field - _D_NUMBER_DAY_OFFSET if is_d_number else day_field

    if month_field > _SYNTHETIC_MONTH_OFFSET:
        kind = NationalIdKind.SYNTHETIC
        month = month_field - _SYNTHETIC_MONTH_OFFSET
    elif month_field > _H_NUMBER_MONTH_OFFSET:
        if is_d_number:
            raise _date_error("an id cannot be both a D-number and an H-number")
        kind = NationalIdKind.H_NUMBER
        month = month_field - _H_NUMBER_MONTH_OFFSET
    else:
        kind = NationalIdKind.D_NUMBER if is_d_number else NationalIdKind.ORDINARY
        month = month_field

    if not 1 <= month <= 12:
        raise _date_error("month out of range")
    century = _century(individual, year_2)
    if century is None:
        raise _date_error("individual number does not match the birth year")
    year = century + year_2
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise _date_error("day out of range for the month")

    return NationalId(value=value, birth_date=date(year, month, day), kind=kind)


def is_valid_national_id(raw: str) -> bool:
    """Whether ``raw`` is a valid national id of any kind (see :func:`parse_national_id`)."""
    try:
        parse_national_id(raw)
    except (NationalIdError, TypeError):
        return False
    return True


def synthetic_national_id(birth_date: date, sequence: int = 0) -> str:
    """A valid synthetic national id (month + 80) for ``birth_date``; deterministic.

    The candidates are the individual numbers of the birth year's century in ascending order,
    skipping those for which no check digits exist (a remainder of 1). ``sequence`` picks the
    ``sequence``-th remaining candidate, so different sequences always give different ids for
    the same date. Raises ``ValueError`` if the year is outside 1854–2039, if ``sequence`` is
    negative, or if the date has fewer than ``sequence + 1`` synthetic ids.
    """
    if sequence < 0:
        raise ValueError("sequence must not be negative")
    individuals = _individual_numbers(birth_date.year)
    if individuals is None:
        raise ValueError("national ids only exist for birth years 1854 to 2039")
    prefix = (
        f"{birth_date.day:02d}"
        f"{birth_date.month + _SYNTHETIC_MONTH_OFFSET:02d}"
        f"{birth_date.year % 100:02d}"
    )
    remaining = sequence
    for individual in individuals:
        first_nine = f"{prefix}{individual:03d}"
        checks = _check_digits(first_nine)
        if checks is None:
            continue
        if remaining == 0:
            return f"{first_nine}{checks}"
        remaining -= 1
    raise ValueError("no synthetic national id exists for this birth date and sequence")


def age_on(nid: NationalId, on: date) -> int:
    """The holder's age in whole years on ``on``.

    Someone born on 29 February turns a year older on 1 March in non-leap years. Raises
    ``ValueError`` if ``on`` is before the birth date.
    """
    born = nid.birth_date
    if on < born:
        raise ValueError("date is before the birth date")
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
