"""What a render does, counted rather than timed (the times are in ``benchmarks/README.md``):
each paragraph of a 7-page log breaks its lines once, and a table cell is measured at most
twice instead of three times. An xhtml2pdf or reportlab upgrade that undoes the savings in
``exports/pdf.py`` shows here, before the benchmark would."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from xhtml2pdf import reportlab_paragraph

import exports.pdf
from benchmarks.pdf_export import Shape, realistic_view
from exports.labels import Language


def test_a_7_page_export_breaks_each_paragraph_once_and_measures_a_cell_at_most_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    view = realistic_view(Shape.pages(7))
    exports.pdf.render_log_pdf(view, Language.NB)  # warm: fonts registered, template loaded
    broken: Counter[int] = Counter()
    measured: Counter[int] = Counter()
    break_lines = reportlab_paragraph.Paragraph.breakLines
    measure_cell = exports.pdf._wrap_cell

    def counting_break_lines(self: Any, widths: Any) -> Any:
        broken[id(self)] += 1
        return break_lines(self, widths)

    def counting_measure_cell(self: Any, width: float, height: float) -> tuple[float, float]:
        measured[id(self)] += 1
        return measure_cell(self, width, height)

    monkeypatch.setattr(reportlab_paragraph.Paragraph, "breakLines", counting_break_lines)
    monkeypatch.setattr(exports.pdf, "_wrap_cell", counting_measure_cell)

    pdf = exports.pdf.render_log_pdf(view, Language.NB)

    assert pdf.pages == 7
    assert len(broken) > 250  # the log's paragraphs
    assert len(measured) > 200  # and its table cells
    assert sum(broken.values()) <= 1.05 * len(broken)  # was ≈ 1.8 breaks per paragraph
    assert max(measured.values()) <= 2  # was 3 for every cell
