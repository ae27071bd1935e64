"""The service as a process, the way systemd, a container runtime or a person at a terminal
runs it: ``relaylog demo`` on its own embedded PostgreSQL, stopped with SIGTERM and with
Ctrl-C (SIGINT). A request running at the stop is finished; the embedded server is gone
afterwards, its handle list empty (also after a process that died without cleaning up), and
nothing on stderr is an error, a warning or a traceback. Downgrading the demo data (a family
with two logs) refuses in one line; ``demo --reset`` does not need downgrades. ``python3
dev.py relaylog serve`` stops as quietly as ``relaylog`` itself.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from relaylog.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow

STARTUP_SECONDS = 240  # initdb, migrations and the demo data on a busy 2-core machine
QUERY = b'{"query": "{ __typename }"}'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ, RELAYLOG_DATA_DIR=str(data_dir), RELAYLOG_SHUTDOWN_GRACE_SECONDS="20")
    for name in ("DATABASE_URL", "RELAYLOG_DATABASE_URL", "RELAYLOG_MODE", "RELAYLOG_PORT"):
        env.pop(name, None)
    return env


class Service:
    """A command that serves on a free port, in a subprocess (its own process group, as a
    terminal's foreground job), read back once it has ended."""

    def __init__(self, *command: str, env: dict[str, str]) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            process_group=0,
            # As in a terminal's foreground: a test runner started in the background may pass
            # SIGINT on as ignored.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self.stdout = self.stderr = ""

    def ctrl_c(self) -> None:
        """What a terminal does: SIGINT to every process of the foreground job."""
        os.killpg(self.process.pid, signal.SIGINT)

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.finish()
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).text == "ok":
                    return
            except httpx.TransportError:
                time.sleep(0.5)
        pytest.fail("the demo did not start")

    def finish(self) -> str:
        try:
            self.stdout, self.stderr = self.process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the whole job: no server left behind
            raise
        return self.stderr

    def post_slowly(self) -> socket.socket:
        """A request whose body is still on its way: it is running when the stop comes."""
        conn = socket.create_connection(("127.0.0.1", self.port))
        conn.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(QUERY)}\r\n\r\n".encode()
            + QUERY[:10]
        )
        time.sleep(0.5)
        return conn


class Demo(Service):
    """``relaylog demo`` on the embedded PostgreSQL in ``data_dir``."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        super().__init__(sys.executable, "-m", "relaylog", "demo", *args, env=environment(data_dir))


def read_to_close(conn: socket.socket) -> str:
    chunks = []
    conn.settimeout(60)
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    conn.close()
    return b"".join(chunks).decode()


def postgres_running(data_dir: Path) -> bool:
    pid_file = data_dir / "pg" / "postmaster.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().split()[0])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def handles(data_dir: Path) -> list[int]:
    return list(json.loads((data_dir / "pg" / ".handle_pids.json").read_text()))


def quiet(stderr: str) -> list[str]:
    """The lines an operator would take for a problem."""
    return [
        line
        for line in stderr.splitlines()
        if "Traceback" in line
        or "Warning" in line
        or any(f'"level": "{level}"' in line for level in ("ERROR", "WARNING", "CRITICAL"))
    ]


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    # In the project's .data, like a real demo: run as root, pgserver runs PostgreSQL as its
    # own user, who cannot enter pytest's private temporary folders.
    path = PROJECT_ROOT / ".data" / f"test-process-{os.getpid()}"
    path.mkdir(parents=True)
    yield path
    if postgres_running(path):  # a failed test must not leave a server behind
        subprocess.run(
            [
                str(Path(sys.executable).parent / "python"),
                "-c",
                "import pgserver, sys; pgserver.get_server(sys.argv[1]).cleanup()",
                str(path / "pg"),
            ],
            check=False,
            timeout=60,
        )
    shutil.rmtree(path, ignore_errors=True)


def test_sigterm_finishes_the_running_request_and_stops_postgresql(data_dir: Path) -> None:
    demo = Demo(data_dir)
    demo.wait_until_serving()
    running = demo.post_slowly()

    demo.process.send_signal(signal.SIGTERM)
    time.sleep(1)
    running.sendall(QUERY[10:])
    answer = read_to_close(running)
    stderr = demo.finish()

    assert answer.startswith("HTTP/1.1 200"), answer
    assert '"__typename":"Query"' in answer.replace(" ", "")
    assert demo.process.returncode == 128 + signal.SIGTERM
    assert quiet(stderr) == [], stderr
    chatter = [
        line
        for line in stderr.splitlines()
        if '"logger": "procrastinate' in line or '"logger": "mail.log"' in line
    ]
    assert chatter == [], "the job queue's and the SMTP sink's INFO lines are for DEBUG"
    assert "demo data loaded" in demo.stdout
    assert not postgres_running(data_dir)
    assert handles(data_dir) == []


# A second log of the family, as createLog writes it: its own rows for the same child and
# guardian (same keyed hash of the national id), which the schema before 0003 cannot hold.
SECOND_LOG_PEOPLE = """
import asyncio, sys
from pathlib import Path
import asyncpg
from sqlalchemy.engine import make_url
from relaylog.embedded import embedded_database_url

