"""Who wrote something: a staff member, a guardian, or the child (the subject) themself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from models.base import pg_enum
from models.enums import AuthorKind

__all__ = ["Author", "AuthoredMixin", "author_check"]


@dataclass(frozen=True, slots=True)
class Author:
    """Who does something in a log, as the domain knows them (not a viewer, not a token)."""

    kind: AuthorKind
    staff_id: uuid.UUID | None = None
    guardian_id: uuid.UUID | None = None

    def columns(self) -> dict[str, object]:
        return {
            "author_kind": self.kind,
            "author_staff_id": self.staff_id,
            "author_guardian_id": self.guardian_id,
        }

    def wrote(self, row: AuthoredMixin) -> bool:
        if self.kind is not row.author_kind:
            return False
        if self.kind is AuthorKind.STAFF:
            return row.author_staff_id == self.staff_id
        if self.kind is AuthorKind.GUARDIAN:
            return row.author_guardian_id == self.guardian_id
        return True


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
