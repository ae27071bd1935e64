"""The printed relay log: a ``LogView`` (``exports.printed``: the export document's answer as
the reader may see it) through ONE Jinja2 template into xhtml2pdf, then PDF/A.

Safety: the template is autoescaped, so anything a user wrote (``<img src=…>``, ``<link …>``)
is text on the page, never markup. Nothing is fetched while rendering: the ``link_callback``
(``FetchGuard``) hands xhtml2pdf the two embedded font files and rewrites every other address
to an empty ``data:`` URI, and the resource policy refuses remote URLs and any local file
outside ``exports/fonts`` besides (defence in depth; xhtml2pdf has paths that skip the
callback).

Limits (checked before rendering, so an oversized log costs nothing to refuse): at most
``MAX_MEASURES`` measures and ``MAX_TEXT_CHARS`` characters of free text; after rendering at
most ``MAX_PAGES`` pages, and a render is abandoned after ``MAX_RENDER_SECONDS``. Beyond
them the export fails with ``InvalidInput`` (``INVALID_INPUT`` on ``logId``). Measured in
``benchmarks/README.md``: 7 pages ≈ 0.15 s, 500 measures ≈ 4 s, 1 000 measures ≈ 9 s of CPU.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from functools import cache, partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus.tables import CellStyle
from reportlab.rl_config import _FUZZ
from xhtml2pdf import document as pisa_document
from xhtml2pdf import pisa
from xhtml2pdf.bidi import get_display
from xhtml2pdf.builders.printmarks import MarkedCanvas
from xhtml2pdf.config.resources import RenderLimitError, ResourceAccessPolicy
from xhtml2pdf.util import shape_frag_text
from xhtml2pdf.xhtml2pdf_reportlab import PmlBaseDoc, PmlKeepInFrame, PmlParagraph

from exports import fallback
from exports.labels import LABELS, OUTCOME_COLOURS, Language, enum_label
from exports.pdfa import DocumentInfo, make_pdfa
from exports.printed import LogView, MeasureLine, MeetingLine, ParticipantLine
from models.enums import EvaluationOutcome, MeetingStatus
from models.errors import InvalidInput
from models.i18n import N_
from models.i18n import format_date as _format_date

__all__ = [
    "MAX_MEASURES",
    "MAX_PAGES",
    "MAX_RENDER_SECONDS",
    "MAX_TEXT_CHARS",
    "FetchGuard",
    "RenderedPdf",
    "check_limits",
    "html_to_pdf",
    "render_html",
    "render_log_pdf",
]

log = logging.getLogger("relaylog.exports")

MAX_MEASURES = 1000
MAX_TEXT_CHARS = 1_000_000
MAX_PAGES = 400
MAX_RENDER_SECONDS = 60.0
MEASURE_ROWS = 40  # measures per table (see the template)

HERE = Path(__file__).parent
FONT_DIR = HERE / "fonts"
FONT_FILES = {
    "relaylog-font:regular": FONT_DIR / "DejaVuSans.ttf",
    "relaylog-font:bold": FONT_DIR / "DejaVuSans-Bold.ttf",
    # Ethiopic and CJK, named in a page's style only when it has such text (exports/fallback.py)
    **{url: path for face in fallback.FALLBACKS for url, path in face.urls.items()},
}
NOTHING = "data:text/plain;base64,"
OSLO = ZoneInfo("Europe/Oslo")
# The name xhtml2pdf gives the regular face of the @font-face family "RelayLogSans": registered
# here first, so that reportlab's page and table defaults draw with the very font the text uses.
_INITIAL_FONT = "relaylogsans_00"
_TOO_LARGE = N_(
    "The log is too large to export as one PDF (at most {measures} measures, "
    "{characters} characters of text and {pages} pages)."
)
_LIMITS = {"measures": MAX_MEASURES, "characters": f"{MAX_TEXT_CHARS:,}", "pages": MAX_PAGES}

_POLICY = ResourceAccessPolicy.server(
    base_dir=None,
    extra_roots=(FONT_DIR,),
    allow_remote=False,
    max_resources=len(FONT_FILES),
    max_render_seconds=MAX_RENDER_SECONDS,
    max_document_bytes=64 * 1024 * 1024,
)
_lock = threading.Lock()
_BETWEEN_BLOCKS = partial(re.compile(r">\n\s*<").sub)


# --- each paragraph's lines broken once -------------------------------------------------
# A table cell is a KeepInFrame: the table measures it (row heights), then draws it, and the
# draw lays its paragraphs out again at the width the measuring returned — which reportlab
# makes 1e-6 pt (``rl_config._FUZZ``) narrower. xhtml2pdf keeps a paragraph's broken lines
# for the exact width, so every cell broke its lines twice: ≈ 6 % of an export. A width
# within this slack of the one the paragraph was last wrapped at is that width (0.0001 pt:
# far below what a PDF coordinate shows), so the draw uses the lines the row was measured
# with — the same page content, byte for byte (``benchmarks/README.md``).
# Installed on xhtml2pdf's classes for the process (this module's renders are the only ones);
# ``tests/exports/test_render_work.py`` counts that they still save what they did.
_WIDTH_SLACK = 1e-4
_wrap_paragraph = PmlParagraph.wrap


def _wrap_at_measured_width(
    self: PmlParagraph, availWidth: float, availHeight: float
) -> tuple[float, float]:
    measured = self.__dict__.get("_relaylog_width")
    if measured is not None and abs(availWidth - measured) <= _WIDTH_SLACK:
        availWidth = measured
    else:
        self._relaylog_width = availWidth
    return _wrap_paragraph(self, availWidth, availHeight)


PmlParagraph.wrap = _wrap_at_measured_width


# A table cell (a KeepInFrame around its paragraphs) is measured three times: twice by the
# table (the keep-with-next group measures it, then the frame that places it) and once more
# as it is drawn; each time reportlab copies the current frame and walks the paragraphs.
# Paragraphs alone take the same room whatever height is offered, so a cell that held them
# within its bounds at this width does again, at the size it had: what ``KeepInFrame.wrap``
# would compute, skipped. Anything else in a cell (an image, a nested table, a page number)
# is measured as before.
_wrap_cell = PmlKeepInFrame.wrap


def _only_paragraphs(cell: PmlKeepInFrame) -> bool:
    known: bool | None = cell.__dict__.get("_relaylog_plain")
    if known is None:
        known = cell.__dict__["_relaylog_plain"] = all(
            type(f) is PmlParagraph
            and not any(
                getattr(frag, "cbDefn", None) is not None
                or hasattr(getattr(frag, "text", None), "resolve")
                for frag in f.frags
            )
            for f in cell._content
        )
    return known


def _wrap_cell_once(
    self: PmlKeepInFrame, availWidth: float, availHeight: float
) -> tuple[float, float]:
    fit = self.__dict__.get("_relaylog_fit")
    if fit is not None and fit[0] == availWidth and fit[1] == len(self._content):
        height = max(availHeight, 1.0)
        if fit[3] + 2 * _FUZZ < height:  # held within this height too, with room to spare
            self.maxWidth = max(availWidth, 1.0)
            self.maxHeight = self.setMaxHeight(height)
            self.width, self.height = fit[2], fit[3]
            return fit[2], fit[3]
    result: tuple[float, float] = _wrap_cell(self, availWidth, availHeight)
    if (
        self.mode == "shrink"
        and "_scale" not in self.__dict__
        and result == (self.width, self.height)
        and _only_paragraphs(self)
    ):  # shrink mode without a scale: the content fitted, at its own size
        self._relaylog_fit = (availWidth, len(self._content), self.width, self.height)
    else:
        self.__dict__.pop("_relaylog_fit", None)
    return result


PmlKeepInFrame.wrap = _wrap_cell_once


@dataclass(frozen=True, slots=True)
class RenderedPdf:
    content: bytes
    pages: int
    sha256: str  # lowercase hex
    language: Language

    @property
    def size_bytes(self) -> int:
        return len(self.content)


class FetchGuard:
    """The ``link_callback``: our font files, and nothing else, ever."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.refused: list[str] = []

    def __call__(self, uri: Any, rel: Any = None) -> str:
        name = str(uri)
        self.asked.append(name[:200])
        path = FONT_FILES.get(name)
        if path is not None:
            return str(path)
        # xhtml2pdf fetches the original address when the callback returns nothing:
        # hand it an empty inline resource instead.
        self.refused.append(name[:200])
        return NOTHING


