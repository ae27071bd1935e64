"""Tests for models.national_id.

Expected ids are built with an independent checker written here (the "weighted sum including the
check digit is divisible by 11" formulation), never with the module's own functions. To keep
real people's ids out of the test suite, ordinary/D/H ids only use birth dates that no living
person can have (before 1902, or in the 2030s); anything else uses synthetic ids (month + 80).
"""

from __future__ import annotations

import pickle
import re
from datetime import date, timedelta

import pytest

from models.national_id import (
    NationalId,
    NationalIdError,
    NationalIdKind,
    age_on,
    is_valid_national_id,
    parse_national_id,
    synthetic_national_id,
)

# Verification weights: the check digit itself carries weight 1, and a valid id makes each
# weighted sum divisible by 11.
_VERIFY_K1 = (3, 7, 6, 1, 8, 9, 4, 5, 2, 1)
_VERIFY_K2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


def _passes_independent_check(candidate: str) -> bool:
    if len(candidate) != 11 or not all(c in "0123456789" for c in candidate):
        return False
    sum1 = sum(int(c) * w for c, w in zip(candidate[:10], _VERIFY_K1, strict=True))
    sum2 = sum(int(c) * w for c, w in zip(candidate, _VERIFY_K2, strict=True))
    return sum1 % 11 == 0 and sum2 % 11 == 0


def _id(date_part: str, individual: int) -> str:
    """Complete DDMMYY + III with the check digits, found by brute force over 00..99."""
    first_nine = f"{date_part}{individual:03d}"
    completions = [
        f"{first_nine}{kk:02d}"
        for kk in range(100)
        if _passes_independent_check(f"{first_nine}{kk:02d}")
    ]
    assert len(completions) == 1, f"test data error: {first_nine} has no unique completion"
    return completions[0]


def _no_check_digits_exist(date_part: str) -> str:
    """DDMMYY + an individual number for which no valid check digits exist, plus "00"."""
    for individual in range(1000):
        first_nine = f"{date_part}{individual:03d}"
        if not any(_passes_independent_check(f"{first_nine}{kk:02d}") for kk in range(100)):
            return f"{first_nine}00"
    raise AssertionError("test data error: every individual number can be completed")


def _flip_last_digit(value: str) -> str:
    return value[:-1] + str((int(value[-1]) + 1) % 10)


def _flip_first_check_digit(value: str) -> str:
    return value[:9] + str((int(value[9]) + 1) % 10) + value[10]


# --- valid ids --------------------------------------------------------------------------------


def test_the_independent_checker_agrees_with_a_hand_computed_example() -> None:
    # 15.03.1887, individual 612: k1 = 11 - (3*1+7*5+6*0+1*3+8*8+9*7+4*6+5*1+2*2) % 11 = 8,
    # k2 = 11 - (5*1+4*5+3*0+2*3+7*8+6*7+5*6+4*1+3*2+2*8) % 11 = 2.
    assert _id("150387", 612) == "15038761282"
    assert _passes_independent_check("15038761282")
    assert not _passes_independent_check("15038761283")


