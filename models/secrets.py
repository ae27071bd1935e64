"""National ids are stored so that the database alone does not reveal them.

A column holds the id encrypted (Fernet: AES-128-CBC + HMAC) and a second column a keyed
hash (HMAC-SHA256) for look-ups by equality. The keys come from settings at start-up
(``configure``); the domain never reads settings itself, so this module only holds them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import LargeBinary
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = [
    "EncryptedString",
    "SecretsNotConfiguredError",
    "configure",
    "decrypt",
    "keyed_hash",
]


class SecretsNotConfiguredError(RuntimeError):
    pass


@dataclass(frozen=True)
class _Keys:
    fernet: Fernet
    hash_key: bytes


_keys: _Keys | None = None


def configure(secret: bytes) -> None:
    """Derive the encryption and hashing keys from one configured secret (≥32 bytes)."""
    global _keys
    if len(secret) < 32:
        raise ValueError("the data-protection secret must be at least 32 bytes")
    enc = hashlib.sha256(b"relaylog/encrypt/" + secret).digest()
    mac = hashlib.sha256(b"relaylog/lookup/" + secret).digest()
    _keys = _Keys(Fernet(base64.urlsafe_b64encode(enc)), mac)


def _require() -> _Keys:
    if _keys is None:
        raise SecretsNotConfiguredError("data-protection keys are not configured")
    return _keys


def keyed_hash(value: str) -> bytes:
    return hmac.new(_require().hash_key, value.encode(), hashlib.sha256).digest()


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
