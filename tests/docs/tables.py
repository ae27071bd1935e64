"""The tables in docs/ that code owns: rendered from ``auth.policy`` and ``relaylog.settings``
so the documents cannot drift from what runs (``tests/docs/test_docs.py`` compares them).

    .venv/bin/python -m tests.docs.tables      # rewrite the generated parts of docs/

A generated part sits between ``<!-- generated: NAME -->`` and ``<!-- end: NAME -->``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from auth.policy import READ_POLICY, WRITE_POLICY, Relation
from relaylog.settings import PROJECT_ROOT, Settings, environment_name

DOCS = PROJECT_ROOT / "docs"
COLUMNS = [r for r in Relation if r is not Relation.NONE]

# What each setting means, for the deployment guide's table. A setting without a line here
# fails the docs test: a new setting is documented when it is added.
SETTING_MEANINGS = {
    "mode": "`dev`, `demo` or `production` (no introspection, no dev keys, secrets and "
    "`DATABASE_URL` required, trusted documents only on family and reporting)",
    "database_url": "`postgresql://user:password@host:port/db` (also `RELAYLOG_DATABASE_URL`); "
    "unset outside production: the embedded server in `RELAYLOG_DATA_DIR/pg`",
    "data_dir": "dev keys, the generated dev data secret, the embedded PostgreSQL",
    "host": "address `serve` and `demo` listen on",
    "port": "port `serve` and `demo` listen on",
    "workers": "API worker processes of `relaylog serve` (each has its own pool)",
    "shutdown_grace_seconds": "on SIGTERM/Ctrl-C, how long running requests may take to finish",
    "db_pool_size": "database connections each worker keeps",
    "db_max_overflow": "extra connections a worker may open under a burst",
    "token_issuer": "required `iss` of access tokens (ID-porten's issuer in production)",
    "token_audience": "required `aud` of access tokens",
    "jwks_file": "the issuer's public keys as a JWKS file",
    "jwks_url": "the issuer's JWKS URL (one of the two is required in production)",
    "accept_legacy_level4": "also accept `acr=Level4` (older ID-porten tokens)",
    "max_token_bytes": "longest bearer token read",
    "max_request_bytes": "largest body: a signed-in person on `/graphql` (consent files)",
    "small_request_bytes": "largest body of every other request",
    "max_json_depth": "deepest nesting of a JSON body",
    "max_json_values": "most values in a JSON body",
    "data_secret": "≥ 32 characters; protects national ids at rest (required in production; "
    "dev and demo generate one in `RELAYLOG_DATA_DIR`)",
    "data_secret_accepted": "during a rotation only: the previous secret, read and looked up, "
    "never written (`relaylog rotate-data-secret`)",
    "max_query_depth": "deepest selection of fields",
    "max_aliases": "most aliases in a document",
    "max_tokens": "most lexer tokens in a document",
    "max_document_bytes": "largest document text",
    "max_query_cost": "most selections once fragments are expanded",
    "max_variables_bytes": "largest variables (except `createLog`, `uploadConsent`)",
    "field_merge_budget": "graphql-core's work budget for overlapping fields",
    "page_size_max": "largest `first:` of a connection",
    "trusted_documents_only": "audiences (comma-separated) that refuse ad hoc documents; unset: "
    "none in dev/demo, `FAMILY,REPORTING` in production",
    "retention_minimum_days": "shortest retention of closed logs a purge may use",
    "log_level": "`DEBUG`, `INFO`, `WARNING`, `ERROR`",
    "jwks_min_refresh_seconds": "at most one JWKS fetch per this many seconds, whatever "
    "tokens with unknown `kid`s arrive",
    "signing_pkcs12": "the municipality's certificate and key (PKCS#12) that sign archive copies "
    "(PAdES); required in production unless `SIGNING_KEY` and `SIGNING_CERT` are set",
    "signing_pkcs12_passphrase": "passphrase of the PKCS#12 file",
    "signing_key": "the signing key (PEM), with `SIGNING_CERT`, instead of a PKCS#12 file",
    "signing_key_passphrase": "passphrase of the PEM signing key",
    "signing_cert": "the signing certificate (PEM)",
    "signing_chain": "intermediate certificates (PEM) embedded in each signature",
    "signing_trust_roots": "root certificates (PEM) `relaylog archive verify` trusts; unset "
    "outside production: the demo CA in `RELAYLOG_DATA_DIR/signing`",
    "audit_signing_key_file": "Ed25519 private key (PEM) that signs audit checkpoints, kept "
    "outside the database; required in production, generated in `.data/keys/` otherwise",
    "replica_url": "a hot standby for reports (the reporting endpoint, the passive report); "
    "answers say what moment the data is as of",
    "replica_max_lag_seconds": "a replica further behind (or unreachable) is passed over for the "
    "primary",
    "database_pooler": "`pgbouncer` when `DATABASE_URL` is a pgbouncer in transaction mode "
    "(asyncpg then keeps no named prepared statement)",
    "cors_allow_origins": "browser origins allowed to call the API, comma-separated (none by "
    "default)",
    "cors_max_age_seconds": "how long browsers may cache a CORS preflight",
    "metrics_enabled": "serve Prometheus `/metrics` (restrict it at the reverse proxy)",
    "smtp_host": "the SMTP relay the worker sends mail through",
    "smtp_port": "its port",
    "smtp_starttls": "use STARTTLS with the relay",
    "smtp_username": "SMTP user name, if the relay wants one",
    "smtp_password": "SMTP password",
    "smtp_timeout_seconds": "how long one SMTP conversation may take before it counts as failed",
    "mail_from": "the sender of every mail",
    "public_url": "where the links in mails point (the front end's address)",
    "mail_max_attempts": "tries before a mail is dead-lettered (`relaylog worker-status` shows it)",
    "mail_retry_base_seconds": "backoff base between tries (base, base³, …)",
    "worker_concurrency": "jobs one worker runs at once",
    "worker_heartbeat_seconds": "how often a worker says it is alive",
    "worker_stalled_seconds": "a worker silent this long is taken for dead and its jobs run again",
    "websocket_max_connections": "websocket connections one server process accepts (more are "
    "closed with 1013, try again later)",
    "subscriptions_per_connection": "subscriptions one websocket connection may run at once",
    "subscriptions_per_viewer": "subscriptions one person may run at once in one server process",
    "websocket_init_timeout_seconds": "a connection that sends no `connection_init` this long is "
    "closed (4408)",
    "websocket_keep_alive_seconds": "how often the server pings a websocket (graphql-transport-ws "
    "`ping`)",
    "websocket_idle_seconds": "a connection with no subscription this long is closed (1000)",
    "live_audit_flush_seconds": "how often the reads that subscriptions delivered are appended to "
    "the audit trail (one batch per process)",
    "live_queue_size": "events waiting for one slow subscriber before its subscription is ended",
    "listen_url": "PostgreSQL itself for the `LISTEN` connections (each API worker's one, the job "
    "worker's), when `DATABASE_URL` goes through PgBouncer in transaction mode (unset: "
    "`DATABASE_URL`; behind PgBouncer the job worker then dispatches on its minute tick)",
    "passive_report_dates": "the passive-log control dates (`MM-DD`, comma-separated; default "
    "twice per half-year)",
}

# Defaults computed when the settings are read (a default_factory), said in words.
DEFAULT_TEXTS = {
    "data_dir": "`.data` in the checkout; installed from a wheel: `.data` in the working directory",
}


def _default(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, SecretStr):
        return "(secret)"
    if isinstance(value, Path):
        try:
            return f"`{value.relative_to(PROJECT_ROOT)}` in the checkout"
        except ValueError:
            return f"`{value}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    return f"`{value}`"


def settings_table() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        meaning = SETTING_MEANINGS.get(name, "**undocumented**")
        default = DEFAULT_TEXTS.get(name) or _default(field.default)
        rows.append(f"| `{environment_name(name)}` | {default} | {meaning} |")
    return "\n".join(rows)


def _cell(rule: Any) -> str:
    if rule is None:
        return "—"
    if rule.condition is None:
        return str(rule.min_level)
    return f"{rule.min_level} ({str(rule.condition.value).lower().replace('_', ' ')})"


def _policy_table(policy: dict[Any, dict[Relation, Any]], first: str) -> str:
    header = f"| {first} | " + " | ".join(r.value for r in COLUMNS) + " | NONE |"
    rows = [header, "|---" * (len(COLUMNS) + 2) + "|"]
    for key, cells in policy.items():
        name = key.value if isinstance(key, StrEnum) else str(key)
        values = [_cell(cells.get(r)) for r in COLUMNS] + [_cell(cells.get(Relation.NONE))]
        rows.append(f"| `{name}` | " + " | ".join(values) + " |")
    return "\n".join(rows)


def read_table() -> str:
    return _policy_table(READ_POLICY, "kind of data")


def write_table() -> str:
    return _policy_table(WRITE_POLICY, "action")


GENERATED: dict[str, tuple[str, Callable[[], str]]] = {
    "read-policy": ("design.md", read_table),
    "write-policy": ("design.md", write_table),
    "settings": ("deployment.md", settings_table),
}


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- generated: {name} -->)(.*?)(<!-- end: {name} -->)", re.DOTALL)


def generated_part(name: str) -> str | None:
    document, _ = GENERATED[name]
    match = _pattern(name).search((DOCS / document).read_text())
    return match[2].strip("\n") if match else None


def rewrite() -> None:
    for name, (document, render) in GENERATED.items():
        path = DOCS / document
        begin, end = f"<!-- generated: {name} -->", f"<!-- end: {name} -->"
        text, count = _pattern(name).subn(
            f"{begin}\n{render()}\n{end}".replace("\\", "\\\\"), path.read_text()
        )
        assert count == 1, f"{document} has no generated part {name!r}"
        path.write_text(text)


if __name__ == "__main__":
    rewrite()
