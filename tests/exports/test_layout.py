"""The printed page, read back by text extraction: "Side x av y" on every page, phone
numbers and ids on one line, a point's heading on the same page as its measures table, and a
long log paged like a short one."""

from __future__ import annotations

import dataclasses
import io
import re

import pytest
from pypdf import PdfReader

from benchmarks.pdf_export import Shape, realistic_view
from exports.labels import LABELS, Language
from exports.pdf import render_log_pdf
from exports.printed import LogView

NB = LABELS[Language.NB]
HEADING = re.compile(r"^\d+\. \S")  # a point of attention: "2. Læring · Pågår"


def _pages(view: LogView, language: Language = Language.NB) -> list[str]:
    pdf = render_log_pdf(view, language)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages]
    assert len(pages) == pdf.pages
    return [text.replace("\xa0", " ") for text in pages]


def _lines(pages: list[str]) -> list[str]:
    return [line for text in pages for line in text.splitlines()]


@pytest.fixture(scope="module")
def view() -> LogView:
    """The benchmark's 7-page log, with a foreign number where a number is widest."""
    base = realistic_view(Shape.pages(7))
    assert base.actors is not None
    actors = (dataclasses.replace(base.actors[0], office_phone="+358 40 123 4567"),)
    return dataclasses.replace(base, actors=actors + base.actors[1:])


@pytest.fixture(scope="module")
def pages(view: LogView) -> list[str]:
    return _pages(view)


def test_every_page_says_side_x_av_y(pages: list[str]) -> None:
    total = len(pages)

    assert total >= 7
    for number, text in enumerate(pages, start=1):
        assert f"Side {number} av {total}" in text


def test_the_english_print_says_page_x_of_y(view: LogView) -> None:
    pages = _pages(view, Language.EN)

    assert [f"Page {n} of {len(pages)}" in text for n, text in enumerate(pages, 1)] == [True] * len(
        pages
    )


def test_phone_numbers_and_ids_are_never_broken_across_lines(
    view: LogView, pages: list[str]
) -> None:
    assert view.actors is not None
    assert view.guardians is not None
    numbers = [a.office_phone for a in view.actors] + [a.mobile for a in view.actors]
    numbers += [g.phone for g in view.guardians] + [g.national_id for g in view.guardians]
    numbers += [view.child.national_id, str(view.log_id)]
    lines = _lines(pages)

    for number in numbers:
        assert number is not None
        assert any(number in line for line in lines), number


def test_a_points_heading_is_on_the_page_of_its_measures_table(view: LogView) -> None:
    """Pushed down row by row (a longer level history), every point heading is followed on
    its own page by its measures table's header (before: the 7-page log itself left point 3
    at the foot of page 3)."""
    seen = 0
    for extra in range(0, 40, 5):
        history = view.level_history + tuple(
            dataclasses.replace(view.level_history[-1], reason=f"Justert {i}") for i in range(extra)
        )
        for text in _pages(dataclasses.replace(view, level_history=history)):
            lines = text.splitlines()
            for i, line in enumerate(lines):
                if HEADING.match(line):
                    seen += 1
                    assert NB["measure"] in "\n".join(lines[i + 1 :]), (extra, line)
    assert seen >= 8 * 3


def test_a_point_with_a_table_longer_than_a_page_still_pages() -> None:
    base = realistic_view(Shape.pages(7))
    assert base.points is not None
    point = base.points[0]
    assert point.measures is not None
    many = tuple(
        dataclasses.replace(point.measures[i % 4], description=f"Tiltak nummer {i}")
        for i in range(100)
    )
    view = dataclasses.replace(base, points=(dataclasses.replace(point, measures=many),))

    pages = _pages(view)

    text = "\n".join(pages)
    assert "Tiltak nummer 99" in text
    assert len(pages) < 40
    assert all(f"Side {n} av {len(pages)}" in t for n, t in enumerate(pages, start=1))
    [heading_page] = [n for n, t in enumerate(pages) if re.search(r"^1\. ", t, re.M)]
    assert NB["measure"] in pages[heading_page].split("1. ", 1)[1]
