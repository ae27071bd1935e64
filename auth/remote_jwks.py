"""The issuer's signing keys from ``RELAYLOG_JWKS_URL``, kept fresh without a restart.

An issuer rotates keys by publishing the new key in its JWKS and then signing with it, so
the first token we see with an unknown ``kid`` is the signal to fetch the JWKS again. That
refetch is *rate-limited* (at most once per ``min_refresh_seconds``): anyone can send a token
with a made-up ``kid``, and each must not become a request to the issuer. Between rotations
the JWKS is also refetched when the issuer's ``Cache-Control: max-age`` has passed (bounded
by ``min_refresh_seconds`` and ``max_age_cap_seconds``), so a key the issuer withdrew stops
being accepted. A failed refetch keeps the keys we have: an issuer that is briefly down does
not sign everybody out. All fetching is asynchronous, one at a time; verification itself
stays synchronous (``auth.tokens.TokenVerifier``).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from auth.tokens import Jwks, JwksError, TokenError, TokenVerifier, VerifiedToken, check_jwks_url

__all__ = ["RemoteJwks", "fetch_jwks"]

log = logging.getLogger("relaylog.jwks")
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d+)", re.IGNORECASE)
_MAX_JWKS_BYTES = 1_000_000


@dataclass(frozen=True, slots=True)
class Fetched:
    jwks: Jwks
    max_age: float | None


def _max_age(response: httpx.Response) -> float | None:
    header = response.headers.get("cache-control", "")
    if "no-store" in header.lower() or "no-cache" in header.lower():
        return 0.0
    match = _MAX_AGE.search(header)
    return float(match[1]) if match else None


def _parsed(url: str, response: httpx.Response) -> Fetched:
    if response.status_code != 200:
        raise JwksError(f"could not fetch JWKS from {url}: HTTP {response.status_code}")
    if len(response.content) > _MAX_JWKS_BYTES:
        raise JwksError(f"JWKS from {url} is larger than {_MAX_JWKS_BYTES} bytes")
    try:
        data = response.json()
    except ValueError as exc:
        raise JwksError(f"JWKS from {url} is not valid JSON") from exc
    return Fetched(Jwks.from_dict(data), _max_age(response))


def fetch_jwks(url: str, timeout: float = 5) -> Fetched:
    """The first fetch, at start-up (blocking: nothing is served yet)."""
    check_jwks_url(url)
    try:
        response = httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        raise JwksError(f"could not fetch JWKS from {url}: {type(exc).__name__}") from exc
    return _parsed(url, response)


class RemoteJwks:
    """Keeps ``verifier.jwks`` in step with the issuer's published JWKS."""

    def __init__(
        self,
        verifier: TokenVerifier,
        url: str,
        *,
        max_age: float | None = None,
        min_refresh_seconds: float = 60,
        default_max_age_seconds: float = 3600,
        max_age_cap_seconds: float = 86_400,
        timeout: float = 5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        check_jwks_url(url)
        self.verifier = verifier
        self.url = url
        self.min_refresh_seconds = min_refresh_seconds
        self.default_max_age_seconds = default_max_age_seconds
        self.max_age_cap_seconds = max_age_cap_seconds
        self.timeout = timeout
        self.clock = clock
        self.fetches = 0
        self._lock = asyncio.Lock()
        self._fetched_at = clock()
        self._expires_at = self._fetched_at + self._lifetime(max_age)

    def _lifetime(self, max_age: float | None) -> float:
        wanted = self.default_max_age_seconds if max_age is None else max_age
        return min(max(wanted, self.min_refresh_seconds), self.max_age_cap_seconds)

    async def verify(self, token: str) -> VerifiedToken:
        """``verifier.verify``, after refetching a JWKS past its max-age, and once more
        (rate-limited) when the token names a key we do not know.

        After an unknown key the token is always verified again, whoever fetched: requests
        that arrive together with a newly rotated key wait for the one fetch in flight (or
        find it just done, within ``min_refresh_seconds``) and then use its keys."""
        if self.clock() >= self._expires_at:
            await self._refresh(reason="max-age")
        try:
            return self.verifier.verify(token)
        except TokenError as exc:
            if exc.code != "UNKNOWN_KEY":
                raise
        await self._refresh(reason="unknown kid")
        return self.verifier.verify(token)

    async def _refresh(self, *, reason: str) -> None:
        """Fetch the JWKS unless one was fetched within ``min_refresh_seconds``. Concurrent
        callers wait for the one fetch in flight."""
        async with self._lock:
            if self.clock() - self._fetched_at < self.min_refresh_seconds:
                return
            self._fetched_at = self.clock()
            self.fetches += 1
            try:
                async with httpx.AsyncClient(timeout=self.timeout) as http:
                    fetched = _parsed(self.url, await http.get(self.url))
            except (httpx.HTTPError, JwksError) as exc:
                # Keep the keys we have; try again after min_refresh_seconds.
                self._expires_at = self._fetched_at + self.min_refresh_seconds
                log.warning(
                    "JWKS refresh failed", extra={"reason": reason, "error": type(exc).__name__}
                )
                return
            self.verifier.jwks = fetched.jwks
            self._expires_at = self._fetched_at + self._lifetime(fetched.max_age)
            log.info("JWKS refreshed", extra={"reason": reason, "keys": len(fetched.jwks.kids)})
