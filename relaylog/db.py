"""Engine and sessions. One session per request; the request boundary commits or rolls back."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from relaylog.settings import ConfigurationError, Settings

__all__ = [
    "RequestSession",
    "SessionFactory",
    "async_url",
    "check_database",
    "connection_problem",
    "create_engine",
    "database_unusable",
    "probe_database",
    "resolve_database_url",
    "session_scope",
    "usable_database_url",
]

SessionFactory = async_sessionmaker[AsyncSession]
T = TypeVar("T")


class RequestSession(AsyncSession):
    """A request's session, safe to share between the resolvers that run concurrently.

    The executor runs sibling fields at once and, when one fails (``myLogs(first: -1)``
    beside ``node(id:)``), cancels the others; a cancelled DataLoader batch would stop its
    statement halfway and leave the connection unusable, so the request's commit failed.
    Here statements take turns on the one connection and a cancelled caller waits for its
    round trip to finish before it gives up: the commit always finds an idle, consistent
    connection, and a refused argument cannot poison the request.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn = asyncio.Lock()
        self._holder: asyncio.Future[Any] | None = None

    async def _in_turn(self, operation: Awaitable[T]) -> T:
        if self._holder is not None and self._holder is asyncio.current_task():
            return await operation  # ``scalars`` calling ``execute``: the same turn
        async with self._turn:
            running = asyncio.ensure_future(operation)
            self._holder = running
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:
                if not running.done():
                    await asyncio.wait([running])
                raise
            finally:
                self._holder = None

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return await self._in_turn(super().execute(*args, **kwargs))

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        return await self._in_turn(super().scalar(*args, **kwargs))

    async def scalars(self, *args: Any, **kwargs: Any) -> Any:
        return await self._in_turn(super().scalars(*args, **kwargs))

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        return await self._in_turn(super().get(*args, **kwargs))

    async def refresh(self, *args: Any, **kwargs: Any) -> None:
        await self._in_turn(super().refresh(*args, **kwargs))

    async def flush(self, *args: Any, **kwargs: Any) -> None:
        await self._in_turn(super().flush(*args, **kwargs))

    async def commit(self) -> None:
        await self._in_turn(super().commit())

    async def rollback(self) -> None:
        await self._in_turn(super().rollback())

    async def close(self) -> None:
        await self._in_turn(super().close())


def async_url(url: str) -> str:
    """Accept the usual ``postgresql://`` spelling and use asyncpg; refuse anything else."""
    scheme = urlsplit(url).scheme
    if scheme not in {"postgresql", "postgres", "postgresql+asyncpg"}:
        raise ConfigurationError(
            f"DATABASE_URL must be a postgresql:// URL (got scheme {scheme or 'none'!r})"
        )
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError("DATABASE_URL is not a valid URL") from exc
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def resolve_database_url(settings: Settings) -> str:
    if settings.database_url:
        return async_url(settings.database_url)
    if settings.is_production:
        raise ConfigurationError(
            "DATABASE_URL must be set in production (the embedded PostgreSQL is for dev and demo)"
        )
    from relaylog.embedded import embedded_database_url

    return async_url(embedded_database_url(settings.data_dir / "pg"))


def create_engine(url: str, *, pooler: str | None = None, **kwargs: Any) -> AsyncEngine:
    """The engine for ``url``; ``pooler="pgbouncer"`` (default: ``RELAYLOG_DATABASE_POOLER``)
    when the URL names a pgbouncer in transaction mode, where a server connection serves
    another client after every transaction: asyncpg then prepares no statement under a
    reusable name and caches none (SQLAlchemy's and asyncpg's caches off, unique names)."""
    if pooler is None:
        from relaylog.settings import get_settings

        pooler = get_settings().database_pooler
    target = async_url(url)
    if pooler == "pgbouncer":
        target = (
            make_url(target)
            .update_query_dict({"prepared_statement_cache_size": "0"})
            .render_as_string(hide_password=False)
        )
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("statement_cache_size", 0)
        connect_args.setdefault("prepared_statement_name_func", _unique_statement_name)
        kwargs["connect_args"] = connect_args
    # hide_parameters: a failed statement's text may reach a log line; its values must not.
    options: dict[str, Any] = {"pool_pre_ping": False}
    if kwargs.get("poolclass") is not NullPool:
        options.update(pool_size=10, max_overflow=10)
    options.update(kwargs)
    return create_async_engine(target, hide_parameters=True, **options)


