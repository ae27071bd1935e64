"""Reports read a real hot standby (a second cluster made with ``pg_basebackup``) and say
what moment their data is as of; a standby too far behind, or away, is passed over for the
primary. Replay on the standby is paused and resumed to make it lag on purpose."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from auth.dev_keys import DevKeys
from auth.policy import Audience
from models import AuditEvent
from relaylog.app import Services, build_app
from relaylog.db import RequestSession, create_engine
from relaylog.replica import Replica
from relaylog.services import make_verifier
from relaylog.settings import Settings
from tests.conftest import TEST_SECRET
from tests.factories import TODAY, World
from tests.graphql import GraphQLClient
from tests.scale.conftest import committed_world
from tests.scale.processes import Standby, free_port
from tests.test_cli import relaylog

pytestmark = pytest.mark.slow

STATISTICS = "{ statistics { asOf logsByLevel { level logs } } }"
BATCH = 10


@dataclass
class Reporting:
    standby: Standby
    world: World
    primary: AsyncEngine
    replica: AsyncEngine
    keys: DevKeys
    settings: Settings

    async def add_logs(self, n: int) -> datetime:
        """``n`` level-1 logs committed on the primary; the moment they were committed."""
        async with AsyncSession(self.primary, expire_on_commit=False) as session:
            self.world.seed.session = session
            for i in range(n):
                child = await self.world.seed.child(
                    self.world.municipality, f"Barn {i}", [self.world.other_guardian]
                )
                await self.world.seed.log(child, self.world.holder, level=1)
            await session.commit()
        return datetime.now(UTC)

    async def caught_up(self) -> None:
        target = self.standby.psql(self.standby.primary_url, "SELECT pg_current_wal_lsn()")
        for _ in range(200):
            done = self.standby.psql(
                self.standby.replica_url, f"SELECT pg_last_wal_replay_lsn() >= '{target}'"
            )
            if done == "t":
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the standby did not catch up")

    async def statistics(self, max_lag: float, replica_url: str | None = None) -> dict[str, Any]:
        replica_engine = (
            self.replica if replica_url is None else create_engine(replica_url, pooler="none")
        )
        services = Services(
            settings=self.settings,
            engine=self.primary,
            session_factory=async_sessionmaker(
                self.primary, class_=RequestSession, expire_on_commit=False
            ),
            verifier=make_verifier(self.settings),
            today=lambda: TODAY,
            replica=Replica(
                replica_engine,
                async_sessionmaker(replica_engine, class_=RequestSession, expire_on_commit=False),
                max_lag,
            ),
        )
        transport = httpx.ASGITransport(app=build_app(services))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            data = await GraphQLClient(http, self.keys, self.settings).query(
                STATISTICS, as_=self.world.reporter, audience=Audience.REPORTING
            )
        if replica_url is not None:
            await replica_engine.dispose()
        result: dict[str, Any] = data["statistics"]
        return result


@pytest.fixture(scope="module")
async def reporting(
    standby: Standby, dev_keys: DevKeys, settings: Settings
) -> AsyncIterator[Reporting]:
    world = await committed_world(standby.primary_url)
    primary = create_engine(standby.primary_url, pooler="none")
    replica = create_engine(standby.replica_url, pooler="none")
    yield Reporting(standby, world, primary, replica, dev_keys, settings)
    await primary.dispose()
    await replica.dispose()


def level_1(statistics: dict[str, Any]) -> int:
    return sum(c["logs"] or 0 for c in statistics["logsByLevel"] if c["level"] == 1)


async def test_reports_read_the_replica_and_say_as_of_when(reporting: Reporting) -> None:
    await reporting.add_logs(BATCH)
    await reporting.caught_up()
    before = datetime.now(UTC)

    caught_up = await reporting.statistics(max_lag=30)

    assert level_1(caught_up) == BATCH
    assert datetime.fromisoformat(caught_up["asOf"]) >= before - timedelta(seconds=1)

    reporting.standby.psql(reporting.standby.replica_url, "SELECT pg_wal_replay_pause()")
    try:
        await asyncio.sleep(0.2)
        paused_at = datetime.now(UTC)
        await reporting.add_logs(BATCH)
        await asyncio.sleep(1.5)

        lagging = await reporting.statistics(max_lag=30)
        assert level_1(lagging) == BATCH  # the replica has not applied the new logs
        assert datetime.fromisoformat(lagging["asOf"]) < paused_at  # and says so

        too_far = await reporting.statistics(max_lag=1)
        assert level_1(too_far) == 2 * BATCH  # passed over: the primary answered
        assert datetime.fromisoformat(too_far["asOf"]) > paused_at
    finally:
        reporting.standby.psql(reporting.standby.replica_url, "SELECT pg_wal_replay_resume()")
    await reporting.caught_up()
    assert level_1(await reporting.statistics(max_lag=30)) == 2 * BATCH


async def test_a_replica_that_is_away_leaves_the_report_to_the_primary(
    reporting: Reporting,
) -> None:
    started = time.monotonic()
    answer = await reporting.statistics(
        max_lag=30, replica_url=f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    )
    assert answer["logsByLevel"] is not None
    assert datetime.fromisoformat(answer["asOf"]) > datetime.now(UTC) - timedelta(seconds=30)
    assert time.monotonic() - started < 30


async def _passive_log(reporting: Reporting) -> uuid.UUID:
    """A log in Bakken skole without activity for 100 days, committed on the primary."""
    async with AsyncSession(reporting.primary, expire_on_commit=False) as session:
        reporting.world.seed.session = session
        log = await reporting.world.seed.log(reporting.world.youth, reporting.world.holder, level=1)
        log.last_activity_at = datetime.now(UTC) - timedelta(days=100)
        await session.commit()
        return log.id


def _as_of(report_line: str) -> datetime:
    stamp = report_line.split("data as of ")[1].removesuffix(" UTC")
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


async def test_the_passive_report_command_reads_the_replica_and_audits_on_the_primary(
    reporting: Reporting, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With replay paused, a log that became passive on the primary is not in the report,
    which says its data is as of before the pause; once the standby catches up it is."""
    standby = reporting.standby
    monkeypatch.setenv("RELAYLOG_REPLICA_URL", standby.replica_url)
    monkeypatch.setenv("RELAYLOG_REPLICA_MAX_LAG_SECONDS", "120")
    monkeypatch.setenv("RELAYLOG_DATA_SECRET", TEST_SECRET.decode())

    def report() -> list[str]:
        result = relaylog(
            "report",
            "passive",
            "--unit",
            "Bakken skole",
            data_dir=tmp_path,
            database_url=standby.primary_url,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.splitlines()

    await reporting.add_logs(1)  # the standby's last replayed commit is a fresh one
    await reporting.caught_up()
    standby.psql(standby.replica_url, "SELECT pg_wal_replay_pause()")
    try:
        await asyncio.sleep(0.2)
        paused_at = datetime.now(UTC)
        passive = await _passive_log(reporting)
        await asyncio.sleep(1.0)  # the standby has received it, not applied it

        lagging = report()
    finally:
        standby.psql(standby.replica_url, "SELECT pg_wal_replay_resume()")

    assert not any(str(passive) in line for line in lagging)  # read on the replica
    assert _as_of(lagging[0]) <= paused_at  # and said as of when

    await reporting.caught_up()
    caught_up = report()
    assert any(str(passive) in line for line in caught_up)
    assert _as_of(caught_up[0]) > paused_at

    async with AsyncSession(reporting.primary) as session:
        audited = await session.scalar(
            select(func.count()).where(AuditEvent.action == "REPORT_PASSIVE")
        )
    assert audited == 2  # each report's entry went to the primary (the standby cannot write)
