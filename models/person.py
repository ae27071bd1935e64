"""The child and the guardians: the people the log is about and the people who own it.

Every log has its own child row and its own guardian rows: nothing one log writes is shared
with another. The same person in two logs is two rows with the same keyed hash of their
national id (indexed, not unique); signing in finds all of them.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, UUIDPrimaryKey
from models.secrets import EncryptedString

__all__ = ["Child", "ChildGuardian", "Guardian"]


class Child(UUIDPrimaryKey, TimestampMixin, Base):
    __tablename__ = "child"

    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipality.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    national_id: Mapped[str | None] = mapped_column(EncryptedString)
    national_id_hash: Mapped[bytes | None] = mapped_column(
        LargeBinary(32), unique=False, index=True
    )
    birth_date: Mapped[date | None] = mapped_column(Date)
    address: Mapped[str | None] = mapped_column(EncryptedString)


class Guardian(UUIDPrimaryKey, TimestampMixin, Base):
    __tablename__ = "guardian"

    name: Mapped[str] = mapped_column(String(200))
    national_id: Mapped[str] = mapped_column(EncryptedString)
    national_id_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=False, index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))


class ChildGuardian(Base):
    __tablename__ = "child_guardian"

    child_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("child.id"), primary_key=True)
    guardian_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("guardian.id"), primary_key=True, index=True
    )
    parental_responsibility: Mapped[bool] = mapped_column(Boolean, default=True)
