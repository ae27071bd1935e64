"""Archive packages as their unit sees them: the copies of logs the unit filed (at a
transfer, a closure, by hand), to file in the municipal archive and mark received there.

Not log data read through a relation to a log: ``PACKAGE_POLICY`` decides (the holder when
the package was filed, and the unit's manager), also once the log has moved or closed."""

from __future__ import annotations

import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from exports.archive import ArchiveReason
from models import ArchiveRecord as ArchiveRecordRow
from resolvers import archive as r
from schema.node import VALUE_TYPE, encode_global_id

__all__ = ["ArchivePackageFile", "ArchiveReason", "ArchiveRecord"]

strawberry.enum(ArchiveReason, name="ArchiveReason", description="The transition a copy documents.")


@strawberry.type(
    description=(
        "A copy of a log your unit filed: PDF/A plus Noark 5 metadata, zipped. Download it "
        "with downloadArchivePackage, file it in the municipal archive, then mark it received."
    )
)
class ArchiveRecord:
    @strawberry.field(
        description="The id downloadArchivePackage and markArchivePackageReceived take."
    )
    def id(self, root: strawberry.Parent[Any]) -> strawberry.ID:
        return strawberry.ID(encode_global_id("ArchiveRecord", root.id))

    @strawberry.field(description="The log it is a copy of (you may no longer read it).")
    def log_id(self, root: strawberry.Parent[Any]) -> strawberry.ID:
        return strawberry.ID(encode_global_id("RelayLog", root.log_id))

    @strawberry.field
    def reason(self, root: strawberry.Parent[Any]) -> ArchiveReason:
        return ArchiveReason(root.reason)

    @strawberry.field
    def case_title(self, root: strawberry.Parent[Any]) -> str:
        return str(root.case_title)

    @strawberry.field
    def document_title(self, root: strawberry.Parent[Any]) -> str:
        return str(root.document_title)

    @strawberry.field
    def document_format(self, root: strawberry.Parent[Any]) -> str:
        return str(root.document_format)

    @strawberry.field(description="When the package was filed.")
    def filed_at(self, root: strawberry.Parent[Any]) -> datetime.datetime:
        value: datetime.datetime = root.created_at
        return value

    @strawberry.field(description="The unit that filed it (the package is theirs).")
    async def organisation_name(self, root: strawberry.Parent[Any], info: Info) -> str | None:
        return await r.organisation_name(info, root.author_organisation_id)

    @strawberry.field(description="Who held the log when it was filed.")
    async def holder_name(self, root: strawberry.Parent[Any], info: Info) -> str | None:
        return await r.staff_name(info, root.holder_id)

    @strawberry.field(description="Size of the PDF inside, in bytes.")
    def pdf_size_bytes(self, root: strawberry.Parent[Any]) -> int:
        return int(root.size_bytes)

    @strawberry.field(description="SHA-256 of the PDF inside, lowercase hex.")
    def pdf_sha256(self, root: strawberry.Parent[Any]) -> str:
        return str(root.sha256)

    @strawberry.field(description="When the archive received it; null: not yet.")
    def received_at(self, root: strawberry.Parent[Any]) -> datetime.datetime | None:
        value: datetime.datetime | None = root.received_at
        return value

    @strawberry.field(description="Who marked it received.")
    async def received_by_name(self, root: strawberry.Parent[Any], info: Info) -> str | None:
        return await r.staff_name(info, root.received_by_id)

    @strawberry.field(description="The archive's own reference (case/document number).")
    def archive_reference(self, root: strawberry.Parent[Any]) -> str | None:
        value: str | None = root.archive_reference
        return value

    @classmethod
    def is_type_of(cls, obj: Any, info: Info) -> bool:
        return isinstance(obj, ArchiveRecordRow)


@strawberry.type(description="The archive package itself: the zip, inline as base64." + VALUE_TYPE)
class ArchivePackageFile:
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str = strawberry.field(description="SHA-256 of the zip, lowercase hex.")
    content_base64: str
