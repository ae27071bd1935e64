"""PAdES signatures on archive PDFs: who produced the copy, and that nobody changed it since.

Every archive PDF is signed with the municipality's certificate (pyHanko, PAdES baseline B-B:
``ETSI.CAdES.detached``, SHA-256, the signing time in the signature dictionary) as an
incremental update that covers the whole file: one byte changed anywhere and verification
fails. The signature is invisible (a zero-size widget with the print flag, as PDF/A wants),
so the signed file stays PDF/A-2b (checked by ``tests/exports/test_pdfa.py``).

The certificate comes from settings at start-up (``relaylog.services.archive_signing``: a
PKCS#12 file or PEM key + certificate; outside production a generated demo CA,
``exports.demo_ca``); this module only holds it, like ``models.secrets`` holds the data keys.
``verify_pdf`` is what ``relaylog archive verify`` runs: the signature's integrity, that it
covers the entire file, and the certificate chain against the configured trust roots (no
network: revocation is not checked, there being no OCSP/CRL to reach from here).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import x509
from pyhanko.keys import load_certs_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

__all__ = [
    "SIGNATURE_FIELD",
    "ArchiveSigning",
    "SignatureCheck",
    "SigningNotConfiguredError",
    "configure",
    "configured",
    "load_certificates",
    "sign_pdf",
    "verify_pdf",
]

SIGNATURE_FIELD = "Arkivsignatur"
# Room for the CMS container: a certificate chain of three RSA-4096 certificates fits. Fixing
# it saves pyHanko the dry run it otherwise makes to measure the container (half the time).
_BYTES_RESERVED = 16 * 1024


class SigningNotConfiguredError(RuntimeError):
    """No certificate was configured to sign archive copies with."""


@dataclass(frozen=True, slots=True)
class ArchiveSigning:
    """The municipality's signing identity and the roots a verifier trusts."""

    signer: signers.SimpleSigner
    trust_roots: tuple[x509.Certificate, ...]
    location: str  # the municipality, written into the signature dictionary

    @property
    def subject(self) -> str:
        cert = self.signer.signing_cert
        return str(cert.subject.human_friendly) if cert is not None else ""


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """What verifying one PDF found. ``valid``: every check passed."""

    signed: bool
    intact: bool  # the signed bytes hash to what the signature says
    cryptographically_valid: bool
    covers_entire_file: bool
    trusted: bool  # the certificate chains to a configured trust root
    signer: str | None
    signed_at: datetime | None
    problems: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.problems


_signing: ArchiveSigning | None = None


def configure(signing: ArchiveSigning | None) -> None:
    """Set (or, with ``None``, clear) the identity archive copies are signed with."""
    global _signing
    _signing = signing


def configured() -> ArchiveSigning:
    if _signing is None:
        raise SigningNotConfiguredError("no certificate is configured for archive signatures")
    return _signing


def load_certificates(paths: Iterable[Path]) -> tuple[x509.Certificate, ...]:
    """Every certificate in the given PEM or DER files."""
    return tuple(load_certs_from_pemder([str(p) for p in paths]))


def sign_pdf(data: bytes, signing: ArchiveSigning, *, reason: str) -> bytes:
    """``data`` with an invisible PAdES signature over the whole file. CPU-bound (≈ 40 ms)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    meta = PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=signing.location,
    )
    out = signers.sign_pdf(writer, meta, signer=signing.signer, bytes_reserved=_BYTES_RESERVED)
    return bytes(out.getbuffer())


def verify_pdf(data: bytes, trust_roots: Iterable[x509.Certificate]) -> SignatureCheck:
    """Check the PDF's one signature: intact, valid, whole file, chain to ``trust_roots``."""
    problems: list[str] = []
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # a file pyHanko cannot even parse is simply not a valid signed PDF
        return SignatureCheck(
            False, False, False, False, False, None, None, ("the file is not a readable PDF",)
        )
    if len(signatures) != 1:
        what = "no signature" if not signatures else f"{len(signatures)} signatures"
        return SignatureCheck(
            bool(signatures), False, False, False, False, None, None, (f"{what} (expected one)",)
        )
    context = ValidationContext(
        trust_roots=list(trust_roots),
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    try:
        status = validate_pdf_signature(signatures[0], context)
    except Exception as exc:
        return SignatureCheck(
            True, False, False, False, False, None, None, (f"signature unreadable: {exc}",)
        )
    whole = status.coverage is SignatureCoverageLevel.ENTIRE_FILE
    if not status.intact:
        problems.append("the signed bytes were changed (digest mismatch)")
    if not status.valid:
        problems.append("the signature value is not valid for the signer's key")
    if not whole:
        problems.append("the signature does not cover the entire file")
    if not status.trusted:
        problems.append("the signer's certificate does not chain to a trusted root")
    return SignatureCheck(
        signed=True,
        intact=status.intact,
        cryptographically_valid=status.valid,
        covers_entire_file=whole,
        trusted=status.trusted,
        signer=str(status.signing_cert.subject.human_friendly),
        signed_at=status.signer_reported_dt,
        problems=tuple(problems),
    )
