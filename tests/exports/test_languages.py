"""The printed log in every language, read back by text extraction: the translated labels
are on the page, "Side x av y" is in the reader's words, no "�" is printed, Arabic is joined
and reads in logical order once extracted, and Tigrinya and Chinese come from the fallback
fonts. What people wrote stays as written."""

from __future__ import annotations

import dataclasses
import io
import re
import unicodedata
from typing import Any

import pytest
from pypdf import PdfReader

from benchmarks.pdf_export import Shape, realistic_view
from exports.labels import LABELS, Language, enum_label, page_of
from exports.pdf import render_log_pdf
from exports.pdfa import pdfa_failures
from exports.printed import LogView
from models.enums import RelayLogStatus

NAME = "Selam Tesfay ሰላም 王小明 أحمد"  # a name in three scripts besides Latin
WRITTEN = "Vi ser tydelige framskritt i samspillet"  # a sparkle of the realistic log
LABEL_KEYS = ("child", "guardians", "actors", "points", "level_history", "consents", "sparkles")


@pytest.fixture(scope="module")
def view() -> LogView:
    base = realistic_view(Shape.pages(1))
    return dataclasses.replace(base, child=dataclasses.replace(base.child, name=NAME))


def _fonts(reader: PdfReader) -> set[str]:
    """The fonts the pages draw with, without their subset prefix."""
    names = set()
    for page in reader.pages:
        resources: Any = page["/Resources"].get_object()
        for ref in resources.get("/Font", {}).values():
            names.add(str(ref.get_object()["/BaseFont"]).split("+")[-1])
    return names


def _text(view: LogView, language: Language) -> tuple[list[str], int]:
    pdf = render_log_pdf(view, language)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages]
    # Arabic is drawn in presentation forms (the joined shapes); NFKC gives the letters back.
    return [unicodedata.normalize("NFKC", p).replace("\xa0", " ") for p in pages], pdf.pages


@pytest.mark.parametrize("language", list(Language))
def test_the_printed_log_speaks_the_language_and_prints_every_glyph(
    view: LogView, language: Language
) -> None:
    pages, count = _text(view, language)
    text = "\n".join(pages)
    t = LABELS[language]

    assert "\ufffd" not in text
    for key in LABEL_KEYS:
        assert unicodedata.normalize("NFKC", t[key]) in text, key
    assert unicodedata.normalize("NFKC", enum_label(language, RelayLogStatus.ACTIVE)) in text
    for number, page in enumerate(pages, start=1):
        counter = unicodedata.normalize("NFKC", page_of(language, number, count))
        if language is Language.AR:
            # pypdf puts each right-to-left run in logical order but leaves the runs of a
            # mixed line (Arabic words, then digits) in the order they are drawn: each word
            # is checked, which a word drawn in reverse would fail.
            words = set(re.findall(r"[^\W\d_]+", page))
            assert set(re.findall(r"[^\W\d_]+", counter)) <= words, (counter, page)
        else:
            assert counter in page
    assert "ሰላም" in text
    assert "王小明" in text
    assert WRITTEN in text


def test_an_arabic_export_is_joined_and_reads_in_logical_order(view: LogView) -> None:
    pdf = render_log_pdf(view, Language.AR)
    raw = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    text = unicodedata.normalize("NFKC", raw)

    assert any("\ufe70" <= ch <= "\ufeff" for ch in raw)  # drawn joined, not letter by letter
    assert "سجل المتابعة الخاص بـ" in text  # the title, first word first
    assert "أولياء الأمور" in text  # "guardians"
    assert {"صفحة", "من"} <= set(re.findall(r"[^\W\d_]+", text))  # "Side 1 av 3", as read
    assert "أحمد" in text
    assert "+47 911 11 111" in text  # a phone number keeps its order on a right-to-left page


def test_a_tigrinya_export_prints_ethiopic_from_the_fallback_font(view: LogView) -> None:
    pdf = render_log_pdf(view, Language.TI)
    reader = PdfReader(io.BytesIO(pdf.content))
    text = "\n".join(p.extract_text() for p in reader.pages)
    fonts = _fonts(reader)

    assert "መዝገብ ክትትል" in text  # "relay log"
    assert "ወለዲ/ኣሳደግቲ" in text  # "guardians"
    assert "ገጽ 1 ካብ" in text
    assert "\ufffd" not in text
    assert {"NotoSansEthiopic-Regular", "DroidSansFallback"} <= fonts


def test_a_norwegian_log_with_no_other_script_loads_no_fallback_font() -> None:
    pdf = render_log_pdf(realistic_view(Shape.pages(1)), Language.NB)
    reader = PdfReader(io.BytesIO(pdf.content))
    fonts = _fonts(reader)
    assert all(font.startswith("DejaVuSans") for font in fonts), fonts


@pytest.mark.parametrize("language", [Language.AR, Language.TI])
def test_an_export_with_fallback_fonts_and_right_to_left_text_is_still_pdfa_2b(
    view: LogView, language: Language
) -> None:
    assert pdfa_failures(render_log_pdf(view, language).content) == []
