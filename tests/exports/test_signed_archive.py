"""Who produced an archive copy, and that nobody changed it: the PAdES signature, its chain,
the SHA-256 in the metadata, and ``relaylog archive verify`` over all three. One changed byte
anywhere makes verification fail."""

from __future__ import annotations

import asyncio
import io
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import pem
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from benchmarks.pdf_export import Shape, realistic_view
from exports import demo_ca, signing
from exports.archive import METADATA_FILE, ArchiveReason, create_archive_package
from exports.labels import Language
from exports.pdf import render_log_pdf
from exports.printed import ExportAnswer
from exports.verify import verify_package
from relaylog.cli import app
from relaylog.services import archive_signing
from relaylog.settings import ConfigurationError, Settings
from schema.export_view import holder_answer
from tests.factories import TODAY, World


@pytest.fixture(scope="module")
def signed(archive_signer: signing.ArchiveSigning) -> bytes:
    pdf = render_log_pdf(realistic_view(Shape.pages(1)), Language.NB, archive=True)
    return signing.sign_pdf(pdf.content, archive_signer, reason="Arkivkopi")


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def test_the_signature_is_valid_covers_the_file_and_chains_to_the_root(
    signed: bytes, archive_signer: signing.ArchiveSigning
) -> None:
    check = signing.verify_pdf(signed, archive_signer.trust_roots)

    assert check.valid, check.problems
    assert (check.intact, check.cryptographically_valid, check.covers_entire_file) == (
        True,
        True,
        True,
    )
    assert check.trusted
    assert check.signer is not None
    assert "arkivsignatur" in check.signer
    assert check.signed_at is not None
    assert abs((datetime.now(UTC) - check.signed_at).total_seconds()) < 600
    assert b"/SubFilter /ETSI.CAdES.detached" in signed  # PAdES, not adbe.pkcs7.detached


@pytest.mark.parametrize("where", ["header", "content", "signature", "end"])
def test_one_changed_byte_anywhere_fails_verification(
    signed: bytes, archive_signer: signing.ArchiveSigning, where: str
) -> None:
    contents = signed.index(b"/Contents <") + len(b"/Contents <") + 40
    at = {"header": 3, "content": len(signed) // 3, "signature": contents, "end": len(signed) - 2}
    tampered = _flip(signed, at[where])

    check = signing.verify_pdf(tampered, archive_signer.trust_roots)

    assert not check.valid


def test_a_certificate_from_another_authority_is_not_trusted(signed: bytes, tmp_path: Path) -> None:
    stranger = demo_ca.load_or_create(tmp_path / "other", organisation="Annen kommune")

    check = signing.verify_pdf(signed, signing.load_certificates([stranger.ca]))

    assert not check.valid
    assert check.intact  # the bytes are fine: it is the signer nobody vouches for
    assert check.problems == ("the signer's certificate does not chain to a trusted root",)


def test_an_unsigned_pdf_is_not_valid(archive_signer: signing.ArchiveSigning) -> None:
    pdf = render_log_pdf(realistic_view(Shape.pages(1)), Language.NB).content

    check = signing.verify_pdf(pdf, archive_signer.trust_roots)

    assert (check.signed, check.valid) == (False, False)


def test_the_certificate_can_be_a_pkcs12_file(tmp_path: Path, signed: bytes) -> None:
    demo = demo_ca.load_or_create(tmp_path / "ca")
    key = serialization.load_pem_private_key(demo.key.read_bytes(), password=None)
    cert = x509.load_pem_x509_certificate(demo.certificate.read_bytes())
    bundle = tmp_path / "kommune.p12"
    bundle.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"kommune",
            key,  # type: ignore[arg-type]
            cert,
            None,
            serialization.BestAvailableEncryption(b"hemmelig"),
        )
    )
    settings = Settings(
        mode="production",
        data_dir=tmp_path,
        signing_pkcs12=bundle,
        signing_pkcs12_passphrase=SecretStr("hemmelig"),
        signing_chain=demo.ca,
        signing_trust_roots=demo.ca,
    )

    identity = archive_signing(settings)
    again = signing.sign_pdf(
        render_log_pdf(realistic_view(Shape.pages(1)), Language.NB).content,
        identity,
        reason="Arkivkopi",
    )

    assert identity.location == "Demo kommune"
    assert signing.verify_pdf(again, identity.trust_roots).valid


def test_production_refuses_to_start_without_a_certificate(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="RELAYLOG_SIGNING_PKCS12"):
        archive_signing(Settings(mode="production", data_dir=tmp_path))
    with pytest.raises(ConfigurationError, match="both"):
        archive_signing(Settings(data_dir=tmp_path, signing_key=tmp_path / "key.pem"))


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def _unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


async def test_relaylog_archive_verify_passes_a_filed_package_and_fails_a_tampered_one(
    session: AsyncSession,
    world: World,
    archive_signer: signing.ArchiveSigning,
    tmp_path: Path,
) -> None:
    log = await world.full_log(2)

    async def read(log_id: uuid.UUID) -> ExportAnswer | None:
        return await holder_answer(session, log_id, TODAY)

    record = await create_archive_package(
        session, log.id, ArchiveReason.CLOSURE, read=read, created_by_staff_id=None
    )
    assert record.package is not None
    package = record.package
    files = _unzip(package)
    [pdf_name] = [n for n in files if n.endswith(".pdf")]
    roots = tmp_path / "roots.pem"
    roots.write_bytes(
        b"".join(pem.armor("CERTIFICATE", c.dump()) for c in archive_signer.trust_roots)
    )
    cases = {
        "filed": package,
        "pdf-byte": _zip({**files, pdf_name: _flip(files[pdf_name], len(files[pdf_name]) // 2)}),
        "checksum": _zip(
            {
                **files,
                METADATA_FILE: files[METADATA_FILE].replace(record.sha256.encode(), b"0" * 64),
            }
        ),
        "schema": _zip({**files, METADATA_FILE: files[METADATA_FILE].replace(b"SHA256", b"MD5")}),
    }
    for name, content in cases.items():
        (tmp_path / f"{name}.zip").write_bytes(content)
    (tmp_path / "bare.pdf").write_bytes(files[pdf_name])

    def run(name: str) -> tuple[int, str]:
        result = CliRunner().invoke(
            app, ["archive", "verify", str(tmp_path / name), "--trust-roots", str(roots)]
        )
        return result.exit_code, result.output

    results = {name: await asyncio.to_thread(run, f"{name}.zip") for name in cases}
    bare = await asyncio.to_thread(run, "bare.pdf")

    code, output = results["filed"]
    assert code == 0, output
    assert f"ok   checksum: SHA-256 {record.sha256}" in output
    assert "ok   signature: valid, covers the whole file" in output
    assert "ok   chain:" in output
    assert results["pdf-byte"][0] == 1
    assert "FAIL checksum" in results["pdf-byte"][1]
    assert "FAIL signature" in results["pdf-byte"][1]
    assert results["checksum"][0] == 1
    assert "FAIL checksum" in results["checksum"][1]
    assert results["schema"][0] == 1
    assert "FAIL metadata" in results["schema"][1]
    assert bare[0] == 0
    assert "checksum: not checked" in bare[1]
    # and the same report from the function the command prints
    assert (await asyncio.to_thread(verify_package, package, archive_signer.trust_roots)).ok
