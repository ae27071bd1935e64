"""The key that signs audit checkpoints, kept outside the database.

Whoever can write the database can rewrite a whole audit chain; what they cannot do without
this key is sign a checkpoint of the rewritten heads. Production names the key file
(``RELAYLOG_AUDIT_SIGNING_KEY_FILE``, an Ed25519 private key in PEM); dev and demo generate one
in the data folder. Auditors need only the public key (``relaylog audit public-key``).
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from relaylog.settings import ConfigurationError, Settings

__all__ = ["public_key_from_file", "public_pem", "signing_key"]


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    path = settings.audit_signing_key_file
    if path is None:
        if settings.is_production:
            raise ConfigurationError(
                "RELAYLOG_AUDIT_SIGNING_KEY_FILE must be set in production (an Ed25519 PEM key)"
            )
        path = settings.dev_key_dir / "audit-signing.pem"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
            )
            path.write_bytes(pem)
            path.chmod(0o600)
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigurationError(
            f"cannot read the audit signing key ({type(exc).__name__})"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError("the audit signing key must be an Ed25519 key")
    return key


def public_key_from_file(path: Path) -> Ed25519PublicKey:
    """An auditor's copy: a public key PEM, or the private key file itself."""
    try:
        data = path.read_bytes()
        if b"PRIVATE KEY" in data:
            private = load_pem_private_key(data, password=None)
            key = private.public_key() if isinstance(private, Ed25519PrivateKey) else None
        else:
            loaded = load_pem_public_key(data)
            key = loaded if isinstance(loaded, Ed25519PublicKey) else None
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"cannot read the public key ({type(exc).__name__})") from exc
    if key is None:
        raise ConfigurationError("the checkpoint key must be an Ed25519 key")
    return key


def public_pem(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
