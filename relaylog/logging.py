"""Structured (JSON) logging that cannot print a national id or a token.

Our own code logs ids, never names; the filter is the safety net for everything else
(library messages, exception texts): national ids and JWT-shaped strings are masked. A
national id is recognised by its shape (11 digits, a space allowed after the birth date) and
its valid mod-11 check digits and date (``models.national_id``), so the digit runs of hex
request ids, timestamps or counters stay readable; only about one random 11-digit run in a
hundred passes the checks and is masked anyway.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from models.national_id import is_valid_national_id

__all__ = ["RedactingFilter", "RequestIdFilter", "configure_logging", "redact", "request_id_var"]

# The id of the HTTP request being answered (set by ``relaylog.access_log``), for every line.
request_id_var: ContextVar[str | None] = ContextVar("relaylog_request_id", default=None)

_NATIONAL_ID = re.compile(r"(?<!\d)(\d{6})\s?(\d{5})(?!\d)")
_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")
_BEARER = re.compile(r"(?i)bearer\s+\S+")
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


def redact(text: str) -> str:
    text = _BEARER.sub("Bearer [redacted]", text)
    text = _JWT.sub("[token]", text)
    return _NATIONAL_ID.sub(_mask_national_id, text)


def _mask_national_id(match: re.Match[str]) -> str:
    if is_valid_national_id(match[1] + match[2]):
        return "[national-id]"
    return match[0]


def _redacted(value: Any) -> Any:
    """Redact every string inside nested extras, not only top-level ones."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redacted(item) for item in value]
    return value


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str):
                record.__dict__[key] = redact(value)
        return True


class RequestIdFilter(logging.Filter):
    """Every line written while a request is answered names that request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            request_id = request_id_var.get()
            if request_id is not None:
                record.request_id = request_id
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            {
                k: v
                for k, v in record.__dict__.items()
                if k not in _STANDARD and not k.startswith("_")
            }
        )
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
        return json.dumps(_redacted(entry), default=lambda value: redact(str(value)))


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    # One INFO line per outgoing request (JWKS fetches): relaylog.jwks says what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if root.getEffectiveLevel() > logging.DEBUG:
        # procrastinate logs each job and each periodic task it registers at INFO (a tick a
        # minute), the demo's SMTP sink (aiosmtpd, "mail.log") every connection: our own
        # lines say what matters; at DEBUG theirs come back.
        logging.getLogger("procrastinate").setLevel(logging.WARNING)
        logging.getLogger("mail.log").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # uvicorn's access log prints the query string; relaylog.access_log writes one without.
    logging.getLogger("uvicorn.access").disabled = True
