"""Every message the code speaks, per domain: what the catalogs must hold.

Here, in the layer that wires everything, because it reads every layer: the typed errors of
all packages, the printed labels of ``exports``, the mails of ``relaylog`` (the catalogs
themselves, and ``translate``, are ``models.i18n``: every layer speaks, imports point down).

The ``errors`` domain is extracted from the source with Babel (the typed errors' first
argument, nouns marked ``N_``, the noun arguments of the id helpers); the other domains are
the tables that define them (printed labels, enumeration labels, mail texts), read at run
time so nothing can be defined and forgotten. ``scripts/i18n.py`` writes the ``.pot``
templates and merges new messages into every ``.po``; ``tests/i18n`` fails on any gap.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

from babel.messages.extract import extract_from_file

from models.i18n import REQUIRED, Domain, Language

__all__ = [
    "ERROR_KEYWORDS",
    "ERROR_SOURCES",
    "FAMILY_ERRORS",
    "Message",
    "messages",
    "required_languages",
]

ROOT = Path(__file__).resolve().parents[1]
# Where typed errors are raised (the packages of the service).
ERROR_SOURCES = ("models", "auth", "resolvers", "schema", "exports", "relaylog")
# The domain's own tables, extracted from their modules instead.
_OTHER_DOMAINS = {"exports/labels.py", "models/i18n/enums.py", "relaylog/mail_texts.py"}
ERROR_KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "N_": None,
    "DomainError": None,
    "NotAllowed": None,
    "NotFound": None,
    "InvalidInput": None,
    "ConsentRequired": None,
    "Conflict": None,
    "LogClosed": None,
    "ClientError": (2,),  # resolvers.errors: the code first, then the message
    # nouns that fill "No such {label}.": the id helpers' label argument
    "reference": (3,),
    "optional_id": (3,),
    "_kind": (3,),
    "_in_log": (6,),
}


@dataclass(frozen=True, order=True, slots=True)
class Message:
    context: str | None
    id: str
    where: str  # "path:line", or the table that defines it


# The typed errors a guardian or a youth can meet on /graphql/family (signing in, sparkles,
# notes, consent in the app, transfers they approve, their own preferences, the printed log):
# Northern Sami has these; the other staff-facing errors fall back to bokmål for ``se``.
FAMILY_ERRORS: frozenset[str] = frozenset(
    {
        "Sign in first.",
        "The bearer token is not valid; sign in again.",
        "Your sign-in has expired; sign in again.",
        "This endpoint does not serve you; send your requests to {endpoint}.",
        "Sign in with BankID (ID-porten, high level) to do this.",
        "You may not do this in this log.",
        "Someone else changed this first; reload and try again.",
        "The change breaks a rule of the log.",
        "No such {label}.",
        "No such log.",
        "No such transfer.",
        "log",
        "note",
        "sparkle",
        "consent",
        "transfer",
        "point of attention",
        "meeting",
        "measure",
        "The log is closed and can no longer be changed.",
        "The log is paused; resume it first.",
        "occurredOn must not be in the future.",
        "{field} must not be empty.",
        "{field} must be at most {max_length} characters.",
        "{field} {problem}.",
        "must not contain the character U+0000",
        "must be valid Unicode text",
        "{field} must be between {earliest_date} and {latest_date}.",
        "Only a guardian with parental responsibility consents.",
        "Only a youth of the municipality's consent age consents for themself.",
        "This consent is already withdrawn.",
        "You have already approved this transfer.",
        "This transfer is no longer waiting.",
        "Only those whose consent counts for this log approve a transfer.",
        "Only those whose consent counts for this log refuse a transfer.",
        "You may not write adults-only notes.",
        "{field} must name at least one scope.",
        "{field} names a scope twice.",
        "reason must be at most {withdrawn_reason_max} characters.",
        "Only staff and guardians get e-mail from Relay Log.",
        "{field} is not an e-mail address.",
        "The log is too large to export as one PDF (at most {measures} measures, "
        "{characters} characters of text and {pages} pages).",
    }
)


def required_languages(domain: Domain, message: Message) -> tuple[Language, ...]:
    """The languages whose catalog must translate this message."""
    if domain is Domain.ERRORS and message.id in FAMILY_ERRORS:
        return (*REQUIRED[domain], Language.SE)
    if domain is Domain.ENUMS:
        from models.i18n.enums import FAMILY_SEEN, PRINTED

        if message.context in {enum.__name__ for enum in PRINTED}:
            return tuple(Language)
        if message.context in FAMILY_SEEN:
            return (*REQUIRED[domain], Language.SE)
    return REQUIRED[domain]


def _error_messages() -> list[Message]:
    found = []
    for package in ERROR_SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative in _OTHER_DOMAINS:
                continue
            # Babel names on stderr every f-string it skips: field paths such as
            # f"{prefix}givenOn" are arguments too, and are rightly not messages.
            with contextlib.redirect_stderr(io.StringIO()):
                extracted = extract_from_file(
                    "python", str(path), keywords=ERROR_KEYWORDS, comment_tags=()
                )
            for lineno, message, _comments, context in extracted:
                if isinstance(message, str) and message:
                    found.append(Message(context, message, f"{relative}:{lineno}"))
    return found


def messages(domain: Domain) -> list[Message]:
    """The messages of one domain, sorted, one entry per (context, id)."""
    if domain is Domain.ERRORS:
        found = _error_messages()
    elif domain is Domain.PDF:
        from exports.labels import LABEL_IDS

        found = [
            Message(key, msgid, f"exports/labels.py:{key}") for key, msgid in LABEL_IDS.items()
        ]
    elif domain is Domain.ENUMS:
        from models.i18n.enums import ENGLISH

        found = [
            Message(enum, label, f"models/i18n/enums.py:{enum}.{value}")
            for enum, labels in ENGLISH.items()
            for value, label in labels.items()
        ]
    else:
        from relaylog.mail_texts import MAIL_MESSAGES

        found = [Message(None, msgid, "relaylog/mail_texts.py") for msgid in MAIL_MESSAGES]
    unique: dict[tuple[str | None, str], Message] = {}
    for message in sorted(found):
        unique.setdefault((message.context, message.id), message)
    return sorted(unique.values())
