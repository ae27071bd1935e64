"""Run Alembic from code, tell whether the database is at the newest revision, and start a
database over.

The Alembic environment (``env.py``, ``alembic.ini``, ``versions/``) lives in this package and
is installed with it, so ``relaylog migrate`` and ``/readyz`` find it from a wheel in
site-packages as well as from the checkout, whatever the working directory.

``upgrade`` and ``downgrade`` fail with a ``ConfigurationError`` (one line for the operator)
when the database cannot be used or a migration refuses, never with the driver's traceback.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from relaylog.db import async_url, connection_problem, probe_database
from relaylog.settings import ConfigurationError

__all__ = [
    "DowngradeRefused",
    "alembic_config",
    "current_revision",
    "downgrade",
    "head_revision",
    "reset",
    "upgrade",
]


class DowngradeRefused(ConfigurationError):
    """A downgrade that would lose or break data; raised by a migration before it changes
    anything (the whole run is one transaction, so earlier steps are rolled back too)."""


SCRIPT_LOCATION = Path(__file__).resolve().parent


def alembic_config(url: str) -> Config:
    cfg = Config(str(SCRIPT_LOCATION / "alembic.ini"))
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    cfg.attributes["url"] = async_url(url)
    return cfg


def _alembic(url: str, run: str, revision: str) -> None:
    asyncio.run(probe_database(url))
    try:
        getattr(command, run)(alembic_config(url), revision)
    except ConfigurationError:
        raise
    except DBAPIError as exc:
        raise ConfigurationError(
            f"{run} to {revision} failed and was rolled back: {connection_problem(exc, url)}"
        ) from None
    except Exception as exc:  # alembic's own refusals (an unknown revision) are one line
        if type(exc).__module__.startswith("alembic"):
            raise ConfigurationError(f"{run} to {revision}: {exc}") from None
        raise


def upgrade(url: str, revision: str = "head") -> None:
    """Blocking; runs its own event loop, so call it from a thread when one is running."""
    _alembic(url, "upgrade", revision)


def downgrade(url: str, revision: str = "base") -> None:
    _alembic(url, "downgrade", revision)


def reset(url: str) -> None:
    """An empty database (every table, type and function of the public schema dropped), with
    no migration's downgrade involved: ``demo --reset`` works whatever the data holds."""

    async def run() -> None:
        await probe_database(url)
        engine = create_async_engine(async_url(url), poolclass=NullPool)
        try:
            async with engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA IF EXISTS procrastinate CASCADE"))
                await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
        finally:
            await engine.dispose()

    asyncio.run(run())


def head_revision() -> str | None:
    script = ScriptDirectory.from_config(alembic_config("postgresql://x@localhost/x"))
    return script.get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    """Read ``alembic_version`` directly: ``MigrationContext.configure`` logs two INFO lines
    each time, and ``/readyz`` asks on every probe."""
    async with engine.connect() as conn:
        if await conn.scalar(text("SELECT to_regclass('alembic_version')")) is None:
            return None
        revisions = (await conn.scalars(text("SELECT version_num FROM alembic_version"))).all()
        return revisions[0] if len(revisions) == 1 else None


async def upgrade_async(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, url, revision)