@pytest.mark.parametrize(
    ("value", "expected_birth_date", "expected_kind"),
    [
        pytest.param(
            _id("150387", 612), date(1887, 3, 15), NationalIdKind.ORDINARY, id="ordinary-1887"
        ),
        pytest.param(
            _id("170501", 123), date(1901, 5, 17), NationalIdKind.ORDINARY, id="ordinary-1901"
        ),
        pytest.param(
            _id("300635", 987), date(2035, 6, 30), NationalIdKind.ORDINARY, id="ordinary-2035"
        ),
        pytest.param(
            _id("410178", 600), date(1878, 1, 1), NationalIdKind.D_NUMBER, id="d-number-first-day"
        ),
        pytest.param(
            _id("711235", 999), date(2035, 12, 31), NationalIdKind.D_NUMBER, id="d-number-day-71"
        ),
        pytest.param(
            _id("154590", 612), date(1890, 5, 15), NationalIdKind.H_NUMBER, id="h-number-may"
        ),
        pytest.param(
            _id("015236", 777), date(2036, 12, 1), NationalIdKind.H_NUMBER, id="h-number-december"
        ),
        pytest.param(_id("158765", 5), date(1965, 7, 15), NationalIdKind.SYNTHETIC, id="synthetic"),
        pytest.param(
            _id("318112", 501),
            date(2012, 1, 31),
            NationalIdKind.SYNTHETIC,
            id="synthetic-january",
        ),
        pytest.param(
            _id("559205", 500),
            date(2005, 12, 15),
            NationalIdKind.SYNTHETIC,
            id="synthetic-d-number",
        ),
        pytest.param(
            _id("298104", 500), date(2004, 1, 29), NationalIdKind.SYNTHETIC, id="synthetic-2000s"
        ),
        pytest.param(
            _id("298204", 500),
            date(2004, 2, 29),
            NationalIdKind.SYNTHETIC,
            id="synthetic-leap-day",
        ),
    ],
)
def test_a_valid_id_parses_to_its_birth_date_and_kind(
    value: str, expected_birth_date: date, expected_kind: NationalIdKind
) -> None:
    nid = parse_national_id(value)

    assert nid.value == value
    assert nid.birth_date == expected_birth_date
    assert nid.kind is expected_kind
    assert is_valid_national_id(value)


@pytest.mark.parametrize(
    ("value", "expected_birth_date"),
    [
        # 500-749 with year 54-99 -> 1854-1899
        pytest.param(_id("010154", 500), date(1854, 1, 1), id="500-749-first-year-1854"),
        pytest.param(_id("301299", 749), date(1899, 12, 30), id="500-749-last-year-1899"),
        pytest.param(_id("150387", 612), date(1887, 3, 15), id="500-749-1887"),
        # 000-499 -> 1900-1999
        pytest.param(_id("018100", 1), date(1900, 1, 1), id="000-499-year-1900"),
        pytest.param(_id("170501", 123), date(1901, 5, 17), id="000-499-1901"),
        pytest.param(_id("319239", 499), date(1939, 12, 31), id="000-499-year-1939"),
        pytest.param(_id("018140", 0), date(1940, 1, 1), id="000-499-year-1940"),
        pytest.param(_id("319299", 499), date(1999, 12, 31), id="000-499-year-1999"),
        # 900-999 with year 40-99 -> 1940-1999
        pytest.param(_id("018140", 900), date(1940, 1, 1), id="900-999-year-1940"),
        pytest.param(_id("309299", 999), date(1999, 12, 30), id="900-999-year-1999"),
        # 500-999 with year 00-39 -> 2000-2039
        pytest.param(_id("018100", 500), date(2000, 1, 1), id="500-999-year-2000"),
        pytest.param(_id("018100", 752), date(2000, 1, 1), id="750-899-year-2000"),
        pytest.param(_id("319239", 997), date(2039, 12, 31), id="500-999-year-2039"),
        pytest.param(_id("300635", 987), date(2035, 6, 30), id="500-999-2035"),
    ],
)
def test_the_individual_number_decides_the_century(value: str, expected_birth_date: date) -> None:
    assert parse_national_id(value).birth_date == expected_birth_date


def test_surrounding_whitespace_is_stripped_from_the_stored_value() -> None:
    value = _id("158765", 5)

    nid = parse_national_id(f"  {value}\t\n")

    assert nid.value == value
    assert nid.birth_date == date(1965, 7, 15)


def test_ids_with_the_same_digits_are_equal_and_hashable() -> None:
    value = _id("158765", 5)

    assert parse_national_id(value) == parse_national_id(f" {value} ")
    assert len({parse_national_id(value), parse_national_id(value)}) == 1


# --- errors -----------------------------------------------------------------------------------

_SYNTHETIC = _id("158765", 5)

