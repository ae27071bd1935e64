"""Trusted documents: the operations the front ends use, committed in ``schema/operations``.

Each file holds one operation; its id is the SHA-256 of the file's text (what Apollo Client's
persisted queries and GraphQL-over-HTTP ``documentId`` send; ``sha256:<hex>`` and bare hex are
both accepted). The first line names the audiences whose endpoints accept it
(``# audiences: STAFF FAMILY``). ``relaylog operations`` prints the manifest for build tools.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from graphql import DocumentNode, OperationDefinitionNode, parse

from auth.policy import Audience

__all__ = [
    "OPERATIONS_DIR",
    "TrustedDocument",
    "document_key",
    "trusted_documents",
]

OPERATIONS_DIR = Path(__file__).parent / "operations"
_AUDIENCES = re.compile(r"^#\s*audiences:\s*(?P<names>[A-Z ]+)\s*$")
_ID = re.compile(r"^(?:sha256:)?(?P<hex>[0-9a-f]{64})$")


@dataclass(frozen=True)
class TrustedDocument:
    id: str  # sha256 hex of the text
    name: str  # the operation's name
    audiences: frozenset[Audience]
    text: str
    document: DocumentNode
    operation_type: str  # "query", "mutation" or "subscription"

    @property
    def document_id(self) -> str:
        """The GraphQL-over-HTTP spelling of the id."""
        return f"sha256:{self.id}"


def _load(path: Path) -> TrustedDocument:
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[0] if text else ""
    match = _AUDIENCES.match(first)
    if match is None:
        raise ValueError(f"{path.name}: the first line must be '# audiences: …'")
    audiences = frozenset(Audience(name) for name in match["names"].split())
    document = parse(text)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].name is None:
        raise ValueError(f"{path.name}: a trusted document holds exactly one named operation")
    return TrustedDocument(
        id=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        name=operations[0].name.value,
        audiences=audiences,
        text=text,
        document=document,
        operation_type=operations[0].operation.value,
    )


@cache
def trusted_documents() -> tuple[TrustedDocument, ...]:
    """Every committed trusted document, by file name."""
    return tuple(_load(path) for path in sorted(OPERATIONS_DIR.glob("*.graphql")))


def document_key(value: object) -> str | None:
    """The sha256 hex a client's ``documentId`` / ``sha256Hash`` names, or ``None``."""
    if not isinstance(value, str):
        return None
    match = _ID.match(value.strip().lower()) if len(value) <= 80 else None
    return match["hex"] if match else None
