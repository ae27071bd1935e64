"""Keeping the people of a log right after ``createLog``: the child's address, the guardians'
contact details, a guardian added later (the second parent with shared custody) or removed
(custody changed).

Decisions:

- **Versioned on the log.** The child and guardian rows belong to one log each
  (``models.operations.person``), so an edit names the log's ``expectedVersion`` and moves it
  on, like every other edit of the log record; a stale one is a ``CONFLICT``.
- **Adding a guardian with parental responsibility** makes them a required consenter at once
  (the consent state is computed from the current links, ``models.operations.consent``):
  every scope that needed every such guardian is incomplete until they consent. **The
  current level stays** — as with an expired consent, nobody withdrew anything, and lowering
  would drop the services working with the child before the new guardian was even asked —
  but no raise is possible until they consent, and from level 1 they see the log and may
  consent in-app, or end it (``endLog``), like any guardian.
- **Removing a guardian** unlinks them from the child (no relation to the log any more; their
  consents stop counting, which never makes a scope less valid) and keeps who, when, by whom
  and why in ``guardian_change``. Their row stays while consents, notes or meetings name it.
  The last guardian with parental responsibility cannot be removed: add the new one first.
- **``parentalResponsibility: false``** is stored as given when a guardian is added, never
  dropped (the link stays; such a guardian is not a consenter and has no access).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.errors import InvalidInput, NotFound
from models.operations.administration import valid_email
from models.operations.person import ADDRESS_MAX, NAME_MAX, valid_national_id
from models.operations.validation import require_text
from models.operations.versioning import bump, require_version
from models.person import Child, ChildGuardian, Guardian
from models.person_history import GUARDIAN_ADDED, GUARDIAN_REMOVED, GuardianChange
from models.relay_log import RelayLog
from models.secrets import keyed_hash, lookup_hashes

__all__ = [
    "UNSET",
    "Contact",
    "Unset",
    "add_guardian",
    "edit_child",
    "edit_guardian",
    "guardian_of_log",
    "remove_guardian",
    "valid_guardian_phone",
]

REASON_MAX = 500
_NORWEGIAN = re.compile(r"(?:\+47|0047)?[2-9]\d{7}")
_INTERNATIONAL = re.compile(r"\+[1-9]\d{6,14}")


class Unset:
    """A field the caller did not give (``None`` clears it)."""


UNSET = Unset()


@dataclass(frozen=True, slots=True)
class Contact:
    """The changes to a guardian's contact details; ``UNSET`` leaves a field as it is."""

    name: str | Unset = UNSET
    phone: str | Unset | None = UNSET
    email: str | Unset | None = UNSET


def valid_guardian_phone(value: str | None, field: str) -> str | None:
    """A Norwegian number (8 digits, optionally +47), or an international one in +<country>
    form (a parent may live abroad); ``None`` for empty."""
    text = (value or "").strip()
    if not text:
        return None
    compact = re.sub(r"[ \-]", "", text)
    if not (_NORWEGIAN.fullmatch(compact) or _INTERNATIONAL.fullmatch(compact)):
        raise InvalidInput(
            "{field} is not a phone number (8 Norwegian digits, or +<country code>).", field=field
        )
    return text


async def guardian_of_log(
    session: AsyncSession, log: RelayLog, guardian_id: uuid.UUID | None, field: str = "guardianId"
) -> tuple[Guardian, ChildGuardian]:
    """A guardian linked to this log's child; any other id is answered as missing."""
    link = None
    if guardian_id is not None:
        link = await session.get(ChildGuardian, (log.child_id, guardian_id))
    guardian = None if link is None else await session.get(Guardian, guardian_id)
    if link is None or guardian is None:
        raise NotFound("No such guardian.", field=field)
    return guardian, link


def _touch(log: RelayLog, expected_version: int) -> None:
    require_version(log, expected_version)
    bump(log)


