"""Municipalities, their units (organisations) and staff accounts."""

from __future__ import annotations

import uuid

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, UUIDPrimaryKey, pg_enum
from models.enums import OrganisationKind, StaffRole
from models.secrets import EncryptedString

__all__ = ["Municipality", "Organisation", "StaffAccount"]


class Municipality(UUIDPrimaryKey, TimestampMixin, Base):
    __tablename__ = "municipality"
    __table_args__ = (
        CheckConstraint("subject_consent_age IN (15, 16)", name="subject_consent_age"),
        CheckConstraint("retention_days >= 0", name="retention_days"),
    )

    number: Mapped[str] = mapped_column(String(4), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    subject_consent_age: Mapped[int] = mapped_column(Integer, default=15)
    retention_days: Mapped[int] = mapped_column(Integer, default=365 * 2)
    passive_after_days: Mapped[int] = mapped_column(Integer, default=60)


class Organisation(UUIDPrimaryKey, TimestampMixin, Base):
    __tablename__ = "organisation"

    municipality_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("municipality.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganisationKind] = mapped_column(pg_enum(OrganisationKind, "organisation_kind"))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class StaffAccount(UUIDPrimaryKey, TimestampMixin, Base):
    """A person working for the municipality, created by the municipal admin."""

    __tablename__ = "staff_account"

    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    national_id: Mapped[str] = mapped_column(EncryptedString)
    national_id_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200), default="")
    office_phone: Mapped[str | None] = mapped_column(String(40))
    mobile: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    is_manager: Mapped[bool] = mapped_column(Boolean, default=False)
    role: Mapped[StaffRole] = mapped_column(
        pg_enum(StaffRole, "staff_role"), default=StaffRole.STAFF
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