# SQLSTATEs an operator meets when DATABASE_URL is wrong, and what to tell them.
_CONNECT_PROBLEMS = {
    "3D000": "the database does not exist (create it, or fix the name in DATABASE_URL)",
    "28000": "the server refused the role (create it, or fix the user in DATABASE_URL)",
    "28P01": "the server refused the password in DATABASE_URL",
    "42501": "the role lacks a privilege the service needs",
    "57P03": "the server is starting up or shutting down; try again",
    "53300": "the server has no free connection slots (max_connections)",
}

_NETWORK_ERRORS = ("ConnectionRefusedError", "gaierror", "TimeoutError", "OSError")
# What says, anywhere in an exception's chain, that the database went away or never answered
# (asyncpg, psycopg and its pool alike); ``database_unusable`` tells them from a bug.
_UNUSABLE = (
    "ConnectionRefusedError",
    "ConnectionResetError",
    "gaierror",
    "PoolTimeout",
    "ConnectionDoesNotExistError",
    "CannotConnectNowError",
)


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        chain.append(current)
        todo.extend([getattr(current, "orig", None), current.__cause__, current.__context__])
    return chain


def connection_problem(exc: BaseException, url: str | None = None) -> str:
    """One line for an operator about a database that cannot be used: what is wrong and where
    (host, port, database; never the password), without the server's own text."""
    where = ""
    if url is not None:
        try:
            parsed = make_url(url)
            host = parsed.query.get("host") or parsed.host or "localhost"
            where = f" at {host}{f':{parsed.port}' if parsed.port else ''}/{parsed.database}"
        except ArgumentError:
            where = ""
    for cause in _causes(exc):
        state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if isinstance(state, str) and state in _CONNECT_PROBLEMS:
            return f"cannot use the database{where}: {_CONNECT_PROBLEMS[state]}"
    names = {type(cause).__name__ for cause in _causes(exc)}
    network = [name for name in _NETWORK_ERRORS if name in names]
    reason = network[0] if network else type(exc).__name__
    return (
        f"cannot connect to the database{where} ({reason}); is it running and is "
        "DATABASE_URL right?"
    )


def database_unusable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached or used (a refused or lost
    connection, a pool that gave up, a SQLSTATE of ``_CONNECT_PROBLEMS``), not a bug."""
    for cause in _causes(exc):
        state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
        if (isinstance(state, str) and state in _CONNECT_PROBLEMS) or type(
            cause
        ).__name__ in _UNUSABLE:
            return True
    return False


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4().hex}__"


async def check_database(engine: AsyncEngine) -> None:
    """Fail with one line, not a traceback, when the database cannot be reached."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise ConfigurationError(
            connection_problem(exc, engine.url.render_as_string(hide_password=True))
        ) from exc


async def probe_database(url: str) -> None:
    """Connect once (no pool kept) and fail with ``check_database``'s one line. The
    connection is made as the command's own will be (``create_engine``), so a probe through
    pgbouncer prepares nothing under a name another client's server connection holds."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        await check_database(engine)
    finally:
        await engine.dispose()


def usable_database_url(settings: Settings) -> str:
    """The database URL a command works on, checked first: every command that uses the
    database gets it here, so one that is down, missing or refuses the role is one line
    before anything else is tried (no pool waiting out its timeout, no traceback).
    Blocking (its own event loop): call it before the command's ``asyncio.run``."""
    url = resolve_database_url(settings)
    asyncio.run(probe_database(url))
    return url


@asynccontextmanager
async def session_scope(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """A unit of work: commit when the block succeeds, roll back when it raises."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
