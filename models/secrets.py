"""National ids are stored so that the database alone does not reveal them.

A column holds the id encrypted (Fernet: AES-128-CBC + HMAC) and a second column a keyed
hash (HMAC-SHA256) for look-ups by equality. The keys come from settings at start-up
(``configure``); the domain never reads settings itself, so this module only holds them.

Rotation (``relaylog rotate-data-secret``, ``relaylog.rotation``): while a second, *accepted*
secret is configured, values are written under the current secret only, read under either
(Fernet's ``MultiFernet``), and looked up by both keyed hashes (``lookup_hashes``), so the
service keeps answering while the rows are re-encrypted batch by batch.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = [
    "EncryptedString",
    "SecretsNotConfiguredError",
    "configure",
    "decrypt",
    "keyed_hash",
    "lookup_hashes",
    "rotated",
]


class SecretsNotConfiguredError(RuntimeError):
    pass


@dataclass(frozen=True)
class _Keys:
    fernet: MultiFernet  # encrypts with the current key, decrypts with either
    current: Fernet
    hash_key: bytes
    accepted_hash_key: bytes | None


_keys: _Keys | None = None


def _derive(secret: bytes) -> tuple[Fernet, bytes]:
    if len(secret) < 32:
        raise ValueError("the data-protection secret must be at least 32 bytes")
    enc = hashlib.sha256(b"relaylog/encrypt/" + secret).digest()
    mac = hashlib.sha256(b"relaylog/lookup/" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(enc)), mac


def configure(secret: bytes, accepted: bytes | None = None) -> None:
    """Derive the encryption and hashing keys from the configured secret (≥32 bytes) and,
    during a rotation, from the accepted one (read and looked up, never written)."""
    global _keys
    current, mac = _derive(secret)
    fernets = [current]
    accepted_mac = None
    if accepted is not None and accepted != secret:
        other, accepted_mac = _derive(accepted)
        fernets.append(other)
    _keys = _Keys(MultiFernet(fernets), current, mac, accepted_mac)


def _require() -> _Keys:
    if _keys is None:
        raise SecretsNotConfiguredError("data-protection keys are not configured")
    return _keys


def keyed_hash(value: str) -> bytes:
    """The hash written with a value: under the current secret."""
    return hmac.new(_require().hash_key, value.encode(), hashlib.sha256).digest()


def lookup_hashes(value: str) -> tuple[bytes, ...]:
    """Every hash a stored row of ``value`` may carry: the current one first and, during a
    rotation, the accepted secret's (rows not yet rotated). Look-ups match any of them."""
    keys = _require()
    hashes = [keyed_hash(value)]
    if keys.accepted_hash_key is not None:
        hashes.append(hmac.new(keys.accepted_hash_key, value.encode(), hashlib.sha256).digest())
    return tuple(hashes)


def rotated(token: bytes) -> tuple[str, bytes] | None:
    """``None`` when ``token`` is already under the current key; otherwise its plain text and
    the same value encrypted under the current key (rotation, one value at a time)."""
    keys = _require()
    try:
        keys.current.decrypt(token)
        return None
    except InvalidToken:
        pass
    plain = decrypt(token)
    return plain, keys.current.encrypt(plain.encode())


def decrypt(token: bytes) -> str:
    """The plain text of a value ``EncryptedString`` stored (a compiled read's national ids)."""
    try:
        return _require().fernet.decrypt(token).decode()
    except InvalidToken as exc:  # wrong key: never fall back to showing ciphertext
        raise SecretsNotConfiguredError("stored personal data cannot be decrypted") from exc


class EncryptedString(TypeDecorator[str]):
    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        return _require().fernet.encrypt(str(value).encode())

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return decrypt(bytes(value))
