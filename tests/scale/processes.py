"""Real infrastructure for the scale-out tests: a pgbouncer in transaction mode, and a
PostgreSQL primary with a hot standby made by ``pg_basebackup`` (Debian's PostgreSQL 15
binaries). The tests start each once per session; as a script it starts one and waits:

    .venv/bin/python -m tests.scale.processes pgbouncer postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python -m tests.scale.processes replica

PostgreSQL and pgbouncer refuse to run as root; as root the processes run as the
``postgres`` system user, in a temporary folder that user owns.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["PG_BIN", "Standby", "available", "free_port", "hot_standby", "pgbouncer"]

PG_BIN = Path(os.environ.get("RELAYLOG_PG_BIN", "/usr/lib/postgresql/15/bin"))
RUN_AS = "postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def available(what: str) -> str | None:
    """Why ``what`` ("pgbouncer", "replica") cannot run here, or None when it can."""
    if what == "pgbouncer" and shutil.which("pgbouncer") is None:
        return "pgbouncer is not installed (apt-get install -y pgbouncer)"
    if what == "replica" and not (PG_BIN / "pg_basebackup").exists():
        return f"no PostgreSQL binaries in {PG_BIN} (apt-get install -y postgresql-15)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(RUN_AS)
        except KeyError:
            return f"running as root and there is no {RUN_AS!r} user to run it as"
    return None


def _as_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", RUN_AS, "--", *command]


@contextlib.contextmanager
def _own_folder(prefix: str) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        if os.geteuid() == 0:
            user = pwd.getpwnam(RUN_AS)
            os.chown(folder, user.pw_uid, user.pw_gid)
        folder.chmod(0o700)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _write(path: Path, text: str) -> None:
    path.write_text(text)
    if os.geteuid() == 0:
        user = pwd.getpwnam(RUN_AS)
        os.chown(path, user.pw_uid, user.pw_gid)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited with {process.returncode}: {log.read_text()[-2000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"not listening on {port} after {timeout} s")


@contextlib.contextmanager
def pgbouncer(server_url: str, *, pool_size: int = 4) -> Iterator[int]:
    """A pgbouncer in **transaction** mode in front of ``server_url``'s server, every
    database name passed through; yields its port. ``pool_size`` server connections per
    database and user, so that clients share them transaction by transaction."""
    target = urlsplit(server_url)
    host, user = target.hostname or "127.0.0.1", target.username or "postgres"
    port = free_port()
    with _own_folder("relaylog-pgbouncer-") as folder:
        log = folder / "pgbouncer.log"
        _write(
            folder / "pgbouncer.ini",
            f"""[databases]
* = host={host} port={target.port or 5432} user={user}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 500
ignore_startup_parameters = extra_float_digits
server_reset_query =
logfile = {log}
pidfile = {folder / "pgbouncer.pid"}
""",
        )
        _write(log, "")
        process = subprocess.Popen(
            _as_user(["pgbouncer", str(folder / "pgbouncer.ini")]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_port(port, process, log, 20)
            yield port
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass(frozen=True)
class Standby:
    primary_url: str
    replica_url: str
    replica_folder: Path

    def psql(self, url: str, sql: str) -> str:
        """Run one statement with psql (as the cluster's user); its unaligned output."""
        result = subprocess.run(
            _as_user([str(PG_BIN / "psql"), url, "-Atqc", sql]),
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return result.stdout.strip()


def _pg(binary: str, *args: str, log: Path | None = None) -> None:
    subprocess.run(
        _as_user([str(PG_BIN / binary), *args]),
        check=True,
        capture_output=True,
        timeout=180,
    )


@contextlib.contextmanager
def hot_standby() -> Iterator[Standby]:
    """A primary (``initdb``) and a streaming hot standby made from it with
    ``pg_basebackup -R``, each on a free port; both stopped and removed afterwards."""
    primary_port, replica_port = free_port(), free_port()
    with _own_folder("relaylog-replica-") as folder:
        primary, replica = folder / "primary", folder / "replica"
        _pg(
            "initdb",
            "-D",
            str(primary),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        with (primary / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {primary_port}\nlisten_addresses = '127.0.0.1'\n"
                "unix_socket_directories = ''\nwal_level = replica\nmax_wal_senders = 4\n"
                "hot_standby = on\nfsync = off\nsynchronous_commit = off\n"
                "full_page_writes = off\nshared_buffers = 32MB\nmax_connections = 60\n"
            )
        with (primary / "pg_hba.conf").open("a") as hba:
            hba.write("host replication postgres 127.0.0.1/32 trust\n")
        started: list[Path] = []
        try:
            _pg("pg_ctl", "-D", str(primary), "-l", str(folder / "primary.log"), "-w", "start")
            started.append(primary)
            _pg(
                "pg_basebackup",
                "-D",
                str(replica),
                "-h",
                "127.0.0.1",
                "-p",
                str(primary_port),
                "-U",
                "postgres",
                "-X",
                "stream",
                "-R",
                "-c",
                "fast",
            )
            with (replica / "postgresql.auto.conf").open("a") as conf:
                conf.write(f"\nport = {replica_port}\nhot_standby_feedback = on\n")
            _pg("pg_ctl", "-D", str(replica), "-l", str(folder / "replica.log"), "-w", "start")
            started.append(replica)
            yield Standby(
                primary_url=f"postgresql://postgres@127.0.0.1:{primary_port}/postgres",
                replica_url=f"postgresql://postgres@127.0.0.1:{replica_port}/postgres",
                replica_folder=replica,
            )
        finally:
            for data in reversed(started):
                with contextlib.suppress(subprocess.SubprocessError):
                    _pg("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")


def main(argv: list[str]) -> None:
    what = argv[0] if argv else ""
    if what not in {"pgbouncer", "replica"}:
        sys.exit(__doc__)
    reason = available(what)
    if reason:
        sys.exit(reason)
    if what == "pgbouncer":
        server = argv[1] if len(argv) > 1 else "postgresql://postgres@127.0.0.1:5432/postgres"
        with pgbouncer(server) as port:
            print(f"pgbouncer (transaction mode) on 127.0.0.1:{port}; Ctrl-C stops it", flush=True)
            _wait()
    else:
        with hot_standby() as standby:
            print(f"primary {standby.primary_url}\nreplica {standby.replica_url}", flush=True)
            _wait()


def _wait() -> None:
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main(sys.argv[1:])