def check_limits(view: LogView) -> None:
    """Refuse, before any work, a log too large to print as one document."""
    if view.measure_count > MAX_MEASURES or view.text_size > MAX_TEXT_CHARS:
        raise InvalidInput(_TOO_LARGE, field="logId", **_LIMITS)


def render_log_pdf(
    view: LogView,
    language: Language = Language.NB,
    *,
    archive: bool = False,
    guard: FetchGuard | None = None,
) -> RenderedPdf:
    """The log as PDF/A-2b bytes. CPU-bound: call it in a worker thread from async code."""
    check_limits(view)
    t = LABELS[language]
    html = render_html(view, language, archive=archive)
    raw = html_to_pdf(html, guard or FetchGuard(), page_of=t["page_of"])
    child = view.child.name
    pdfa = make_pdfa(
        raw,
        DocumentInfo(
            title=f"{t['title_for']} {child}",
            author=view.holder.organisation if view.holder else t["document"],
            subject=f"{t['log_id']} {view.log_id}",
            language="nb-NO" if language is Language.NB else language.code.value,
            created_at=view.printed_at,
        ),
    )
    if pdfa.pages > MAX_PAGES:
        raise InvalidInput(_TOO_LARGE, field="logId", **_LIMITS)
    return RenderedPdf(
        content=pdfa.content,
        pages=pdfa.pages,
        sha256=hashlib.sha256(pdfa.content).hexdigest(),
        language=language,
    )