url = make_url(embedded_database_url(Path(sys.argv[1])))
COPY = (
    "INSERT INTO {t} SELECT (jsonb_populate_record(NULL::{t}, to_jsonb(x) "
    "|| jsonb_build_object('id', gen_random_uuid()))).* FROM {t} x "
    "WHERE national_id_hash IS NOT NULL LIMIT 1"
)

async def main():
    conn = await asyncpg.connect(user="postgres", host=url.query["host"], database="relaylog")
    for table in ("guardian", "child"):
        await conn.execute(COPY.format(t=table))
    await conn.close()

asyncio.run(main())
"""


def test_downgrading_a_family_with_two_logs_refuses_in_one_line(data_dir: Path) -> None:
    subprocess.run(
        [sys.executable, "-c", SECOND_LOG_PEOPLE, str(data_dir / "pg")],
        cwd=PROJECT_ROOT,
        check=True,
        timeout=STARTUP_SECONDS,
    )

    result = subprocess.run(
        [sys.executable, "-m", "relaylog", "downgrade"],
        cwd=PROJECT_ROOT,
        env=environment(data_dir),
        capture_output=True,
        text=True,
        timeout=STARTUP_SECONDS,
        check=False,
    )

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "relaylog: cannot downgrade below 0003: 2 people are in more than one log, and the "
        "older schema has one row per person; restore a backup taken before the upgrade instead"
    ]
    assert not postgres_running(data_dir)
    assert handles(data_dir) == []


def test_ctrl_c_stops_a_reset_demo_and_forgets_a_dead_process(data_dir: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (data_dir / "pg" / ".handle_pids.json").write_text(json.dumps([dead.pid]))

    demo = Demo(data_dir, "--reset")
    demo.wait_until_serving()
    demo.process.send_signal(signal.SIGINT)
    stderr = demo.finish()

    assert demo.process.returncode in {0, 130}  # asyncio's own Ctrl-C handling ends in 0
    assert quiet(stderr) == [], stderr
    assert "demo data loaded" in demo.stdout  # not "already present": the data started over
    assert not postgres_running(data_dir)
    assert handles(data_dir) == []


@pytest.mark.parametrize(
    "stop",
    [
        pytest.param(signal.SIGTERM, id="SIGTERM to dev.py"),
        pytest.param(signal.SIGINT, id="Ctrl-C to the job"),
    ],
)
def test_dev_py_relaylog_serve_stops_without_a_traceback(
    database_url: str, tmp_path: Path, stop: signal.Signals
) -> None:
    """``python3 dev.py relaylog serve`` (on a server of its own, so quick): dev.py passes
    SIGTERM on and lets Ctrl-C reach the child; neither says more than the service does."""
    served = Service(
        sys.executable,
        "dev.py",
        "relaylog",
        "serve",
        env=dict(environment(tmp_path), DATABASE_URL=database_url),
    )
    served.wait_until_serving()
    if stop is signal.SIGINT:
        served.ctrl_c()
    else:
        served.process.send_signal(stop)
    stderr = served.finish()

    assert served.process.returncode in {0, 128 + stop}, stderr
    assert quiet(stderr) == [], stderr
    assert "Traceback" not in served.stdout + stderr
