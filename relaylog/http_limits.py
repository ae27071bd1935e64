"""What the HTTP edge refuses before GraphQL sees a request, and how it says so.

Every refusal is a GraphQL-shaped JSON body (``{"errors": [{"message", "extensions":
{"code"}}]}``) with a 4xx status, never a plain-text 500: clients parse one error format.

* **Bodies by endpoint.** Only the staff endpoint takes files (``createLog`` and
  ``uploadConsent`` carry the signed forms base64-encoded), and only from a signed-in person;
  every other request is a small document with small variables, so its body is capped at
  ``small_request_bytes`` before it is read.
* **JSON.** A body that is not UTF-8, not JSON, not an object, or nested deeper than a
  GraphQL request needs (``max_depth``) is a 400. So is one with more JSON values than
  ``max_values``: a million-element id list in the variables costs the executor seconds of
  coercion, and no operation of ours takes more than a page of ids. Nothing recurses in
  Python: 100 000 nested arrays make the C parser give up at once, and the walk that counts
  depth and values stops at the first limit it passes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cross_web import HTTPException
from starlette.responses import JSONResponse
from starlette.types import Scope

__all__ = [
    "BadRequest",
    "JsonLimits",
    "endpoint_body_limit",
    "graphql_error_response",
    "parse_request_json",
]

_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "REQUEST_TOO_LARGE",
}


def _error_body(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def graphql_error_response(
    status_code: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A refusal in the shape every GraphQL client already reads."""
    return JSONResponse(
        _error_body(message, code or _CODES.get(status_code, "BAD_REQUEST")),
        status_code=status_code,
        headers=headers,
    )


class BadRequest(HTTPException):
    """A request the edge refuses; ``reason`` is a fixed sentence that echoes no input."""

    def __init__(self, reason: str, status_code: int = 400) -> None:
        super().__init__(status_code, reason)


@dataclass(frozen=True, slots=True)
class JsonLimits:
    max_depth: int = 32
    max_values: int = 10_000
    # Bodies larger than this (only uploads by signed-in staff get that far) are first
    # scanned for commas: json.loads holds the GIL, so no thread can take a 48 MB list of
    # ids off the event loop, but ``bytes.count`` refuses it in milliseconds. Base64 has no
    # commas, and no text field is long enough to hold that many.
    scan_over_bytes: int = 256 * 1024


def parse_request_json(data: str | bytes, limits: JsonLimits) -> dict[str, Any]:
    """A request body (or a ``variables``/``extensions`` query parameter) as a JSON object,
    or ``BadRequest`` saying what is wrong with it."""
    if len(data) > limits.scan_over_bytes and _commas(data) > limits.max_values:
        raise BadRequest(_too_many(limits))
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest("The request body is not valid UTF-8.") from None
    try:
        value = json.loads(data)
    except RecursionError:  # the C parser gives up near the interpreter's recursion limit
        raise BadRequest(_too_deep(limits)) from None
    except ValueError:
        raise BadRequest("The request is not valid JSON.") from None
    if not isinstance(value, dict):
        raise BadRequest("The request's JSON must be an object.")
    values, depth = _size_of(value, limits)
    if depth > limits.max_depth:
        raise BadRequest(_too_deep(limits))
    if values > limits.max_values:
        raise BadRequest(_too_many(limits))
    return value


def _commas(data: str | bytes) -> int:
    return data.count(b",") if isinstance(data, bytes) else data.count(",")


def _too_deep(limits: JsonLimits) -> str:
    return f"The JSON is nested deeper than {limits.max_depth} levels."


def _too_many(limits: JsonLimits) -> str:
    return f"The request holds more than {limits.max_values} JSON values."


def _size_of(value: Any, limits: JsonLimits) -> tuple[int, int]:
    """How many values ``value`` holds and how deep, without recursion; the walk stops as soon
    as either passes its limit (a million-element list costs no more than the limit)."""
    values = depth = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        values += 1
        depth = max(depth, level)
        if values > limits.max_values or depth > limits.max_depth:
            break
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
    return values, depth


def endpoint_body_limit(
    upload_paths: frozenset[str], *, large: int, small: int
) -> Callable[[Scope], int]:
    """The body limit of one request: ``large`` only where files are uploaded, and only for a
    signed-in person (the authentication middleware has run and set ``scope["user"]``)."""

    def limit_for(scope: Scope) -> int:
        user = scope.get("user")
        signed_in = bool(getattr(user, "is_authenticated", False))
        return large if signed_in and scope.get("path") in upload_paths else small

    return limit_for