def render_html(view: LogView, language: Language, *, archive: bool = False) -> str:
    t = LABELS[language]
    html = (
        _environment(language)
        .get_template("relay_log.html")
        .render(
            view=view,
            t=t,
            # Never drawn (the PDF's title is set in make_pdfa), but xhtml2pdf checks its
            # glyphs in the text font and would log each one missing: a name's letters.
            title=_in_text_font(f"{t['title_for']} {view.child.name}"),
            scope_text=t["archive_scope"] if archive else t["viewer_scope"],
            measure_rows=MEASURE_ROWS,
            outcome_colours=[(o.value, hex_) for o, (hex_, _) in OUTCOME_COLOURS.items()],
        )
    )
    # Fallback fonts (Ethiopic, CJK) are declared only when the page has text in them.
    html = html.replace("/*fallback-fonts*/", fallback.font_faces(html), 1)
    # The template's line breaks between block tags (rows, paragraphs) are text nodes that
    # xhtml2pdf walks one by one: gone, the parse is ~10 % faster. A space between inline
    # tags has no line break in it and stays.
    return _BETWEEN_BLOCKS("><", html)


def html_to_pdf(html: str, guard: FetchGuard, *, page_of: str | None = None) -> bytes:
    """xhtml2pdf under the fetch guard and the resource policy; no Helvetica in the file.

    ``page_of`` (``"Side {page} av {pages}"``): drawn in every page's footer."""
    from io import BytesIO

    out = BytesIO()
    with _initial_font(), _page_of(page_of), _no_cyclic_collection():
        try:
            result = pisa.CreatePDF(
                html,
                dest=out,
                link_callback=guard,
                encoding="utf-8",
                resource_policy=_POLICY,
                capacity=-1,  # the document stays in memory: no temporary file of a child's log
            )
        except RenderLimitError as exc:
            raise InvalidInput(_TOO_LARGE, field="logId", **_LIMITS) from exc
    if guard.refused:
        log.warning(
            "pdf render asked for resources it may not have", extra={"count": len(guard.refused)}
        )
    if result.err:
        raise RuntimeError("the PDF could not be rendered")
    return out.getvalue()


