"""The printed log is built to PDF/A-2b: every font embedded (no Helvetica), an sRGB output
intent, XMP metadata naming part 2 conformance B.

The verdict is a PDF/A-2 validator's: ``page`` (PyPI ``page-validation``, installed with the
project, so CI runs it), which passes the veraPDF corpus and the Isartor suite, for the
export, the signed archive copy and a long log; a file with the output intent removed or the
wrong part declared shows that it does reject. Apache PDFBox Preflight, where it is installed
(Debian: ``apt-get install default-jre-headless libpdfbox2-java libactivation-java
libjaxb-api-java``), adds a second opinion on the PDF/A-1b rules."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from benchmarks.pdf_export import Shape, realistic_view
from exports import signing
from exports.labels import Language
from exports.pdf import FetchGuard, html_to_pdf, render_html, render_log_pdf
from exports.pdfa import DocumentInfo, make_pdfa, pdfa_failures
from exports.printed import LogView, NoteLine
from models.enums import AuthorKind

JAVA_DIR = Path("/usr/share/java")
JARS = [
    "preflight.jar",
    "pdfbox2.jar",
    "fontbox2.jar",
    "xmpbox.jar",
    "commons-logging.jar",
    "javax.activation.jar",
    "jaxb-api.jar",
]
PREFLIGHT = shutil.which("java") is not None and all((JAVA_DIR / j).exists() for j in JARS)


def _view() -> LogView:
    view = realistic_view(Shape.pages(7))
    odd = NoteLine(
        created_at=datetime(2026, 3, 1, 9, tzinfo=UTC),
        text="Åse Øvre, Čáslav Ŋuorjjot, Σοφία, Мария, 中文 \x07<b>ikke fet</b>",
        adults_only=False,
        is_summary=False,
        author_kind=AuthorKind.GUARDIAN,
        author="Ærlige Ørjan",
        about_point=None,
        about_meeting=None,
    )
    return LogView(**{**view.__dict__, "notes": (*(view.notes or ()), odd)})


@pytest.fixture(scope="module")
def rendered() -> bytes:
    return render_log_pdf(_view(), Language.NB).content


def _fonts(reader: PdfReader) -> list[Any]:
    fonts = []
    for page in reader.pages:
        resources: Any = page["/Resources"].get_object()
        for ref in resources.get("/Font", {}).values():
            fonts.append(ref.get_object())
    return fonts


def test_every_font_in_the_file_is_embedded_dejavu_or_a_committed_fallback(
    rendered: bytes,
) -> None:
    fonts = _fonts(PdfReader(io.BytesIO(rendered)))

    assert fonts
    for font in fonts:
        name = str(font["/BaseFont"])
        assert any(f in name for f in ("DejaVuSans", "NotoSansEthiopic", "DroidSansFallback"))
        descriptor: Any = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor


def test_the_file_says_it_is_pdfa_2b_with_an_srgb_output_intent(rendered: bytes) -> None:
    reader = PdfReader(io.BytesIO(rendered))
    root: Any = reader.trailer["/Root"].get_object()

    [intent] = [i.get_object() for i in root["/OutputIntents"]]
    assert intent["/S"] == "/GTS_PDFA1"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 3
    assert profile.get_data()[8] == 2  # an ICC version 2 profile
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "<pdfaid:part>2</pdfaid:part>" in xmp
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert reader.metadata is not None
    assert reader.metadata.title == "Stafettlogg for Ylva Ungdom"
    assert f">{reader.metadata.title}<" in xmp
    assert "/Filter" not in root["/Metadata"].get_object()
    assert reader.trailer["/ID"]


def test_the_validator_accepts_the_export_as_pdfa_2b(rendered: bytes) -> None:
    assert pdfa_failures(rendered) == []


def test_the_signed_archive_copy_is_still_pdfa_2b(
    archive_signer: signing.ArchiveSigning,
) -> None:
    pdf = render_log_pdf(_view(), Language.NB, archive=True).content
    signed = signing.sign_pdf(pdf, archive_signer, reason="Arkivkopi")

    assert pdfa_failures(signed) == []


def test_a_long_log_is_pdfa_2b() -> None:
    pdf = render_log_pdf(realistic_view(Shape.pages(30)), Language.NB)

    assert pdf.pages >= 25
    assert pdfa_failures(pdf.content) == []


def test_the_validator_rejects_what_is_not_pdfa_2b(rendered: bytes) -> None:
    """It is no rubber stamp: no output intent, or a file that says it is part 1, fail."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(rendered)))
    del writer.root_object[NameObject("/OutputIntents")]
    out = io.BytesIO()
    writer.write(out)
    view = _view()
    raw = html_to_pdf(render_html(view, Language.NB), FetchGuard())
    info = DocumentInfo("Stafettlogg", "Bakken skole", "Logg", "nb-NO", view.printed_at)

    assert pdfa_failures(out.getvalue())
    assert pdfa_failures(make_pdfa(raw, info, part=1).content)
    assert pdfa_failures(b"%PDF-1.4 not really")


def _preflight(path: Path) -> tuple[bool, set[str]]:
    classpath = ":".join(str(JAVA_DIR / j) for j in JARS)
    result = subprocess.run(
        ["java", "-cp", classpath, "org.apache.pdfbox.preflight.Validator_A1b", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    valid = "is a valid PDF/A-1b file" in result.stdout
    codes = set(re.findall(r"^(\d+(?:\.\d+)+) :", result.stdout, flags=re.MULTILINE))
    return valid, codes


@pytest.mark.skipif(not PREFLIGHT, reason="Apache PDFBox Preflight is not installed")
def test_pdfbox_preflight_finds_nothing_but_the_part_number(
    rendered: bytes, tmp_path: Path
) -> None:
    view = _view()
    raw = html_to_pdf(render_html(view, Language.NB), FetchGuard())
    info = DocumentInfo("Stafettlogg", "Bakken skole", "Logg", "nb-NO", view.printed_at)
    as_part_1 = tmp_path / "part1.pdf"
    as_part_1.write_bytes(make_pdfa(raw, info, part=1).content)
    as_shipped = tmp_path / "shipped.pdf"
    as_shipped.write_bytes(rendered)

    assert _preflight(as_part_1) == (True, set())
    assert _preflight(as_shipped) == (False, {"7.11.2"})  # "part must be 1": it says 2
