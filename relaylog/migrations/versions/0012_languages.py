"""languages: a person may choose any language of the catalogs for their mails

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 08:00:00

``notification_preference.language`` allowed ``nb`` and ``en``; the mail catalogs now speak
nynorsk, Northern Sami, Polish, Lithuanian, Somali, Arabic, Ukrainian and Tigrinya as well
(``models.i18n.Language``). Only the check constraint changes; no row is rewritten. A
downgrade sets the new languages back to bokmål first, the default they would have had.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ALL = "'nb', 'nn', 'en', 'se', 'pl', 'lt', 'so', 'ar', 'uk', 'ti'"


def upgrade() -> None:
    op.drop_constraint(
        op.f("ck_notification_preference_language"), "notification_preference", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_notification_preference_language"),
        "notification_preference",
        f"language IN ({_ALL})",
    )


def downgrade() -> None:
    op.execute(
        "UPDATE notification_preference SET language = 'nb' WHERE language NOT IN ('nb', 'en')"
    )
    op.drop_constraint(
        op.f("ck_notification_preference_language"), "notification_preference", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_notification_preference_language"),
        "notification_preference",
        "language IN ('nb', 'en')",
    )
