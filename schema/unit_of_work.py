"""One request, one transaction: commit the work and its audit entries together.

Listed after ``MaskErrors`` so it leaves the operation before the masking does, and still
sees which errors were unexpected: those roll the whole request back (never a partial write).
Compiled trusted documents, which do not pass the executor, end through ``finish_request``
too.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension

from models import audit
from resolvers.context import Context
from resolvers.errors import is_unexpected

__all__ = ["UnitOfWork", "finish_request"]

log = logging.getLogger("relaylog.request")


async def finish_request(ctx: Context, *, failed: bool) -> bool:
    """Append the request's audit entries and commit, or roll everything back when the
    request ``failed``. ``False`` when the commit itself failed (the client must be told)."""
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
        await session.rollback()
        return False
    return True


class UnitOfWork(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        yield
        ctx = self.execution_context.context
        if not isinstance(ctx, Context):
            return
        result = self.execution_context.result
        errors = (result.errors if result is not None else None) or []
        unexpected = [e for e in errors if is_unexpected(e)]
        for error in unexpected:
            log.error(
                "operation failed",
                extra={"request_id": ctx.request_id, "error": type(error.original_error).__name__},
            )
        if not await finish_request(ctx, failed=bool(unexpected)):
            self.execution_context.result = ExecutionResult(
                data=None, errors=[GraphQLError("Internal error")]
            )
