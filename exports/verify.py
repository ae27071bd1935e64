"""Check an archive package as the archive receives it: ``relaylog archive verify FILE``.

A package (the zip ``exports.archive`` files) passes when its metadata is valid against the
package schema, names the PDF beside it with that PDF's SHA-256 and size, and the PDF's
signature is intact, covers the whole file and chains to a trusted root. A bare PDF can be
checked too: then only its signature, and the report says the checksum was not checked.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field

from asn1crypto import x509
from lxml import etree

from exports.noark import ARKIVSTRUKTUR, NoarkSchemaError, check_metadata
from exports.signing import verify_pdf

__all__ = ["Check", "PackageReport", "verify_package"]

METADATA_FILE = "noark5-metadata.xml"
_MAX_MEMBER_BYTES = 256 * 1024 * 1024  # a zip bomb is refused, not inflated


@dataclass(frozen=True, slots=True)
class Check:
    ok: bool
    what: str
    detail: str


@dataclass
class PackageReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, ok: bool, what: str, detail: str) -> None:
        self.checks.append(Check(ok, what, detail))


def verify_package(content: bytes, trust_roots: Iterable[x509.Certificate]) -> PackageReport:
    report = PackageReport()
    roots = tuple(trust_roots)
    if content.startswith(b"%PDF-"):
        _signature(report, content, roots)
        report.add(True, "checksum", "not checked: a bare PDF has no metadata beside it")
        return report
    try:
        files = _unzip(content)
    except (zipfile.BadZipFile, ValueError) as exc:
        report.add(False, "package", f"not a readable zip or PDF: {exc}")
        return report
    metadata = files.get(METADATA_FILE)
    pdfs = [name for name in files if name.endswith(".pdf")]
    if metadata is None or len(pdfs) != 1:
        report.add(False, "package", f"expected {METADATA_FILE} and one PDF, found {sorted(files)}")
        return report
    pdf = files[pdfs[0]]
    try:
        check_metadata(metadata)
    except NoarkSchemaError as exc:
        report.add(False, "metadata", f"not valid against the package schema: {exc}")
        return report
    report.add(True, "metadata", "valid Noark 5 arkivstruktur (package schema)")
    root = etree.fromstring(metadata, etree.XMLParser(resolve_entities=False, no_network=True))
    ns = {"n": ARKIVSTRUKTUR}
    [objekt] = root.findall(".//n:dokumentobjekt", ns)
    named = objekt.findtext("n:referanseDokumentfil", namespaces=ns)
    claimed = objekt.findtext("n:sjekksum", namespaces=ns)
    size = objekt.findtext("n:filstoerrelse", namespaces=ns)
    actual = hashlib.sha256(pdf).hexdigest()
    report.add(named == pdfs[0], "file", f"metadata names {named!r}, package holds {pdfs[0]!r}")
    report.add(
        claimed == actual,
        "checksum",
        f"SHA-256 {actual}" if claimed == actual else f"SHA-256 is {actual}, metadata {claimed}",
    )
    report.add(size == str(len(pdf)), "size", f"{len(pdf)} bytes (metadata: {size})")
    _signature(report, pdf, roots)
    return report


def _signature(report: PackageReport, pdf: bytes, roots: tuple[x509.Certificate, ...]) -> None:
    check = verify_pdf(pdf, roots)
    if check.valid:
        when = check.signed_at.isoformat() if check.signed_at else "unknown time"
        report.add(True, "signature", f"valid, covers the whole file; {check.signer}, {when}")
        report.add(True, "chain", "the signer's certificate chains to a configured trust root")
    else:
        report.add(False, "signature", "; ".join(check.problems))


def _unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        members = archive.infolist()
        if len(members) > 16 or any(m.file_size > _MAX_MEMBER_BYTES for m in members):
            raise ValueError("too many or too large members")
        return {m.filename: archive.read(m) for m in members}
