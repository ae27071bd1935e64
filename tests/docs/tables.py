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
        rows.append(f"| `{environment_name(name)}` | {_default(field.default)} | {meaning} |")
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
    return re.compile(
        rf"(<!-- generated: {name} -->)(.*?)(<!-- end: {name} -->)", re.DOTALL
    )


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
