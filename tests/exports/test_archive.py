"""The archive package: the log as PDF/A (as its holder sees it) and Noark 5 metadata,
zipped and on record; filed by the holder or the unit manager, never read through by the
manager; and the same function the transfer and closure routines call."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import uuid
import zipfile
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from exports import signing
from exports.archive import (
    METADATA_FILE,
    NOARK_NAMESPACE,
    ArchiveReason,
    archive_on_transfer,
    create_archive_package,
)
from exports.noark import EXTENSION_NAMESPACE, check_metadata
from exports.pdfa import confirms_pdfa_2b
from exports.printed import ExportAnswer, ExportReader
from exports.signing import verify_pdf
from models import ArchiveRecord, AuditEvent, RelayLog, Transfer
from models.errors import InvalidInput, NotFound
from schema.export_view import holder_answer
from schema.node import decode_global_id, encode_global_id
from tests.exports.conftest import ARCHIVE, pdf_text, squeeze
from tests.factories import TODAY, World
from tests.graphql import GraphQLClient

N = f"{{{NOARK_NAMESPACE}}}"
X = f"{{{EXTENSION_NAMESPACE}}}"


async def _archive(client: GraphQLClient, log: RelayLog, as_: object, reason: str) -> dict:
    data = await client.query(
        ARCHIVE,
        as_=as_,
        variables={"logId": encode_global_id("RelayLog", log.id), "reason": reason},
    )
    return data["archiveRelayLog"]


def _unzip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _as_holder(session: AsyncSession) -> ExportReader:
    """The archive's reader: the export document as the log's holder reads it."""

    async def read(log_id: uuid.UUID) -> ExportAnswer | None:
        return await holder_answer(session, log_id, TODAY)

    return read


async def test_the_holder_files_a_package_whose_metadata_describes_the_pdf_beside_it(
    client: GraphQLClient,
    world: World,
    session: AsyncSession,
    archive_signer: signing.ArchiveSigning,
) -> None:
    log = await world.full_log(2)

    out = await _archive(client, log, world.holder, "TRANSFER")

    assert out["error"] is None
    archive = out["archive"]
    content = base64.b64decode(archive["contentBase64"])
    assert archive["sha256"] == hashlib.sha256(content).hexdigest()
    files = _unzip(content)
    [pdf_name] = [name for name in files if name.endswith(".pdf")]
    assert set(files) == {pdf_name, METADATA_FILE}
    pdf = files[pdf_name]
    digest = hashlib.sha256(pdf).hexdigest()

    check_metadata(files[METADATA_FILE])  # the package schema (Noark 5 arkivstruktur)
    mappe = ET.fromstring(files[METADATA_FILE])
    assert mappe.tag == f"{N}mappe"
    assert mappe.findtext(f"{N}systemID") == str(log.id)
    assert mappe.findtext(f"{N}tittel") == "Stafettlogg – Ylva Ungdom"
    assert mappe.findtext(f"{N}offentligTittel") == "Stafettlogg – ******"
    assert mappe.find(f"{N}avsluttetDato") is None  # the log is still open
    registrering = mappe.find(f"{N}registrering")
    assert registrering is not None
    record_id = decode_global_id(archive["archiveRecordId"])  # the id downloads take
    assert record_id is not None
    assert record_id.type_name == "ArchiveRecord"
    assert registrering.findtext(f"{N}systemID") == str(record_id.object_id)
    assert registrering.findtext(f"{N}tittel") == "Stafettlogg, ved overføring 25.11.2026"
    assert registrering.findtext(f"{N}forfatter") == "Bakken skole"
    assert registrering.findtext(f"{N}arkivertDato", "").endswith("+00:00")
    extra = registrering.find(f"{N}virksomhetsspesifikkeMetadata")
    assert extra is not None
    assert extra.findtext(f"{X}dokumentdato") == TODAY.isoformat()
    assert extra.findtext(f"{X}arkiveringsgrunn") == "TRANSFER"
    assert extra.findtext(f"{X}nivaa") == "2"
    description = registrering.find(f"{N}dokumentbeskrivelse")
    assert description is not None
    assert description.findtext(f"{N}dokumenttype") == "Stafettlogg"
    assert description.findtext(f"{N}tittel") == "Stafettlogg, ved overføring 25.11.2026"
    assert description.findtext(f"{N}forfatter") == "Bakken skole"
    document = description.find(f"{N}dokumentobjekt")
    assert document is not None
    assert document.findtext(f"{N}format") == "fmt/477"  # PRONOM: PDF/A-2b, as validated
    assert document.findtext(f"{N}formatDetaljer") == "PDF/A-2b"
    assert document.findtext(f"{N}referanseDokumentfil") == pdf_name
    assert document.findtext(f"{N}sjekksum") == digest
    assert document.findtext(f"{N}sjekksumAlgoritme") == "SHA256"
    assert document.findtext(f"{N}filstoerrelse") == str(len(pdf))
    signature = document.find(f"{N}elektroniskSignatur")
    assert signature is not None
    assert signature.findtext(f"{N}elektroniskSignaturVerifisert") == (
        "Signatur påført og verifisert"
    )
    # pyHanko runs its own event loop: off this one, as the archive does in its worker thread
    assert (await asyncio.to_thread(verify_pdf, pdf, archive_signer.trust_roots)).valid
    assert confirms_pdfa_2b(pdf)

    record = await session.get(ArchiveRecord, record_id.object_id)
    assert record is not None
    assert (record.log_id, record.reason, record.sha256, record.size_bytes) == (
        log.id,
        "TRANSFER",
        digest,
        len(pdf),
    )
    stored = await session.scalar(
        select(ArchiveRecord.package).where(ArchiveRecord.id == record.id)
    )
    assert stored == content
    assert record.created_by_id == world.holder.id
    assert record.author_organisation_id == world.school.id
    assert archive["pdfSha256"] == digest
    assert archive["documentFormat"] == "PDF/A-2b"

    text = squeeze(pdf_text(pdf))  # the holder's view: everything
    assert squeeze(world.guardian.national_id) in text
    assert squeeze("Bare for voksne") in text
    assert squeeze("Arkivutskrift") in text

    [event] = (
        await session.scalars(
            select(AuditEvent).where(AuditEvent.log_id == log.id, AuditEvent.action == "ARCHIVE")
        )
    ).all()
    assert (event.relation, event.object_type, event.object_id) == (
        "HOLDER",
        "ArchiveRecord",
        record.id,
    )


async def test_a_unit_manager_files_a_package_but_is_not_handed_its_content(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.full_log(2)

    out = await _archive(client, log, world.manager, "CLOSURE")

    assert out["error"] is None
    assert out["archive"]["contentBase64"] is None
    assert out["archive"]["pdfSha256"]
    filed = decode_global_id(out["archive"]["archiveRecordId"])
    assert filed is not None
    record = await session.get(ArchiveRecord, filed.object_id)
    assert record is not None
    assert record.reason == "CLOSURE"
    assert record.created_by_id == world.manager.id


async def test_actors_may_not_archive_and_strangers_are_told_the_log_does_not_exist(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    log = await world.full_log(2)

    by_actor = await _archive(client, log, world.actor, "MANUAL")
    by_stranger = await _archive(client, log, world.other_manager, "MANUAL")

    assert by_actor["error"]["code"] == "NOT_ALLOWED"
    assert by_stranger == {
        "archive": None,
        "error": {"code": "NOT_FOUND", "message": "No such log.", "field": "logId"},
    }
    assert (
        await session.scalars(select(ArchiveRecord).where(ArchiveRecord.log_id == log.id))
    ).all() == []


async def test_the_lifecycle_files_a_copy_through_the_plain_function(
    session: AsyncSession, world: World
) -> None:
    log = await world.full_log(1)

    record = await create_archive_package(
        session, log.id, ArchiveReason.CLOSURE, read=_as_holder(session), created_by_staff_id=None
    )

    assert record.id is not None
    assert record.reason == "CLOSURE"
    assert record.created_by_id is None
    assert record.document_format == "PDF/A-2b"
    assert record.package is not None
    files = _unzip(record.package)
    [pdf] = [data for name, data in files.items() if name.endswith(".pdf")]
    assert hashlib.sha256(pdf).hexdigest() == record.sha256
    assert "Stafettloggen (automatisk)" in pdf_text(pdf)


async def test_an_accepted_transfer_files_a_copy_as_the_new_holder(
    session: AsyncSession, world: World
) -> None:
    log = await world.full_log(1)
    transfer = Transfer(
        log_id=log.id,
        from_staff_id=world.holder.id,
        to_staff_id=world.actor.id,
        from_organisation_id=world.school.id,
        to_organisation_id=world.school.id,
    )
    session.add(transfer)
    await session.flush()

    record = await archive_on_transfer(_as_holder(session))(session, log, transfer)

    assert (record.reason, record.created_by_id) == ("TRANSFER", world.actor.id)


async def test_an_unknown_reason_or_log_is_refused(session: AsyncSession, world: World) -> None:
    log = await world.full_log(1)

    with pytest.raises(InvalidInput) as bad_reason:
        await create_archive_package(
            session, log.id, "WHENEVER", read=_as_holder(session), created_by_staff_id=None
        )
    with pytest.raises(NotFound):
        await create_archive_package(
            session,
            uuid.uuid4(),
            ArchiveReason.MANUAL,
            read=_as_holder(session),
            created_by_staff_id=None,
        )

    assert bad_reason.value.field == "reason"
