"""SQL spellings of the executor's value formats, so PostgreSQL writes the same JSON text
Strawberry would: global ids, ISO timestamps, cursors."""

from __future__ import annotations

__all__ = ["cursor_sql", "datetime_sql", "global_id_sql", "order_cursor_sql", "time_sql"]


def _base64url(raw: str, *, padded: bool) -> str:
    # PostgreSQL's base64 breaks lines every 76 characters: the newline goes with '+/'.
    encoded = f"translate(encode(convert_to({raw}, 'UTF8'), 'base64'), E'+/\\n', '-_')"
    return encoded if padded else f"rtrim({encoded}, '=')"


def global_id_sql(type_name: str, id_sql: str, log_sql: str | None = None) -> str:
    """``schema.node.encode_global_id`` in SQL (``NULL`` for a ``NULL`` id)."""
    raw = f"'{type_name}:' || {id_sql}::text"
    if log_sql is not None:
        raw += f" || ':' || {log_sql}::text"
    return _base64url(raw, padded=False)


def datetime_sql(value: str) -> str:
    """``datetime.isoformat()`` of a UTC ``timestamptz`` (microseconds only when not 0)."""
    utc = f"({value} AT TIME ZONE 'UTC')"
    return (
        f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN extract(microseconds FROM {value})::bigint % 1000000 = 0 THEN ''"
        f" ELSE to_char({utc}, '.US') END || '+00:00')"
    )


def time_sql(value: str) -> str:
    """``time.isoformat()`` (microseconds only when not 0)."""
    return (
        f"(to_char({value}, 'HH24:MI:SS')"
        f" || CASE WHEN extract(microseconds FROM {value})::bigint % 1000000 = 0 THEN ''"
        f" ELSE to_char({value}, '.US') END)"
    )


def cursor_sql(at: str, id_sql: str) -> str:
    """``resolvers.pagination.encode_cursor`` in SQL."""
    return _base64url(f"{datetime_sql(at)} || '|' || {id_sql}::text", padded=True)


def order_cursor_sql(order: str, id_sql: str) -> str:
    """``resolvers.pagination.encode_order_cursor`` in SQL (``order`` is an enum name)."""
    return _base64url(f"'{order}|' || {id_sql}::text", padded=True)
