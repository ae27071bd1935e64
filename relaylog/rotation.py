"""Rotate ``RELAYLOG_DATA_SECRET`` while the service keeps answering.

National ids (and children's addresses) are stored encrypted with a key derived from the data
secret, and looked up by a keyed hash derived from it (``models.secrets``). Rotating it:

1. run every process with ``RELAYLOG_DATA_SECRET=<new>`` and
   ``RELAYLOG_DATA_SECRET_ACCEPTED=<old>``: they write under the new secret, read under either
   and look people up by both hashes, so sign-in and look-ups keep working on old rows;
2. ``relaylog rotate-data-secret`` (this module) re-encrypts every value still under the old
   secret and recomputes its hash, in batches of its own short transactions (each locks only
   its rows), so it can be stopped and run again: it skips what is already rotated;
3. when it reports nothing left, remove ``RELAYLOG_DATA_SECRET_ACCEPTED`` everywhere.

(docs/operations.md has the rolling-restart order.) Rows are changed with plain SQL, so
``updated_at`` and the logs' versions stay as they were: rotation is not an edit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from models import secrets
from relaylog.db import async_url
from relaylog.settings import ConfigurationError

__all__ = ["ENCRYPTED", "RotationReport", "rotate"]


@dataclass(frozen=True)
class Encrypted:
    """A table's encrypted columns, and the one whose plain text its keyed hash is of."""

    table: str
    columns: tuple[str, ...]
    hashed: str | None = "national_id"


# Every EncryptedString column of the models (a test keeps this list complete).
ENCRYPTED = (
    Encrypted("staff_account", ("national_id",)),
    Encrypted("guardian", ("national_id",)),
    Encrypted("child", ("national_id", "address")),
)


@dataclass
class RotationReport:
    checked: dict[str, int] = field(default_factory=dict)
    rotated: dict[str, int] = field(default_factory=dict)

    @property
    def total_rotated(self) -> int:
        return sum(self.rotated.values())


def _rotated_row(spec: Encrypted, row: Any) -> dict[str, Any] | None:
    """The new values of a row still (partly) under the accepted secret, else ``None``."""
    changes: dict[str, Any] = {}
    for column in spec.columns:
        value = getattr(row, column)
        if value is None:
            continue
        try:
            result = secrets.rotated(bytes(value))
        except secrets.SecretsNotConfiguredError:
            raise ConfigurationError(
                f"a {spec.table} row cannot be decrypted with RELAYLOG_DATA_SECRET or "
                "RELAYLOG_DATA_SECRET_ACCEPTED; stopped (the rows before it are rotated)"
            ) from None
        if result is None:
            continue
        plain, token = result
        changes[column] = token
        if column == spec.hashed:
            changes["national_id_hash"] = secrets.keyed_hash(plain)
    return changes or None


async def rotate(
    url: str,
    *,
    batch_size: int = 500,
    progress: Callable[[str, int, int], None] | None = None,
) -> RotationReport:
    """Re-encrypt, batch by batch, every value not yet under the current secret."""
    report = RotationReport()
    engine = create_async_engine(async_url(url), poolclass=NullPool)
    try:
        for spec in ENCRYPTED:
            names = ", ".join(spec.columns)
            select_batch = text(
                f"SELECT id, {names} FROM {spec.table} WHERE id > :after "
                f"ORDER BY id LIMIT :limit FOR NO KEY UPDATE"
            )
            after: Any = "00000000-0000-0000-0000-000000000000"
            checked = rotated = 0
            while True:
                async with engine.begin() as conn:
                    rows = (
                        await conn.execute(select_batch, {"after": after, "limit": batch_size})
                    ).all()
                    for row in rows:
                        changes = _rotated_row(spec, row)
                        if changes is None:
                            continue
                        assignments = ", ".join(f"{name} = :{name}" for name in changes)
                        await conn.execute(
                            text(f"UPDATE {spec.table} SET {assignments} WHERE id = :id"),
                            {**changes, "id": row.id},
                        )
                        rotated += 1
                checked += len(rows)
                # The read after a full last batch finds nothing: no batch, no second line
                # (an empty table still gets its one "0 rows checked").
                if progress is not None and (rows or checked == 0):
                    progress(spec.table, checked, rotated)
                if len(rows) < batch_size:
                    break
                after = rows[-1].id
            report.checked[spec.table] = checked
            report.rotated[spec.table] = rotated
    finally:
        await engine.dispose()
    return report
