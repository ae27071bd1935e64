"""``relaylog serve --workers N`` as a process: one ``/metrics`` for all workers, whichever
worker a scrape reaches (prometheus_client's multiprocess mode in a private folder serve
makes and removes), and a clean stop on SIGTERM: the exit status docs/deployment.md gives,
nothing on stderr an operator would take for a problem.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from relaylog.migrations import upgrade
from relaylog.settings import PROJECT_ROOT, Settings
from tests.conftest import fresh_database
from tests.test_process import STARTUP_SECONDS, free_port, quiet

pytestmark = pytest.mark.slow

POOL_SIZE = Settings.model_fields["db_pool_size"].default
COUNTER_FILE = re.compile(r"counter_(\d+)\.db")


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with fresh_database("relaylog_serve") as url:
        upgrade(url)
        yield url


class Serve:
    """``relaylog serve`` in a subprocess, with its own temporary folder (``TMPDIR``) so the
    metrics folder it makes can be watched, and the ``/healthz`` answers it gave counted."""

    def __init__(self, database: str, tmp: Path, workers: int) -> None:
        self.port = free_port()
        self.tmp = tmp / "tmp"
        self.tmp.mkdir()
        env = dict(
            os.environ,
            DATABASE_URL=database,
            RELAYLOG_DATA_DIR=str(tmp / "data"),
            RELAYLOG_MODE="dev",
            RELAYLOG_SHUTDOWN_GRACE_SECONDS="10",
            TMPDIR=str(self.tmp),
        )
        for name in ("RELAYLOG_DATABASE_URL", "RELAYLOG_PORT", "PROMETHEUS_MULTIPROC_DIR"):
            env.pop(name, None)
        command = ["serve", "--port", str(self.port), "--workers", str(workers)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "relaylog", *command],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.answered = 0
        self.stderr = ""

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.stop()
            try:
                if httpx.get(self.url("/healthz"), timeout=30).text == "ok":
                    self.answered += 1
                    return
            except httpx.TransportError:
                time.sleep(0.5)
        pytest.fail("serve did not start")

    def probe(self, count: int) -> None:
        """``count`` health checks, each on its own connection, several at once."""

        def one(_: int) -> bool:
            response = httpx.get(self.url("/healthz"), headers={"Connection": "close"}, timeout=30)
            return response.text == "ok"

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(one, range(count)))
        assert all(results)
        self.answered += count

    def metrics_folder(self) -> Path:
        (folder,) = self.tmp.glob("relaylog-metrics-*")
        return folder

    def workers_that_answered(self) -> set[int]:
        return {
            int(match.group(1))
            for path in self.metrics_folder().iterdir()
            if (match := COUNTER_FILE.fullmatch(path.name))
        }

    def probe_until_answered_by(
        self, workers: int, besides: frozenset[int] = frozenset()
    ) -> frozenset[int]:
        """Health checks until ``workers`` workers (not counting ``besides``) answered some."""
        answered: set[int] = set()
        for _ in range(50):
            self.probe(20)
            answered = self.workers_that_answered() - besides
            if len(answered) >= workers:
                return frozenset(answered)
        pytest.fail(f"requests did not reach {workers} workers: {answered}")

    def scrape(self) -> dict[str, float]:
        """The health checks counted and the pool's size, as one scrape says."""
        text = httpx.get(self.url("/metrics"), timeout=30).text
        seen = {"healthz": 0.0, "pool_size": 0.0}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if (
                    sample.name == "relaylog_http_requests_total"
                    and sample.labels["endpoint"] == "/healthz"
                ):
                    seen["healthz"] += sample.value
                if (
                    sample.name == "relaylog_db_pool_connections"
                    and sample.labels["state"] == "size"
                ):
                    seen["pool_size"] += sample.value
        return seen

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        _, self.stderr = self.process.communicate(timeout=120)
        return self.stderr


@pytest.fixture
def two_workers(database: str, tmp_path: Path) -> Iterator[Serve]:
    serve = Serve(database, tmp_path, workers=2)
    yield serve
    if serve.process.poll() is None:
        serve.process.kill()
        serve.process.communicate(timeout=60)


def test_every_scrape_counts_the_requests_of_both_workers_and_sigterm_stops_cleanly(
    two_workers: Serve,
) -> None:
    serve = two_workers
    serve.wait_until_serving()
    folder = serve.metrics_folder()
    serve.probe_until_answered_by(2)

    scrapes = [serve.scrape() for _ in range(6)]

    assert [seen["healthz"] for seen in scrapes] == [serve.answered] * 6
    assert [seen["pool_size"] for seen in scrapes] == [2 * POOL_SIZE] * 6

    serve.stop()

    # uvicorn's supervisor takes SIGTERM itself, stops the workers and returns: exit 0.
    assert serve.process.returncode == 0, serve.stderr
    assert "Traceback" not in serve.stderr
    assert quiet(serve.stderr) == [], serve.stderr
    assert not folder.exists()


def test_a_killed_worker_keeps_its_counts_and_leaves_the_pool_gauge(two_workers: Serve) -> None:
    serve = two_workers
    serve.wait_until_serving()
    first = serve.probe_until_answered_by(2)
    killed = min(first)

    os.kill(killed, signal.SIGKILL)  # uvicorn starts another in its place
    serve.probe_until_answered_by(1, besides=first)
    seen = serve.scrape()

    assert seen["healthz"] == serve.answered
    assert seen["pool_size"] == 2 * POOL_SIZE  # the survivor and the new one, not the dead
    serve.stop()
    assert serve.process.returncode == 0, serve.stderr


def test_one_worker_serves_its_own_registry_and_ends_by_the_signal(
    database: str, tmp_path: Path
) -> None:
    serve = Serve(database, tmp_path, workers=1)
    try:
        serve.wait_until_serving()
        serve.probe(5)
        seen = serve.scrape()
    finally:
        serve.stop()

    assert seen["healthz"] == serve.answered
    assert seen["pool_size"] == POOL_SIZE
    assert list(serve.tmp.glob("relaylog-metrics-*")) == []
    # uvicorn hands the signal back once it has stopped; relaylog ends with 128 + SIGTERM.
    assert serve.process.returncode == 128 + signal.SIGTERM
    assert quiet(serve.stderr) == [], serve.stderr
