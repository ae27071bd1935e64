"""Make a finished PDF into PDF/A-2b (ISO 19005-2, level B): what an archive needs to keep it.

The rendered document is read back with pypdf and given what PDF/A asks of a file beyond its
content: an sRGB output intent with its ICC profile embedded, XMP metadata that identifies the
part and conformance and repeats the document information dictionary, and a clean rewrite
(EOL before every ``endstream``, a file identifier). The content itself is made to conform
where it is drawn: every font is the embedded DejaVu Sans (``exports.pdf`` keeps reportlab's
Helvetica out of the file), text never references ``.notdef`` (characters the font lacks are
replaced before rendering), and nothing is transparent, encrypted or annotated.

Validated as PDF/A-2b by ``page`` (the ``page-validation`` package: a PDF/A-1…3 validator that
passes the veraPDF corpus and the Isartor suite) in ``tests/exports/test_pdfa.py``, the signed
archive copy included; and every archive copy is validated again when it is filed
(``confirms_pdfa_2b``), so its metadata claims PDF/A-2b only for a file the validator accepted.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pypdf
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

__all__ = ["PDFA_FORMAT", "DocumentInfo", "PdfA", "confirms_pdfa_2b", "make_pdfa", "pdfa_failures"]

PDFA_FORMAT = "PDF/A-2b"
PRODUCER = "Relay Log (Stafettloggen) with xhtml2pdf, reportlab and pypdf"
SRGB = "sRGB IEC61966-2.1"


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    title: str
    author: str
    subject: str
    language: str  # BCP 47, e.g. "nb-NO"
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PdfA:
    content: bytes
    pages: int


SRGB_PROFILE = Path(__file__).parent / "color" / "sRGB.icc"


@cache
def srgb_profile() -> bytes:
    """A version 2 sRGB ICC profile (PDF/A-1 takes no version 4; PDF/A-2 takes both)."""
    return SRGB_PROFILE.read_bytes()


def make_pdfa(data: bytes, info: DocumentInfo, *, part: int = 2) -> PdfA:
    """Return ``data``, a PDF rendered by ``exports.pdf``, as PDF/A-``part``b."""
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(data))
    root = writer.root_object

    icc = DecodedStreamObject()
    icc.set_data(srgb_profile())
    icc[NameObject("/N")] = NumberObject(3)
    intent = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/OutputIntent"),
            NameObject("/S"): NameObject("/GTS_PDFA1"),
            NameObject("/OutputConditionIdentifier"): TextStringObject(SRGB),
            NameObject("/Info"): TextStringObject(SRGB),
            NameObject("/RegistryName"): TextStringObject("http://www.color.org"),
            NameObject("/DestOutputProfile"): writer._add_object(icc.flate_encode()),
        }
    )
    root[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])
    root[NameObject("/Lang")] = TextStringObject(info.language)

    pdf_date = _pdf_date(info.created_at)
    fields: dict[str, Any] = {
        "/Title": info.title,
        "/Author": info.author,
        "/Subject": info.subject,
        "/Creator": "Relay Log (Stafettloggen)",
        "/Producer": PRODUCER,
        "/CreationDate": pdf_date,
        "/ModDate": pdf_date,
    }
    writer._info = DictionaryObject(
        {NameObject(key): TextStringObject(value) for key, value in fields.items()}
    )

    document_id = uuid.UUID(bytes=hashlib.sha256(data).digest()[:16], version=4)
    metadata = DecodedStreamObject()  # PDF/A: the metadata stream is not filtered
    metadata.set_data(_xmp(info, fields, document_id, part))
    metadata[NameObject("/Type")] = NameObject("/Metadata")
    metadata[NameObject("/Subtype")] = NameObject("/XML")
    root[NameObject("/Metadata")] = writer._add_object(metadata)

    out = io.BytesIO()
    writer.write(out)
    return PdfA(out.getvalue(), len(writer.pages))


def pdfa_failures(data: bytes) -> list[str]:
    """The PDF/A-2b rules ``data`` breaks, by the validator (``["unreadable: …"]`` if it cannot
    read the file); an empty list: the file is PDF/A-2b."""
    import page  # the page-validation package (a compiled validator: imported on first use)

    try:
        report = page.validate_pdf_bytes(data, profile=page.ValidationProfile.PDF_A_2B)
    except page.PageError as exc:
        return [f"unreadable: {exc}"]
    failures = [f"{f.rule_id}: {f.message}" for f in report.failures]
    if not report.is_compliant and not failures:
        failures.append("not compliant")
    return failures


def confirms_pdfa_2b(data: bytes) -> bool:
    """Does the validator accept ``data`` as PDF/A-2b?"""
    return not pdfa_failures(data)


def _pdf_date(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return utc.strftime("D:%Y%m%d%H%M%S+00'00'")


def _xmp(info: DocumentInfo, fields: dict[str, Any], document_id: uuid.UUID, part: int) -> bytes:
    def text(value: str) -> str:
        return escape("".join(ch for ch in value if ch in "\t\n\r" or ord(ch) >= 0x20))

    moment = info.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    packet = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>{part}</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{text(info.title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{text(info.author)}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{text(info.subject)}</rdf:li>
    </rdf:Alt></dc:description>
   <dc:language><rdf:Bag><rdf:li>{text(info.language)}</rdf:li></rdf:Bag></dc:language>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreateDate>{moment}</xmp:CreateDate>
   <xmp:ModifyDate>{moment}</xmp:ModifyDate>
   <xmp:MetadataDate>{moment}</xmp:MetadataDate>
   <xmp:CreatorTool>{text(fields["/Creator"])}</xmp:CreatorTool>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>{text(fields["/Producer"])}</pdf:Producer>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/">
   <xmpMM:DocumentID>uuid:{document_id}</xmpMM:DocumentID>
   <xmpMM:InstanceID>uuid:{document_id}</xmpMM:InstanceID>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return packet.encode("utf-8")
