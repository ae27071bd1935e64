"""audit chains: one hash chain per log (and per municipality), signed checkpoints

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 23:00:00

The audit trail was one chain with one head: every append took a global advisory lock and
held it until its transaction committed, so every read of every user queued on it. Now each
event belongs to a chain (``log:<id>`` for events about a log, ``municipality:<id>`` for
register events, ``system`` for the rest) and is numbered within it; ``audit_chain`` holds
each chain's head, and the append updates only the heads it extends (a row lock on that
chain, so appends to different logs never wait for each other).

The events written before this revision stay where they are, as the closed chain
``global`` (genesis: 32 zero bytes, as before); no hash is recomputed. ``audit_checkpoint``
keeps the signed Merkle roots over all chain heads (``relaylog audit checkpoint``); like the
events it refuses UPDATE, DELETE and TRUNCATE.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the advisory lock of the single chain before this revision (migration 0004)
_LOCK = 0x52454C4159

APPEND = """
CREATE OR REPLACE FUNCTION relaylog_audit_append(p_entries jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  e jsonb;
  k text;
  body bytea;
  n bigint;
  prev bytea;
  next_hash bytea;
BEGIN
  -- Chains in a fixed order (then the entries in theirs): two requests that extend the
  -- same two chains lock their heads in the same order and cannot deadlock.
  FOR e IN
    SELECT value FROM jsonb_array_elements(p_entries) WITH ORDINALITY AS t(value, i)
    ORDER BY value->>'chain' COLLATE "C", i
  LOOP
    k := e->>'chain';
    body := convert_to(e->>'body', 'UTF8');
    INSERT INTO audit_chain AS c (chain, seq, prev_hash, hash)
    VALUES (k, 1, sha256(convert_to('relaylog audit chain ' || k, 'UTF8')),
            sha256(sha256(convert_to('relaylog audit chain ' || k, 'UTF8')) || body))
    ON CONFLICT (chain) DO UPDATE
      SET seq = c.seq + 1, prev_hash = c.hash, hash = sha256(c.hash || body),
          updated_at = now()
    RETURNING c.seq, c.prev_hash, c.hash INTO n, prev, next_hash;
    INSERT INTO audit_event (occurred_at, request_id, actor_kind, actor_id, relation, action,
      object_type, object_id, log_id, fields, client_address, chain, chain_seq, prev_hash,
      hash)
    VALUES ((e->>'occurred_at')::timestamptz, e->>'request_id', e->>'actor_kind',
      (e->>'actor_id')::uuid, e->>'relation', e->>'action', e->>'object_type',
      (e->>'object_id')::uuid, (e->>'log_id')::uuid,
      ARRAY(SELECT jsonb_array_elements_text(e->'fields'))::varchar(40)[],
      e->>'client_address', k, n, prev, next_hash);
  END LOOP;
END $$
"""

# The function of migration 0004: one chain, one lock.
SINGLE_CHAIN_APPEND = f"""
CREATE OR REPLACE FUNCTION relaylog_audit_append(p_entries jsonb) RETURNS void
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


def upgrade() -> None:
    op.add_column("audit_event", sa.Column("chain", sa.String(length=60), nullable=True))
    op.add_column("audit_event", sa.Column("chain_seq", sa.BigInteger(), nullable=True))
    # Numbering the old events is no change to what their hashes cover.
    op.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_delete")
    op.execute(
        "UPDATE audit_event e SET chain = 'global', chain_seq = n.seq "
        "FROM (SELECT id, row_number() OVER (ORDER BY id) AS seq FROM audit_event) n "
        "WHERE n.id = e.id"
    )
    op.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update_delete")
    op.alter_column("audit_event", "chain", nullable=False)
    op.alter_column("audit_event", "chain_seq", nullable=False)
    op.create_index(
        op.f("ix_audit_event_chain_seq"), "audit_event", ["chain", "chain_seq"], unique=True
    )
    op.create_table(
        "audit_chain",
        sa.Column("chain", sa.String(length=60), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("prev_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_chain")),
    )
    op.execute(
        "INSERT INTO audit_chain (chain, seq, prev_hash, hash) "
        "SELECT chain, chain_seq, prev_hash, hash FROM audit_event "
        "WHERE chain = 'global' ORDER BY chain_seq DESC LIMIT 1"
    )
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("chains", sa.Integer(), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("heads", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoint")),
    )
    op.execute(
        "CREATE TRIGGER audit_checkpoint_no_update_delete BEFORE UPDATE OR DELETE ON "
        "audit_checkpoint FOR EACH ROW EXECUTE FUNCTION audit_event_immutable()"
    )
    op.execute(
        "CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_immutable()"
    )
    op.execute(APPEND)


def downgrade() -> None:
    """Back to one chain: later events keep their hashes, so a verify of the old kind
    reports the first event after this revision as a break (the chains are not rewritten)."""
    op.execute(SINGLE_CHAIN_APPEND)
    op.execute("DROP TRIGGER audit_checkpoint_no_truncate ON audit_checkpoint")
    op.execute("DROP TRIGGER audit_checkpoint_no_update_delete ON audit_checkpoint")
    op.drop_table("audit_checkpoint")
    op.drop_table("audit_chain")
    op.drop_index(op.f("ix_audit_event_chain_seq"), table_name="audit_event")
    op.drop_column("audit_event", "chain_seq")
    op.drop_column("audit_event", "chain")
