"""Scripts the text font lacks: Ethiopic (Tigrinya) and CJK from fallback fonts, so nothing a
person wrote or a catalog says prints as "�" or an empty box.

xhtml2pdf draws a run of text in one font and has no per-glyph fallback, so the page does it
itself: each run of characters DejaVu Sans cannot draw but a fallback font can is wrapped in
``<span class="fb-…">`` (``markup``), and the fallback's ``@font-face`` is put in the page's
style only when some run needs it (``font_faces``: a 3 MB CJK font is not parsed for a log
written in Norwegian). Arabic needs no fallback: DejaVu Sans carries the Arabic letters and
the presentation forms that xhtml2pdf's reshaping writes, and xhtml2pdf orders right-to-left
runs itself (``<html dir="rtl">`` for an Arabic page).

The fonts are committed with their licences (exports/fonts/LICENSE-*.txt): Noto Sans Ethiopic
(OFL 1.1) and Droid Sans Fallback (Apache 2.0: CJK ideographs, kana, hangul); both are
TrueType-outline fonts, the only kind reportlab embeds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from markupsafe import Markup, escape
from reportlab.pdfbase.ttfonts import TTFont

__all__ = ["FALLBACKS", "Fallback", "covered_by", "font_faces", "markup", "runs"]

FONT_DIR = Path(__file__).parent / "fonts"
TEXT_FONTS = (FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf")


@dataclass(frozen=True, slots=True)
class Fallback:
    name: str  # the CSS class is fb-<name>, the family RelayLog-<name>
    regular: Path
    bold: Path

    @property
    def family(self) -> str:
        return f"RelayLog{self.name.capitalize()}"

    @property
    def urls(self) -> dict[str, Path]:
        return {
            f"relaylog-font:{self.name}": self.regular,
            f"relaylog-font:{self.name}-bold": self.bold,
        }


FALLBACKS: tuple[Fallback, ...] = (
    Fallback(
        "ethiopic",
        FONT_DIR / "NotoSansEthiopic-Regular.ttf",
        FONT_DIR / "NotoSansEthiopic-Bold.ttf",
    ),
    Fallback("cjk", FONT_DIR / "DroidSansFallback.ttf", FONT_DIR / "DroidSansFallback.ttf"),
)


@cache
def covered_by(*paths: Path) -> frozenset[int]:
    """Code points every one of these faces can draw."""
    faces = [TTFont(f"cover-{path.stem}", str(path)).face for path in paths]
    return frozenset(set(faces[0].charToGlyph).intersection(*(f.charToGlyph for f in faces[1:])))


def text_covered() -> frozenset[int]:
    return covered_by(*TEXT_FONTS)


def fallback_for(code: int) -> Fallback | None:
    for fallback in FALLBACKS:
        if code in covered_by(fallback.regular, fallback.bold):
            return fallback
    return None


def drawable(code: int) -> bool:
    return code in text_covered() or fallback_for(code) is not None


# Spaces and punctuation inside a run of Ethiopic or CJK stay in that run (and so in its
# font) when the fallback has them: a line of Tigrinya is one span, not one per word.
_NEUTRAL = frozenset(" \u00a0")


def runs(text: str) -> Iterator[tuple[Fallback | None, str]]:
    """``text`` cut where the font changes: (None, run) for the text font."""
    covered = text_covered()
    current: Fallback | None = None
    start = 0
    for index, ch in enumerate(text):
        code = ord(ch)
        if ch in _NEUTRAL and current is not None:
            continue
        font = None if code in covered else fallback_for(code)
        if font is not current:
            if index > start:
                yield current, text[start:index]
            current, start = font, index
    if start < len(text):
        yield current, text[start:]


def markup(text: str) -> Markup:
    """``text`` escaped, with every run of a fallback script in its span."""
    return Markup("").join(
        escape(chunk)
        if font is None
        else Markup(f'<span class="fb-{font.name}">{escape(chunk)}</span>')
        for font, chunk in runs(text)
    )


def font_faces(html: str) -> str:
    """The ``@font-face`` rules and classes of the fallbacks this page uses."""
    rules = []
    for fallback in FALLBACKS:
        if f'class="fb-{fallback.name}"' in html:
            rules.append(
                f'@font-face {{ font-family: {fallback.family}; src: url("relaylog-font:'
                f'{fallback.name}"); }}\n'
                f'@font-face {{ font-family: {fallback.family}; src: url("relaylog-font:'
                f'{fallback.name}-bold"); font-weight: bold; }}\n'
                f".fb-{fallback.name} {{ font-family: {fallback.family}; }}\n"
            )
    return "".join(rules)
