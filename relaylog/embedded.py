"""A private PostgreSQL (the ``pgserver`` package) for when no database URL is configured.

It is a real PostgreSQL 16 server in a local folder, so the demo and the tests run the same
SQL as production with nothing installed but Python packages.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

from relaylog.settings import ConfigurationError

__all__ = ["embedded_database_url"]

log = logging.getLogger(__name__)
_servers: dict[Path, Any] = {}


def embedded_database_url(data_dir: Path, database: str = "relaylog") -> str:
    """Start (or reuse) the embedded server in ``data_dir`` and return a URL to ``database``."""
    import pgserver

    data_dir = data_dir.resolve()
    server = _servers.get(data_dir)
    if server is None:
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
                warnings.simplefilter("ignore")
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
