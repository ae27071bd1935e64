"""The app factory uvicorn's workers call: ``relaylog.asgi:create_app``.

``relaylog serve`` checks the configuration and the database once, then hands uvicorn this
import string, so each worker process (``--workers N``) builds its own app, engine and pool
on its own event loop. The parent passes what it resolved (the database URL of the embedded
server, the demo mode) in the environment, so a worker starts no PostgreSQL of its own.
"""

from __future__ import annotations

from starlette.applications import Starlette

from relaylog.db import resolve_database_url
from relaylog.logging import configure_logging
from relaylog.services import build_app, build_services
from relaylog.settings import get_settings

__all__ = ["create_app"]


def create_app() -> Starlette:
    settings = get_settings()
    configure_logging(settings.log_level)
    return build_app(build_services(settings, resolve_database_url(settings)))
