"""Two real ``relaylog serve`` processes on one database, and a graphql-transport-ws client.

A change is made through one server and heard on the other: the only thing the two share is
PostgreSQL (the outbox and ``NOTIFY relaylog_event``), as on two API nodes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from relaylog.settings import PROJECT_ROOT

__all__ = ["LiveClient", "Server", "free_port", "start_server"]

STARTUP_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    port: int
    process: subprocess.Popen[str]
    log_file: Path

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.log_file.read_text()


def start_server(database_url: str, env: dict[str, str], log_dir: Path) -> Server:
    port = free_port()
    log_file = log_dir / f"server-{port}.log"
    environment = dict(os.environ, **env, DATABASE_URL=database_url, RELAYLOG_PORT=str(port))
    environment.pop("RELAYLOG_DATABASE_URL", None)
    with log_file.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "relaylog", "serve", "--host", "127.0.0.1"],
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    server = Server(port, process, log_file)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server stopped:\n{log_file.read_text()}")
        try:
            if httpx.get(f"{server.http}/healthz", timeout=2).text == "ok":
                return server
        except httpx.TransportError:
            time.sleep(0.3)
    server.stop()
    raise AssertionError("the server did not start")


class LiveClient:
    """A front end's subscription connection, the way graphql-ws (urql, Apollo) speaks it."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.pings = 0

    @classmethod
    async def open(cls, url: str, token: str | None, **payload: Any) -> LiveClient:
        connection = await connect(url, subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
        client = cls(connection)
        init: dict[str, Any] = dict(payload)
        if token is not None:
            init["Authorization"] = f"Bearer {token}"
        with contextlib.suppress(ConnectionClosed):  # refused at once: close_code() says why
            await client.send({"type": "connection_init", "payload": init})
        return client

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self, within: float = 15.0) -> dict[str, Any]:
        """The next message other than a ping (answered with a pong, as the protocol asks)."""
        deadline = time.monotonic() + within
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            raw = await asyncio.wait_for(self.connection.recv(), left)
            message: dict[str, Any] = json.loads(raw)
            if message["type"] == "ping":
                self.pings += 1
                await self.send({"type": "pong"})
                continue
            return message

    async def acknowledged(self) -> None:
        message = await self.receive()
        assert message["type"] == "connection_ack", message

    async def subscribe(
        self, id_: str, query: str, variables: dict[str, Any] | None = None
    ) -> None:
        await self.send(
            {"id": id_, "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )

    async def next_data(self, id_: str, within: float = 15.0) -> dict[str, Any]:
        message = await self.receive(within)
        assert message.get("id") == id_, message
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def nothing_within(self, seconds: float) -> None:
        try:
            message = await self.receive(seconds)
        except TimeoutError:
            return
        raise AssertionError(f"expected nothing, got {message}")

    async def close_code(self, within: float = 15.0) -> int | None:
        """Wait for the server to close the connection; its close code."""
        try:
            while True:
                await self.receive(within)
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None

    async def close(self) -> None:
        await self.connection.close()
