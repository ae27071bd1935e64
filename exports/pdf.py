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
``benchmarks/README.md``: 7 pages ≈ 0.2 s, 500 measures ≈ 4 s, 1 000 measures ≈ 9 s of CPU.
"""

from __future__ import annotations

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
from xhtml2pdf import document as pisa_document
from xhtml2pdf import pisa
from xhtml2pdf.bidi import get_display
from xhtml2pdf.builders.printmarks import MarkedCanvas
from xhtml2pdf.config.resources import RenderLimitError, ResourceAccessPolicy
from xhtml2pdf.util import shape_frag_text
from xhtml2pdf.xhtml2pdf_reportlab import PmlBaseDoc

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
    with _initial_font(), _page_of(page_of):
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
