import base64
import hashlib
import hmac
import json
import pickle
import shutil
import stat
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk, jwt

from auth.dev_keys import JWKS_FILENAME, PRIVATE_KEY_FILENAME, DevKeys
from auth.tokens import Jwks, JwksError, TokenError, TokenVerifier, VerifiedToken

ISSUER = "https://idporten.test"
AUDIENCE = "https://relaylog.test"
PID = "15889010069"  # synthetic national id (month + 80), valid check digits
OTHER_PID = "02818710049"
DROP = object()
HOUR = timedelta(hours=1)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(value: Any) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def rsa_private_pem(key_size: int = 2048) -> bytes:
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.fixture(scope="module")
def generated_key_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generated key per module: RSA generation and loading are too slow to repeat."""
    directory = tmp_path_factory.mktemp("dev-keys")
    DevKeys.load_or_create(directory)
    return directory


@pytest.fixture(scope="module")
def dev_keys(generated_key_directory: Path) -> DevKeys:
    return DevKeys.load_or_create(generated_key_directory)


@pytest.fixture
def key_directory(tmp_path: Path, generated_key_directory: Path) -> Path:
    """A private copy of the generated key directory for tests that touch the files."""
    directory = tmp_path / "keys"
    shutil.copytree(generated_key_directory, directory)
    return directory


@pytest.fixture
def verifier(dev_keys: DevKeys) -> TokenVerifier:
    return TokenVerifier(Jwks.from_dict(dev_keys.jwks()), issuer=ISSUER, audience=AUDIENCE)


def claims_for(dev_keys: DevKeys, **changes: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": dev_keys.subject_for(PID),
        "pid": PID,
        "acr": "idporten-loa-high",
        "iat": now,
        "exp": now + 300,
    }
    for name, value in changes.items():
        if value is DROP:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


def sign(
    dev_keys: DevKeys,
    claims: Mapping[str, Any],
    headers: Mapping[str, Any] | None = None,
    private_pem: bytes | None = None,
) -> str:
    header: dict[str, Any] = {"kid": dev_keys.kid, "typ": "at+jwt"}
    header.update(headers or {})
    header = {name: value for name, value in header.items() if value is not DROP}
    return jwt.encode(
        dict(claims), private_pem or dev_keys.private_pem, algorithm="RS256", headers=header
    )


def assert_rejected(verifier: TokenVerifier, token: str, code: str) -> TokenError:
    with pytest.raises(TokenError) as caught:
        verifier.verify(token)
    error = caught.value
    assert error.code == code
    for text in (error.message, str(error), repr(error), *map(str, error.args)):
        assert PID not in text
        assert token not in text or not token
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__
    return error


class TestValidTokens:
    def test_a_minted_access_token_verifies(
        self, dev_keys: DevKeys, verifier: TokenVerifier
    ) -> None:
        now = datetime.now(UTC).replace(microsecond=0)
        token = dev_keys.mint(PID, issuer=ISSUER, audience=AUDIENCE, now=now)

        verified = verifier.verify(token)

        assert verified.pid == PID
        assert verified.acr == "idporten-loa-high"
        assert verified.subject == dev_keys.subject_for(PID)
        assert verified.issued_at == now
        assert verified.expires_at == now + timedelta(hours=8)
        assert verified.claims["iss"] == ISSUER

    def test_verified_token_repr_hides_the_national_id(
        self, dev_keys: DevKeys, verifier: TokenVerifier
    ) -> None:
        verified = verifier.verify(dev_keys.mint(PID, issuer=ISSUER, audience=AUDIENCE))

        assert PID not in repr(verified)
        assert PID not in str(verified)
        assert "redacted" in repr(verified)

    def test_verified_claims_are_read_only(
        self, dev_keys: DevKeys, verifier: TokenVerifier
    ) -> None:
        verified = verifier.verify(dev_keys.mint(PID, issuer=ISSUER, audience=AUDIENCE))

        with pytest.raises(TypeError):
            verified.claims["pid"] = OTHER_PID  # type: ignore[index]

    def test_a_token_expired_within_the_leeway_is_accepted(
        self, dev_keys: DevKeys, verifier: TokenVerifier
    ) -> None:
        now = int(datetime.now(UTC).timestamp())
        token = sign(dev_keys, claims_for(dev_keys, iat=now - 600, exp=now - 10))

        assert verifier.verify(token).pid == PID

    def test_legacy_level4_is_accepted_only_when_configured(self, dev_keys: DevKeys) -> None:
        token = dev_keys.mint(PID, issuer=ISSUER, audience=AUDIENCE, acr="Level4")
        legacy = TokenVerifier(
            Jwks.from_dict(dev_keys.jwks()),
            issuer=ISSUER,
            audience=AUDIENCE,
            accepted_acr=frozenset({"idporten-loa-high", "Level4"}),
        )
        strict = TokenVerifier(Jwks.from_dict(dev_keys.jwks()), issuer=ISSUER, audience=AUDIENCE)

        assert legacy.verify(token).acr == "Level4"
        assert_rejected(strict, token, "INSUFFICIENT_ASSURANCE")

    def test_an_es256_token_verifies_against_an_ec_key(self, dev_keys: DevKeys) -> None:
        ec_pem = (
            ec.generate_private_key(ec.SECP256R1())
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode()
        )
        public_jwk = jwk.construct(ec_pem, "ES256").public_key().to_dict()
        public_jwk["kid"] = "ec-1"
        token = jwt.encode(claims_for(dev_keys), ec_pem, algorithm="ES256", headers={"kid": "ec-1"})
        verifier = TokenVerifier(
            Jwks.from_dict({"keys": [public_jwk]}), issuer=ISSUER, audience=AUDIENCE
        )

        assert verifier.verify(token).pid == PID


class TestRejectedClaims:
    @pytest.mark.parametrize(
        ("changes", "code"),
        [
            pytest.param({"iat": -HOUR * 2, "exp": -HOUR}, "EXPIRED", id="expired"),
            pytest.param({"iat": HOUR, "exp": HOUR * 2}, "NOT_YET_VALID", id="iat-in-the-future"),
            pytest.param({"nbf": HOUR}, "NOT_YET_VALID", id="nbf-in-the-future"),
            pytest.param({"aud": "https://other.test"}, "WRONG_AUDIENCE", id="wrong-audience"),
            pytest.param({"aud": ["https://other.test"]}, "WRONG_AUDIENCE", id="wrong-aud-list"),
            pytest.param({"aud": 42}, "WRONG_AUDIENCE", id="aud-not-a-string"),
            pytest.param(
                {"aud": [AUDIENCE, "https://other.example/"]},
                "WRONG_AUDIENCE",
                id="aud-list-naming-us-and-another",
            ),
            pytest.param({"aud": [AUDIENCE]}, "WRONG_AUDIENCE", id="aud-list-of-only-us"),
            pytest.param({"iss": "https://evil.test"}, "WRONG_ISSUER", id="wrong-issuer"),
            pytest.param({"exp": DROP}, "MISSING_CLAIM", id="missing-exp"),
            pytest.param({"iat": DROP}, "MISSING_CLAIM", id="missing-iat"),
            pytest.param({"aud": DROP}, "MISSING_CLAIM", id="missing-aud"),
            pytest.param({"iss": DROP}, "MISSING_CLAIM", id="missing-iss"),
            pytest.param({"pid": DROP}, "MISSING_CLAIM", id="missing-pid"),
            pytest.param({"acr": DROP}, "MISSING_CLAIM", id="missing-acr"),
            pytest.param({"sub": DROP}, "MISSING_CLAIM", id="missing-sub"),
            pytest.param(
                {"acr": "idporten-loa-substantial"}, "INSUFFICIENT_ASSURANCE", id="acr-substantial"
            ),
            pytest.param({"acr": "Level4"}, "INSUFFICIENT_ASSURANCE", id="legacy-level4"),
            pytest.param({"acr": ["idporten-loa-high"]}, "INVALID_CLAIM", id="acr-list"),
            pytest.param({"pid": "1588901006"}, "INVALID_CLAIM", id="pid-10-digits"),
            pytest.param({"pid": "1588901006x"}, "INVALID_CLAIM", id="pid-not-digits"),
            pytest.param({"pid": "١٥٨٨٩٠١٠٠٦٩"}, "INVALID_CLAIM", id="pid-non-ascii-digits"),
            pytest.param({"pid": 15889010069}, "INVALID_CLAIM", id="pid-number"),
            pytest.param({"exp": "soon"}, "INVALID_CLAIM", id="exp-not-a-number"),
            pytest.param({"exp": [1]}, "INVALID_CLAIM", id="exp-list"),
            pytest.param({"iat": "0"}, "INVALID_CLAIM", id="iat-string"),
            pytest.param({"exp": 1e300}, "INVALID_CLAIM", id="exp-out-of-range"),
            pytest.param(
                {"iat": timedelta(0), "exp": timedelta(seconds=-5)},
                "INVALID_CLAIM",
                id="exp-before-iat",
            ),
            pytest.param({"sub": 7}, "INVALID_CLAIM", id="sub-not-a-string"),
            pytest.param({"nonce": "n-0S6_WzA2Mj"}, "NOT_ACCESS_TOKEN", id="id-token-nonce"),
            pytest.param({"at_hash": "77QmUPtjPfzWtF2AnpK9RQ"}, "NOT_ACCESS_TOKEN", id="at-hash"),
            pytest.param({"token_type": "id_token"}, "NOT_ACCESS_TOKEN", id="token-type-claim"),
        ],
    )
    def test_a_token_with_bad_claims_is_rejected(
        self,
        dev_keys: DevKeys,
        verifier: TokenVerifier,
        changes: dict[str, Any],
        code: str,
    ) -> None:
        now = datetime.now(UTC)
        resolved = {
            name: int((now + value).timestamp()) if isinstance(value, timedelta) else value
            for name, value in changes.items()
        }
        token = sign(dev_keys, claims_for(dev_keys, **resolved))

        assert_rejected(verifier, token, code)

    def test_an_expired_minted_token_is_rejected(
        self, dev_keys: DevKeys, verifier: TokenVerifier
    ) -> None:
        token = dev_keys.mint(
            PID,
            issuer=ISSUER,
            audience=AUDIENCE,
            now=datetime.now(UTC) - timedelta(hours=9),
        )

        assert_rejected(verifier, token, "EXPIRED")

    def test_a_token_minted_in_the_future_is_not_yet_valid(
        self, dev_keys: DevKeys, verifier: TokenVerifier
    ) -> None:
        token = dev_keys.mint(
            PID, issuer=ISSUER, audience=AUDIENCE, now=datetime.now(UTC) + timedelta(minutes=5)
        )

        assert_rejected(verifier, token, "NOT_YET_VALID")


class TestRejectedHeaders:
    @pytest.mark.parametrize(
        ("headers", "code"),
        [
            pytest.param({"kid": DROP}, "UNKNOWN_KEY", id="missing-kid"),
            pytest.param({"kid": "no-such-key"}, "UNKNOWN_KEY", id="unknown-kid"),
            pytest.param({"kid": ""}, "UNKNOWN_KEY", id="empty-kid"),
            pytest.param({"kid": ["x"]}, "UNKNOWN_KEY", id="kid-not-a-string"),
            pytest.param({"typ": "id_token"}, "NOT_ACCESS_TOKEN", id="typ-id-token"),
            pytest.param({"token_type": "ID_TOKEN"}, "NOT_ACCESS_TOKEN", id="token-type-id-token"),
            pytest.param({"crit": ["exp"]}, "MALFORMED", id="critical-header"),
            pytest.param({"enc": "A256GCM"}, "ENCRYPTED_TOKEN", id="enc-header"),
        ],
    )
    def test_a_token_with_a_bad_header_is_rejected(
        self,
        dev_keys: DevKeys,
        verifier: TokenVerifier,
        headers: dict[str, Any],
        code: str,
    ) -> None:
        token = sign(dev_keys, claims_for(dev_keys), headers)

        assert_rejected(verifier, token, code)

    def test_a_header_pointing_at_its_own_key_is_ignored(
        self, dev_keys: DevKeys, verifier: TokenVerifier
    ) -> None:
        attacker_pem = rsa_private_pem()
        attacker_jwk = jwk.construct(attacker_pem, "RS256").public_key().to_dict()
        token = sign(
            dev_keys,
            claims_for(dev_keys),
            {"jwk": attacker_jwk, "jku": "https://evil.test/jwks"},
            private_pem=attacker_pem,
        )

        assert_rejected(verifier, token, "BAD_SIGNATURE")


class TestAlgorithmConfusion:
    @pytest.mark.parametrize("alg", ["none", "None", "NONE", ""])
    def test_an_unsigned_token_is_rejected(
        self, dev_keys: DevKeys, verifier: TokenVerifier, alg: str
    ) -> None:
        header = b64url_json({"alg": alg, "typ": "at+jwt", "kid": dev_keys.kid})
        token = f"{header}.{b64url_json(claims_for(dev_keys))}."

        expected = "MALFORMED" if alg == "" else "ALGORITHM_NOT_ALLOWED"
        assert_rejected(verifier, token, expected)

    def test_an_alg_none_token_with_a_copied_signature_is_rejected(
        self, dev_keys: DevKeys, verifier: TokenVerifier
    ) -> None:
        signature = dev_keys.mint(PID, issuer=ISSUER, audience=AUDIENCE).rsplit(".", 1)[1]
        header = b64url_json({"alg": "none", "kid": dev_keys.kid})
        token = f"{header}.{b64url_json(claims_for(dev_keys))}.{signature}"

        assert_rejected(verifier, token, "ALGORITHM_NOT_ALLOWED")

    @pytest.mark.parametrize(
        "secret",
        [
            pytest.param("pem", id="public-key-pem"),
            pytest.param("jwks-json", id="public-jwks-json"),
        ],
    )
    @pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
    def test_hmac_signed_with_the_public_key_is_rejected(
        self, dev_keys: DevKeys, verifier: TokenVerifier, secret: str, alg: str
    ) -> None:
        public_pem = (
            serialization.load_pem_private_key(dev_keys.private_pem, password=None)
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        key = public_pem if secret == "pem" else json.dumps(dev_keys.jwks()).encode()
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
        signing_input = (
            f"{b64url_json({'alg': alg, 'typ': 'JWT', 'kid': dev_keys.kid})}."
            f"{b64url_json(claims_for(dev_keys))}"
        )
        signature = b64url(hmac.new(key, signing_input.encode(), digest).digest())

        assert_rejected(verifier, f"{signing_input}.{signature}", "ALGORITHM_NOT_ALLOWED")

    def test_es256_claimed_for_an_rsa_key_is_rejected(
        self, dev_keys: DevKeys, verifier: TokenVerifier
    ) -> None:
        rs256 = sign(dev_keys, claims_for(dev_keys))
        _, payload, signature = rs256.split(".")
        header = b64url_json({"alg": "ES256", "kid": dev_keys.kid})

        assert_rejected(verifier, f"{header}.{payload}.{signature}", "ALGORITHM_NOT_ALLOWED")

    def test_an_algorithm_outside_the_configured_list_is_rejected(self, dev_keys: DevKeys) -> None:
        only_es256 = TokenVerifier(
            Jwks.from_dict(dev_keys.jwks()), issuer=ISSUER, audience=AUDIENCE, algorithms=["ES256"]
        )

        assert_rejected(
            only_es256,
            dev_keys.mint(PID, issuer=ISSUER, audience=AUDIENCE),
            "ALGORITHM_NOT_ALLOWED",
        )

    @pytest.mark.parametrize(
        "algorithms",
        [
            pytest.param(["HS256"], id="hmac"),
            pytest.param(["RS256", "none"], id="none"),
            pytest.param([], id="empty"),
            pytest.param("RS256", id="bare-string"),
            pytest.param(["PS256"], id="unsupported"),
        ],
    )
    def test_a_verifier_cannot_be_configured_with_unsafe_algorithms(
        self, dev_keys: DevKeys, algorithms: Any
    ) -> None:
        with pytest.raises(ValueError, match="algorithms"):
            TokenVerifier(
                Jwks.from_dict(dev_keys.jwks()),
                issuer=ISSUER,
                audience=AUDIENCE,
                algorithms=algorithms,
            )


class TestRejectedSignatures:
    def test_a_tampered_payload_is_rejected(
        self, dev_keys: DevKeys, verifier: TokenVerifier
    ) -> None:
        header, _, signature = dev_keys.mint(PID, issuer=ISSUER, audience=AUDIENCE).split(".")
        forged = b64url_json(claims_for(dev_keys, pid=OTHER_PID))

        assert_rejected(verifier, f"{header}.{forged}.{signature}", "BAD_SIGNATURE")

    def test_a_token_signed_by_another_key_with_the_same_kid_is_rejected(
        self, dev_keys: DevKeys, verifier: TokenVerifier
    ) -> None:
        token = sign(dev_keys, claims_for(dev_keys), private_pem=rsa_private_pem())

        assert_rejected(verifier, token, "BAD_SIGNATURE")

    @pytest.mark.parametrize(
        "signature",
        [
            pytest.param("", id="stripped"),
            pytest.param("AAAA", id="short"),
            pytest.param(b64url(b"\x00" * 256), id="zeros"),
        ],
    )
    def test_a_missing_or_bogus_signature_is_rejected(
        self, dev_keys: DevKeys, verifier: TokenVerifier, signature: str
    ) -> None:
        header, payload, _ = dev_keys.mint(PID, issuer=ISSUER, audience=AUDIENCE).split(".")

        assert_rejected(verifier, f"{header}.{payload}.{signature}", "BAD_SIGNATURE")

    def test_a_signed_payload_that_is_not_json_is_rejected(
        self, dev_keys: DevKeys, verifier: TokenVerifier
    ) -> None:
        key = jwk.construct(dev_keys.private_pem, "RS256")
        header = b64url_json({"alg": "RS256", "kid": dev_keys.kid})
        signing_input = f"{header}.{b64url(b'not json')}"
        signature = b64url(key.sign(signing_input.encode()))

        assert_rejected(verifier, f"{signing_input}.{signature}", "MALFORMED")

    @pytest.mark.parametrize("depth", [2000, 4000])
    def test_a_signed_payload_nested_deeper_than_json_parses_is_malformed(
        self, dev_keys: DevKeys, verifier: TokenVerifier, depth: int
    ) -> None:
        claims = json.dumps(claims_for(dev_keys), separators=(",", ":"))
        payload = claims[:-1] + ',"x":' + "[" * depth + "]" * depth + "}"
        key = jwk.construct(dev_keys.private_pem, "RS256")
        header = b64url_json({"alg": "RS256", "kid": dev_keys.kid})
        signing_input = f"{header}.{b64url(payload.encode())}"
        signature = b64url(key.sign(signing_input.encode()))
        verifier.max_token_bytes = 16_000

        assert_rejected(verifier, f"{signing_input}.{signature}", "MALFORMED")

    def test_a_header_nested_deeper_than_json_parses_is_malformed(
        self, dev_keys: DevKeys, verifier: TokenVerifier
    ) -> None:
        _, payload, signature = dev_keys.mint(PID, issuer=ISSUER, audience=AUDIENCE).split(".")
        header = b64url(('{"alg":"RS256","x":' + "[" * 2000 + "]" * 2000 + "}").encode())

        assert_rejected(verifier, f"{header}.{payload}.{signature}", "MALFORMED")


class TestRejectedShapes:
    def test_an_over_long_token_is_rejected_before_parsing(
        self, dev_keys: DevKeys, verifier: TokenVerifier
    ) -> None:
        token = dev_keys.mint(PID, issuer=ISSUER, audience=AUDIENCE, extra={"pad": "x" * 9000})

        assert_rejected(verifier, token, "TOO_LARGE")
        assert_rejected(verifier, "%" * 10_000, "TOO_LARGE")

    def test_the_size_cap_counts_bytes_not_characters(self, dev_keys: DevKeys) -> None:
        small = TokenVerifier(
            Jwks.from_dict(dev_keys.jwks()), issuer=ISSUER, audience=AUDIENCE, max_token_bytes=100
        )

        assert_rejected(small, "ø" * 60, "TOO_LARGE")

    def test_a_five_part_jwe_is_rejected_without_decrypting(
        self, dev_keys: DevKeys, verifier: TokenVerifier
    ) -> None:
        header = b64url_json({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": dev_keys.kid})
        token = ".".join([header, b64url(b"k" * 256), b64url(b"i" * 12), b64url(b"c"), "AAAA"])

        assert_rejected(verifier, token, "ENCRYPTED_TOKEN")

    @pytest.mark.parametrize(
        "token",
        [
            pytest.param("", id="empty"),
            pytest.param("not a token", id="words"),
            pytest.param("a.b", id="two-parts"),
            pytest.param("a.b.c.d", id="four-parts"),
            pytest.param("a.b.c", id="short-segments"),
            pytest.param("..", id="empty-segments"),
            pytest.param("....", id="empty-five-parts"),
            pytest.param("ø.ø.ø", id="non-ascii"),
            pytest.param(f"{b64url(b'not json')}.e30.", id="header-not-json"),
            pytest.param(f"{b64url_json(['RS256'])}.e30.", id="header-json-array"),
            pytest.param(f"{b64url_json({'alg': 7})}.e30.", id="alg-not-a-string"),
            pytest.param(f"{b64url_json({'typ': 'JWT'})}.e30.", id="no-alg"),
            pytest.param("eyJhbGciOiJSUzI1NiJ9.e30=.AAAA", id="padded-segment"),
            pytest.param("eyJhbGciOiJSUzI1NiJ9 .e30.AAAA", id="whitespace"),
        ],
    )
    def test_garbage_is_rejected_as_malformed(self, verifier: TokenVerifier, token: str) -> None:
        assert_rejected(verifier, token, "MALFORMED")

    def test_a_bearer_prefixed_token_is_malformed(
        self, dev_keys: DevKeys, verifier: TokenVerifier
    ) -> None:
        token = dev_keys.mint(PID, issuer=ISSUER, audience=AUDIENCE)

        assert_rejected(verifier, f"Bearer {token}", "MALFORMED")

    @pytest.mark.parametrize("value", [None, b"a.b.c", 42])
    def test_a_token_that_is_not_a_string_is_malformed(
        self, verifier: TokenVerifier, value: Any
    ) -> None:
        with pytest.raises(TokenError) as caught:
            verifier.verify(value)

        assert caught.value.code == "MALFORMED"


class TestTokenErrors:
    @pytest.mark.parametrize(
        "make_token",
        [
            pytest.param(lambda keys: keys.mint(PID, issuer="x", audience=AUDIENCE), id="issuer"),
            pytest.param(lambda keys: keys.mint(PID, issuer=ISSUER, audience="x"), id="audience"),
            pytest.param(
                lambda keys: keys.mint(PID, issuer=ISSUER, audience=AUDIENCE, acr="low"), id="acr"
            ),
            pytest.param(
                lambda keys: keys.mint(PID, issuer=ISSUER, audience=AUDIENCE, extra={"nonce": PID}),
                id="nonce-holding-pid",
            ),
            pytest.param(
                lambda keys: keys.mint(
                    PID, issuer=ISSUER, audience=AUDIENCE, extra={"pid": PID[:9]}
                ),
                id="short-pid",
            ),
            pytest.param(
                lambda keys: keys.mint(PID, issuer=ISSUER, audience=AUDIENCE, headers={"kid": PID}),
                id="kid-holding-pid",
            ),
        ],
    )
    def test_messages_never_contain_the_national_id_or_the_token(
        self,
        dev_keys: DevKeys,
        verifier: TokenVerifier,
        make_token: Callable[[DevKeys], str],
    ) -> None:
        token = make_token(dev_keys)

        with pytest.raises(TokenError) as caught:
            verifier.verify(token)

        error = caught.value
        for text in (error.message, str(error), repr(error), "".join(map(str, error.args))):
            assert PID not in text
            assert PID[:9] not in text
            assert token not in text
            for segment in token.split("."):
                assert segment not in text
        assert error.__cause__ is None
        assert error.__context__ is None or error.__suppress_context__

    def test_str_includes_the_code_and_the_public_message(self) -> None:
        error = TokenError("EXPIRED")

        assert str(error) == f"EXPIRED: {error.message}"
        assert error.message

    def test_token_errors_survive_pickling(self) -> None:
        error = pickle.loads(pickle.dumps(TokenError("WRONG_AUDIENCE")))

        assert (error.code, error.message) == (
            "WRONG_AUDIENCE",
            TokenError("WRONG_AUDIENCE").message,
        )


class TestJwks:
    def test_from_file_round_trips_what_dev_keys_writes(
        self, key_directory: Path, dev_keys: DevKeys
    ) -> None:
        jwks = Jwks.from_file(key_directory / JWKS_FILENAME)

        assert jwks.to_dict() == dev_keys.jwks()
        assert jwks.key_for(dev_keys.kid) == dev_keys.public_jwk
        assert jwks.key_for("no-such-key") is None
        assert jwks.kids == (dev_keys.kid,)

    def test_key_for_returns_a_copy(self, dev_keys: DevKeys) -> None:
        jwks = Jwks.from_dict(dev_keys.jwks())
        key = jwks.key_for(dev_keys.kid)
        assert key is not None

        key["n"] = "AQAB"

        assert jwks.key_for(dev_keys.kid) == dev_keys.public_jwk

    def test_from_file_reports_a_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(JwksError, match="could not read"):
            Jwks.from_file(tmp_path / "missing.json")

    def test_keys_for_encryption_and_unsupported_types_are_skipped(self, dev_keys: DevKeys) -> None:
        encryption_key = {**dev_keys.public_jwk, "kid": "enc-1", "use": "enc"}
        okp_key = {"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "kid": "okp-1"}
        jwks = Jwks.from_dict({"keys": [dev_keys.public_jwk, encryption_key, okp_key]})

        assert jwks.kids == (dev_keys.kid,)

    @pytest.mark.parametrize(
        ("make_keys", "match"),
        [
            pytest.param(lambda keys: {}, '"keys" list', id="no-keys-member"),
            pytest.param(lambda keys: {"keys": []}, "no usable", id="empty"),
            pytest.param(
                lambda keys: {"keys": [{k: v for k, v in keys.public_jwk.items() if k != "kid"}]},
                "kid",
                id="missing-kid",
            ),
            pytest.param(
                lambda keys: {"keys": [keys.public_jwk, keys.public_jwk]},
                "more than one",
                id="duplicate-kid",
            ),
            pytest.param(
                lambda keys: {"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}]},
                "private or symmetric",
                id="symmetric-key",
            ),
            pytest.param(
                lambda keys: {
                    "keys": [
                        {
                            **jwk.construct(keys.private_pem, "RS256").to_dict(),
                            "kid": "with-private-part",
                        }
                    ]
                },
                "private or symmetric",
                id="private-key",
            ),
            pytest.param(
                lambda keys: {
                    "keys": [
                        {
                            **jwk.construct(rsa_private_pem(1024), "RS256").public_key().to_dict(),
                            "kid": "rsa-1024",
                        }
                    ]
                },
                "shorter than 2048",
                id="tiny-rsa-key",
            ),
        ],
    )
    def test_unsafe_or_broken_jwks_are_refused(
        self, dev_keys: DevKeys, make_keys: Callable[[DevKeys], dict[str, Any]], match: str
    ) -> None:
        with pytest.raises(JwksError, match=match):
            Jwks.from_dict(make_keys(dev_keys))

    def test_from_url_fetches_a_jwks(self, dev_keys: DevKeys) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            assert request.url == "https://idporten.test/jwks.json"
            return httpx.Response(200, json=dev_keys.jwks())

        with httpx.Client(transport=httpx.MockTransport(handler)) as client:
            jwks = Jwks.from_url("https://idporten.test/jwks.json", client=client)

        assert jwks.to_dict() == dev_keys.jwks()

    @pytest.mark.parametrize(
        ("response", "match"),
        [
            pytest.param(httpx.Response(500), "HTTP 500", id="server-error"),
            pytest.param(
                httpx.Response(302, headers={"location": "http://evil.test/"}),
                "HTTP 302",
                id="redirect",
            ),
            pytest.param(httpx.Response(200, text="<html>"), "not valid JSON", id="not-json"),
            pytest.param(httpx.Response(200, json={"keys": []}), "no usable", id="no-keys"),
        ],
    )
    def test_from_url_turns_failures_into_clear_errors(
        self, response: httpx.Response, match: str
    ) -> None:
        transport = httpx.MockTransport(lambda request: response)

        with (
            httpx.Client(transport=transport) as client,
            pytest.raises(JwksError, match=match),
        ):
            Jwks.from_url("https://idporten.test/jwks.json", client=client)

    def test_from_url_reports_a_network_failure(self) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("connection refused", request=request)

        with (
            httpx.Client(transport=httpx.MockTransport(handler)) as client,
            pytest.raises(JwksError, match="ConnectError"),
        ):
            Jwks.from_url("https://idporten.test/jwks.json", client=client)

    def test_from_url_refuses_plain_http_except_on_localhost(self) -> None:
        with pytest.raises(JwksError, match="https"):
            Jwks.from_url("http://idporten.test/jwks.json")


class TestDevKeys:
    def test_load_or_create_reuses_the_key_on_a_second_call(
        self, key_directory: Path, dev_keys: DevKeys
    ) -> None:
        again = DevKeys.load_or_create(key_directory)

        assert again.kid == dev_keys.kid
        assert again.private_pem == dev_keys.private_pem
        assert again.public_jwk == dev_keys.public_jwk

    def test_a_new_key_is_written_readable_only_by_its_owner(self, tmp_path: Path) -> None:
        created = DevKeys.load_or_create(tmp_path / "fresh")

        mode = (tmp_path / "fresh" / PRIVATE_KEY_FILENAME).stat().st_mode
        assert stat.S_IMODE(mode) == 0o600
        assert Jwks.from_file(tmp_path / "fresh" / JWKS_FILENAME).kids == (created.kid,)

    def test_a_missing_jwks_file_is_rewritten_from_the_private_key(
        self, key_directory: Path, dev_keys: DevKeys
    ) -> None:
        (key_directory / JWKS_FILENAME).unlink()

        again = DevKeys.load_or_create(key_directory)

        assert Jwks.from_file(key_directory / JWKS_FILENAME).to_dict() == again.jwks()
        assert again.kid == dev_keys.kid

    def test_the_public_jwk_holds_no_private_material(self, dev_keys: DevKeys) -> None:
        assert set(dev_keys.public_jwk) == {"kty", "kid", "use", "alg", "n", "e"}
        assert "PRIVATE" not in repr(dev_keys)

    def test_minted_subject_is_a_stable_pseudonym_not_the_pid(
        self, dev_keys: DevKeys, verifier: TokenVerifier
    ) -> None:
        first = verifier.verify(dev_keys.mint(PID, issuer=ISSUER, audience=AUDIENCE))
        second = verifier.verify(dev_keys.mint(PID, issuer=ISSUER, audience=AUDIENCE))
        other = verifier.verify(dev_keys.mint(OTHER_PID, issuer=ISSUER, audience=AUDIENCE))

        assert first.subject == second.subject
        assert first.subject != other.subject
        assert PID not in first.subject
        assert first.subject != hashlib.sha256(PID.encode()).hexdigest()

    def test_minted_tokens_carry_kid_and_access_token_typ(self, dev_keys: DevKeys) -> None:
        header = jwt.get_unverified_header(dev_keys.mint(PID, issuer=ISSUER, audience=AUDIENCE))

        assert header == {"alg": "RS256", "kid": dev_keys.kid, "typ": "at+jwt"}

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            pytest.param({"pid": "123"}, "11 digits", id="short-pid"),
            pytest.param({"lifetime": timedelta(0)}, "lifetime", id="zero-lifetime"),
            pytest.param({"now": datetime(2025, 1, 1)}, "timezone", id="naive-now"),
            pytest.param({"headers": {"alg": "none"}}, "alg", id="alg-override"),
        ],
    )
    def test_mint_refuses_bad_arguments(
        self, dev_keys: DevKeys, kwargs: dict[str, Any], match: str
    ) -> None:
        arguments: dict[str, Any] = {"pid": PID, "issuer": ISSUER, "audience": AUDIENCE, **kwargs}

        with pytest.raises(ValueError, match=match):
            dev_keys.mint(**arguments)


def test_verified_token_is_a_frozen_dataclass() -> None:
    now = datetime.now(UTC)
    token = VerifiedToken(
        pid=PID, acr="idporten-loa-high", subject="s", issued_at=now, expires_at=now, claims={}
    )

    with pytest.raises(AttributeError):
        token.pid = OTHER_PID  # type: ignore[misc]
