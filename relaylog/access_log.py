"""Every HTTP request gets an id, one access line and its metrics; never the query string,
never the body.

* **Request ids.** A client's (or proxy's) ``x-request-id`` is kept when it looks like an
  id (1–64 of ``A-Z a-z 0-9 . _ : -``), otherwise one is generated; it is returned in the
  response's ``x-request-id``, put on every log line written while the request runs
  (``relaylog.logging.request_id_var``), and recorded with the request's audit entries.
* **Access lines.** uvicorn's own access log prints the full target, query string
  included, so a GraphiQL or GET request such as
  ``/graphql?query={staffDirectory(nameContains:"Hanne Holder")…}`` put a name in the log.
  ``relaylog.logging`` silences that logger and this middleware writes the access log
  instead: method, route path, status, duration. The path is taken from the ASGI scope,
  which holds it without the query; a path that is not one of the app's routes is logged
  as such, not echoed (a client may put anything there). Health probes that succeed are
  not logged: a load balancer asks every few seconds.
* **Metrics** (``relaylog.metrics``): the endpoint, the trusted operation and the outcome
  the GraphQL view left in the request's state.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Collection

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relaylog.logging import request_id_var
from relaylog.metrics import Metrics

__all__ = ["ACCESS_LOGGER", "AccessLog", "request_id_of"]

ACCESS_LOGGER = "relaylog.access"
log = logging.getLogger(ACCESS_LOGGER)
_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,64}")
_QUIET = frozenset({"/healthz", "/readyz", "/metrics"})


def request_id_of(scope: Scope) -> str:
    """The request's id: the one ``AccessLog`` chose (a fresh one outside it, in tests)."""
    state = scope.get("state") or {}
    return state.get("relaylog_request_id") or uuid.uuid4().hex


def _chosen_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers") or []:
        if name == b"x-request-id" and _REQUEST_ID.fullmatch(value):
            return value.decode("ascii")
    return uuid.uuid4().hex


class AccessLog:
    def __init__(
        self,
        app: ASGIApp,
        paths: Collection[str],
        prefixes: Collection[str] = (),
        metrics: Metrics | None = None,
    ) -> None:
        self.app = app
        self.paths = frozenset(paths)
        self.prefixes = tuple(prefixes)
        self.metrics = metrics

    def _route(self, path: str) -> str | None:
        if path in self.paths:
            return path
        return next((prefix for prefix in self.prefixes if path.startswith(prefix + "/")), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers if the app fails before it starts a response
        request_id = _chosen_request_id(scope)
        state = scope.setdefault("state", {})
        state["relaylog_request_id"] = request_id
        token = request_id_var.set(request_id)

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"x-request-id"
                ]
                headers.append((b"x-request-id", request_id.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            seconds = time.perf_counter() - started
            route = self._route(scope.get("path", ""))
            if not (route in _QUIET and status < 400):
                log.info(
                    "request",
                    extra={
                        "method": scope.get("method"),
                        "path": route or "[other path]",
                        "status": status,
                        "duration_ms": round(seconds * 1000, 1),
                    },
                )
            if self.metrics is not None:
                self.metrics.observe_request(
                    route or "other",
                    state.get("relaylog_operation", "none"),
                    _outcome(status, state.get("relaylog_outcome")),
                    seconds,
                )
            request_id_var.reset(token)


def _outcome(status: int, graphql_outcome: str | None) -> str:
    if status == 401:
        return "unauthenticated"
    if status == 503:
        return "unavailable"
    if status >= 500:
        return "server_error"
    if graphql_outcome is not None:
        return graphql_outcome
    return "request_error" if status >= 400 else "ok"
