"""Relay's ``PageInfo``, one type for every connection (``myLogs``, ``staffDirectory``, a log's
``accessHistory``)."""

from __future__ import annotations

from typing import Any

import strawberry

from auth.policy import PolicyField
from schema.node import VALUE_TYPE
from schema.permissions import covered

__all__ = ["PageInfo"]

# Where a page starts and ends is no data of a log: the row is the one every reader of a log
# has (a connection inside a log is itself behind that log's gate of its own row).
_PAGING = PolicyField.LOG_SUMMARY


@strawberry.type(
    description="Relay's page info. Paging forward, hasPreviousPage says a cursor was given; "
    "paging backward (last/before), hasNextPage does." + VALUE_TYPE
)
class PageInfo:
    has_next_page: bool = covered(_PAGING)
    has_previous_page: bool = covered(_PAGING)
    start_cursor: str | None = covered(_PAGING)
    end_cursor: str | None = covered(_PAGING)

    @classmethod
    def of(cls, page: Any) -> PageInfo:
        """From any page with Relay's four values (``resolvers.pagination.Page`` and kin)."""
        return cls(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.start_cursor,
            end_cursor=page.end_cursor,
        )