@contextmanager
def _initial_font() -> Iterator[None]:
    """Keep Helvetica out of the file: reportlab names it as the initial font of every page and
    as the font of every table cell, and it is never embedded, which PDF/A forbids. An
    embedded TrueType font takes its place (and, being dynamic, is not even named up front).
    """
    if _INITIAL_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(_INITIAL_FONT, str(FONT_FILES["relaylog-font:regular"])))
    with _lock:
        previous = rl_config.canvas_basefontname, CellStyle.fontname
        rl_config.canvas_basefontname = CellStyle.fontname = _INITIAL_FONT
        try:
            yield
        finally:
            rl_config.canvas_basefontname, CellStyle.fontname = previous


@contextmanager
def _no_cyclic_collection() -> Iterator[None]:
    """No cyclic garbage collection while xhtml2pdf and reportlab build the document (call it
    holding ``_lock``: renders take turns, and this is process state).

    A render allocates tens of thousands of objects that live until it ends (the DOM, the
    fragments, the flowables), so the collector's passes during it walk them again and again
    and free nothing: the peak memory of a 52- or 102-page render is the same without them
    (``benchmarks/README.md``), and the render is 4–5 % faster. Other threads go without a
    cyclic collection meanwhile (reference counting frees as ever); the collector runs again,
    as it would have, once the render is over.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# The footer's "Side x av y": the canvas keeps each finished page until the document is saved,
# then draws the line on every page with the count known (reportlab's numbered-canvas recipe).
# xhtml2pdf's <pdf:pagecount> would instead lay the whole document out twice.
PAGE_OF_RIGHT = 595.27 - 45  # A4 width minus the right margin (the template's @page)
PAGE_OF_LEFT = 45
PAGE_OF_BASELINE = 842 - 796 - 7  # the footer frame's first line (top 796 pt, 7 pt text)
PAGE_OF_SIZE = 7
PAGE_OF_GREY = 0x55 / 0xFF


class _PageOfCanvas(MarkedCanvas):
    text: str | None = None  # set for one render, under the lock

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._finished: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._finished.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._finished)
        for number, state in enumerate(self._finished, start=1):
            self.__dict__.update(state)
            if self.text is not None:
                self.saveState()
                self.setFont(_INITIAL_FONT, PAGE_OF_SIZE)
                self.setFillGray(PAGE_OF_GREY)
                _draw_right(self, self.text.format(page=number, pages=total))
                self.restoreState()
            Canvas.showPage(self)
        Canvas.save(self)


def _draw_right(canvas: Canvas, text: str) -> None:
    """The footer's page count at the outer edge, as the page's text is drawn: Arabic joined and in
    visual order (xhtml2pdf's reshaping and bidi), Ethiopic and CJK in their fallback font."""
    shaped = shape_frag_text(text, _INITIAL_FONT)
    if shaped is not None:
        text = get_display(shaped, "R")
    pieces = []
    for face, chunk in fallback.runs(text):
        font = _INITIAL_FONT if face is None else _fallback_font(face)
        pieces.append((font, chunk, pdfmetrics.stringWidth(chunk, font, PAGE_OF_SIZE)))
    # A right-to-left page's footer is right-aligned: the count goes to the left instead.
    x = PAGE_OF_LEFT if shaped is not None else PAGE_OF_RIGHT - sum(w for _, _, w in pieces)
    line = canvas.beginText(x, PAGE_OF_BASELINE)  # one text object: extracted as one line
    for font, chunk, _ in pieces:
        line.setFont(font, PAGE_OF_SIZE)
        line.textOut(chunk)
    canvas.drawText(line)


def _fallback_font(face: fallback.Fallback) -> str:
    name = f"relaylog-{face.name}"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(face.regular)))
    return name


class _PageOfDoc(PmlBaseDoc):
    def _makeCanvas(self, filename: Any = None, canvasmaker: Any = None) -> Any:
        return super()._makeCanvas(filename=filename, canvasmaker=_PageOfCanvas)


