"""The unit's archive packages: download one (the zip, inline as base64, exactly as the PDF
export is delivered: no stored copy, no bearer link) and mark it received by the municipal
archive. Both are audited (the package's log, the viewer, the role they act in), neither
counts as activity in the log; ``PACKAGE_POLICY`` decides who may (``Write.package``), and
anyone else — another unit, the new holder, the family — gets the answer for a missing id."""

from __future__ import annotations

import base64
import hashlib
from zoneinfo import ZoneInfo

import strawberry

from auth.policy import Audience, PackageAction
from models.base import utcnow
from models.operations import archive as ops
from schema.archive import ArchivePackageFile, ArchiveRecord
from schema.mutations.base import MutationError, Write, mutation, reply

__all__ = [
    "DownloadArchivePackagePayload",
    "MarkArchivePackageReceivedPayload",
    "download_archive_package",
    "mark_archive_package_received",
]

STAFF = [Audience.STAFF]
OSLO = ZoneInfo("Europe/Oslo")


@strawberry.type
class DownloadArchivePackagePayload:
    package: ArchivePackageFile | None = None
    error: MutationError | None = None


@strawberry.type
class MarkArchivePackageReceivedPayload:
    archive_record: ArchiveRecord | None = None
    error: MutationError | None = None


@strawberry.input
class MarkArchivePackageReceivedInput:
    archive_record_id: strawberry.ID
    archive_reference: str = strawberry.field(
        description="The archive's own reference (case/document number), 1-100 characters."
    )


@mutation(
    STAFF,
    audit="ArchiveRecord",
    activity=False,
    description=(
        "Download one of your unit's archive packages (PDF/A + noark5-metadata.xml, zipped), "
        "inline as base64: the holder of the log when it was filed, and the unit manager."
    ),
)
async def download_archive_package(
    w: Write, archive_record_id: strawberry.ID
) -> DownloadArchivePackagePayload:
    record = await w.package(archive_record_id, PackageAction.DOWNLOAD_PACKAGE, with_content=True)
    content = bytes(record.package or b"")
    day = record.created_at.astimezone(OSLO).date()
    return DownloadArchivePackagePayload(
        package=ArchivePackageFile(
            file_name=f"stafettlogg-{record.log_id}-{day.isoformat()}.zip",
            content_type="application/zip",
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content_base64=base64.b64encode(content).decode("ascii"),
        )
    )


@mutation(
    STAFF,
    audit="ArchiveRecord",
    activity=False,
    description=(
        "Record that the municipal archive has received one of your unit's packages: who, "
        "when, and the archive's reference. Once only; until then the purge keeps the log."
    ),
)
async def mark_archive_package_received(
    w: Write, input: MarkArchivePackageReceivedInput
) -> MarkArchivePackageReceivedPayload:
    record = await w.package(input.archive_record_id, PackageAction.MARK_PACKAGE_RECEIVED)
    received = await ops.mark_received(
        w.session,
        record,
        by_staff_id=w.viewer.staff_id,
        archive_reference=input.archive_reference,
        now=utcnow(),
    )
    return reply(MarkArchivePackageReceivedPayload, archive_record=received)
