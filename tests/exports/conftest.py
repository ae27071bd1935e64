"""Helpers for the export tests: ask for a PDF over the API and read its text back."""

from __future__ import annotations

import base64
import io
import re
from typing import Any

from pypdf import PdfReader

from auth.policy import Audience
from models import RelayLog
from schema.node import encode_global_id
from tests.graphql import GraphQLClient

EXPORT = """mutation($logId: ID!, $language: ExportLanguage! = NB) {
  exportRelayLog(logId: $logId, language: $language) {
    pdf { fileName contentType language pages sizeBytes sha256 contentBase64 }
    error { code message field }
  } }"""

ARCHIVE = """mutation($logId: ID!, $reason: ArchiveReason! = MANUAL) {
  archiveRelayLog(logId: $logId, reason: $reason) {
    archive { archiveRecordId reason caseTitle documentTitle documentDate documentFormat
      pdfPages pdfSizeBytes pdfSha256 fileName sizeBytes sha256 contentBase64 }
    error { code message field }
  } }"""


def squeeze(text: str) -> str:
    """Text without whitespace: a table cell may wrap a phone number across two lines."""
    return re.sub(r"\s+", "", text)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


class Exported:
    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.content = base64.b64decode(payload["contentBase64"])
        self.text = pdf_text(self.content)
        self.words = " ".join(self.text.split())  # lines joined: text wraps where it fits
        self.flat = squeeze(self.text)

    def shows(self, value: str | None) -> bool:
        assert value is not None
        return squeeze(value) in self.flat


async def export(
    client: GraphQLClient,
    log: RelayLog,
    as_: Any,
    *,
    audience: Audience = Audience.STAFF,
    language: str = "NB",
) -> dict[str, Any]:
    data = await client.query(
        EXPORT,
        as_=as_,
        audience=audience,
        variables={"logId": encode_global_id("RelayLog", log.id), "language": language},
    )
    return data["exportRelayLog"]


async def exported(
    client: GraphQLClient,
    log: RelayLog,
    as_: Any,
    *,
    audience: Audience = Audience.STAFF,
    language: str = "NB",
) -> Exported:
    out = await export(client, log, as_, audience=audience, language=language)
    assert out["error"] is None, out["error"]
    return Exported(out["pdf"])
