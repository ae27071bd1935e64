"""audit append in one statement: the chain is extended inside PostgreSQL

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 20:00:00

A request's audit entries were appended with three round trips (lock, read the head,
insert). ``relaylog_audit_append`` does the three in one call: the caller hands each entry
with its canonical JSON body (``models.audit.AuditEvent.payload``), the function takes the
chain lock, reads the head and writes ``hash = sha256(prev_hash || body)`` per entry, the
same hash ``relaylog audit verify`` recomputes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# models.audit.AUDIT_CHAIN_LOCK
_LOCK = 0x52454C4159


def upgrade() -> None:
    op.execute(
        f"""
CREATE FUNCTION relaylog_audit_append(p_entries jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  e jsonb;
  prev bytea;
  next_hash bytea;
BEGIN
  PERFORM pg_advisory_xact_lock({_LOCK});
  SELECT hash INTO prev FROM audit_event ORDER BY id DESC LIMIT 1;
  prev := coalesce(prev, decode(repeat('00', 32), 'hex'));
  FOR e IN SELECT value FROM jsonb_array_elements(p_entries) LOOP
    next_hash := sha256(prev || convert_to(e->>'body', 'UTF8'));
    INSERT INTO audit_event (occurred_at, request_id, actor_kind, actor_id, relation, action,
      object_type, object_id, log_id, fields, client_address, prev_hash, hash)
    VALUES ((e->>'occurred_at')::timestamptz, e->>'request_id', e->>'actor_kind',
      (e->>'actor_id')::uuid, e->>'relation', e->>'action', e->>'object_type',
      (e->>'object_id')::uuid, (e->>'log_id')::uuid,
      ARRAY(SELECT jsonb_array_elements_text(e->'fields'))::varchar(40)[],
      e->>'client_address', prev, next_hash);
    prev := next_hash;
  END LOOP;
END $$
"""
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION relaylog_audit_append(jsonb)")
