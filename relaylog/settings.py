"""Settings from the environment (``RELAYLOG_*``, plus ``DATABASE_URL``).

In ``dev`` and ``demo`` mode missing secrets are generated into the data folder so that a
fresh clone runs with no configuration; ``production`` refuses to start without them.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "ConfigurationError",
    "Settings",
    "default_data_dir",
    "environment_name",
    "get_settings",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_data_dir() -> Path:
    """``.data`` in the checkout when the code runs from one (``dev.py``'s editable install);
    installed from a wheel, ``.data`` in the working directory the command starts in, never
    a folder inside site-packages. Production keeps nothing there (no embedded server, no
    generated secrets or keys)."""
    if (PROJECT_ROOT / "pyproject.toml").is_file():
        return PROJECT_ROOT / ".data"
    return Path.cwd().resolve() / ".data"


class ConfigurationError(Exception):
    """A problem an operator must fix; its message is one line and safe to print."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RELAYLOG_", extra="ignore")

    mode: Literal["dev", "demo", "production"] = "dev"
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "RELAYLOG_DATABASE_URL")
    )
    data_dir: Path = Field(default_factory=default_data_dir)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # API worker processes of `relaylog serve` (each its own event loop and database pool).
    workers: int = Field(default=1, ge=1, le=64)
    # On SIGTERM/Ctrl-C: stop accepting, let running requests finish for this long.
    shutdown_grace_seconds: int = Field(default=30, ge=0)
    # Connections per worker process: pool_size, plus overflow under bursts.
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)

    token_issuer: str = "https://idporten.relaylog.test/"
    token_audience: str = "relaylog"
    jwks_file: Path | None = None
    jwks_url: str | None = None
    # An unknown kid refetches the JWKS at most this often (anyone can send one); the
    # issuer's Cache-Control max-age is honoured, but never more often than this either.
    jwks_min_refresh_seconds: float = Field(default=60, ge=0)
    accept_legacy_level4: bool = False
    max_token_bytes: int = 8192
    # createLog with three signed forms of 10 MB each, base64-encoded, fits; more does not.
    # Only signed-in staff uploading files get that much (relaylog.http_limits).
    max_request_bytes: int = 48 * 1024 * 1024
    # Every other request: a document (16 KiB) and its variables (64 KiB), with room for a
    # hostile body to be read and answered with a precise 400 rather than a bare 413.
    small_request_bytes: int = 256 * 1024
    max_json_depth: int = 32
    max_json_values: int = 10_000

    data_secret: SecretStr | None = None
    # While rotating RELAYLOG_DATA_SECRET: the other secret, still read and looked up, never
    # written (`relaylog rotate-data-secret` re-encrypts its rows under RELAYLOG_DATA_SECRET).
    data_secret_accepted: SecretStr | None = None

    # The municipality's certificate for archive signatures (exports.signing): a PKCS#12 file
    # (+ passphrase) or a PEM key and certificate, with any intermediate certificates in
    # signing_chain; and the roots `relaylog archive verify` trusts. Unset outside
    # production: a generated demo CA in data_dir/signing (exports.demo_ca).
    signing_pkcs12: Path | None = None
    signing_pkcs12_passphrase: SecretStr | None = None
    signing_key: Path | None = None
    signing_key_passphrase: SecretStr | None = None
    signing_cert: Path | None = None
    signing_chain: Path | None = None
    signing_trust_roots: Path | None = None

    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    max_document_bytes: int = 16 * 1024
    # Selections (fields, spreads, inline fragments) once every fragment is expanded.
    max_query_cost: int = 1000
    max_variables_bytes: int = 64 * 1024
    # graphql-core's work budget for checking that fields merge (its default is 500 000).
    field_merge_budget: int = 10_000
    page_size_max: int = 100
    # Endpoints that answer trusted documents only (names of audiences, comma-separated:
    # "FAMILY,REPORTING"); unset: none in dev and demo, family and reporting in production.
    trusted_documents_only: str | None = None
    # The Ed25519 key (PEM) that signs audit checkpoints; outside the database by design.
    # Unset outside production: a generated key in the data folder's keys/.
    audit_signing_key_file: Path | None = None
    # A hot standby for reports (the reporting endpoint, ``relaylog report passive``); a
    # replica further behind than ``replica_max_lag_seconds`` is passed over for the primary.
    replica_url: str | None = None
    replica_max_lag_seconds: float = Field(default=30.0, ge=0)
    # ``pgbouncer``: the database URL is a pgbouncer in transaction mode, so no statement is
    # prepared under a name that outlives its transaction (asyncpg's caches off).
    database_pooler: Literal["none", "pgbouncer"] = "none"
    # The shortest retention of closed logs the law allows; a purge with less is refused.
    retention_minimum_days: int = Field(default=365, ge=0)
    log_level: str = "INFO"
    # Origins of web front ends allowed to call the API from a browser, comma-separated
    # ("https://stafett.kommune.no,https://admin.kommune.no"); unset: none (same origin only).
    cors_allow_origins: str | None = None
    cors_max_age_seconds: int = Field(default=600, ge=0)
    # Serve Prometheus metrics on /metrics (restrict it at the reverse proxy).
    metrics_enabled: bool = True

    # E-mail (relaylog worker): an SMTP relay, STARTTLS and credentials by setting.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = 20.0
    mail_from: str = "Stafettloggen <ikke-svar@stafettlogg.invalid>"
    # Where the links in mails point (the front end people sign in to).
    public_url: str = "http://127.0.0.1:8000"
    # A mail is tried this many times, waiting retry_base ** attempt seconds in between
    # (3: 3 s, 9 s, 27 s, ... about 2.7 hours in all), then dead-lettered.
    mail_max_attempts: int = Field(default=9, ge=1)
    mail_retry_base_seconds: int = Field(default=3, ge=0)
    worker_concurrency: int = Field(default=4, ge=1)
    # A worker beats every heartbeat seconds; one silent for stalled seconds is taken for
    # dead and its running jobs are retried by another.
    worker_heartbeat_seconds: float = Field(default=10.0, gt=0)
    worker_stalled_seconds: float = Field(default=30.0, gt=0)
    # Live subscriptions (graphql-transport-ws on /graphql and /graphql/family; relaylog.live):
    # bounds per server process, since each subscription holds a little memory and each
    # delivery a pooled connection for a moment.
    websocket_max_connections: int = Field(default=1000, ge=0)
    subscriptions_per_connection: int = Field(default=10, ge=1)
    subscriptions_per_viewer: int = Field(default=20, ge=1)
    websocket_init_timeout_seconds: float = Field(default=10.0, gt=0)
    websocket_keep_alive_seconds: float = Field(default=25.0, gt=0)
    websocket_idle_seconds: float = Field(default=300.0, gt=0)
    live_audit_flush_seconds: float = Field(default=1.0, gt=0)
    live_queue_size: int = Field(default=256, ge=1)
    # LISTEN needs a session of its own: behind PgBouncer in transaction mode, name
    # PostgreSQL itself here (unset: DATABASE_URL).
    listen_url: str | None = None
    # Month-day dates of the passive-log control (twice per half-year), Oslo calendar.
    passive_report_dates: str = "03-01,06-01,09-01,12-01"

    @property
    def is_production(self) -> bool:
        return self.mode == "production"

    @property
    def introspection(self) -> bool:
        return not self.is_production

    def cors_origins(self) -> list[str]:
        if not self.cors_allow_origins:
            return []
        origins = [origin.strip() for origin in self.cors_allow_origins.split(",")]
        if "*" in origins:
            raise ConfigurationError(
                "RELAYLOG_CORS_ALLOW_ORIGINS must name origins; '*' is not allowed"
            )
        return [origin.rstrip("/") for origin in origins if origin]

    def trusted_only(self, audience: str) -> bool:
        """Does this audience's endpoint refuse ad hoc documents (the OWASP allow-list)?"""
        if self.trusted_documents_only is None:
            return self.is_production and audience in {"FAMILY", "REPORTING"}
        wanted = {name.strip().upper() for name in self.trusted_documents_only.split(",")}
        return audience in wanted

    def passive_report_days(self) -> list[tuple[int, int]]:
        """The (month, day) pairs of ``passive_report_dates``."""
        days = []
        for item in self.passive_report_dates.split(","):
            try:
                month, day = (int(part) for part in item.strip().split("-"))
            except ValueError:
                raise ConfigurationError(
                    "RELAYLOG_PASSIVE_REPORT_DATES must be MM-DD dates, comma-separated"
                ) from None
            days.append((month, day))
        return days

    @cached_property
    def dev_key_dir(self) -> Path:
        return self.data_dir / "keys"

    def resolved_data_secret(self) -> bytes:
        """The key material that protects national ids at rest."""
        if self.data_secret is not None:
            value = self.data_secret.get_secret_value().encode()
            if len(value) < 32:
                raise ConfigurationError("RELAYLOG_DATA_SECRET must be at least 32 characters")
            return value
        if self.is_production:
            raise ConfigurationError("RELAYLOG_DATA_SECRET must be set in production")
        path = self.data_dir / "data-secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()

    def resolved_accepted_secret(self) -> bytes | None:
        """The second secret during a rotation (read and looked up, never written)."""
        if self.data_secret_accepted is None:
            return None
        value = self.data_secret_accepted.get_secret_value().encode()
        if len(value) < 32:
            raise ConfigurationError("RELAYLOG_DATA_SECRET_ACCEPTED must be at least 32 characters")
        return value


def environment_name(field: str) -> str:
    """The variable an operator sets for a settings field."""
    if field == "database_url":
        return "DATABASE_URL"
    return f"RELAYLOG_{field.upper()}"


def get_settings() -> Settings:
    """The settings, or a ``ConfigurationError`` naming each wrong variable in one line.

    The value itself is never echoed (it may be a secret)."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            problems.append(f"{environment_name(field)}: {error['msg']}")
        raise ConfigurationError("; ".join(problems)) from None
