"""Export mutations: the log as PDF (everyone who may read it, as they may read it) and the
archive package (holder, unit manager). Files come inline as base64; see
``resolvers/mutations/export.py`` for why."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.types import Info

from auth.policy import Audience
from exports.archive import ArchiveReason
from exports.labels import Language
from exports.pdf import MAX_MEASURES, MAX_PAGES
from resolvers.mutation import MutationError as MutationErrorData
from resolvers.mutations import export as r
from schema.mutation import LOGS, MUTATION_TYPES, MutationError, payload
from schema.mutations.ids import IdError, object_id
from schema.permissions import audiences

__all__ = ["ExportMutations"]

STAFF = [Audience.STAFF]

strawberry.enum(Language, name="ExportLanguage", description="NB: Norwegian bokmål; EN: English.")
strawberry.enum(ArchiveReason, name="ArchiveReason", description="The transition a copy documents.")


@strawberry.type(description="The log as PDF/A, as you may see it, inline as base64.")
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
        "metadata (noark5-metadata.xml), zipped and kept on record."
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


def _package(result: r.ArchiveResult) -> ArchivePackage:
    package = result.package
    record = package.record
    return ArchivePackage(
        archive_record_id=strawberry.ID(str(record.id)),
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
        content_base64=package.content_base64 if result.delivered else None,
    )


@strawberry.type
class ExportMutations:
    @audiences(
        LOGS,
        description=(
            "The log as PDF/A, showing only what you may read. Inline (base64). At most "
            f"{MAX_MEASURES} measures and {MAX_PAGES} pages; a larger log is INVALID_INPUT."
        ),
    )
    async def export_relay_log(
        self, info: Info, log_id: strawberry.ID, language: Language = Language.NB
    ) -> ExportRelayLogPayload:
        try:
            lid = object_id(log_id, "RelayLog", "log", "logId")
        except IdError as exc:
            return payload(ExportRelayLogPayload, "pdf", exc.error)
        return payload(ExportRelayLogPayload, "pdf", await r.export_relay_log(info, lid, language))

    @audiences(
        STAFF,
        description=(
            "File the log in the archive: PDF/A plus Noark 5 metadata, zipped and stored "
            "(relay holder, unit manager)."
        ),
    )
    async def archive_relay_log(
        self, info: Info, log_id: strawberry.ID, reason: ArchiveReason = ArchiveReason.MANUAL
    ) -> ArchiveRelayLogPayload:
        try:
            lid = object_id(log_id, "RelayLog", "log", "logId")
        except IdError as exc:
            return payload(ArchiveRelayLogPayload, "archive", exc.error)
        result = await r.archive_relay_log(info, lid, reason)
        if isinstance(result, MutationErrorData):
            return payload(ArchiveRelayLogPayload, "archive", result)
        return ArchiveRelayLogPayload(archive=_package(result))


MUTATION_TYPES.append(ExportMutations)
