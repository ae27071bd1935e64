"""Backups that are known to restore: the two procedures of docs/deployment.md, run once.

1. **pg_dump / pg_restore** (a logical copy, e.g. nightly): a database with the demo
   municipality is dumped (``-Fc``) and restored into a new database; the restored copy has the
   same rows, is at the newest migration and its audit chain verifies with the same head hash.
2. **Point-in-time recovery** (base backup + archived WAL): on a scratch PostgreSQL cluster
   with WAL archiving, a base backup is taken, a good change is made, then a mistake (every
   sparkle deleted); the cluster is restored from the base backup and the archive to the
   moment between the two: the good change is there, the mistake is not.

    .venv/bin/python scripts/backup_restore.py         # TEST_DATABASE_URL, else embedded

The PostgreSQL client and server programs are those the ``pgserver`` package ships (16).
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
    warnings.simplefilter("ignore")
    from pgserver._commands import POSTGRES_BIN_PATH

from models import audit, secrets
from models.audit import AuditEntry
from relaylog.accountability import run_verify
from relaylog.db import async_url, session_scope
from relaylog.demo import load_demo
from relaylog.migrations import upgrade
from relaylog.settings import PROJECT_ROOT

SECRET = b"backup-restore-check-data-secret-0123456789"
TABLES = ("municipality", "organisation", "staff_account", "child", "guardian", "relay_log",
          "note", "sparkle", "measure", "audit_event")  # fmt: skip


def bin_(name: str) -> str:
    return str(POSTGRES_BIN_PATH / name)


def say(text: str) -> None:
    print(f"backup_restore: {text}", flush=True)


async def fill(url: str) -> None:
    """The demo municipality and a stretch of audit trail (as requests append it)."""
    engine = create_async_engine(async_url(url), poolclass=NullPool)
    try:
        async with session_scope(async_sessionmaker(engine)) as session:
            await load_demo(session, date.today())
            await audit.append(
                session,
                [AuditEntry(actor_kind="STAFF", action="READ", fields=("LOG_SUMMARY",))] * 5,
            )
    finally:
        await engine.dispose()


async def facts(url: str) -> dict[str, Any]:
    parsed = make_url(url)
    conn = await asyncpg.connect(
        user=parsed.username or "postgres", host=parsed.query.get("host") or parsed.host,
        port=parsed.port, database=parsed.database, password=parsed.password,
    )  # fmt: skip
    try:
        found: dict[str, Any] = {
            table: await conn.fetchval(f"SELECT count(*) FROM {table}") for table in TABLES
        }
        found["municipalities"] = sorted(
            r[0] for r in await conn.fetch("SELECT name FROM municipality")
        )
        found["revision"] = await conn.fetchval("SELECT version_num FROM alembic_version")
    finally:
        await conn.close()
    chain = await run_verify(url)
    assert not chain.breaks, chain.breaks
    found["audit_heads"] = {
        name: [sequence, head.hex()] for name, (sequence, head) in chain.verification.heads.items()
    }
    return found


async def admin(server: str, sql: str) -> None:
    parsed = make_url(server)
    conn = await asyncpg.connect(
        user=parsed.username or "postgres", host=parsed.query.get("host") or parsed.host,
        port=parsed.port, database="postgres", password=parsed.password,
    )  # fmt: skip
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def libpq(url: str) -> list[str]:
    parsed = make_url(url)
    args = ["-U", parsed.username or "postgres", "-d", str(parsed.database)]
    host = parsed.query.get("host") or parsed.host
    if host:
        args += ["-h", str(host)]
    if parsed.port:
        args += ["-p", str(parsed.port)]
    return args


def dump_and_restore(server: str, work: Path) -> None:
    source = make_url(server).set(database=f"relaylog_backup_{os.getpid()}")
    target = make_url(server).set(database=f"relaylog_restored_{os.getpid()}")
    source_url = source.render_as_string(hide_password=False)
    target_url = target.render_as_string(hide_password=False)
    for url in (source, target):
        asyncio.run(admin(server, f'CREATE DATABASE "{url.database}"'))
    try:
        upgrade(source_url)
        asyncio.run(fill(source_url))
        before = asyncio.run(facts(source_url))
        dump = work / "relaylog.dump"
        subprocess.run(
            [bin_("pg_dump"), "-Fc", "--no-owner", "-f", str(dump), *libpq(source_url)],
            check=True,
        )
        subprocess.run(
            [bin_("pg_restore"), "--no-owner", "--exit-on-error", *libpq(target_url), str(dump)],
            check=True,
        )
        after = asyncio.run(facts(target_url))
        assert after == before, (before, after)
        say(f"pg_dump -Fc / pg_restore: {dump.stat().st_size} bytes, restored copy identical "
            f"({before['audit_event']} audit events, {len(before['audit_heads'])} audit chains, "
            f"revision {before['revision']})")  # fmt: skip
    finally:
        for url in (source, target):
            asyncio.run(admin(server, f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))


class Cluster:
    """A scratch PostgreSQL cluster on a Unix socket in its own folder (as user ``pgserver``
    when run as root: PostgreSQL refuses to run as root)."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.sockets = data.parent / "sockets"
        self.user = "pgserver" if os.geteuid() == 0 else None

    def run(self, *args: str) -> None:
        subprocess.run(list(args), check=True, user=self.user, stdout=subprocess.DEVNULL)

    def own(self, path: Path) -> None:
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            for item in [path, *path.rglob("*")]:
                os.chown(item, entry.pw_uid, entry.pw_gid)

    def start(self) -> None:
        self.run(bin_("pg_ctl"), "-D", str(self.data), "-l", str(self.data / "log"), "-w",
                 "-o", f"-c listen_addresses='' -c unix_socket_directories='{self.sockets}'",
                 "start")  # fmt: skip

    def stop(self) -> None:
        self.run(bin_("pg_ctl"), "-D", str(self.data), "-w", "-m", "fast", "stop")

    def url(self, database: str = "relaylog") -> str:
        return f"postgresql://postgres@/{database}?host={self.sockets}"


