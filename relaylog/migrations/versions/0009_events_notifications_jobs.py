"""events, notifications and the job queue: the outbox (domain_event, with a NOTIFY of
each new id on ``relaylog_event``), the mails owed (notification), people's preferences,
and procrastinate's tables in their own schema ``procrastinate``

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.util import await_only

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JOB_SCHEMA = "procrastinate"

NOTIFY_FUNCTION = """
CREATE FUNCTION relaylog_notify_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('relaylog_event', NEW.id::text);
    RETURN NULL;
END;
$$
"""


def _procrastinate_schema() -> None:
    """procrastinate's own schema SQL (several statements, dollar-quoted bodies), run as
    one simple query on the raw connection with ``search_path`` set to its schema."""
    from procrastinate.schema import SchemaManager

    bind = op.get_bind()
    raw = bind.connection.driver_connection  # asyncpg, inside SQLAlchemy's greenlet
    assert raw is not None
    old_path = bind.execute(sa.text("SELECT current_setting('search_path')")).scalar_one()
    bind.execute(sa.text(f"CREATE SCHEMA {JOB_SCHEMA}"))
    bind.execute(sa.text(f"SELECT set_config('search_path', '{JOB_SCHEMA}', true)"))
    await_only(raw.execute(SchemaManager.get_schema()))
    bind.execute(sa.text("SELECT set_config('search_path', :path, true)"), {"path": old_path})


def upgrade() -> None:
    op.create_table(
        "domain_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("log_id", sa.UUID(), nullable=True),
        sa.Column("object_id", sa.UUID(), nullable=True),
        sa.Column("actor_kind", sa.String(length=20), nullable=True),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["log_id"], ["relay_log.id"], name=op.f("fk_domain_event_log_id_relay_log")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_event")),
    )
    op.create_index(op.f("ix_domain_event_log_id"), "domain_event", ["log_id"], unique=False)
    op.create_index(
        "ix_domain_event_undispatched",
        "domain_event",
        ["id"],
        unique=False,
        postgresql_where=sa.text("dispatched_at IS NULL"),
    )
    op.execute(NOTIFY_FUNCTION)
    op.execute(
        "CREATE TRIGGER domain_event_notify AFTER INSERT ON domain_event "
        "FOR EACH ROW EXECUTE FUNCTION relaylog_notify_event()"
    )

    op.create_table(
        "notification_preference",
        sa.Column("staff_id", sa.UUID(), nullable=True),
        sa.Column("person_hash", sa.LargeBinary(length=32), nullable=True),
        sa.Column("delivery", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(staff_id IS NULL) <> (person_hash IS NULL)",
            name=op.f("ck_notification_preference_one_person"),
        ),
        sa.CheckConstraint(
            "delivery IN ('IMMEDIATE', 'DAILY', 'OFF')",
            name=op.f("ck_notification_preference_delivery"),
        ),
        sa.CheckConstraint(
            "language IN ('nb', 'en')", name=op.f("ck_notification_preference_language")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_account.id"],
            name=op.f("fk_notification_preference_staff_id_staff_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preference")),
        sa.UniqueConstraint("person_hash", name=op.f("uq_notification_preference_person_hash")),
        sa.UniqueConstraint("staff_id", name=op.f("uq_notification_preference_staff_id")),
    )

    op.create_table(
        "notification",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("recipient_kind", sa.String(length=20), nullable=False),
        sa.Column("recipient_id", sa.UUID(), nullable=False),
        sa.Column("log_id", sa.UUID(), nullable=True),
        sa.Column("topic", sa.String(length=40), nullable=True),
        sa.Column("object_id", sa.UUID(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("coalesce_key", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "not_before",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("problem", sa.String(length=100), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.CheckConstraint(
            "status IN ('PENDING', 'SENT', 'SKIPPED', 'DEAD')", name=op.f("ck_notification_status")
        ),
        sa.CheckConstraint(
            "kind IN ('NEWS', 'DIGEST', 'REMINDER', 'REPORT')", name=op.f("ck_notification_kind")
        ),
        sa.CheckConstraint(
            "recipient_kind IN ('STAFF', 'GUARDIAN')", name=op.f("ck_notification_recipient_kind")
        ),
        sa.ForeignKeyConstraint(
            ["log_id"], ["relay_log.id"], name=op.f("fk_notification_log_id_relay_log")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_notification_idempotency_key")),
    )
    op.create_index(op.f("ix_notification_log_id"), "notification", ["log_id"], unique=False)
    op.create_index(
        "ix_notification_recipient",
        "notification",
        ["recipient_id", "kind", "log_id"],
        unique=False,
    )
    op.create_index(
        "uq_notification_pending",
        "notification",
        ["coalesce_key"],
        unique=True,
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.create_index(
        "ix_notification_due",
        "notification",
        ["not_before"],
        unique=False,
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    _procrastinate_schema()


def downgrade() -> None:
    op.execute(f"DROP SCHEMA IF EXISTS {JOB_SCHEMA} CASCADE")
    op.drop_index("ix_notification_due", table_name="notification")
    op.drop_index("uq_notification_pending", table_name="notification")
    op.drop_index("ix_notification_recipient", table_name="notification")
    op.drop_index(op.f("ix_notification_log_id"), table_name="notification")
    op.drop_table("notification")
    op.drop_table("notification_preference")
    op.execute("DROP TRIGGER IF EXISTS domain_event_notify ON domain_event")
    op.execute("DROP FUNCTION IF EXISTS relaylog_notify_event()")
    op.drop_index("ix_domain_event_undispatched", table_name="domain_event")
    op.drop_index(op.f("ix_domain_event_log_id"), table_name="domain_event")
    op.drop_table("domain_event")
