"""Turn settings into running parts: keys, token verifier, engine, the ASGI app."""

from __future__ import annotations

from pyhanko.sign.signers import SimpleSigner
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from auth.dev_keys import DevKeys
from auth.remote_jwks import RemoteJwks, fetch_jwks
from auth.tokens import Jwks, JwksError, TokenVerifier
from exports import demo_ca, signing
from models import secrets
from relaylog.app import Services, build_app
from relaylog.db import RequestSession, check_database, create_engine
from relaylog.migrations import current_revision, head_revision
from relaylog.replica import Replica
from relaylog.settings import ConfigurationError, Settings

__all__ = [
    "archive_signing",
    "build_app",
    "build_services",
    "configure_archive_signing",
    "configure_data_protection",
    "dev_keys",
    "make_verifier",
    "open_services",
    "preflight",
]

ACCEPTED_ACR = frozenset({"idporten-loa-high"})


def configure_data_protection(settings: Settings) -> None:
    secrets.configure(settings.resolved_data_secret(), settings.resolved_accepted_secret())


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
    return _verifier(settings)[0]


def _verifier(settings: Settings) -> tuple[TokenVerifier, float | None]:
    max_age: float | None = None
    try:
        if settings.jwks_file is not None:
            jwks = Jwks.from_file(settings.jwks_file)
        elif settings.jwks_url is not None:
            fetched = fetch_jwks(settings.jwks_url)
            jwks, max_age = fetched.jwks, fetched.max_age
        elif settings.is_production:
            raise ConfigurationError("set RELAYLOG_JWKS_FILE or RELAYLOG_JWKS_URL in production")
        else:
            jwks = Jwks.from_dict(dev_keys(settings).jwks())
    except JwksError as exc:
        raise ConfigurationError(f"cannot load the token keys: {exc}") from exc
    accepted = ACCEPTED_ACR | ({"Level4"} if settings.accept_legacy_level4 else set())
    verifier = TokenVerifier(
        jwks,
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        accepted_acr=frozenset(accepted),
        max_token_bytes=settings.max_token_bytes,
    )
    return verifier, max_age


def _request_sessions(engine: AsyncEngine) -> async_sessionmaker[RequestSession]:
    """The sessions requests run in, on the primary or on the replica alike."""
    return async_sessionmaker(engine, class_=RequestSession, expire_on_commit=False)


def build_services(settings: Settings, url: str) -> Services:
    """Everything the app needs; connects to nothing yet (an engine opens its connections on
    the event loop that first uses it: a worker's own)."""
    configure_data_protection(settings)
    verifier, max_age = _verifier(settings)
    configure_archive_signing(settings)
    key_refresh = None
    if settings.jwks_file is None and settings.jwks_url is not None:
        key_refresh = RemoteJwks(
            verifier,
            settings.jwks_url,
            min_refresh_seconds=settings.jwks_min_refresh_seconds,
            max_age=max_age,
        )
    engine = create_engine(
        url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow
    )
    replica = None
    if settings.replica_url:
        replica_engine = create_engine(settings.replica_url)
        replica = Replica(
            engine=replica_engine,
            session_factory=_request_sessions(replica_engine),
            max_lag_seconds=settings.replica_max_lag_seconds,
        )
    return Services(
        settings=settings,
        engine=engine,
        session_factory=_request_sessions(engine),
        verifier=verifier,
        key_refresh=key_refresh,
        replica=replica,
    )


async def open_services(settings: Settings, url: str, *, require_migrated: bool = True) -> Services:
    """Everything the app needs, or a ``ConfigurationError`` saying in one line what is wrong."""
    services = build_services(settings, url)
    engine = services.engine
    try:
        await check_database(engine)
        if require_migrated and await current_revision(engine) != head_revision():
            raise ConfigurationError(
                "the database schema is not up to date; run `relaylog migrate` first"
            )
    except BaseException:
        await engine.dispose()
        raise
    return services


async def preflight(settings: Settings, url: str) -> None:
    """Check keys, secrets and the database before a server starts, on one event loop that
    also closes what it opened (an engine disposed on another loop logs an error)."""
    services = await open_services(settings, url)
    await services.engine.dispose()
