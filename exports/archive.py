"""The archive package: the log as signed PDF/A plus Noark 5 metadata, zipped, on record.

At every transition (transfer of the holder role, closure, move to an individual plan) the
municipality files a copy of the log in the child's folder of its archive (Public 360,
Elements). ``create_archive_package`` renders the log *as its holder sees it*, signs it with
the municipality's certificate (PAdES, ``exports.signing``), validates the signed file as
PDF/A-2b, describes it in Noark 5 arkivstruktur terms (``noark5-metadata.xml``,
``exports.noark``: titles, dates, the author unit, format, size, SHA-256 of the signed PDF),
zips both and stores the package in an ``ArchiveRecord``. ``relaylog archive verify`` checks
such a package (``exports.verify``).
The package belongs to the unit that held the log when it was filed
(``author_organisation_id``, ``holder_id``): that unit's holder of the time and its manager
list, download and mark it received by the archive (``PACKAGE_POLICY``), also after the log
moved on or closed.

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
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import PolicyField
from exports import signing
from exports.labels import Language
from exports.noark import (
    ARKIVSTRUKTUR,
    FORMAT_PDF,
    FORMAT_PDFA_2B,
    NoarkDocument,
    SignatureClaim,
    noark_metadata,
)
from exports.pdf import RenderedPdf, render_log_pdf
from exports.pdfa import PDFA_FORMAT, confirms_pdfa_2b
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
]

OSLO = ZoneInfo("Europe/Oslo")
NOARK_NAMESPACE = ARKIVSTRUKTUR
SYSTEM = "Stafettloggen"  # who creates and files the copy (opprettetAv, arkivertAv)
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
    record_id = uuid.uuid4()
    copy = await asyncio.to_thread(
        _signed_copy,
        view,
        signing.configured(),
        reason=why,
        case_title=case_title,
        document_title=document_title,
        document_date=day,
        file_name=f"{stem}.pdf",
        record_id=record_id,
        level=answer.level,
    )
    content = _zip({f"{stem}.pdf": copy.pdf.content, METADATA_FILE: copy.metadata})
    record = ArchiveRecord(
        id=record_id,
        log_id=log_id,
        reason=why.value,
        case_title=case_title[:300],
        document_title=document_title[:300],
        author_organisation_id=holder.organisation_id if holder else None,
        created_by_id=created_by_staff_id,
        holder_id=holder.staff_id if holder else None,
        document_format=copy.format_name,
        size_bytes=copy.pdf.size_bytes,
        sha256=copy.pdf.sha256,
        package=content,
    )
    session.add(record)
    await session.flush()
    return ArchivePackage(
        record=record,
        file_name=f"{stem}.zip",
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        pdf_pages=copy.pdf.pages,
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


@dataclass(frozen=True, slots=True)
class _SignedCopy:
    pdf: RenderedPdf  # signed
    metadata: bytes
    format_name: str  # "PDF/A-2b" when the validator accepted the signed file, else "PDF"


def _signed_copy(
    view: LogView,
    identity: signing.ArchiveSigning,
    *,
    reason: ArchiveReason,
    case_title: str,
    document_title: str,
    document_date: date,
    file_name: str,
    record_id: uuid.UUID,
    level: int,
) -> _SignedCopy:
    """Render, sign, check what can be claimed, describe. CPU-bound: a worker thread runs it.

    The metadata claims PDF/A-2b only if the validator accepts the signed file, and a
    verified signature only if the signature verifies against the configured trust roots."""
    rendered = render_log_pdf(view, Language.NB, archive=True)
    signed = signing.sign_pdf(rendered.content, identity, reason=document_title)
    pdf = RenderedPdf(
        content=signed,
        pages=rendered.pages,
        sha256=hashlib.sha256(signed).hexdigest(),
        language=rendered.language,
    )
    is_pdfa = confirms_pdfa_2b(signed)
    verified = signing.verify_pdf(signed, identity.trust_roots).valid
    author = view.holder.organisation if view.holder else None
    metadata = noark_metadata(
        NoarkDocument(
            folder_id=view.log_id,
            registration_id=record_id,
            description_id=uuid.uuid5(record_id, "dokumentbeskrivelse"),
            object_id=uuid.uuid5(record_id, "dokumentobjekt"),
            case_title=case_title,
            public_case_title=f"{DOCUMENT_TYPE} – ******",
            document_title=document_title,
            document_type=DOCUMENT_TYPE,
            author_unit=author,
            system=SYSTEM,
            case_created_at=view.created_at,
            case_closed_at=view.printed_at if view.status is RelayLogStatus.CLOSED else None,
            created_at=view.printed_at,
            document_date=document_date,
            file_name=file_name,
            sha256=pdf.sha256,
            size_bytes=pdf.size_bytes,
            format=FORMAT_PDFA_2B if is_pdfa else FORMAT_PDF,
            format_details=PDFA_FORMAT if is_pdfa else "PDF 1.4",
            signature=SignatureClaim(
                verified=verified,
                verified_on=view.printed_at.astimezone(OSLO).date(),
                verified_by=SYSTEM,
            ),
            reason=reason.value,
            level=level,
            pages=pdf.pages,
        )
    )
    return _SignedCopy(pdf, metadata, PDFA_FORMAT if is_pdfa else "PDF")


def _zip(files: dict[str, bytes]) -> bytes:
    """A zip with fixed timestamps: the same files give the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue()
