"""Run the API (or the baseline) under uvicorn on 127.0.0.1, in a subprocess of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.applications import Starlette

from auth.dev_keys import DevKeys
from benchmarks.seed import BENCH_SECRET
from models import secrets as data_protection
from relaylog.app import Services, build_app, oslo_today
from relaylog.db import create_engine
from relaylog.services import make_verifier
from relaylog.settings import PROJECT_ROOT, Settings

__all__ = [
    "BENCH_DIR",
    "PostgresCpu",
    "app_services",
    "bench_keys",
    "bench_settings",
    "cpu_between",
    "cpu_seconds",
    "running",
    "serve",
]

BENCH_DIR = PROJECT_ROOT / ".data" / "bench"
SERVER_PIDS: dict[int, int] = {}  # port -> pid of the server subprocess


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time process ``pid`` has used so far (Linux ``/proc``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def cpu_seconds(port: int) -> float | None:
    """User + system CPU time the server on ``port`` has used so far (Linux ``/proc``)."""
    pid = SERVER_PIDS.get(port)
    return None if pid is None else process_cpu_seconds(pid)


def _socket_inodes(pid: int) -> set[str]:
    inodes: set[str] = set()
    try:
        entries = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return inodes
    for entry in entries:
        try:
            link = os.readlink(entry)
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    return inodes


def database_client_ports(port: int, database_port: int) -> set[int] | None:
    """The local TCP ports of the connections the server on ``port`` holds to PostgreSQL
    on ``database_port`` (``pg_stat_activity.client_port`` names their backends)."""
    pid = SERVER_PIDS.get(port)
    if pid is None:
        return None
    inodes = _socket_inodes(pid)
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) < 10 or parts[9] not in inodes:
                continue
            if int(parts[2].rsplit(":", 1)[1], 16) == database_port:
                ports.add(int(parts[1].rsplit(":", 1)[1], 16))
    return ports


class PostgresCpu:
    """CPU time of the PostgreSQL backends that serve one server process.

    The backends are found by the client ports of the server's own connections
    (``pg_stat_activity``), their CPU time read from ``/proc/<backend>/stat``: this needs
    PostgreSQL on this machine (127.0.0.1) and ``/proc`` readable. Both pools keep their
    connections open (the API's pool holds 10, the baseline's up to 10, for 8 concurrent
    requests), so no backend's time is lost to a closed connection. PostgreSQL's background
    processes (WAL writer, checkpointer, autovacuum) are not counted.
    """

    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        self.url = url
        parsed = make_url(url)
        self.host = parsed.query.get("host") or parsed.host or "127.0.0.1"
        self.port = parsed.port or 5432
        self.conn: Any = None

    @property
    def local(self) -> bool:
        return str(self.host) in {"127.0.0.1", "localhost", "::1"}

    async def __aenter__(self) -> PostgresCpu:
        from benchmarks.seed import connect

        if self.local:
            self.conn = await connect(self.url)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.conn is not None:
            await self.conn.close()

    async def snapshot(self, server_port: int) -> dict[int, float] | None:
        """CPU seconds so far of each backend serving the server on ``server_port``."""
        if self.conn is None:
            return None
        ports = database_client_ports(server_port, self.port)
        if ports is None:
            return None
        rows = await self.conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[])"
            " AND datname = current_database()",
            sorted(ports),
        )
        out = {}
        for row in rows:
            seconds = process_cpu_seconds(row["pid"])
            if seconds is not None:
                out[row["pid"]] = seconds
        return out


def cpu_between(before: dict[int, float] | None, after: dict[int, float] | None) -> float | None:
    """Seconds of CPU the backends used between two snapshots (a new backend: all of it)."""
    if before is None or after is None:
        return None
    return sum(max(0.0, seconds - before.get(pid, 0.0)) for pid, seconds in after.items())


def bench_keys() -> DevKeys:
    return DevKeys.load_or_create(BENCH_DIR / "keys")


def bench_settings() -> Settings:
    bench_keys()
    return Settings(
        mode="dev",
        data_dir=BENCH_DIR,
        jwks_file=BENCH_DIR / "keys" / "jwks.json",
        data_secret=SecretStr(BENCH_SECRET.decode()),
        log_level="WARNING",
    )


def app_services(url: str) -> Services:
    settings = bench_settings()
    data_protection.configure(BENCH_SECRET)
    engine = create_engine(url)
    return Services(
        settings=settings,
        engine=engine,
        session_factory=async_sessionmaker(engine, expire_on_commit=False),
        verifier=make_verifier(settings),
    )


def build(target: str, url: str) -> Starlette:
    if target == "app":
        return build_app(app_services(url))
    from benchmarks.baseline import build_baseline_app

    settings = bench_settings()
    data_protection.configure(BENCH_SECRET)
    return build_baseline_app(url, make_verifier(settings), oslo_today)


def serve(target: str, url: str, port: int) -> None:
    """The subprocess' main: one uvicorn worker, no access log (for the app and the baseline)."""
    import logging

    import uvicorn

    logging.basicConfig(level=logging.WARNING)
    uvicorn.run(
        build(target, url), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running(
    target: str, url: str, timeout: float = 30.0, *, in_thread: bool = False
) -> Iterator[int]:
    """Start ``target`` ("app" or "baseline") in a subprocess; yield its port; stop it.

    ``in_thread`` serves it from a thread of this process instead (quick to start, but it
    shares this process' interpreter lock with the load driver: for smoke runs only).
    """
    if in_thread:
        with _in_thread(target, url, timeout) as port:
            yield port
        return
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    log_path = BENCH_DIR / f"{target}-{port}.log"
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    with Path(log_path).open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks",
                "serve",
                target,
                "--url",
                url,
                "--port",
                str(port),
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"{target} server exited; see {log_path}")
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{target} server did not start; see {log_path}")
                time.sleep(0.1)
            SERVER_PIDS[port] = process.pid
            yield port
        finally:
            SERVER_PIDS.pop(port, None)
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    log_path.unlink(missing_ok=True)


@contextmanager
def _in_thread(target: str, url: str, timeout: float) -> Iterator[int]:
    import threading

    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        build(target, url), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"{target} server did not start")
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
