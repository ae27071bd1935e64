"""Relay connections: pages, opaque cursors, and the one check of a page's arguments.

A list of logs pages by keyset: ``LAST_ACTIVITY`` cursors are ``(last_activity_at, id)``, the
other orderings' cursors ``ORDER|id`` (``resolvers.log_lists``). Every cursor must round-trip
exactly; anything else is ``INVALID_INPUT`` naming the argument.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from resolvers.errors import ClientError, ErrorCode

__all__ = [
    "Edge",
    "Page",
    "PageRequest",
    "decode_cursor",
    "decode_order_cursor",
    "encode_cursor",
    "encode_order_cursor",
    "page_request",
    "validate_first",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Edge(Generic[T]):
    cursor: str
    node: T


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """A connection's page. Moving forward, ``has_previous_page`` says a cursor was given
    (the Relay spec lets a server answer so); moving backward, ``has_next_page`` does."""

    edges: list[Edge[T]]
    has_next_page: bool
    has_previous_page: bool = False

    @property
    def start_cursor(self) -> str | None:
        return self.edges[0].cursor if self.edges else None

    @property
    def end_cursor(self) -> str | None:
        return self.edges[-1].cursor if self.edges else None


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Checked page arguments: how many, from which end."""

    size: int
    backward: bool
    after: str | None
    before: str | None

    def page(self, items: list[Edge[T]]) -> Page[T]:
        """The page from up to ``size + 1`` items fetched in the request's direction."""
        more = len(items) > self.size
        kept = items[: self.size]
        if self.backward:
            return Page(list(reversed(kept)), self.before is not None, more)
        return Page(kept, more, self.after is not None)


def page_request(
    first: int | None,
    last: int | None,
    after: str | None,
    before: str | None,
    maximum: int,
    default: int = 20,
) -> PageRequest:
    """``first``/``after`` forward, ``last``/``before`` backward; ``first`` and ``last``
    together are refused (the Relay spec discourages it), as are counts out of range."""
    if first is not None and last is not None:
        raise ClientError(ErrorCode.INVALID_INPUT, "give first or last, not both", field="last")
    if last is not None:
        return PageRequest(_count(last, maximum, "last"), True, after, before)
    size = _count(default if first is None else first, maximum, "first")
    return PageRequest(size, False, after, before)


def _count(value: int, maximum: int, name: str) -> int:
    if not 1 <= value <= maximum:
        raise ClientError(
            ErrorCode.INVALID_INPUT,
            "{field} must be between 1 and {maximum}",
            field=name,
            maximum=maximum,
        )
    return value


def validate_first(first: int, maximum: int) -> int:
    return _count(first, maximum, "first")


def encode_cursor(at: datetime, object_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{object_id}".encode()).decode()


def decode_cursor(cursor: str, field: str = "after") -> tuple[datetime, uuid.UUID]:
    """Only cursors this service made: anything that does not round-trip is invalid input."""
    try:
        at_text, _, object_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        at, decoded_id = datetime.fromisoformat(at_text), uuid.UUID(object_id)
        if at.tzinfo is None or encode_cursor(at, decoded_id) != cursor:
            raise ValueError("not a cursor of ours")
        return at.astimezone(UTC), decoded_id
    except (ValueError, UnicodeDecodeError, OverflowError, binascii.Error) as exc:
        raise ClientError(ErrorCode.INVALID_INPUT, "invalid cursor", field=field) from exc


def encode_order_cursor(order: str, object_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{order}|{object_id}".encode()).decode()


def decode_order_cursor(cursor: str, order: str, field: str) -> uuid.UUID:
    """The id in a cursor of ``order`` (a cursor of another ordering is invalid input)."""
    try:
        name, _, object_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        decoded = uuid.UUID(object_id)
        if name != order or encode_order_cursor(order, decoded) != cursor:
            raise ValueError("not a cursor of this ordering")
        return decoded
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise ClientError(ErrorCode.INVALID_INPUT, "invalid cursor", field=field) from exc