_ERROR_CASES = [
    # LENGTH
    pytest.param("", "LENGTH", id="length-empty"),
    pytest.param("   ", "LENGTH", id="length-only-whitespace"),
    pytest.param(_SYNTHETIC[:10], "LENGTH", id="length-ten-digits"),
    pytest.param(_SYNTHETIC + "0", "LENGTH", id="length-twelve-digits"),
    pytest.param(f"{_SYNTHETIC[:6]} {_SYNTHETIC[6:]}", "LENGTH", id="length-space-inside"),
    pytest.param(f"{_SYNTHETIC[:6]}-{_SYNTHETIC[6:]}", "LENGTH", id="length-dash-inside"),
    # NOT_DIGITS
    pytest.param(_SYNTHETIC[:10] + "a", "NOT_DIGITS", id="not-digits-letter"),
    pytest.param(_SYNTHETIC[:5] + " " + _SYNTHETIC[6:], "NOT_DIGITS", id="not-digits-space"),
    pytest.param("+" + _SYNTHETIC[1:], "NOT_DIGITS", id="not-digits-plus-sign"),
    pytest.param(
        "".join(chr(ord(c) - ord("0") + ord("０")) for c in _SYNTHETIC),
        "NOT_DIGITS",
        id="not-digits-fullwidth-digits",
    ),
    pytest.param(
        "".join(chr(ord(c) - ord("0") + 0x0660) for c in _SYNTHETIC),
        "NOT_DIGITS",
        id="not-digits-arabic-indic-digits",
    ),
    # CHECK_DIGIT
    pytest.param(_flip_last_digit(_SYNTHETIC), "CHECK_DIGIT", id="check-digit-second-wrong"),
    pytest.param(_flip_first_check_digit(_SYNTHETIC), "CHECK_DIGIT", id="check-digit-first-wrong"),
    pytest.param(_no_check_digits_exist("158765"), "CHECK_DIGIT", id="check-digit-cannot-exist"),
    # DATE
    pytest.param("00000000000", "DATE", id="date-all-zeros"),
    pytest.param(_id("310277", 600), "DATE", id="date-31-february"),
    pytest.param(_id("310477", 600), "DATE", id="date-31-april"),
    pytest.param(_id("290201", 100), "DATE", id="date-29-february-1901-not-leap"),
    pytest.param(_id("298200", 1), "DATE", id="date-29-february-1900-not-leap"),
    pytest.param(_id("000177", 601), "DATE", id="date-day-00"),
    pytest.param(_id("320177", 600), "DATE", id="date-day-32"),
    pytest.param(_id("400177", 600), "DATE", id="date-d-number-day-00"),
    pytest.param(_id("720177", 600), "DATE", id="date-d-number-day-32"),
    pytest.param(_id("010077", 601), "DATE", id="date-month-00"),
    pytest.param(_id("011377", 600), "DATE", id="date-month-13"),
    pytest.param(_id("014077", 600), "DATE", id="date-h-number-month-00"),
    pytest.param(_id("015377", 600), "DATE", id="date-h-number-month-13"),
    pytest.param(_id("018077", 600), "DATE", id="date-synthetic-month-00"),
    pytest.param(_id("019377", 600), "DATE", id="date-synthetic-month-13"),
    pytest.param(_id("424577", 600), "DATE", id="date-both-d-and-h-number"),
    pytest.param(_id("018150", 800), "DATE", id="date-750-899-with-year-40-99"),
    pytest.param(_id("018140", 750), "DATE", id="date-750-with-year-40"),
    pytest.param(_id("018199", 899), "DATE", id="date-899-with-year-99"),
    pytest.param(_id("018153", 749), "DATE", id="date-500-749-with-year-53"),
    pytest.param(_id("018140", 501), "DATE", id="date-500-749-with-year-40"),
]


@pytest.mark.parametrize(("value", "expected_reason"), _ERROR_CASES)
def test_an_invalid_id_is_rejected_with_its_reason(value: str, expected_reason: str) -> None:
    with pytest.raises(NationalIdError) as excinfo:
        parse_national_id(value)

    assert excinfo.value.reason == expected_reason
    assert isinstance(excinfo.value, ValueError)
    assert not is_valid_national_id(value)


