"""Who wrote something: a staff member, a guardian, or the child (the subject) themself."""

from __future__ import annotations

import uuid

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from models.base import pg_enum
from models.enums import AuthorKind

__all__ = ["AuthoredMixin", "author_check"]


def author_check() -> CheckConstraint:
    return CheckConstraint(
        "(author_kind = 'STAFF') = (author_staff_id IS NOT NULL)"
        " AND (author_kind = 'GUARDIAN') = (author_guardian_id IS NOT NULL)",
        name="author",
    )


class AuthoredMixin:
    @declared_attr
    def author_kind(cls) -> Mapped[AuthorKind]:
        return mapped_column(pg_enum(AuthorKind, "author_kind"))

    @declared_attr
    def author_staff_id(cls) -> Mapped[uuid.UUID | None]:
        return mapped_column(ForeignKey("staff_account.id"))

    @declared_attr
    def author_guardian_id(cls) -> Mapped[uuid.UUID | None]:
        return mapped_column(ForeignKey("guardian.id"))
