"""Run Alembic from code, and tell whether the database is at the newest revision."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from relaylog.db import async_url
from relaylog.settings import PROJECT_ROOT

__all__ = ["alembic_config", "current_revision", "downgrade", "head_revision", "upgrade"]


def alembic_config(url: str) -> Config:
    cfg = Config(str(Path(PROJECT_ROOT) / "alembic.ini"))
    cfg.set_main_option("script_location", str(Path(PROJECT_ROOT) / "migrations"))
    cfg.attributes["url"] = async_url(url)
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Blocking; runs its own event loop, so call it from a thread when one is running."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


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