def test_every_error_reason_is_covered() -> None:
    reasons = {param.values[1] for param in _ERROR_CASES}

    assert reasons == {"LENGTH", "NOT_DIGITS", "CHECK_DIGIT", "DATE"}


@pytest.mark.parametrize(("value", "expected_reason"), _ERROR_CASES)
def test_an_error_never_reveals_the_number(value: str, expected_reason: str) -> None:
    with pytest.raises(NationalIdError) as excinfo:
        parse_national_id(value)

    error = excinfo.value
    rendered = " ".join([str(error), repr(error), *map(str, error.args)])
    # The only number a message may mention is the length, 11.
    assert set(re.findall(r"\d+", rendered)) <= {"11"}
    digits = value.strip()
    if digits:
        assert digits not in rendered
        assert digits[:6] not in rendered
        assert digits[6:] not in rendered
    # No chained exception that could carry the number into a traceback.
    assert error.__cause__ is None
    assert error.__context__ is None


def test_an_error_survives_pickling_with_its_reason() -> None:
    with pytest.raises(NationalIdError) as excinfo:
        parse_national_id(_flip_last_digit(_SYNTHETIC))

    restored = pickle.loads(pickle.dumps(excinfo.value))

    assert isinstance(restored, NationalIdError)
    assert restored.reason == "CHECK_DIGIT"
    assert str(restored) == str(excinfo.value)


def test_a_non_string_is_not_a_valid_id() -> None:
    assert not is_valid_national_id(15076500565)  # type: ignore[arg-type]
    assert not is_valid_national_id(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_national_id(15076500565)  # type: ignore[arg-type]


# --- privacy of the value object --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected_repr"),
    [
        pytest.param(_id("150387", 612), "NationalId(kind=ORDINARY, ***)", id="ordinary"),
        pytest.param(_id("410178", 600), "NationalId(kind=D_NUMBER, ***)", id="d-number"),
        pytest.param(_id("154590", 612), "NationalId(kind=H_NUMBER, ***)", id="h-number"),
        pytest.param(_id("158765", 5), "NationalId(kind=SYNTHETIC, ***)", id="synthetic"),
    ],
)
def test_repr_and_str_hide_the_digits(value: str, expected_repr: str) -> None:
    nid = parse_national_id(value)

    assert repr(nid) == expected_repr
    assert str(nid) == expected_repr
    for rendered in (repr(nid), str(nid), f"{nid}", f"{nid!r}", repr([nid]), str({"id": nid})):
        assert not re.search(r"\d", rendered)
    assert nid.value == value


def test_national_id_is_immutable() -> None:
    nid = parse_national_id(_SYNTHETIC)

    with pytest.raises(AttributeError):
        nid.value = "x"  # type: ignore[misc]


# --- synthetic generator ----------------------------------------------------------------------


def _dates_between(first: date, last: date, step_days: int) -> list[date]:
    return [first + timedelta(days=d) for d in range(0, (last - first).days + 1, step_days)]


_EDGE_DATES = [
    date(1854, 1, 1),
    date(1899, 12, 31),
    date(1900, 1, 1),
    date(1900, 2, 28),
    date(1939, 12, 31),
    date(1940, 1, 1),
    date(1999, 12, 31),
    date(2000, 1, 1),
    date(2000, 2, 29),
    date(2024, 2, 29),
    date(2030, 12, 31),
    date(2039, 12, 31),
]
_MANY_DATES = [*_dates_between(date(1900, 1, 1), date(2030, 12, 31), 23), *_EDGE_DATES]


@pytest.mark.parametrize("sequence", [0, 1, 2, 17, 50, 99])
def test_a_synthetic_id_parses_as_synthetic_with_the_requested_birth_date(sequence: int) -> None:
    for birth_date in _MANY_DATES:
        value = synthetic_national_id(birth_date, sequence)

        assert _passes_independent_check(value), birth_date
        assert int(value[2:4]) == birth_date.month + 80, birth_date
        nid = parse_national_id(value)
        assert nid.kind is NationalIdKind.SYNTHETIC, birth_date
        assert nid.birth_date == birth_date


