"""The reader's language: from Accept-Language, and dates and numbers as it writes them."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from exports.labels import Language as ExportLanguage
from exports.labels import page_of
from models.enums import MeasureStatus, PointStatus
from models.i18n import Language, format_date, format_datetime, negotiate
from models.i18n.enums import enum_label


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("nn-NO,nb;q=0.9,en;q=0.5", Language.NN),
        ("en-GB,en;q=0.8", Language.EN),
        ("no", Language.NB),  # Norwegian without a written standard: bokmål
        ("fr-FR,se;q=0.7,nb;q=0.6", Language.SE),
        ("ar;q=0.2,ti", Language.TI),
        ("fr, de", None),
        ("", None),
        (None, None),
        ("nb;q=abc, ;;, en;q=0", None),
    ],
)
def test_the_best_language_of_an_accept_language_header(
    header: str | None, language: Language | None
) -> None:
    assert negotiate(header) is language


def test_dates_and_times_as_each_language_writes_them() -> None:
    day = date(2026, 3, 4)
    assert format_date(day, Language.NB) == "04.03.2026"
    assert format_date(day, Language.NN) == "04.03.2026"
    assert format_date(day, Language.EN) == "2026-03-04"
    assert format_date(day, Language.PL) == "4.03.2026"
    assert format_date(day, Language.UK) == "04.03.2026"  # CLDR's two-digit year widened
    for language in Language:
        assert "2026" in format_date(day, language)
        assert "\u200f" not in format_date(day, language)  # no bidi mark a font cannot draw
    late = datetime(2026, 3, 4, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert format_datetime(late, Language.NB) == "05.03.2026 00:30"  # Oslo time


def test_side_x_av_y_in_each_language() -> None:
    assert page_of(ExportLanguage.NB, 1, 3) == "Side 1 av 3"
    assert page_of(ExportLanguage.NN, 1, 3) == "Side 1 av 3"
    assert page_of(ExportLanguage.EN, 1, 3) == "Page 1 of 3"
    assert page_of(ExportLanguage.PL, 2, 3) == "Strona 2 z 3"
    assert page_of(ExportLanguage.AR, 2, 3) == "صفحة 2 من 3"
    assert page_of(ExportLanguage.TI, 2, 3) == "ገጽ 2 ካብ 3"


def test_an_enum_label_is_per_enumeration_not_per_value() -> None:
    """ENDED is a value of several enumerations; Polish declines it by what ended."""
    assert enum_label(PointStatus.ENDED, Language.PL) == "Zakończony"
    assert enum_label(MeasureStatus.ENDED, Language.PL) == "Zakończone"
    assert enum_label(PointStatus.ENDED, Language.NB) == "Avsluttet"


def test_the_export_mail_and_catalog_languages_are_the_same_ten() -> None:
    assert [x.code for x in ExportLanguage] == list(Language)
