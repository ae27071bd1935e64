"""The Noark 5 metadata of an archive package (``noark5-metadata.xml``), built with lxml.

Arkivverket's *arkivstruktur* names and namespace: one ``mappe`` (the child's relay log)
holding one ``registrering`` (this filing) with one ``dokumentbeskrivelse`` and one
``dokumentobjekt`` (the signed PDF: format as a PRONOM id, ``sjekksum``, ``sjekksumAlgoritme``,
``filstoerrelse``). What Noark has no element for (why the copy was filed, the log's level,
the document date, page count) is in ``virksomhetsspesifikkeMetadata`` in Relay Log's own
namespace. Every document is checked against ``schemas/noark5-arkivstruktur-mappe.xsd``
before it leaves here (see that file for how it relates to the standard's schema).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

__all__ = [
    "ARKIVSTRUKTUR",
    "EXTENSION_NAMESPACE",
    "FORMAT_PDF",
    "FORMAT_PDFA_2B",
    "NoarkDocument",
    "NoarkSchemaError",
    "SignatureClaim",
    "check_metadata",
    "noark_metadata",
]

ARKIVSTRUKTUR = "http://www.arkivverket.no/standarder/noark5/arkivstruktur"
EXTENSION_NAMESPACE = "urn:x-relaylog:noark5-virksomhetsspesifikke:1"
SCHEMA_FILE = Path(__file__).parent / "schemas" / "noark5-arkivstruktur-mappe.xsd"
FORMAT_PDFA_2B = "fmt/477"  # PRONOM: PDF/A-2b
FORMAT_PDF = "fmt/18"  # PRONOM: PDF 1.4 (what is claimed when PDF/A was not confirmed)
SIGNATURE_LEVEL = "Sendt med PKI/virksomhetssertifikat"  # M507
VERIFIED = "Signatur påført og verifisert"  # M508
NOT_VERIFIED = "Signatur påført, ikke verifisert"
_schema_lock = threading.Lock()  # a schema's error log is per object: one validation at a time


class NoarkSchemaError(ValueError):
    """The metadata does not satisfy the schema (a bug here, never the user's input)."""


@dataclass(frozen=True, slots=True)
class SignatureClaim:
    verified: bool  # verified right after signing, against the configured trust roots
    verified_on: date
    verified_by: str


@dataclass(frozen=True, slots=True)
class NoarkDocument:
    """What the metadata says about one filed PDF."""

    folder_id: uuid.UUID  # the log
    registration_id: uuid.UUID  # the archive record
    description_id: uuid.UUID
    object_id: uuid.UUID
    case_title: str
    public_case_title: str
    document_title: str
    document_type: str
    author_unit: str | None  # the holder's unit (forfatter)
    system: str  # who created and filed it (opprettetAv, arkivertAv)
    case_created_at: datetime
    case_closed_at: datetime | None
    created_at: datetime
    document_date: date
    file_name: str
    sha256: str
    size_bytes: int
    format: str  # a PRONOM id: FORMAT_PDFA_2B only when a validator confirmed it
    format_details: str
    signature: SignatureClaim | None
    reason: str
    level: int
    pages: int


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def noark_metadata(doc: NoarkDocument) -> bytes:
    """The document as UTF-8 XML, valid against the package schema."""
    ns = f"{{{ARKIVSTRUKTUR}}}"
    ext = f"{{{EXTENSION_NAMESPACE}}}"

    def add(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, ns + tag)
        if text is not None:
            element.text = text
        return element

    def signature(parent: etree._Element) -> None:
        if doc.signature is None:
            return
        claim = doc.signature
        element = add(parent, "elektroniskSignatur")
        add(element, "elektroniskSignaturSikkerhetsnivaa", SIGNATURE_LEVEL)
        add(element, "elektroniskSignaturVerifisert", VERIFIED if claim.verified else NOT_VERIFIED)
        add(element, "verifisertDato", claim.verified_on.isoformat())
        add(element, "verifisertAv", claim.verified_by)

    created = _stamp(doc.created_at)
    namespaces: Any = {None: ARKIVSTRUKTUR, "rl": EXTENSION_NAMESPACE}  # None: the default
    mappe = etree.Element(ns + "mappe", nsmap=namespaces)
    add(mappe, "systemID", str(doc.folder_id))
    add(mappe, "mappeID", str(doc.folder_id))
    add(mappe, "tittel", doc.case_title)
    add(mappe, "offentligTittel", doc.public_case_title)
    add(mappe, "opprettetDato", _stamp(doc.case_created_at))
    add(mappe, "opprettetAv", doc.system)
    if doc.case_closed_at is not None:
        add(mappe, "avsluttetDato", _stamp(doc.case_closed_at))
        add(mappe, "avsluttetAv", doc.system)
    folder_extra = add(mappe, "virksomhetsspesifikkeMetadata")
    etree.SubElement(folder_extra, ext + "mappetype").text = doc.document_type

    registrering = add(mappe, "registrering")
    add(registrering, "systemID", str(doc.registration_id))
    add(registrering, "opprettetDato", created)
    add(registrering, "opprettetAv", doc.system)
    add(registrering, "arkivertDato", created)
    add(registrering, "arkivertAv", doc.system)

    beskrivelse = add(registrering, "dokumentbeskrivelse")
    add(beskrivelse, "systemID", str(doc.description_id))
    add(beskrivelse, "dokumenttype", doc.document_type)
    add(beskrivelse, "dokumentstatus", "Dokumentet er ferdigstilt")
    add(beskrivelse, "tittel", doc.document_title)
    if doc.author_unit:
        add(beskrivelse, "forfatter", doc.author_unit)
    add(beskrivelse, "opprettetDato", created)
    add(beskrivelse, "opprettetAv", doc.system)
    add(beskrivelse, "tilknyttetRegistreringSom", "Hoveddokument")
    add(beskrivelse, "dokumentnummer", "1")
    add(beskrivelse, "tilknyttetDato", created)
    add(beskrivelse, "tilknyttetAv", doc.system)
    signature(beskrivelse)

    objekt = add(beskrivelse, "dokumentobjekt")
    add(objekt, "systemID", str(doc.object_id))
    add(objekt, "versjonsnummer", "1")
    add(objekt, "variantformat", "Arkivformat")
    add(objekt, "format", doc.format)
    add(objekt, "formatDetaljer", doc.format_details)
    add(objekt, "opprettetDato", created)
    add(objekt, "opprettetAv", doc.system)
    add(objekt, "referanseDokumentfil", doc.file_name)
    add(objekt, "sjekksum", doc.sha256)
    add(objekt, "sjekksumAlgoritme", "SHA256")
    add(objekt, "filstoerrelse", str(doc.size_bytes))
    signature(objekt)

    add(registrering, "tittel", doc.document_title)
    if doc.author_unit:
        add(registrering, "forfatter", doc.author_unit)
    extra = add(registrering, "virksomhetsspesifikkeMetadata")
    for tag, value in (
        ("arkiveringsgrunn", doc.reason),
        ("dokumentdato", doc.document_date.isoformat()),
        ("nivaa", str(doc.level)),
        ("antallSider", str(doc.pages)),
    ):
        etree.SubElement(extra, ext + tag).text = value

    check_metadata(mappe)
    return etree.tostring(mappe, encoding="utf-8", xml_declaration=True, pretty_print=True)


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))


def check_metadata(document: etree._Element | bytes) -> None:
    """Raise ``NoarkSchemaError`` unless ``document`` is valid against the package schema."""
    if isinstance(document, bytes):
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        try:
            document = etree.fromstring(document, parser)
        except etree.XMLSyntaxError as exc:
            raise NoarkSchemaError(f"not well-formed XML: {exc}") from None
    with _schema_lock:
        schema = _schema()
        if schema.validate(document):
            return
        log: Any = schema.error_log
        errors = "; ".join(f"line {e.line}: {e.message}" for e in log)
    raise NoarkSchemaError(errors)