@pytest.mark.parametrize(
    "birth_date",
    [pytest.param(d, id=d.isoformat()) for d in _EDGE_DATES],
)
def test_different_sequences_give_different_ids_for_the_same_date(birth_date: date) -> None:
    ids = [synthetic_national_id(birth_date, sequence) for sequence in range(200)]

    assert len(set(ids)) == len(ids)


def test_the_synthetic_generator_is_deterministic() -> None:
    assert synthetic_national_id(date(2015, 6, 1), 7) == synthetic_national_id(date(2015, 6, 1), 7)
    assert synthetic_national_id(date(2015, 6, 1)) == synthetic_national_id(date(2015, 6, 1), 0)


def test_the_synthetic_generator_uses_up_every_valid_individual_number() -> None:
    birth_date = date(1887, 3, 15)  # 500-749: 250 candidates
    expected = {
        _id("158387", individual)
        for individual in range(500, 750)
        if any(_passes_independent_check(f"158387{individual:03d}{kk:02d}") for kk in range(100))
    }
    generated = {synthetic_national_id(birth_date, sequence) for sequence in range(len(expected))}

    assert generated == expected
    with pytest.raises(ValueError, match="no synthetic national id"):
        synthetic_national_id(birth_date, len(expected))


@pytest.mark.parametrize(
    "birth_date",
    [
        pytest.param(date(1853, 12, 31), id="before-1854"),
        pytest.param(date(2040, 1, 1), id="after-2039"),
        pytest.param(date(1, 1, 1), id="year-1"),
    ],
)
def test_no_synthetic_id_exists_outside_the_supported_years(birth_date: date) -> None:
    with pytest.raises(ValueError, match="birth years"):
        synthetic_national_id(birth_date)


def test_a_negative_sequence_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        synthetic_national_id(date(2015, 6, 1), -1)


# --- age --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth_date", "on", "expected_age"),
    [
        pytest.param(date(1990, 3, 15), date(1990, 3, 15), 0, id="day-of-birth"),
        pytest.param(date(1990, 3, 15), date(2000, 3, 14), 9, id="day-before-birthday"),
        pytest.param(date(1990, 3, 15), date(2000, 3, 15), 10, id="on-birthday"),
        pytest.param(date(1990, 3, 15), date(2000, 3, 16), 10, id="day-after-birthday"),
        pytest.param(date(1990, 3, 15), date(2000, 12, 31), 10, id="end-of-year"),
        pytest.param(date(1990, 12, 31), date(2001, 1, 1), 10, id="new-year-after-birthday"),
        pytest.param(date(2004, 2, 29), date(2005, 2, 28), 0, id="leap-day-before-march"),
        pytest.param(date(2004, 2, 29), date(2005, 3, 1), 1, id="leap-day-on-march-first"),
        pytest.param(date(2004, 2, 29), date(2008, 2, 28), 3, id="leap-day-in-leap-year-before"),
        pytest.param(date(2004, 2, 29), date(2008, 2, 29), 4, id="leap-day-in-leap-year"),
        pytest.param(date(2010, 8, 20), date(2025, 8, 19), 14, id="turns-15-tomorrow"),
        pytest.param(date(2010, 8, 20), date(2025, 8, 20), 15, id="turns-15-today"),
    ],
)
def test_age_on_counts_whole_years(birth_date: date, on: date, expected_age: int) -> None:
    nid = parse_national_id(synthetic_national_id(birth_date))

    assert age_on(nid, on) == expected_age


def test_age_on_works_for_a_directly_built_id() -> None:
    nid = NationalId(value=_SYNTHETIC, birth_date=date(1965, 7, 15), kind=NationalIdKind.SYNTHETIC)

    assert age_on(nid, date(2025, 7, 14)) == 59
    assert age_on(nid, date(2025, 7, 15)) == 60


def test_age_on_rejects_a_date_before_birth() -> None:
    nid = parse_national_id(synthetic_national_id(date(2010, 8, 20)))

    with pytest.raises(ValueError, match="before the birth date"):
        age_on(nid, date(2010, 8, 19))
