"""Verification of ID-porten-style bearer access tokens.

Every request to Relay Log carries an access token issued by ID-porten (or, in development, by
``auth.dev_keys``). ``TokenVerifier.verify`` turns it into a ``VerifiedToken`` or raises
``TokenError`` with a stable ``code`` and a short public message. Each rule exists for a reason:

* Size cap before any parsing: a bearer token is attacker-controlled input; decoding megabytes of
  base64 and JSON is free denial of service.
* Five-part tokens (JWE) are rejected, never decrypted: ID-porten access tokens are signed JWS,
  and decrypting would need private key material in this service and adds a whole attack surface
  (invalid-curve, padding-oracle) for no benefit.
* The ``alg`` header is checked against an explicit allow-list of asymmetric algorithms before a
  key is chosen, and ``jose.jwt.decode`` is called with that single algorithm. This blocks
  ``alg: none`` and *algorithm confusion*: an attacker signing HS256 with our RSA public key (which
  is public) as the HMAC secret. HMAC algorithms cannot even be configured here.
* The key is chosen by ``kid`` from a configured JWKS only. Keys offered inside the token
  (``jwk``, ``jku``, ``x5u``, ``x5c`` headers) are ignored, and the key type/curve and the JWK's own
  ``alg`` must match the header's ``alg``.
* ``exp``, ``iat``, ``aud`` and ``iss`` are required and verified (with a small clock-skew
  leeway): a token without an expiry lives forever, one without an audience may have been minted
  for another service and replayed here, one from another issuer is not ID-porten's. ``aud``
  must be a single string equal to the configured audience, as ID-porten issues it for one API:
  python-jose accepts a list that merely contains it, which is a token meant for several
  services at once (any of which could replay it here). ``iat`` in
  the future (beyond the leeway) is rejected, as is ``nbf`` in the future.
* ID-porten semantics: ``pid`` is the national id (11 digits) and is what guardians are matched
  on; ``acr`` is the level of assurance and must be in the accepted set (``idporten-loa-high`` by
  default; legacy ``Level4`` only if configured), because consent and access to a child's log
  require strong authentication.
* Access tokens only: an ID token is meant for the client that requested it, not for APIs. A
  ``typ``/``token_type`` header saying ``id_token`` or ID-token-only claims (``nonce``,
  ``at_hash``, ``c_hash``) are rejected.
* JSON nested deeper than the parser's recursion limit (a signed payload of 2 000 ``[``) is
  a malformed token, not a crash.
* Error messages are fixed strings: they never echo the token, its claims or the national id, so
  they are safe to log and to return to clients; the national id never reaches a log line.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import httpx
from jose import jwk, jwt
from jose.backends.base import Key
from jose.exceptions import ExpiredSignatureError, JOSEError, JWTClaimsError, JWTError

__all__ = [
    "DEFAULT_ACCEPTED_ACR",
    "DEFAULT_ALGORITHMS",
    "SUPPORTED_ALGORITHMS",
    "Jwks",
    "JwksError",
    "TokenError",
    "TokenErrorCode",
    "TokenVerifier",
    "VerifiedToken",
    "check_jwks_url",
]

TokenErrorCode = Literal[
    "MALFORMED",
    "TOO_LARGE",
    "ENCRYPTED_TOKEN",
    "ALGORITHM_NOT_ALLOWED",
    "UNKNOWN_KEY",
    "BAD_SIGNATURE",
    "EXPIRED",
    "NOT_YET_VALID",
    "WRONG_AUDIENCE",
    "WRONG_ISSUER",
    "MISSING_CLAIM",
    "INVALID_CLAIM",
    "INSUFFICIENT_ASSURANCE",
    "NOT_ACCESS_TOKEN",
]

_MESSAGES: Final[Mapping[TokenErrorCode, str]] = {
    "MALFORMED": "The token is not a well-formed signed JWT.",
    "TOO_LARGE": "The token is too large.",
    "ENCRYPTED_TOKEN": "Encrypted tokens (JWE) are not accepted.",
    "ALGORITHM_NOT_ALLOWED": "The token's signing algorithm is not allowed.",
    "UNKNOWN_KEY": "The token was not signed with a known key.",
    "BAD_SIGNATURE": "The token's signature is invalid.",
    "EXPIRED": "The token has expired.",
    "NOT_YET_VALID": "The token is not valid yet.",
    "WRONG_AUDIENCE": "The token was issued for another audience.",
    "WRONG_ISSUER": "The token was issued by an untrusted issuer.",
    "MISSING_CLAIM": "The token lacks a required claim.",
    "INVALID_CLAIM": "The token has an invalid claim.",
    "INSUFFICIENT_ASSURANCE": "The token's level of assurance is too low.",
    "NOT_ACCESS_TOKEN": "Only access tokens are accepted.",
}

# Asymmetric signature algorithms python-jose verifies, with the key type and curve each needs.
_KEY_REQUIREMENTS: Final[Mapping[str, tuple[str, str | None]]] = {
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "RS512": ("RSA", None),
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
}
SUPPORTED_ALGORITHMS: Final[frozenset[str]] = frozenset(_KEY_REQUIREMENTS)
DEFAULT_ALGORITHMS: Final[tuple[str, ...]] = ("RS256", "ES256")
DEFAULT_ACCEPTED_ACR: Final[frozenset[str]] = frozenset({"idporten-loa-high"})

_PRIVATE_JWK_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_MIN_RSA_BITS: Final = 2048
_MAX_JWKS_BYTES: Final = 1_000_000
_LOOPBACK_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})
_ID_TOKEN_CLAIMS: Final = ("nonce", "at_hash", "c_hash")
_SEGMENT: Final = re.compile(r"[A-Za-z0-9_-]*")
_PID: Final = re.compile(r"[0-9]{11}")


class TokenError(Exception):
    """A bearer token was rejected; ``code`` is stable, ``message`` is safe to show and log."""

    def __init__(self, code: TokenErrorCode, message: str | None = None) -> None:
        self.code: TokenErrorCode = code
        self.message: str = _MESSAGES[code] if message is None else message
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"TokenError(code={self.code!r}, message={self.message!r})"

    def __reduce__(self) -> tuple[type[TokenError], tuple[TokenErrorCode, str]]:
        return (type(self), (self.code, self.message))


class JwksError(Exception):
    """A JWKS could not be loaded or contains no usable public signing key."""


@dataclass(frozen=True)
class VerifiedToken:
    """The identity asserted by a verified access token. ``pid`` is the national id."""

    pid: str = field(repr=False)
    acr: str
    subject: str
    issued_at: datetime
    expires_at: datetime
    claims: Mapping[str, Any] = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"VerifiedToken(pid=<redacted>, acr={self.acr!r}, subject={self.subject!r}, "
            f"issued_at={self.issued_at.isoformat()}, expires_at={self.expires_at.isoformat()})"
        )


class Jwks:
    """Public signing keys by ``kid``, as published on an issuer's ``jwks_uri``.

    Keys not meant for signatures (``use`` other than ``sig``) and key types or algorithms this
    module cannot verify are skipped. Private or symmetric key material, keys without ``kid``,
    duplicate ``kid``s and RSA keys shorter than 2048 bits are configuration errors.
    """

    __slots__ = ("_keys",)

    def __init__(self, keys: Iterable[Mapping[str, Any]]) -> None:
        self._keys: dict[str, dict[str, Any]] = {}
        for raw in keys:
            key = _usable_public_key(raw)
            if key is None:
                continue
            kid = key["kid"]
            if kid in self._keys:
                raise JwksError(f"JWKS has more than one key with kid {kid!r}")
            self._keys[kid] = key
        if not self._keys:
            raise JwksError("JWKS has no usable public signing key")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Jwks:
        if not isinstance(data, Mapping) or not isinstance(data.get("keys"), list):
            raise JwksError('JWKS must be a JSON object with a "keys" list')
        return cls(data["keys"])

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Jwks:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise JwksError(
                f"could not read JWKS file {os.fspath(path)!r}: {exc.strerror}"
            ) from exc
        except ValueError as exc:
            raise JwksError(f"JWKS file {os.fspath(path)!r} is not valid JSON") from exc
        return cls.from_dict(data)

    @classmethod
    def from_url(cls, url: str, timeout: float = 5, *, client: httpx.Client | None = None) -> Jwks:
        """Fetch a JWKS with a synchronous GET (https, or http on loopback for development)."""
        check_jwks_url(url)
        try:
            if client is None:
                response = httpx.get(url, timeout=timeout)
            else:
                response = client.get(url, timeout=timeout)
            response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            raise JwksError(
                f"could not fetch JWKS from {url}: HTTP {exc.response.status_code}"
            ) from exc
        except httpx.HTTPError as exc:
            raise JwksError(f"could not fetch JWKS from {url}: {type(exc).__name__}") from exc
        if len(response.content) > _MAX_JWKS_BYTES:
            raise JwksError(f"JWKS from {url} is larger than {_MAX_JWKS_BYTES} bytes")
        try:
            data = response.json()
        except ValueError as exc:
            raise JwksError(f"JWKS from {url} is not valid JSON") from exc
        return cls.from_dict(data)

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def key_for(self, kid: str) -> dict[str, Any] | None:
        key = self._keys.get(kid)
        return None if key is None else dict(key)

    def to_dict(self) -> dict[str, Any]:
        return {"keys": [dict(key) for key in self._keys.values()]}

    def __repr__(self) -> str:
        return f"Jwks(kids={list(self._keys)!r})"


class TokenVerifier:
    """Verifies ID-porten-style access tokens against a JWKS; see the module docstring."""

    def __init__(
        self,
        jwks: Jwks,
        *,
        issuer: str,
        audience: str,
        algorithms: Sequence[str] = DEFAULT_ALGORITHMS,
        accepted_acr: frozenset[str] = DEFAULT_ACCEPTED_ACR,
        max_token_bytes: int = 8192,
        leeway_seconds: int = 30,
    ) -> None:
        if isinstance(algorithms, str):
            raise ValueError("algorithms must be a sequence of names, not a single string")
        not_allowed = sorted(set(algorithms) - SUPPORTED_ALGORITHMS)
        if not_allowed or not algorithms:
            raise ValueError(
                f"algorithms must be a non-empty subset of {sorted(SUPPORTED_ALGORITHMS)}; "
                f"not allowed: {not_allowed}"
            )
        if not issuer or not audience:
            raise ValueError("issuer and audience must be non-empty")
        if not accepted_acr:
            raise ValueError("accepted_acr must not be empty")
        if max_token_bytes <= 0 or leeway_seconds < 0:
            raise ValueError("max_token_bytes must be positive and leeway_seconds non-negative")
        self.jwks = jwks
        self.issuer = issuer
        self.audience = audience
        self.algorithms: tuple[str, ...] = tuple(algorithms)
        self.accepted_acr = frozenset(accepted_acr)
        self.max_token_bytes = max_token_bytes
        self.leeway_seconds = leeway_seconds

    def verify(self, token: str) -> VerifiedToken:
        """Return the verified identity in ``token`` or raise ``TokenError``."""
        header = self._checked_header(token)
        alg: str = header["alg"]
        key = self._key_for(header, alg)
        claims = self._decode(token, key, alg)
        return self._verified(claims)

    def _checked_header(self, token: str) -> dict[str, Any]:
        if not isinstance(token, str):
            raise TokenError("MALFORMED")
        if len(token) > self.max_token_bytes or len(token.encode()) > self.max_token_bytes:
            raise TokenError("TOO_LARGE")
        segments = token.split(".")
        if not segments[0] or not all(_SEGMENT.fullmatch(segment) for segment in segments):
            raise TokenError("MALFORMED")
        if len(segments) == 5:
            raise TokenError("ENCRYPTED_TOKEN")
        if len(segments) != 3 or not segments[1]:
            raise TokenError("MALFORMED")
        try:
            header = jwt.get_unverified_header(token)
        except (JOSEError, RecursionError):
            raise TokenError("MALFORMED") from None
        if "enc" in header:
            raise TokenError("ENCRYPTED_TOKEN")
        alg = header.get("alg")
        if not isinstance(alg, str) or not alg:
            raise TokenError("MALFORMED")
        if alg not in self.algorithms:
            raise TokenError("ALGORITHM_NOT_ALLOWED")
        if "crit" in header:
            raise TokenError("MALFORMED", "The token uses unsupported critical header parameters.")
        for name in ("typ", "token_type"):
            value = header.get(name)
            if isinstance(value, str) and value.lower().replace("-", "_") == "id_token":
                raise TokenError("NOT_ACCESS_TOKEN")
        return header

    def _key_for(self, header: Mapping[str, Any], alg: str) -> Key:
        kid = header.get("kid")
        key = self.jwks.key_for(kid) if isinstance(kid, str) and kid else None
        if key is None:
            raise TokenError("UNKNOWN_KEY")
        kty, crv = _KEY_REQUIREMENTS[alg]
        if key.get("kty") != kty or key.get("crv") != crv or key.get("alg", alg) != alg:
            raise TokenError("ALGORITHM_NOT_ALLOWED")
        try:
            return _constructed(alg, json.dumps(key, sort_keys=True))
        except JOSEError:
            raise TokenError("UNKNOWN_KEY") from None

    def _decode(self, token: str, key: Key, alg: str) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                options={
                    "require_exp": True,
                    "require_iat": True,
                    "require_aud": True,
                    "require_iss": True,
                    "leeway": self.leeway_seconds,
                },
            )
        except ExpiredSignatureError:
            raise TokenError("EXPIRED") from None
        except JWTClaimsError as exc:
            raise TokenError(_claims_error_code(str(exc))) from None
        except JWTError as exc:
            raise TokenError(_jwt_error_code(str(exc))) from None
        except RecursionError:
            # A correctly signed payload nested deeper than json.loads will go.
            raise TokenError("MALFORMED") from None
        except (TypeError, ValueError, OverflowError):
            # python-jose calls int() on time claims and lets odd types (lists, inf) escape.
            raise TokenError("INVALID_CLAIM") from None

    def _verified(self, claims: dict[str, Any]) -> VerifiedToken:
        audience = claims.get("aud")
        if not (isinstance(audience, str) and audience == self.audience):
            raise TokenError("WRONG_AUDIENCE")
        if any(name in claims for name in _ID_TOKEN_CLAIMS) or claims.get("token_type") == (
            "id_token"
        ):
            raise TokenError("NOT_ACCESS_TOKEN")
        issued_at = _numeric_date(claims["iat"])
        expires_at = _numeric_date(claims["exp"])
        now = datetime.now(UTC).timestamp()
        if issued_at.timestamp() > now + self.leeway_seconds:
            raise TokenError("NOT_YET_VALID")
        if expires_at <= issued_at:
            raise TokenError("INVALID_CLAIM")
        pid = _required(claims, "pid")
        acr = _required(claims, "acr")
        subject = _required(claims, "sub")
        if not _PID.fullmatch(pid):
            raise TokenError("INVALID_CLAIM")
        if acr not in self.accepted_acr:
            raise TokenError("INSUFFICIENT_ASSURANCE")
        return VerifiedToken(
            pid=pid,
            acr=acr,
            subject=subject,
            issued_at=issued_at,
            expires_at=expires_at,
            claims=MappingProxyType(claims),
        )


def check_jwks_url(url: str) -> None:
    """Keys come over https only (plain http on loopback, for development and tests)."""
    parts = urlsplit(url)
    if not (
        parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS)
    ):
        raise JwksError("JWKS URL must use https (plain http only on localhost)")


def _usable_public_key(raw: Mapping[str, Any]) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping):
        raise JwksError("every JWKS entry must be a JSON object")
    key = dict(raw)
    kid = key.get("kid")
    if not isinstance(kid, str) or not kid:
        raise JwksError("every JWKS key must have a non-empty string kid")
    if _PRIVATE_JWK_MEMBERS & key.keys():
        raise JwksError(f"JWKS key {kid!r} contains private or symmetric key material")
    if key.get("use", "sig") != "sig":
        return None
    key_type = (key.get("kty"), key.get("crv"))
    algorithms_for_key = [alg for alg, needs in _KEY_REQUIREMENTS.items() if needs == key_type]
    if not algorithms_for_key:
        return None
    alg = key.get("alg", algorithms_for_key[0])
    if alg not in SUPPORTED_ALGORITHMS:
        return None
    if alg not in algorithms_for_key:
        raise JwksError(f"JWKS key {kid!r} declares alg {alg!r}, which does not fit its key type")
    try:
        jwk.construct(key, alg)
    except (JOSEError, TypeError, ValueError) as exc:
        raise JwksError(f"JWKS key {kid!r} is not a valid public key") from exc
    if key["kty"] == "RSA" and _rsa_modulus_bits(key) < _MIN_RSA_BITS:
        raise JwksError(f"JWKS key {kid!r} is an RSA key shorter than {_MIN_RSA_BITS} bits")
    return key


def _rsa_modulus_bits(key: Mapping[str, Any]) -> int:
    n = str(key.get("n", ""))
    return int.from_bytes(base64.urlsafe_b64decode(n + "=" * (-len(n) % 4)), "big").bit_length()


def _claims_error_code(message: str) -> TokenErrorCode:
    lowered = message.lower()
    if "audience" in lowered or "invalid claim format" in lowered:
        return "WRONG_AUDIENCE"
    if "issuer" in lowered:
        return "WRONG_ISSUER"
    if "not yet valid" in lowered:
        return "NOT_YET_VALID"
    if "at_hash" in lowered:
        return "NOT_ACCESS_TOKEN"
    return "INVALID_CLAIM"


def _jwt_error_code(message: str) -> TokenErrorCode:
    lowered = message.lower()
    if lowered.startswith("missing required key"):
        return "MISSING_CLAIM"
    if "signature verification failed" in lowered:
        return "BAD_SIGNATURE"
    if "alg" in lowered:
        return "ALGORITHM_NOT_ALLOWED"
    return "MALFORMED"


def _numeric_date(value: Any) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise TokenError("INVALID_CLAIM")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise TokenError("INVALID_CLAIM") from None


def _required(claims: Mapping[str, Any], name: str) -> str:
    if name not in claims:
        raise TokenError("MISSING_CLAIM")
    value = claims[name]
    if not isinstance(value, str) or not value:
        raise TokenError("INVALID_CLAIM")
    return value


@lru_cache(maxsize=64)
def _constructed(alg: str, key_json: str) -> Key:
    """A public key parsed once per process (and again when the JWKS holds another one)."""
    return jwk.construct(json.loads(key_json), alg)
