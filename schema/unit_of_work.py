"""One request, one transaction: commit the work and its audit entries together.

Listed after ``MaskErrors`` so it leaves the operation before the masking does, and still
sees which errors were unexpected: those roll the whole request back (never a partial write).
Compiled trusted documents, which do not pass the executor, end through ``finish_request``
too.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import asyncpg
from graphql import ExecutionResult, GraphQLError
from sqlalchemy.exc import DBAPIError
from strawberry.extensions import SchemaExtension

from models import audit
from resolvers.context import Context
from resolvers.errors import is_unexpected
from resolvers.live import LiveContext

__all__ = [
    "SERVICE_UNAVAILABLE",
    "UnitOfWork",
    "database_unavailable",
    "finish_request",
    "unavailable_error",
]

log = logging.getLogger("relaylog.request")
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
_UNREACHABLE = (
    OSError,  # refused, reset, no route: ConnectionError and socket errors
    TimeoutError,
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.exceptions.OperatorInterventionError,  # 57: shutdown, terminated, starting up
    asyncpg.exceptions.ConnectionDoesNotExistError,
)


def database_unavailable(error: BaseException | None) -> bool:
    """Did this fail because PostgreSQL could not be reached, rather than because of the
    request or a fault of ours? Follows a GraphQL error to its original and an exception
    to its causes (SQLAlchemy wraps the driver's error)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, _UNREACHABLE):
            return True
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, GraphQLError):
            error = error.original_error
        else:
            error = error.__cause__ or error.__context__
    return False


def unavailable_error() -> GraphQLError:
    """The one answer while the database is away: typed, with no database text."""
    return GraphQLError(
        "The service is unavailable for a moment; try again shortly.",
        extensions={"code": SERVICE_UNAVAILABLE},
    )


async def finish_request(ctx: Context, *, failed: bool) -> Exception | None:
    """Append the request's audit entries and commit, or roll everything back when the
    request ``failed``. The exception when the commit itself failed (the client must be
    told), ``None`` when it succeeded."""
    session = ctx.session
    try:
        if failed:
            await session.rollback()
            ctx.writes.clear()
        else:
            await ctx.identify_reader()
        await audit.append(session, ctx.audit_entries())
        await session.commit()
    except Exception as exc:
        log.error(
            "commit failed", extra={"request_id": ctx.request_id, "error": type(exc).__name__}
        )
        try:
            await session.rollback()
        except Exception:
            log.error("rollback failed", extra={"request_id": ctx.request_id})
        return exc
    return None


class UnitOfWork(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        yield
        ctx = self.execution_context.context
        if not isinstance(ctx, Context) or isinstance(ctx, LiveContext):
            return  # a subscription's deliveries end one by one (resolvers.live)
        result = self.execution_context.result
        errors = (result.errors if result is not None else None) or []
        unexpected = [e for e in errors if is_unexpected(e)]
        for error in unexpected:
            log.error(
                "operation failed",
                extra={"request_id": ctx.request_id, "error": type(error.original_error).__name__},
            )
        failure = await finish_request(ctx, failed=bool(unexpected))
        if any(database_unavailable(e) for e in unexpected) or database_unavailable(failure):
            self._answer_instead(unavailable_error())
        elif failure is not None:
            self._answer_instead(GraphQLError("Internal error"))

    def _answer_instead(self, error: GraphQLError) -> None:
        """Replace the answer *in place*: strawberry returns the result object it holds,
        not ``execution_context.result``, so assigning a new one would leave the client with
        the normal answer of a request whose transaction failed."""
        result = self.execution_context.result
        if result is None:
            self.execution_context.result = ExecutionResult(data=None, errors=[error])
            return
        result.data = None
        result.errors = [error]
