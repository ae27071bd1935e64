"""GraphQL over HTTP: which media type a client gets, and which answers are request errors.

The GraphQL-over-HTTP specification has two response media types. ``application/json`` is
what every older client reads: every GraphQL result is HTTP 200, even a document that does
not parse. ``application/graphql-response+json`` lets the status code say what happened: a
*request error* (the document does not parse or validate, the variables do not coerce, one of
our limits or the trusted-document rules refuse it: nothing was executed) is a 4xx with no
``data`` entry, while a result that was executed stays 200, errors in fields included. A
client gets the new type when its ``Accept`` header asks for it at least as much as for
``application/json``; without an ``Accept`` header (or with ``*/*`` only) it gets
``application/json``, as the specification says a server should for legacy clients.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "GRAPHQL_RESPONSE_JSON",
    "JSON",
    "is_request_error",
    "response_media_type",
]

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


def _accepted(accept: str) -> dict[str, float]:
    """Media ranges of an ``Accept`` header with their quality (malformed q: 0)."""
    qualities: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (item.strip() for item in part.split(";"))
        if not media:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        qualities[media] = max(quality, qualities.get(media, 0.0))
    return qualities


def response_media_type(accept: str | None) -> str:
    """The media type of the answer to a request with this ``Accept`` header."""
    if not accept:
        return JSON
    qualities = _accepted(accept)
    wanted = qualities.get(GRAPHQL_RESPONSE_JSON, 0.0)
    if wanted > 0 and wanted >= qualities.get(JSON, 0.0):
        return GRAPHQL_RESPONSE_JSON
    return JSON


def is_request_error(result: Any) -> bool:
    """Did nothing execute? ``data`` is absent or null and no error belongs to a field
    (field errors carry a ``path``; parse, validation, coercion and our refusals do not)."""
    errors = getattr(result, "errors", None)
    if not errors or getattr(result, "data", None) is not None:
        return False
    return all(getattr(error, "path", None) is None for error in errors)