def point_in_time(work: Path) -> None:
    work.chmod(0o755)
    archive, data, base = work / "archive", work / "cluster", work / "base"
    archive.mkdir()
    cluster = Cluster(data)
    cluster.sockets.mkdir()
    cluster.own(work)
    cluster.run(bin_("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "utf8")
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"wal_level = replica\narchive_mode = on\narchive_command = 'cp %p {archive}/%f'\n"
        )
    cluster.start()
    try:
        asyncio.run(admin(cluster.url("postgres"), "CREATE DATABASE relaylog"))
        upgrade(cluster.url())
        asyncio.run(fill(cluster.url()))
        cluster.run(bin_("pg_basebackup"), "-D", str(base), "-h", str(cluster.sockets),
                    "-U", "postgres", "-X", "stream", "-c", "fast")  # fmt: skip
        before = asyncio.run(facts(cluster.url()))
        good = "UPDATE municipality SET name = 'Demo kommune (renamed before the mistake)'"
        asyncio.run(admin_db(cluster.url(), good))
        time.sleep(1.5)
        target = asyncio.run(admin_db(cluster.url(), "SELECT now()::text"))
        time.sleep(1.5)
        asyncio.run(admin_db(cluster.url(), "DELETE FROM sparkle"))
        asyncio.run(admin_db(cluster.url(), "SELECT pg_switch_wal()"))
        time.sleep(2)  # the archiver copies the last segment
    finally:
        cluster.stop()
    shutil.rmtree(data)
    shutil.copytree(base, data)
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(f"restore_command = 'cp {archive}/%f %p'\nrecovery_target_time = '{target}'\n"
                   "recovery_target_action = 'promote'\narchive_mode = off\n")  # fmt: skip
    (data / "recovery.signal").touch()
    cluster.own(data)
    cluster.start()
    try:
        after = asyncio.run(facts(cluster.url()))
    finally:
        cluster.stop()
    assert after["sparkle"] == before["sparkle"] > 0, (before, after)
    assert after["municipalities"] == ["Demo kommune (renamed before the mistake)"], after
    say(f"point-in-time recovery to {target}: the rename is kept, the {before['sparkle']} "
        "deleted sparkles are back, the audit chain verifies")  # fmt: skip


async def admin_db(url: str, sql: str) -> str:
    parsed = make_url(url)
    conn = await asyncpg.connect(
        user="postgres", host=parsed.query["host"], database=parsed.database
    )
    try:
        return str(await conn.fetchval(sql))
    finally:
        await conn.close()


def main() -> None:
    secrets.configure(SECRET)
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        from relaylog.embedded import embedded_database_url

        server = embedded_database_url(PROJECT_ROOT / ".data" / "pgtest", database="postgres")
    with tempfile.TemporaryDirectory(prefix="relaylog-backup-", dir="/tmp") as work:
        dump_and_restore(server, Path(work))
    with tempfile.TemporaryDirectory(prefix="relaylog-pitr-", dir="/tmp") as work:
        point_in_time(Path(work))


if __name__ == "__main__":
    main()
