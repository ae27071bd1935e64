"""A private PostgreSQL (the ``pgserver`` package) for when no database URL is configured.

It is a real PostgreSQL 16 server in a local folder, so the demo and the tests run the same
SQL as production with nothing installed but Python packages.

pgserver counts the processes using a server in ``<data dir>/.handle_pids.json`` and stops the
server when the last one exits (an ``atexit`` hook; ``relaylog.cli`` turns SIGTERM into a normal
exit so that hook runs). A process killed outright (SIGKILL, power loss) leaves its pid in that
list, and pgserver would then never stop the server again; pids of processes that no longer
exist are removed here before a server is opened.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path
from typing import Any

from relaylog.settings import ConfigurationError

__all__ = ["embedded_database_url", "forget_dead_handles"]

log = logging.getLogger(__name__)
_servers: dict[Path, Any] = {}


def embedded_database_url(data_dir: Path, database: str = "relaylog") -> str:
    """Start (or reuse) the embedded server in ``data_dir`` and return a URL to ``database``."""
    data_dir = data_dir.resolve()
    server = _servers.get(data_dir)
    if server is None:
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
                warnings.simplefilter("ignore")
                import pgserver
                from pgserver.postgres_server import PostgresServer

                with PostgresServer._lock:
                    forget_dead_handles(data_dir)
                server = pgserver.get_server(data_dir, cleanup_mode="stop")
        except Exception as exc:
            raise ConfigurationError(
                f"could not start the embedded PostgreSQL in {data_dir}: {type(exc).__name__}"
            ) from exc
        _servers[data_dir] = server
        log.info("embedded PostgreSQL started", extra={"data_dir": str(data_dir)})
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    return f"postgresql://postgres@/{database}?host={data_dir}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def forget_dead_handles(data_dir: Path) -> list[int]:
    """Drop the pids of exited processes from pgserver's handle list; return those dropped."""
    path = data_dir / ".handle_pids.json"
    try:
        pids = [int(pid) for pid in json.loads(path.read_text())]
    except (OSError, ValueError, TypeError):
        return []
    dead = [pid for pid in pids if not _alive(pid)]
    if dead:
        path.write_text(json.dumps([pid for pid in pids if pid not in dead]))
    return dead
