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
import uuid
from dataclasses import dataclass

from strawberry.types import Info

from auth.policy import Action, PolicyField
from exports.archive import ArchivePackage, ArchiveReason, archive_log, may_receive_package
from exports.labels import Language
from exports.pdf import render_log_pdf
from exports.printed import printed_log
from models.base import utcnow
from models.errors import NotFound
from resolvers.context import Context
from resolvers.mutation import MutationError, WriteScope, write
from resolvers.mutations.hidden import LOG_NOT_FOUND, as_missing

__all__ = ["ArchiveResult", "ExportedPdf", "archive_relay_log", "checksum_id", "export_relay_log"]


@dataclass(frozen=True, slots=True)
class ExportedPdf:
    file_name: str
    language: Language
    pages: int
    size_bytes: int
    sha256: str
    content_base64: str
    fields_read: frozenset[PolicyField]
    content_type: str = "application/pdf"


@dataclass(frozen=True, slots=True)
class ArchiveResult:
    package: ArchivePackage
    delivered: bool  # False: filed, but not the viewer's to read

    @property
    def id(self) -> uuid.UUID:
        return self.package.record.id


def checksum_id(sha256_hex: str) -> uuid.UUID:
    """The audit object id of an export: the first 128 bits of the PDF's SHA-256."""
    return uuid.UUID(hex=sha256_hex[:32])


async def export_relay_log(
    info: Info, log_id: uuid.UUID, language: Language
) -> ExportedPdf | MutationError:
    ctx: Context = info.context

    async def run(scope: WriteScope) -> ExportedPdf:
        assert scope.access is not None
        assert ctx.export_reader is not None
        now = utcnow()
        answer = await ctx.export_reader(log_id)
        view = printed_log(answer.data, log_id, printed_at=now) if answer else None
        if answer is None or view is None:
            raise NotFound("No such log.")
        pdf = await asyncio.to_thread(render_log_pdf, view, language)
        scope.object_id = checksum_id(pdf.sha256)
        stamp = now.strftime("%Y%m%d-%H%M%S")
        return ExportedPdf(
            file_name=f"stafettlogg-{log_id}-{stamp}.pdf",
            language=language,
            pages=pdf.pages,
            size_bytes=pdf.size_bytes,
            sha256=pdf.sha256,
            content_base64=base64.b64encode(pdf.content).decode("ascii"),
            fields_read=answer.fields,
        )

    result = await write(
        info,
        log_id,
        Action.EXPORT,
        run,
        object_type="RelayLogExport",
        counts_as_activity=False,
    )
    if isinstance(result, ExportedPdf):
        for field in result.fields_read:  # what the printout showed, in the access history
            ctx.record_read(log_id, field)
    return as_missing(result, LOG_NOT_FOUND)


async def archive_relay_log(
    info: Info, log_id: uuid.UUID, reason: ArchiveReason
) -> ArchiveResult | MutationError:
    async def run(scope: WriteScope) -> ArchiveResult:
        assert scope.access is not None
        package = await archive_log(
            scope.session,
            log_id,
            reason,
            read=scope.read_as_holder(),
            created_by_staff_id=scope.viewer.staff_id,
            today=scope.today,
        )
        scope.object_id = package.record.id
        return ArchiveResult(package, may_receive_package(scope.access.relation, package))

    result = await write(
        info,
        log_id,
        Action.ARCHIVE,
        run,
        object_type="ArchiveRecord",
        counts_as_activity=False,
    )
    return as_missing(result, LOG_NOT_FOUND)
