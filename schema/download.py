"""A file handed to the person who asked for it, inline in the mutation's payload.

The PDF export's delivery (``schema.mutations.export``), for the other files a log has: the
signed consent form, a meeting's calendar invitation. Nothing is stored for the download and
no link exists that could leak; the write gate decides who may have the file before it is
built, and the download is an audited ``EXPORT`` that does not count as activity.
"""

from __future__ import annotations

import base64
import hashlib

import strawberry

from schema.node import VALUE_TYPE

__all__ = ["FileDownload", "file_download"]


@strawberry.type(description="A file, inline as base64, for you alone." + VALUE_TYPE)
class FileDownload:
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str = strawberry.field(description="SHA-256 of the file, lowercase hex.")
    content_base64: str


def file_download(file_name: str, content_type: str, content: bytes) -> FileDownload:
    return FileDownload(
        file_name=file_name,
        content_type=content_type,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content_base64=base64.b64encode(content).decode("ascii"),
    )
