"""A local certificate authority for dev and demo: archive copies are signed out of the box.

Never used in production (``relaylog.services.archive_signing`` refuses): there the
municipality configures its own certificate (a PKCS#12 file or PEM key and certificate,
usually an enterprise certificate, *virksomhetssertifikat*) and the roots that verify it.

On first use ``load_or_create`` writes, in its directory (mode 0700): ``ca.pem`` (the demo
root, the trust root of ``relaylog archive verify``), ``signer.pem`` (the signing
certificate) and ``signer-key.pem`` (its unencrypted key, mode 0600).
The root's own key is not kept: nothing else is ever issued by it. An expired set is made anew.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["DemoCa", "load_or_create"]

CA_FILE = "ca.pem"
CERT_FILE = "signer.pem"
KEY_FILE = "signer-key.pem"


@dataclass(frozen=True, slots=True)
class DemoCa:
    ca: Path
    certificate: Path  # the signer's certificate
    key: Path


def load_or_create(directory: Path, *, organisation: str = "Demo kommune") -> DemoCa:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    found = DemoCa(directory / CA_FILE, directory / CERT_FILE, directory / KEY_FILE)
    if not all(p.exists() for p in (found.ca, found.certificate, found.key)) or _expired(
        found.certificate
    ):
        _create(found, organisation)
    return found


def _expired(path: Path) -> bool:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return cert.not_valid_after_utc < datetime.now(UTC) + timedelta(days=30)


def _name(organisation: str, common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NO"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _usage(*, sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=sign,  # non-repudiation: a document signature, not a login
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not sign,
        crl_sign=not sign,
        encipher_only=False,
        decipher_only=False,
    )


def _create(target: DemoCa, organisation: str) -> None:
    now = datetime.now(UTC) - timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(organisation, f"{organisation} demo-CA (Stafettloggen)")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(sign=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(organisation, f"{organisation} arkivsignatur (demo)"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign=True), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    target.key.touch(mode=0o600)
    target.key.chmod(0o600)
    target.key.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    target.certificate.write_bytes(cert.public_bytes(pem))
    target.ca.write_bytes(ca.public_bytes(pem))
