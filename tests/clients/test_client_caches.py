"""Apollo Client and urql, as front ends use them, against the running service: their
normalised caches keep what two queries selected (a second query with ``child { birthDate }``
evicts nothing), answer the README's query and every trusted document again from the cache
alone, and merge pages of ``myLogs``. The clients run in node (``cache_check.mjs``, packages
from ``package-lock.json``); without node and npm the test is skipped."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from relaylog.app import Services, build_app
from relaylog.services import make_verifier
from relaylog.settings import PROJECT_ROOT, Settings
from schema.node import encode_global_id
from tests.clients.npm import ensure_installed
from tests.conftest import TODAY, _joined_session
from tests.factories import World
from tests.graphql import GraphQLClient

HERE = Path(__file__).parent
pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None, reason="needs node and npm"
)


def readme_query() -> str:
    """The query the README asks a new user to try, verbatim."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"Try, as the holder:\s*```graphql\n(.*?)```", readme, re.S)
    assert match, "the README's example query moved"
    return match[1]


async def _run(*command: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=HERE,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=300)
    return process.returncode or 0, output.decode()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
async def test_apollo_and_urql_caches_keep_every_field_and_merge_pages(
    settings: Settings,
    engine: AsyncEngine,
    connection: AsyncConnection,
    client: GraphQLClient,
    world: World,
) -> None:
    await asyncio.to_thread(ensure_installed)
    first = await world.full_log(level=2)
    await world.full_log(level=1)
    services = Services(
        settings=settings,
        engine=engine,
        session_factory=lambda: _joined_session(connection),
        verifier=make_verifier(settings),
        today=lambda: TODAY,
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            build_app(services),
            host="127.0.0.1",
            port=port,
            lifespan="off",
            log_config=None,
            access_log=False,
        )
    )
    serving = asyncio.create_task(server.serve())
    for _ in range(400):  # uvicorn has no start event to wait on
        if server.started or serving.done():
            break
        await asyncio.sleep(0.05)
    assert server.started
    try:
        check = {
            "url": f"http://127.0.0.1:{port}",
            "staffToken": client.token_for(world.holder),
            "familyToken": client.token_for(world.guardian),
            "logId": encode_global_id("RelayLog", first.id),
            "logCount": 2,
            "familyLogId": encode_global_id("RelayLog", first.id),
            "familyLogCount": 2,
            "operationsDir": str(PROJECT_ROOT / "schema" / "operations"),
            "readmeQuery": readme_query(),
        }
        env = {**os.environ, "RELAYLOG_CLIENT_CHECK": json.dumps(check)}
        code, output = await _run("node", "cache_check.mjs", env=env)
    finally:
        server.should_exit = True
        await serving

    assert code == 0, output
    assert "all client cache checks passed" in output