async def edit_child(
    session: AsyncSession, log: RelayLog, expected_version: int, address: str | None
) -> RelayLog:
    """Correct the child's address (``None`` or empty clears it)."""
    _touch(log, expected_version)
    child = await session.get(Child, log.child_id)
    assert child is not None
    text = require_text(address or "", "address", max_length=ADDRESS_MAX, allow_empty=True)
    child.address = text or None
    await session.flush()
    return log


async def edit_guardian(
    session: AsyncSession,
    log: RelayLog,
    guardian: Guardian,
    expected_version: int,
    contact: Contact,
) -> RelayLog:
    """Correct a guardian's name, phone or e-mail (only the fields given)."""
    _touch(log, expected_version)
    if not isinstance(contact.name, Unset):
        guardian.name = require_text(contact.name, "name", max_length=NAME_MAX)
    if not isinstance(contact.phone, Unset):
        guardian.phone = valid_guardian_phone(contact.phone, "phone")
    if not isinstance(contact.email, Unset):
        guardian.email = valid_email(contact.email, "email")
    await session.flush()
    return log


async def add_guardian(
    session: AsyncSession,
    log: RelayLog,
    expected_version: int,
    *,
    name: str,
    national_id: str,
    phone: str | None,
    email: str | None,
    parental_responsibility: bool,
    added_by: uuid.UUID | None,
    today: date,
) -> Guardian:
    """A new guardian row for this log's child (never another log's row)."""
    _touch(log, expected_version)
    nid = valid_national_id(national_id.strip(), "nationalId", today)
    nid_hash = keyed_hash(nid.value)
    known_as = lookup_hashes(nid.value)  # two while the data secret is rotated
    child = await session.get(Child, log.child_id)
    assert child is not None
    already = await session.scalar(
        select(Guardian.id)
        .join(ChildGuardian, ChildGuardian.guardian_id == Guardian.id)
        .where(ChildGuardian.child_id == child.id, Guardian.national_id_hash.in_(known_as))
    )
    if already is not None or child.national_id_hash in known_as:
        raise InvalidInput("nationalId names someone already in the log.", field="nationalId")
    guardian = Guardian(
        name=require_text(name, "name", max_length=NAME_MAX),
        national_id=nid.value,
        national_id_hash=nid_hash,
        phone=valid_guardian_phone(phone, "phone"),
        email=valid_email(email, "email"),
    )
    session.add(guardian)
    await session.flush()
    session.add(
        ChildGuardian(
            child_id=child.id,
            guardian_id=guardian.id,
            parental_responsibility=parental_responsibility,
        )
    )
    session.add(
        GuardianChange(
            log_id=log.id, guardian_id=guardian.id, change=GUARDIAN_ADDED, changed_by_id=added_by
        )
    )
    await session.flush()
    return guardian


async def remove_guardian(
    session: AsyncSession,
    log: RelayLog,
    guardian: Guardian,
    link: ChildGuardian,
    expected_version: int,
    reason: str,
    *,
    removed_by: uuid.UUID | None,
    now: datetime,
) -> RelayLog:
    """Unlink a guardian from the child (custody changed), keeping why in the history."""
    _touch(log, expected_version)
    text = require_text(reason, "reason", max_length=REASON_MAX)
    if link.parental_responsibility:
        others = await session.scalar(
            select(ChildGuardian.guardian_id).where(
                ChildGuardian.child_id == log.child_id,
                ChildGuardian.parental_responsibility.is_(True),
                ChildGuardian.guardian_id != guardian.id,
            )
        )
        if others is None:
            raise InvalidInput(
                "The last guardian with parental responsibility cannot be removed; add the "
                "new guardian first.",
                field="guardianId",
            )
    await session.execute(
        delete(ChildGuardian)
        .where(ChildGuardian.child_id == log.child_id, ChildGuardian.guardian_id == guardian.id)
        .execution_options(synchronize_session=False)
    )
    session.expunge(link)
    session.add(
        GuardianChange(
            log_id=log.id,
            guardian_id=guardian.id,
            change=GUARDIAN_REMOVED,
            reason=text,
            changed_by_id=removed_by,
            changed_at=now,
        )
    )
    await session.flush()
    return log
