"""A local SMTP server (aiosmtpd) that keeps what it receives: the demo's mail box, written
to ``.data/mail/`` as one ``.eml`` file per mail, and the tests' real SMTP server."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

__all__ = ["MailSink", "ReceivedMail"]


@dataclass(frozen=True)
class ReceivedMail:
    recipients: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def text(self) -> str:
        """Headers and body as text (the body decoded), for searching."""
        message = self.message
        body = message.get_body(preferencelist=("plain",))
        content = body.get_content() if body is not None else ""
        return self.raw.decode("utf-8", "replace") + "\n" + str(content)


@dataclass
class _Handler:
    directory: Path | None
    received: list[ReceivedMail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    numbers: Any = field(default_factory=lambda: itertools.count(1))

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        mail = ReceivedMail(tuple(envelope.rcpt_tos), bytes(raw))
        with self.lock:
            self.received.append(mail)
            number = next(self.numbers)
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory / f"{number:05d}.eml").write_bytes(mail.raw)
        return "250 Message accepted for delivery"


class MailSink:
    """``with MailSink(port=0) as sink:`` an SMTP server on 127.0.0.1 (``sink.port``)."""

    def __init__(self, directory: Path | None = None, host: str = "127.0.0.1", port: int = 0):
        self.handler = _Handler(directory)
        self.host = host
        self.controller = Controller(self.handler, hostname=host, port=port or _free_port(host))

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def received(self) -> list[ReceivedMail]:
        with self.handler.lock:
            return list(self.handler.received)

    def start(self) -> MailSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
