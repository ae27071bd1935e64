"""The archive package: the log as PDF/A plus Noark 5 style metadata, zipped, on record.

At every transition (transfer of the holder role, closure, move to an individual plan) the
municipality files a copy of the log in the child's folder of its archive (Public 360,
Elements). ``create_archive_package`` renders the log *as its holder sees it*, describes the
document in Noark 5 terms (``noark5-metadata.xml``: case title, document title, document
date, author organisation, document type, format, file size, SHA-256 of the PDF in lowercase
hex), zips both and stores the package in an ``ArchiveRecord``. The package belongs to the unit
that held the log when it was filed (``author_organisation_id``, ``holder_id``): that unit's
holder of the time and its manager list, download and mark it received by the archive
(``PACKAGE_POLICY``), also after the log moved on or closed.

It checks no permission: the caller (the ``archiveRelayLog`` mutation after the write policy,
or a lifecycle operation that is itself allowed) has decided that the log is archived.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import uuid
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import PolicyField
from exports.labels import Language
from exports.pdf import RenderedPdf, render_log_pdf
from exports.pdfa import PDFA_FORMAT
from exports.printed import ExportReader, LogView, printed_log
from models import ActorMembership, ArchiveRecord, RelayLog, Transfer
from models.base import utcnow
from models.enums import CloseReason, RelayLogStatus
from models.errors import InvalidInput, NotFound

__all__ = [
    "METADATA_FILE",
    "NOARK_NAMESPACE",
    "ArchivePackage",
    "ArchiveReason",
    "archive_log",
    "archive_on_transfer",
    "create_archive_package",
    "file_closure",
    "noark_metadata",
]

OSLO = ZoneInfo("Europe/Oslo")
NOARK_NAMESPACE = "urn:x-relaylog:noark5-metadata:1"
METADATA_FILE = "noark5-metadata.xml"
DOCUMENT_TYPE = "Stafettlogg"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ArchiveReason(StrEnum):
    """Why a copy of the log is filed (the transition it documents)."""

    TRANSFER = "TRANSFER"  # the holder role moves (kindergarten → school, other unit)
    CLOSURE = "CLOSURE"  # the log is closed
    INDIVIDUAL_PLAN = "INDIVIDUAL_PLAN"  # the case continues in an individual plan
    MANUAL = "MANUAL"  # filed by hand, at any other moment


_TITLES = {
    ArchiveReason.TRANSFER: "ved overføring",
    ArchiveReason.CLOSURE: "ved avslutning",
    ArchiveReason.INDIVIDUAL_PLAN: "ved overgang til individuell plan",
    ArchiveReason.MANUAL: "arkivutskrift",
}


@dataclass(frozen=True, slots=True)
class ArchivePackage:
    """What the archive export hands back: the stored record and the zip itself."""

    record: ArchiveRecord
    file_name: str
    content: bytes
    sha256: str  # of the zip, lowercase hex
    pdf_pages: int
    document_date: date
    level: int
    fields: frozenset[PolicyField]  # the kinds of data the PDF shows

    @property
    def size_bytes(self) -> int:
        return len(self.content)

    @property
    def content_base64(self) -> str:
        return base64.b64encode(self.content).decode("ascii")


async def create_archive_package(
    session: AsyncSession,
    log_id: uuid.UUID,
    reason: ArchiveReason | str,
    *,
    read: ExportReader,
    created_by_staff_id: uuid.UUID | None,
    today: date | None = None,
    now: datetime | None = None,
) -> ArchiveRecord:
    """File a copy of the log: render it as the holder sees it, describe it, zip, store.

    Returns the flushed ``ArchiveRecord`` (``package`` holds the zip, ``sha256`` and
    ``size_bytes`` describe the PDF inside it). Raises ``NotFound`` for an unknown log and
    ``InvalidInput`` (field ``reason``) for an unknown reason, or (field ``logId``) when the
    log is too large to print. Call it inside the transaction of the transition it documents.
    """
    package = await archive_log(
        session,
        log_id,
        reason,
        read=read,
        created_by_staff_id=created_by_staff_id,
        today=today,
        now=now,
    )
    return package.record


async def archive_log(
    session: AsyncSession,
    log_id: uuid.UUID,
    reason: ArchiveReason | str,
    *,
    read: ExportReader,
    created_by_staff_id: uuid.UUID | None,
    today: date | None = None,
    now: datetime | None = None,
) -> ArchivePackage:
    """``create_archive_package``, handing back the zip, its checksum and what it shows.

    ``read`` is the export document as the holder reads it (``schema.export_view``)."""
    try:
        why = ArchiveReason(reason)
    except ValueError:
        raise InvalidInput("Unknown archive reason.", field="reason") from None
    moment = now or utcnow()
    day = today or moment.astimezone(OSLO).date()
    answer = await read(log_id)
    view = printed_log(answer.data, log_id, printed_at=moment, archive=True) if answer else None
    if answer is None or view is None:
        raise NotFound("No such log.")
    pdf = await asyncio.to_thread(render_log_pdf, view, Language.NB, archive=True)
    holder = (
        await session.execute(
            select(ActorMembership.staff_id, ActorMembership.organisation_id).where(
                ActorMembership.log_id == log_id, ActorMembership.is_holder
            )
        )
    ).first()
    case_title = f"{DOCUMENT_TYPE} – {view.child.name}"
    document_title = f"{DOCUMENT_TYPE}, {_TITLES[why]} {day.strftime('%d.%m.%Y')}"
    stem = f"stafettlogg-{log_id}-{day.isoformat()}"
    metadata = noark_metadata(
        view,
        pdf,
        reason=why,
        case_title=case_title,
        document_title=document_title,
        document_date=day,
        file_name=f"{stem}.pdf",
        created_at=moment,
    )
    content = _zip({f"{stem}.pdf": pdf.content, METADATA_FILE: metadata})
    record = ArchiveRecord(
        log_id=log_id,
        reason=why.value,
        case_title=case_title[:300],
        document_title=document_title[:300],
        author_organisation_id=holder.organisation_id if holder else None,
        created_by_id=created_by_staff_id,
        holder_id=holder.staff_id if holder else None,
        document_format=PDFA_FORMAT,
        size_bytes=pdf.size_bytes,
        sha256=pdf.sha256,
        package=content,
    )
    session.add(record)
    await session.flush()
    return ArchivePackage(
        record=record,
        file_name=f"{stem}.zip",
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        pdf_pages=pdf.pages,
        document_date=day,
        level=answer.level,
        fields=answer.fields,
    )


def archive_on_transfer(
    read: ExportReader,
) -> Callable[[AsyncSession, RelayLog, Transfer], Awaitable[ArchiveRecord]]:
    """The snapshot an accepted transfer takes (``models.operations.transfer.ArchiveSnapshot``),
    just before the role moves: the log as the old holder sees it, the old unit's copy to
    file (its acceptance by the new holder is what files it)."""

    async def snapshot(session: AsyncSession, log: RelayLog, transfer: Transfer) -> ArchiveRecord:
        return await create_archive_package(
            session,
            log.id,
            ArchiveReason.TRANSFER,
            read=read,
            created_by_staff_id=transfer.to_staff_id,
        )

    return snapshot


async def file_closure(
    session: AsyncSession,
    log: RelayLog,
    *,
    read: ExportReader,
    today: date,
    was_open: bool = True,
) -> None:
    """Closing a log files its archive copy (design §1.9-10) in the same transaction, whichever
    path closed it (the holder, the family, a withdrawn consent, an ended concern): a log is
    never closed without its PDF filed, nor filed without being closed. Nothing happens when
    ``log`` is not closed now, or was closed before this write."""
    if not was_open or log.status is not RelayLogStatus.CLOSED:
        return
    reason = (
        ArchiveReason.INDIVIDUAL_PLAN
        if log.close_reason is CloseReason.INDIVIDUAL_PLAN
        else ArchiveReason.CLOSURE
    )
    holder_id = await session.scalar(
        select(ActorMembership.staff_id).where(
            ActorMembership.log_id == log.id, ActorMembership.is_holder
        )
    )
    await create_archive_package(
        session, log.id, reason, read=read, created_by_staff_id=holder_id, today=today
    )


def noark_metadata(
    view: LogView,
    pdf: RenderedPdf,
    *,
    reason: ArchiveReason,
    case_title: str,
    document_title: str,
    document_date: date,
    file_name: str,
    created_at: datetime,
) -> bytes:
    """Noark 5 style description of the archived document (Norwegian element names as in
    the Noark 5 ``arkivstruktur``; its own namespace, as it is not an arkivuttrekk)."""
    ET.register_namespace("", NOARK_NAMESPACE)
    ns = f"{{{NOARK_NAMESPACE}}}"

    def add(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
        element = ET.SubElement(parent, ns + tag)
        if text is not None:
            element.text = text
        return element

    root = ET.Element(ns + "arkivpakke", {"versjon": "1"})
    mappe = add(root, "mappe")
    add(mappe, "systemID", str(view.log_id))
    add(mappe, "tittel", case_title)
    add(mappe, "offentligTittel", f"{DOCUMENT_TYPE} – ******")
    add(mappe, "mappetype", DOCUMENT_TYPE)
    registrering = add(mappe, "registrering")
    add(registrering, "tittel", document_title)
    add(registrering, "dokumentetsDato", document_date.isoformat())
    add(registrering, "opprettetDato", created_at.astimezone(UTC).isoformat(timespec="seconds"))
    add(registrering, "administrativEnhet", view.holder.organisation if view.holder else "")
    add(registrering, "saksbehandler", view.printed_by or "")
    add(registrering, "arkiveringsgrunn", reason.value)
    beskrivelse = add(registrering, "dokumentbeskrivelse")
    add(beskrivelse, "dokumenttype", DOCUMENT_TYPE)
    add(beskrivelse, "dokumentstatus", "Dokumentet er ferdigstilt")
    add(beskrivelse, "tittel", document_title)
    add(beskrivelse, "forfatter", view.holder.organisation if view.holder else "")
    objekt = add(beskrivelse, "dokumentobjekt")
    add(objekt, "versjonsnummer", "1")
    add(objekt, "variantformat", "Arkivformat")
    add(objekt, "format", PDFA_FORMAT)
    add(objekt, "mimeType", "application/pdf")
    add(objekt, "referanseDokumentfil", file_name)
    add(objekt, "sjekksum", pdf.sha256)
    add(objekt, "sjekksumAlgoritme", "SHA256")
    add(objekt, "filstoerrelse", str(pdf.size_bytes))
    add(objekt, "antallSider", str(pdf.pages))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _zip(files: dict[str, bytes]) -> bytes:
    """A zip with fixed timestamps: the same files give the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue()
