"""Development and demo signing key: mints ID-porten-style access tokens for demo users.

Never configure this key in production. The private key lives unencrypted in a local directory
(``dev-signing-key.pem``, mode 0600) next to the matching public ``jwks.json``, which a
``TokenVerifier`` can load with ``Jwks.from_file``. Demo users must use synthetic national ids.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt

__all__ = ["JWKS_FILENAME", "PRIVATE_KEY_FILENAME", "DevKeys"]

PRIVATE_KEY_FILENAME: Final = "dev-signing-key.pem"
JWKS_FILENAME: Final = "jwks.json"
_ALGORITHM: Final = "RS256"
_KID_LENGTH: Final = 16
_PID: Final = re.compile(r"[0-9]{11}")
_SUBJECT_CONTEXT: Final = b"relaylog dev subject v1\x00"


@dataclass
class DevKeys:
    """An RSA-2048 signing key with its public JWK; ``kid`` is a short RFC 7638 thumbprint."""

    kid: str
    private_pem: bytes = field(repr=False)
    public_jwk: dict[str, Any]

    def jwks(self) -> dict[str, Any]:
        return {"keys": [dict(self.public_jwk)]}

    @classmethod
    def load_or_create(cls, directory: Path) -> DevKeys:
        """Load the key in ``directory``, generating and writing it on first use."""
        directory = Path(directory)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        key_path = directory / PRIVATE_KEY_FILENAME
        if not key_path.exists():
            _write_new_private_key(key_path)
        private_pem = key_path.read_bytes()
        public_jwk = _public_jwk(_load_rsa_private_key(private_pem).public_key())
        keys = cls(kid=public_jwk["kid"], private_pem=private_pem, public_jwk=public_jwk)
        jwks_path = directory / JWKS_FILENAME
        jwks_text = json.dumps(keys.jwks(), indent=2, sort_keys=True) + "\n"
        if not jwks_path.exists() or jwks_path.read_text(encoding="utf-8") != jwks_text:
            temporary = jwks_path.with_name(f".{JWKS_FILENAME}.{secrets.token_hex(4)}.tmp")
            temporary.write_text(jwks_text, encoding="utf-8")
            temporary.replace(jwks_path)
        return keys

    def subject_for(self, pid: str) -> str:
        """A stable pseudonymous ``sub`` for ``pid``: keyed by this private key, not reversible."""
        secret = hashlib.sha256(_SUBJECT_CONTEXT + self.private_pem).digest()
        digest = hmac.new(secret, pid.encode(), hashlib.sha256).digest()
        return _b64url(digest)

    def mint(
        self,
        pid: str,
        *,
        issuer: str,
        audience: str,
        lifetime: timedelta = timedelta(hours=8),
        acr: str = "idporten-loa-high",
        now: datetime | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """Sign an RS256 access token; ``extra`` claims and ``headers`` override the defaults."""
        if not _PID.fullmatch(pid):
            raise ValueError("pid must be a national id of 11 digits")
        if lifetime <= timedelta(0):
            raise ValueError("lifetime must be positive")
        if now is None:
            now = datetime.now(UTC)
        elif now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        if headers is not None and "alg" in headers:
            raise ValueError("the algorithm is always RS256; do not override alg")
        issued_at = int(now.timestamp())
        claims: dict[str, Any] = {
            "iss": issuer,
            "aud": audience,
            "sub": self.subject_for(pid),
            "pid": pid,
            "acr": acr,
            "iat": issued_at,
            "exp": issued_at + int(lifetime.total_seconds()),
            "jti": secrets.token_urlsafe(16),
        }
        claims.update(extra or {})
        header: dict[str, Any] = {"kid": self.kid, "typ": "at+jwt"}
        header.update(headers or {})
        return jwt.encode(claims, self.private_pem, algorithm=_ALGORITHM, headers=header)


def _write_new_private_key(path: Path) -> None:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process created it first; use theirs
    with os.fdopen(fd, "wb") as file:
        os.fchmod(file.fileno(), 0o600)
        file.write(pem)


def _load_rsa_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    private_key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey) or private_key.key_size < 2048:
        raise ValueError(f"{PRIVATE_KEY_FILENAME} must hold an RSA key of at least 2048 bits")
    return private_key


def _public_jwk(public_key: rsa.RSAPublicKey) -> dict[str, Any]:
    numbers = public_key.public_numbers()
    e = _b64url(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big"))
    n = _b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big"))
    thumbprint_input = json.dumps({"e": e, "kty": "RSA", "n": n}, separators=(",", ":"))
    thumbprint = _b64url(hashlib.sha256(thumbprint_input.encode()).digest())
    return {
        "kty": "RSA",
        "kid": thumbprint[:_KID_LENGTH],
        "use": "sig",
        "alg": _ALGORITHM,
        "n": n,
        "e": e,
    }


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
