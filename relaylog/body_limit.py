"""Refuse request bodies over a size limit before they are read into memory.

The largest legitimate request is ``createLog`` with its signed consent forms (at most a few
files of 10 MB, base64-encoded); anything larger is refused with 413 and never parsed. The
limit may depend on the request (``limit_for``): every other request is far smaller.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relaylog.http_limits import graphql_error_response

__all__ = ["BodySizeLimit"]


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    def __init__(
        self, app: ASGIApp, max_bytes: int, limit_for: Callable[[Scope], int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        if self.limit_for is not None:
            limit = min(limit, self.limit_for(scope))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(limit, scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except BodyTooLarge:
            await self._refuse(limit, scope, receive, send)

    async def _refuse(self, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
        response = graphql_error_response(413, f"The request is larger than {limit} bytes.")
        await response(scope, receive, send)