@contextmanager
def _page_of(text: str | None) -> Iterator[None]:
    """Render with ``_PageOfCanvas`` (call it holding ``_lock``: it sets module state)."""
    previous = pisa_document.PmlBaseDoc
    pisa_document.PmlBaseDoc = _PageOfDoc
    _PageOfCanvas.text = text
    try:
        yield
    finally:
        pisa_document.PmlBaseDoc = previous
        _PageOfCanvas.text = None


# --- the template's helpers -------------------------------------------------------------


REPLACEMENT = "\ufffd"


def printable(text: str) -> str:
    """User text as the font can print it: control characters dropped, characters the font
    lacks shown as U+FFFD (never a missing glyph; Ethiopic and CJK have fallback fonts)."""
    if text.isascii() and text.isprintable():
        return text
    drawable = fallback.drawable
    out = []
    for ch in text:
        code = ord(ch)
        if ch in "\n\t":
            out.append(ch)
        elif code < 0x20 or 0x7F <= code < 0xA0:
            continue
        else:
            out.append(ch if drawable(code) else REPLACEMENT)
    return "".join(out)


def _in_text_font(text: str) -> str:
    covered = fallback.text_covered()
    return "".join(ch for ch in printable(text) if ord(ch) in covered)


def _finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    if isinstance(value, str):
        if value.isascii() and value.isprintable():
            return value
        return fallback.markup(printable(value))
    return value


def _nl2br(text: str | None) -> Markup:
    if not text:
        return Markup("")
    return Markup("<br>").join(fallback.markup(printable(line)) for line in text.splitlines())


@dataclass(frozen=True, slots=True)
class _Colour:
    hex: str
    name: str
    outcome: str  # the CSS class is outcome-<this>


@cache
def _environment(language: Language) -> Environment:
    t = LABELS[language]
    code = language.code

    def fmt_date(value: date | datetime | None) -> str:
        return _format_date(value, code)  # as the language writes dates (models.i18n)

    def fmt_datetime(value: datetime | None) -> str:
        if value is None:
            return ""
        return f"{_format_date(value, code)} {value.astimezone(OSLO).strftime('%H:%M')}"

    def fmt_time(value: time | None) -> str:
        return "" if value is None else value.strftime("%H:%M")

    def label(member: StrEnum | None) -> str:
        return "" if member is None else enum_label(language, member)

    def ltr(value: Any) -> Any:
        """Numbers, ids and addresses read left to right on a right-to-left page too: a
        phone number's groups would otherwise be laid out in reverse (UAX #9 embedding, LRE…PDF:
        the text font has those two and not the isolates)."""
        if value is None or not code.rtl:
            return value
        return Markup("\u202a") + _finalize(str(value)) + Markup("\u202c")

    def colour(outcome: EvaluationOutcome) -> _Colour:
        hex_, key = OUTCOME_COLOURS[outcome]
        return _Colour(hex_, t[key], outcome.value)

    def responsible(measure: MeasureLine) -> str:
        who = list(measure.responsible)
        if measure.responsible_guardians:
            who.append(t["the_guardians"])
        if measure.responsible_child:
            who.append(t["the_child"])
        return ", ".join(who) or "–"

    def attending(meeting: MeetingLine) -> list[ParticipantLine]:
        if meeting.status is MeetingStatus.COMPLETED:
            return [p for p in meeting.participants if p.present]
        return [p for p in meeting.participants if p.invited]

    def absent(meeting: MeetingLine) -> list[ParticipantLine]:
        return [p for p in meeting.participants if p.present is False]

    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    filters: dict[str, Callable[..., Any]] = {
        "date": fmt_date,
        "datetime": fmt_datetime,
        "time": fmt_time,
        "label": label,
        "ltr": ltr,
        "colour": colour,
        "responsible": responsible,
        "attending": attending,
        "absent": absent,
        "nl2br": _nl2br,
    }
    env.filters.update(filters)
    return env
