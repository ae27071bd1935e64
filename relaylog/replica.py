"""Reports read a hot standby when one is configured (``RELAYLOG_REPLICA_URL``).

A replica answers what it has replayed, so every report says what moment its data is *as
of*: now, when the standby has applied all the WAL it received; otherwise the commit time of
the last transaction it replayed. A standby further behind than
``RELAYLOG_REPLICA_MAX_LAG_SECONDS``, or one that cannot be reached, is passed over: the
report reads the primary (as of now) and a log line says why, without the report failing.
Writes never go to the replica: a report's audit entry is appended on the primary.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from models.base import utcnow

__all__ = ["Replica"]

log = logging.getLogger("relaylog.replica")

_STATE = text(
    "SELECT now() AS now, CASE WHEN NOT pg_is_in_recovery() "
    "OR pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN now() "
    "ELSE pg_last_xact_replay_timestamp() END AS as_of"
)


@dataclass
class Replica:
    engine: AsyncEngine
    session_factory: Callable[[], AsyncSession]
    max_lag_seconds: float

    async def open(self, primary: Callable[[], AsyncSession]) -> tuple[AsyncSession, datetime]:
        """A session to read a report from, and the moment its data is as of."""
        session = self.session_factory()
        try:
            row = (await session.execute(_STATE)).one()
        except Exception as exc:
            await session.close()
            log.warning(
                "replica unavailable; the report reads the primary",
                extra={"error": type(exc).__name__},
            )
            return primary(), utcnow()
        lag = None if row.as_of is None else (row.now - row.as_of).total_seconds()
        if lag is None or lag > self.max_lag_seconds:
            await session.close()
            log.warning("replica behind; the report reads the primary", extra={"lag_seconds": lag})
            return primary(), utcnow()
        return session, row.as_of
