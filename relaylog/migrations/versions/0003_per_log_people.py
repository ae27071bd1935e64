"""per-log people: a child or guardian row belongs to one log, so national id hashes repeat

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from relaylog.migrations import DowngradeRefused

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint(op.f("uq_child_national_id_hash"), "child", type_="unique")
    op.create_index(op.f("ix_child_national_id_hash"), "child", ["national_id_hash"], unique=False)
    op.drop_constraint(op.f("uq_guardian_national_id_hash"), "guardian", type_="unique")
    op.create_index(
        op.f("ix_guardian_national_id_hash"), "guardian", ["national_id_hash"], unique=False
    )


# People whose national id is on more than one row: one per log since this revision.
SHARED_PEOPLE = """
    SELECT (SELECT count(*) FROM (SELECT national_id_hash FROM guardian
                                  GROUP BY national_id_hash HAVING count(*) > 1) AS g)
         + (SELECT count(*) FROM (SELECT national_id_hash FROM child
                                  WHERE national_id_hash IS NOT NULL
                                  GROUP BY national_id_hash HAVING count(*) > 1) AS c)
"""


def downgrade() -> None:
    # Before this revision a person was one row shared by every log; since, each log has its
    # own rows. Once a person is in two logs, their rows may differ (contact details, who
    # added them, history) and merging them would rewrite what one log recorded, so the
    # downgrade refuses before it changes anything; restore the backup taken before the
    # upgrade instead (docs/deployment.md).
    shared = op.get_bind().execute(sa.text(SHARED_PEOPLE)).scalar_one()
    if shared:
        raise DowngradeRefused(
            f"cannot downgrade below 0003: {shared} "
            f"{'person is' if shared == 1 else 'people are'} in more than one log, and "
            "the older schema has one row per person; restore a backup taken before the "
            "upgrade instead"
        )
    op.drop_index(op.f("ix_guardian_national_id_hash"), table_name="guardian")
    op.create_unique_constraint(
        op.f("uq_guardian_national_id_hash"), "guardian", ["national_id_hash"]
    )
    op.drop_index(op.f("ix_child_national_id_hash"), table_name="child")
    op.create_unique_constraint(op.f("uq_child_national_id_hash"), "child", ["national_id_hash"])
