"""Export a log as PDF (anyone who may read it, as they may read it) and file an archive
package (holder, unit manager). Both are audited writes that do not count as activity.

Delivery: inline, base64 in the payload. An export exists only in the response to the
person who asked: no copy is stored, and no bearer link can leak through logs, browser
history or forwarded e-mails. The size limits of ``exports.pdf`` keep a response bounded
(a 400-page log is about 1.5 MB of PDF, 2 MB as base64).

Audit: the EXPORT entry names the viewer and their relation to the log; its object id is
the first 128 bits of the PDF's SHA-256 (``checksum_id``), so a printout that turns up later
can be matched to the export that made it. The kinds of data the PDF showed are recorded as
a READ of the log. The ARCHIVE entry points at the ``ArchiveRecord``, which holds the full
SHA-256 of the PDF.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import uuid

import strawberry

from auth.policy import Action, Audience, may_receive_package
from exports.archive import archive_log
from exports.labels import Language
from exports.pdf import MAX_MEASURES, MAX_PAGES, render_log_pdf
from exports.printed import printed_log
from models.base import utcnow
from models.errors import NotFound
from schema.archive import ArchiveReason
from schema.export_view import export_answer
from schema.mutations.base import LOGS, MutationError, Write, mutation
from schema.node import VALUE_TYPE, encode_global_id

__all__ = [
    "ArchiveRelayLogPayload",
    "ExportRelayLogPayload",
    "archive_relay_log",
    "checksum_id",
    "export_relay_log",
]

STAFF = [Audience.STAFF]

strawberry.enum(
    Language,
    name="ExportLanguage",
    description="The language of the printed log's labels (what people wrote stays as written): "
    "NB bokmål, NN nynorsk, EN English, SE Northern Sami, PL Polish, LT Lithuanian, SO Somali, "
    "AR Arabic (right to left), UK Ukrainian, TI Tigrinya.",
)


@strawberry.type(description="The log as PDF/A, as you may see it, inline as base64." + VALUE_TYPE)
class RelayLogPdf:
    file_name: str
    content_type: str
    language: Language
    pages: int
    size_bytes: int
    sha256: str = strawberry.field(description="SHA-256 of the PDF, lowercase hex.")
    content_base64: str


@strawberry.type
class ExportRelayLogPayload:
    pdf: RelayLogPdf | None = None
    error: MutationError | None = None


@strawberry.type(
    description=(
        "An archive package: the log as PDF/A (as the relay holder sees it) and Noark 5 "
        "metadata (noark5-metadata.xml), zipped and kept on record. archiveRecordId names "
        "the record: the id downloadArchivePackage takes." + VALUE_TYPE
    )
)
class ArchivePackage:
    archive_record_id: strawberry.ID
    reason: ArchiveReason
    case_title: str
    document_title: str
    document_date: datetime.date
    document_format: str
    pdf_pages: int
    pdf_size_bytes: int
    pdf_sha256: str = strawberry.field(description="SHA-256 of the PDF, lowercase hex.")
    file_name: str
    size_bytes: int
    sha256: str = strawberry.field(description="SHA-256 of the zip, lowercase hex.")
    content_base64: str | None = strawberry.field(
        description=(
            "The zip, base64. Null when the package shows more than you may read (a unit "
            "manager files a copy without reading the log's content)."
        )
    )


@strawberry.type
class ArchiveRelayLogPayload:
    archive: ArchivePackage | None = None
    error: MutationError | None = None


def checksum_id(sha256_hex: str) -> uuid.UUID:
    """The audit object id of an export: the first 128 bits of the PDF's SHA-256."""
    return uuid.UUID(hex=sha256_hex[:32])


@mutation(
    LOGS,
    audit="RelayLogExport",
    activity=False,
    description=(
        "The log as PDF/A, showing only what you may read. Inline (base64). At most "
        f"{MAX_MEASURES} measures and {MAX_PAGES} pages; a larger log is INVALID_INPUT."
    ),
)
async def export_relay_log(
    w: Write, log_id: strawberry.ID, language: Language = Language.NB
) -> ExportRelayLogPayload:
    access = await w.log(log_id, Action.EXPORT)
    now = utcnow()
    answer = await export_answer(w.session, w.viewer, access.log_id, w.today)
    view = printed_log(answer.data, access.log_id, printed_at=now) if answer else None
    if answer is None or view is None:
        raise NotFound("No such log.", field="logId")
    pdf = await asyncio.to_thread(render_log_pdf, view, language)
    w.object_id = checksum_id(pdf.sha256)
    for field in answer.fields:  # what the printout showed, in the access history
        w.context.record_read(access.log_id, field, answer.relation)
    return ExportRelayLogPayload(
        pdf=RelayLogPdf(
            file_name=f"stafettlogg-{access.log_id}-{now.strftime('%Y%m%d-%H%M%S')}.pdf",
            content_type="application/pdf",
            language=language,
            pages=pdf.pages,
            size_bytes=pdf.size_bytes,
            sha256=pdf.sha256,
            content_base64=base64.b64encode(pdf.content).decode("ascii"),
        )
    )


@mutation(
    STAFF,
    audit="ArchiveRecord",
    activity=False,
    description=(
        "File the log in the archive: PDF/A plus Noark 5 metadata, zipped and stored "
        "(relay holder, unit manager)."
    ),
)
async def archive_relay_log(
    w: Write, log_id: strawberry.ID, reason: ArchiveReason = ArchiveReason.MANUAL
) -> ArchiveRelayLogPayload:
    access = await w.log(log_id, Action.ARCHIVE)
    package = await archive_log(
        w.session,
        access.log_id,
        reason,
        read=w.archive_reader(),
        created_by_staff_id=w.viewer.staff_id,
        today=w.today,
    )
    record = package.record
    w.object_id = record.id
    delivered = may_receive_package(access.relation, package.level, package.fields)
    return ArchiveRelayLogPayload(
        archive=ArchivePackage(
            archive_record_id=strawberry.ID(encode_global_id("ArchiveRecord", record.id)),
            reason=ArchiveReason(record.reason),
            case_title=record.case_title,
            document_title=record.document_title,
            document_date=package.document_date,
            document_format=record.document_format,
            pdf_pages=package.pdf_pages,
            pdf_size_bytes=record.size_bytes,
            pdf_sha256=record.sha256,
            file_name=package.file_name,
            size_bytes=package.size_bytes,
            sha256=package.sha256,
            content_base64=package.content_base64 if delivered else None,
        )
    )
