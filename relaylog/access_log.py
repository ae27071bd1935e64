"""One line per HTTP request: method, path, status, duration, request id; never the query
string, never the body.

uvicorn's own access log prints the full target, query string included, so a GraphiQL or
GET request such as ``/graphql?query={staffDirectory(nameContains:"Hanne Holder")…}`` put a
name in the log. ``relaylog.logging`` silences that logger and this middleware writes the
access log instead. The path is taken from the ASGI scope, which holds it without the
query; a path that is not one of the app's routes is logged as such, not echoed (a client
may put anything there).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ACCESS_LOGGER", "AccessLog"]

ACCESS_LOGGER = "relaylog.access"
log = logging.getLogger(ACCESS_LOGGER)


class AccessLog:
    def __init__(self, app: ASGIApp, paths: Collection[str]) -> None:
        self.app = app
        self.paths = frozenset(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers if the app fails before it starts a response

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            path = scope.get("path", "")
            request_id = dict(scope.get("headers") or []).get(b"x-request-id", b"")
            log.info(
                "request",
                extra={
                    "method": scope.get("method"),
                    "path": path if path in self.paths else "[other path]",
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "request_id": request_id.decode("latin-1")[:64] or None,
                },
            )
