"""Settings from the environment (``RELAYLOG_*``, plus ``DATABASE_URL``).

In ``dev`` and ``demo`` mode missing secrets are generated into the data folder so that a
fresh clone runs with no configuration; ``production`` refuses to start without them.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ConfigurationError", "Settings", "get_settings"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(Exception):
    """A problem an operator must fix; its message is one line and safe to print."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RELAYLOG_", extra="ignore")

    mode: Literal["dev", "demo", "production"] = "dev"
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "RELAYLOG_DATABASE_URL")
    )
    data_dir: Path = PROJECT_ROOT / ".data"
    host: str = "127.0.0.1"
    port: int = 8000

    token_issuer: str = "https://idporten.relaylog.test/"
    token_audience: str = "relaylog"
    jwks_file: Path | None = None
    jwks_url: str | None = None
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
    # The shortest retention of closed logs the law allows; a purge with less is refused.
    retention_minimum_days: int = Field(default=365, ge=0)
    log_level: str = "INFO"

    @property
    def is_production(self) -> bool:
        return self.mode == "production"

    @property
    def introspection(self) -> bool:
        return not self.is_production

    def trusted_only(self, audience: str) -> bool:
        """Does this audience's endpoint refuse ad hoc documents (the OWASP allow-list)?"""
        if self.trusted_documents_only is None:
            return self.is_production and audience in {"FAMILY", "REPORTING"}
        wanted = {name.strip().upper() for name in self.trusted_documents_only.split(",")}
        return audience in wanted

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


def get_settings() -> Settings:
    return Settings()
