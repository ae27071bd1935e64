"""Session-wide real processes for the scale-out tests (started once, stopped at the end)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker

from models import secrets as data_protection
from relaylog.db import create_engine
from relaylog.migrations import upgrade
from relaylog.settings import PROJECT_ROOT, Settings
from tests.conftest import TEST_SECRET, _server_url, fresh_database
from tests.factories import World, build_world
from tests.scale.processes import Standby, available, free_port, hot_standby, pgbouncer


def _needs(what: str) -> None:
    reason = available(what)
    if reason is not None:
        pytest.skip(reason)


@dataclass(frozen=True)
class Bouncer:
    direct_url: str  # the database, straight on the server
    url: str  # the same database through pgbouncer (transaction mode)


@pytest.fixture(scope="session")
def bouncer() -> Iterator[Bouncer]:
    _needs("pgbouncer")
    data_protection.configure(TEST_SECRET)
    with fresh_database("relaylog_bouncer") as direct, pgbouncer(_server_url()) as port:
        upgrade(direct)
        through = make_url(direct).set(host="127.0.0.1", port=port)
        yield Bouncer(direct, through.render_as_string(hide_password=False))


@pytest.fixture(scope="session")
def standby() -> Iterator[Standby]:
    _needs("replica")
    data_protection.configure(TEST_SECRET)
    with hot_standby() as cluster:
        upgrade(cluster.primary_url)
        yield cluster


async def committed_world(url: str, *, pooler: str = "none") -> World:
    """The test world, committed (other processes read it)."""
    engine = create_engine(url, pooler=pooler)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            world = await build_world(session)
            await session.commit()
            return world
    finally:
        await engine.dispose()


def api_environment(settings: Settings, database_url: str, **extra: str) -> dict[str, str]:
    assert settings.jwks_file is not None
    env = dict(
        os.environ,
        PYTHONPATH=str(PROJECT_ROOT),
        DATABASE_URL=database_url,
        RELAYLOG_JWKS_FILE=str(settings.jwks_file),
        RELAYLOG_DATA_SECRET=TEST_SECRET.decode(),
        RELAYLOG_DATA_DIR=str(settings.data_dir),
        RELAYLOG_LOG_LEVEL="WARNING",
    )
    env.pop("RELAYLOG_DATABASE_URL", None)
    env.update(extra)
    return env


class ApiProcess:
    """``relaylog serve`` in a process of its own, on a free port."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "relaylog", "serve", "--port", str(self.port)],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def ready(self) -> None:
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient() as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"relaylog serve exited: {self.log.read_text()[-3000:]}")
                try:
                    if (await http.get(f"{self.base_url}/readyz", timeout=1)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"relaylog serve not ready: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


async def start_apis(env: dict[str, str], logs: Path, n: int) -> list[ApiProcess]:
    apis = [ApiProcess(env, logs / f"api-{i}.log") for i in range(n)]
    try:
        await asyncio.gather(*(api.ready() for api in apis))
    except BaseException:
        for api in apis:
            api.stop()
        raise
    return apis
