"""Registering the child and the guardians of a log.

Every log gets its own child row and its own guardian rows; nothing here looks a person up
by national id, reuses another log's row or touches its links. Otherwise any staff member
could type a known national id into a concern or a new log and read (or rename, or take
over the guardianship of) another log's child. The same person in two logs is two rows
sharing the keyed hash of their national id: signing in finds all of them, so a guardian
with children in two logs still has one login that sees both (``auth.viewer``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from models.errors import InvalidInput
from models.i18n import N_
from models.national_id import NationalId, NationalIdError, parse_national_id
from models.operations.validation import require_text
from models.person import Child, ChildGuardian, Guardian
from models.secrets import keyed_hash

__all__ = [
    "ChildData",
    "GuardianData",
    "link_guardians",
    "register_child",
    "valid_national_id",
]

NAME_MAX = 200
ADDRESS_MAX = 500
PHONE_MAX = 40
EMAIL_MAX = 254


@dataclass(frozen=True, slots=True)
class ChildData:
    name: str
    national_id: str | None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class GuardianData:
    name: str
    national_id: str
    phone: str | None = None
    email: str | None = None
    parental_responsibility: bool = True


# Why a national id is refused, one whole sentence per reason (``NationalIdError.reason``) so
# each is translated as a whole; the English is what the reason's message said.
_NOT_A_NATIONAL_ID: dict[str, str] = {
    "LENGTH": N_("{field} is not a valid national id (national id must be exactly 11 digits)."),
    "NOT_DIGITS": N_("{field} is not a valid national id (national id must contain digits only)."),
    "CHECK_DIGIT": N_(
        "{field} is not a valid national id (national id check digits do not match)."
    ),
    "DATE": N_(
        "{field} is not a valid national id (national id does not encode a valid birth date)."
    ),
}


def valid_national_id(raw: str, field: str, today: date) -> NationalId:
    """A parsed national id, or ``InvalidInput`` naming the field (never the number)."""
    try:
        nid = parse_national_id(raw)
    except NationalIdError as exc:
        why = _NOT_A_NATIONAL_ID[exc.reason]  # each one marked N_ above
        raise InvalidInput(why, field=field) from None
    if nid.birth_date > today:
        raise InvalidInput(
            "{field} is not a valid national id (birth date in the future).", field=field
        )
    return nid


def _optional(value: str | None, field: str, max_length: int) -> str | None:
    if value is None:
        return None
    text = require_text(value, field, max_length=max_length, allow_empty=True)
    return text or None


def _email(value: str | None, field: str) -> str | None:
    text = _optional(value, field, EMAIL_MAX)
    if text is None:
        return None
    local, at, domain = text.partition("@")
    if not at or not local or "." not in domain or any(c.isspace() for c in text):
        raise InvalidInput("{field} is not an e-mail address.", field=field)
    return text


async def register_child(
    session: AsyncSession,
    data: ChildData,
    municipality_id: uuid.UUID,
    today: date,
    *,
    prefix: str = "child.",
    current: Child | None = None,
    require_national_id: bool = True,
) -> Child:
    """This log's child row: ``current`` (the child a concern's draft log registered, which
    belongs to that log) filled in with this data, or a new row. Never a row found by the
    national id: another log's child is not this log's business."""
    name = require_text(data.name, f"{prefix}name", max_length=NAME_MAX)
    address = _optional(data.address, f"{prefix}address", ADDRESS_MAX)
    raw = (data.national_id or "").strip()
    if not raw and require_national_id:
        raise InvalidInput(
            "{prefix}nationalId is required.", field=f"{prefix}nationalId", prefix=prefix
        )
    nid = valid_national_id(raw, f"{prefix}nationalId", today) if raw else None
    child = current
    if child is None:
        child = Child(municipality_id=municipality_id, name=name)
        session.add(child)
    child.name = name
    child.municipality_id = municipality_id
    if address is not None:
        child.address = address
    if nid is not None:
        child.national_id = nid.value
        child.national_id_hash = keyed_hash(nid.value)
        child.birth_date = nid.birth_date
    await session.flush()
    return child


async def link_guardians(
    session: AsyncSession,
    child: Child,
    guardians: Sequence[GuardianData],
    today: date,
    *,
    prefix: str = "guardians",
) -> list[Guardian]:
    """A new guardian row for each guardian given, linked to this log's child, in order.

    Never an existing row: a person who is a guardian in another log is registered again
    here, so nothing typed in this log reaches that log's guardian or its links."""
    if not guardians:
        raise InvalidInput("{field} must name at least one guardian.", field=prefix)
    if not any(g.parental_responsibility for g in guardians):
        raise InvalidInput(
            "{field} must include a guardian with parental responsibility.", field=prefix
        )
    parsed = []
    seen: set[str] = set()
    for i, data in enumerate(guardians):
        path = f"{prefix}.{i}."
        name = require_text(data.name, f"{path}name", max_length=NAME_MAX)
        nid = valid_national_id(data.national_id, f"{path}nationalId", today)
        if nid.value in seen or nid.value == child.national_id:
            raise InvalidInput(
                "{path}nationalId names someone already in the list.",
                field=f"{path}nationalId",
                path=path,
            )
        seen.add(nid.value)
        phone = _optional(data.phone, f"{path}phone", PHONE_MAX)
        email = _email(data.email, f"{path}email")
        parsed.append((data, name, nid, phone, email))
    rows = []
    for data, name, nid, phone, email in parsed:
        guardian = Guardian(
            name=name,
            national_id=nid.value,
            national_id_hash=keyed_hash(nid.value),
            phone=phone,
            email=email,
        )
        session.add(guardian)
        await session.flush()
        session.add(
            ChildGuardian(
                child_id=child.id,
                guardian_id=guardian.id,
                parental_responsibility=data.parental_responsibility,
            )
        )
        rows.append(guardian)
    await session.flush()
    return rows
