"""Signed checkpoints of the audit trail: a Merkle root over every chain's head.

A chain proves that nobody changed one of its events without changing every later hash, but
whoever can write the database can recompute a whole chain and its head. A checkpoint fixes
the heads at one moment under a signature made with a key that is *not* in the database
(Ed25519, ``relaylog.audit_keys``); exported and kept elsewhere, it shows any later rewrite of
a chain it covers: the event at the checkpointed number must still carry the checkpointed
hash. Leaves and nodes are hashed with distinct prefixes (RFC 6962), so a leaf can never pass
for a node.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import (
    BigInteger,
    DateTime,
    Identity,
    Integer,
    LargeBinary,
    String,
    func,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.audit import AuditChain, AuditEvent, ChainBreak
from models.base import Base, utcnow

__all__ = [
    "FORMAT",
    "AuditCheckpoint",
    "CheckpointInvalid",
    "Head",
    "check_against",
    "export",
    "key_id",
    "merkle_root",
    "parse_export",
    "write_checkpoint",
]

FORMAT = "relaylog-audit-checkpoint/1"


class AuditCheckpoint(Base):
    """One signed checkpoint; the database refuses to change or delete it (trigger)."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow
    )
    chains: Mapped[int] = mapped_column(Integer)
    events: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    heads: Mapped[list[list[Any]]] = mapped_column(JSONB)  # [[chain, seq, hash hex], ...]


@dataclass(frozen=True, slots=True, order=True)
class Head:
    chain: str
    seq: int
    hash: bytes


class CheckpointInvalid(Exception):
    """An exported checkpoint that is not what its signer signed (or not one at all)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _leaf(head: Head) -> bytes:
    return hashlib.sha256(
        b"\x00" + head.chain.encode() + b"\x00" + head.seq.to_bytes(8, "big") + head.hash
    ).digest()


def merkle_root(heads: Iterable[Head]) -> bytes:
    """The root over the heads in chain order (an odd node is carried up a level)."""
    level = [_leaf(h) for h in sorted(heads)]
    if not level:
        return hashlib.sha256(b"").digest()
    while len(level) > 1:
        nxt = [
            hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _message(created_at: datetime, chains: int, events: int, root: bytes, kid: str) -> bytes:
    """What the signature covers; the heads are covered through the root."""
    return json.dumps(
        {
            "format": FORMAT,
            "created_at": created_at.isoformat(),
            "chains": chains,
            "events": events,
            "root": root.hex(),
            "key_id": kid,
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


async def write_checkpoint(session: AsyncSession, key: Ed25519PrivateKey) -> AuditCheckpoint:
    """Sign the current heads of all chains and store the checkpoint (the job the worker
    runs periodically). The heads are read in one statement, so they are one snapshot of
    committed appends; appends running meanwhile go into the next checkpoint."""
    heads = [
        Head(row.chain, row.seq, row.hash)
        for row in await session.execute(select(AuditChain.chain, AuditChain.seq, AuditChain.hash))
    ]
    heads.sort()
    root = merkle_root(heads)
    kid = key_id(key.public_key())
    created_at = utcnow()
    events = sum(h.seq for h in heads)
    checkpoint = AuditCheckpoint(
        created_at=created_at,
        chains=len(heads),
        events=events,
        root=root,
        key_id=kid,
        signature=key.sign(_message(created_at, len(heads), events, root, kid)),
        heads=[[h.chain, h.seq, h.hash.hex()] for h in heads],
    )
    session.add(checkpoint)
    await session.flush()
    return checkpoint


def export(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    """The checkpoint as a document to keep outside the database."""
    return {
        "format": FORMAT,
        "id": checkpoint.id,
        "created_at": checkpoint.created_at.isoformat(),
        "chains": checkpoint.chains,
        "events": checkpoint.events,
        "root": checkpoint.root.hex(),
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature.hex(),
        "heads": checkpoint.heads,
    }


def parse_export(document: Any, public_key: Ed25519PublicKey) -> list[Head]:
    """The heads of an exported checkpoint, once its root and signature hold."""
    try:
        if document["format"] != FORMAT:
            raise CheckpointInvalid(f"not a checkpoint of format {FORMAT}")
        heads = [Head(str(c), int(s), bytes.fromhex(h)) for c, s, h in document["heads"]]
        root = bytes.fromhex(document["root"])
        created_at = datetime.fromisoformat(document["created_at"])
        chains, events = int(document["chains"]), int(document["events"])
        kid, signature = str(document["key_id"]), bytes.fromhex(document["signature"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointInvalid("the file is not a readable audit checkpoint") from exc
    if kid != key_id(public_key):
        raise CheckpointInvalid("the checkpoint was signed with another key")
    try:
        public_key.verify(signature, _message(created_at, chains, events, root, kid))
    except InvalidSignature:
        raise CheckpointInvalid("the checkpoint's signature does not hold") from None
    if merkle_root(heads) != root or len(heads) != chains or sum(h.seq for h in heads) != events:
        raise CheckpointInvalid("the checkpoint's heads are not the ones it signed")
    return heads


async def check_against(session: AsyncSession, heads: Sequence[Head]) -> list[ChainBreak]:
    """Every chain of the checkpoint must still hold, at the checkpointed number, the event
    with the checkpointed hash; with the chains themselves intact (``verify_chains``) that
    proves nothing up to the checkpoint was rewritten."""
    breaks = []
    batch = 1000
    for start in range(0, len(heads), batch):
        part = heads[start : start + batch]
        found = {
            (row.chain, row.chain_seq): (row.id, row.hash)
            for row in await session.execute(
                select(
                    AuditEvent.id, AuditEvent.chain, AuditEvent.chain_seq, AuditEvent.hash
                ).where(
                    tuple_(AuditEvent.chain, AuditEvent.chain_seq).in_(
                        [(h.chain, h.seq) for h in part]
                    )
                )
            )
        }
        for head in part:
            event = found.get((head.chain, head.seq))
            if event is None:
                breaks.append(ChainBreak(head.chain, None, "checkpointed event is missing"))
            elif event[1] != head.hash:
                breaks.append(
                    ChainBreak(head.chain, event[0], "chain was rewritten after the checkpoint")
                )
    return breaks
