"""Turn settings into running parts: keys, token verifier, engine, the ASGI app."""

from __future__ import annotations

from pyhanko.sign.signers import SimpleSigner
from sqlalchemy.ext.asyncio import async_sessionmaker

from auth.dev_keys import DevKeys
from auth.tokens import Jwks, JwksError, TokenVerifier
from exports import demo_ca, signing
from models import secrets
from relaylog.app import Services, build_app
from relaylog.db import RequestSession, check_database, create_engine
from relaylog.migrations import current_revision, head_revision
from relaylog.settings import ConfigurationError, Settings

__all__ = [
    "archive_signing",
    "build_app",
    "configure_archive_signing",
    "configure_data_protection",
    "dev_keys",
    "make_verifier",
    "open_services",
]

ACCEPTED_ACR = frozenset({"idporten-loa-high"})


def configure_data_protection(settings: Settings) -> None:
    secrets.configure(settings.resolved_data_secret())


def archive_signing(settings: Settings) -> signing.ArchiveSigning:
    """The certificate archive copies are signed with, and the roots that verify it."""
    chain = [str(settings.signing_chain)] if settings.signing_chain else None
    roots_file = settings.signing_trust_roots
    signer: SimpleSigner | None
    if settings.signing_pkcs12 is not None:
        passphrase = settings.signing_pkcs12_passphrase
        signer = SimpleSigner.load_pkcs12(
            str(settings.signing_pkcs12),
            ca_chain_files=chain,
            passphrase=passphrase.get_secret_value().encode() if passphrase else None,
        )
    elif settings.signing_key is not None and settings.signing_cert is not None:
        passphrase = settings.signing_key_passphrase
        signer = SimpleSigner.load(
            str(settings.signing_key),
            str(settings.signing_cert),
            ca_chain_files=chain,
            key_passphrase=passphrase.get_secret_value().encode() if passphrase else None,
        )
    elif settings.signing_key is not None or settings.signing_cert is not None:
        raise ConfigurationError("set both RELAYLOG_SIGNING_KEY and RELAYLOG_SIGNING_CERT")
    elif settings.is_production:
        raise ConfigurationError(
            "set RELAYLOG_SIGNING_PKCS12 (or RELAYLOG_SIGNING_KEY and RELAYLOG_SIGNING_CERT) "
            "in production: archive copies are signed with the municipality's certificate"
        )
    else:
        demo = demo_ca.load_or_create(settings.data_dir / "signing")
        signer = SimpleSigner.load(
            str(demo.key), str(demo.certificate), ca_chain_files=[str(demo.ca)]
        )
        roots_file = roots_file or demo.ca
    if signer is None or signer.signing_cert is None:
        raise ConfigurationError("cannot load the archive signing certificate and key")
    if roots_file is None:
        raise ConfigurationError("set RELAYLOG_SIGNING_TRUST_ROOTS (PEM) to verify signatures")
    try:
        roots = signing.load_certificates([roots_file])
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the trust roots in {roots_file}") from exc
    organisation = signer.signing_cert.subject.native.get("organization_name", "")
    return signing.ArchiveSigning(signer=signer, trust_roots=roots, location=str(organisation))


def configure_archive_signing(settings: Settings) -> None:
    signing.configure(archive_signing(settings))


def dev_keys(settings: Settings) -> DevKeys:
    if settings.is_production:
        raise ConfigurationError("development signing keys are not available in production")
    return DevKeys.load_or_create(settings.dev_key_dir)


def make_verifier(settings: Settings) -> TokenVerifier:
    try:
        if settings.jwks_file is not None:
            jwks = Jwks.from_file(settings.jwks_file)
        elif settings.jwks_url is not None:
            jwks = Jwks.from_url(settings.jwks_url)
        elif settings.is_production:
            raise ConfigurationError("set RELAYLOG_JWKS_FILE or RELAYLOG_JWKS_URL in production")
        else:
            jwks = Jwks.from_dict(dev_keys(settings).jwks())
    except JwksError as exc:
        raise ConfigurationError(f"cannot load the token keys: {exc}") from exc
    accepted = ACCEPTED_ACR | ({"Level4"} if settings.accept_legacy_level4 else set())
    return TokenVerifier(
        jwks,
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        accepted_acr=frozenset(accepted),
        max_token_bytes=settings.max_token_bytes,
    )


async def open_services(settings: Settings, url: str, *, require_migrated: bool = True) -> Services:
    """Everything the app needs, or a ``ConfigurationError`` saying in one line what is wrong."""
    configure_data_protection(settings)
    configure_archive_signing(settings)
    verifier = make_verifier(settings)
    engine = create_engine(url)
    await check_database(engine)
    if require_migrated and await current_revision(engine) != head_revision():
        await engine.dispose()
        raise ConfigurationError(
            "the database schema is not up to date; run `relaylog migrate` first"
        )
    return Services(
        settings=settings,
        engine=engine,
        session_factory=async_sessionmaker(
            engine, class_=RequestSession, expire_on_commit=False
        ),
        verifier=verifier,
    )
