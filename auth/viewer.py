"""Who is asking: the person behind a verified token, as this service knows them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from sqlalchemy import Integer, LargeBinary, bindparam, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from auth.tokens import VerifiedToken
from models import Child, Guardian, Municipality, Organisation, StaffAccount
from models.enums import StaffRole
from models.national_id import NationalIdError, age_on, parse_national_id
from models.secrets import lookup_hashes

__all__ = ["Viewer", "ViewerKind", "home_audience", "resolve_viewer"]


class ViewerKind(StrEnum):
    STAFF = "STAFF"
    MUNICIPAL_ADMIN = "MUNICIPAL_ADMIN"
    REPORTER = "REPORTER"
    GUARDIAN = "GUARDIAN"
    SUBJECT = "SUBJECT"


@dataclass(frozen=True, slots=True)
class Viewer:
    kind: ViewerKind
    audience: Audience
    acr: str
    staff_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    municipality_id: uuid.UUID | None = None
    is_manager: bool = False
    guardian_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    subject_child_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)

    @property
    def person_id(self) -> uuid.UUID | None:
        """The id the audit trail records for this viewer."""
        if self.staff_id is not None:
            return self.staff_id
        if self.guardian_ids:
            return min(self.guardian_ids)
        if self.subject_child_ids:
            return min(self.subject_child_ids)
        return None

    def __repr__(self) -> str:
        return f"Viewer(kind={self.kind}, audience={self.audience})"


_STAFF_KIND = {
    StaffRole.STAFF: ViewerKind.STAFF,
    StaffRole.MUNICIPAL_ADMIN: ViewerKind.MUNICIPAL_ADMIN,
    StaffRole.REPORTER: ViewerKind.REPORTER,
}
_AUDIENCE_ROLES = {
    Audience.STAFF: {StaffRole.STAFF, StaffRole.MUNICIPAL_ADMIN},
    Audience.REPORTING: {StaffRole.REPORTER},
}


# Built once: every request runs one of these with the keyed hashes of its person's id (one;
# two while the data secret is being rotated, ``models.secrets.lookup_hashes``).
_PID_HASH = bindparam("pid_hashes", type_=LargeBinary, expanding=True)
_STAFF = (
    select(
        StaffAccount.id,
        StaffAccount.organisation_id,
        StaffAccount.role,
        StaffAccount.is_manager,
        Organisation.municipality_id,
    )
    .join(Organisation, Organisation.id == StaffAccount.organisation_id)
    .where(StaffAccount.national_id_hash.in_(_PID_HASH), StaffAccount.active.is_(True))
)
_FAMILY = union_all(
    select(
        literal("GUARDIAN").label("kind"), Guardian.id, literal(None, Integer).label("age")
    ).where(Guardian.national_id_hash.in_(_PID_HASH)),
    select(literal("CHILD"), Child.id, Municipality.subject_consent_age)
    .join(Municipality, Municipality.id == Child.municipality_id)
    .where(Child.national_id_hash.in_(_PID_HASH)),
)


async def resolve_viewer(
    session: AsyncSession, token: VerifiedToken, audience: Audience, today: date
) -> Viewer | None:
    """Match a verified token to a staff account or to the family of registered children.

    ``None`` when the person is not known to this audience: they see the public surface only.
    """
    pid_hash = list(lookup_hashes(token.pid))
    if audience is Audience.FAMILY:
        return await _family_viewer(session, token, pid_hash, today)
    # Core rows on the session's connection: no ORM work for a lookup of a few columns.
    connection = await session.connection()
    staff = (await connection.execute(_STAFF, {"pid_hashes": pid_hash})).first()
    if staff is None or staff.role not in _AUDIENCE_ROLES[audience]:
        return None
    return Viewer(
        kind=_STAFF_KIND[staff.role],
        audience=audience,
        acr=token.acr,
        staff_id=staff.id,
        organisation_id=staff.organisation_id,
        municipality_id=staff.municipality_id,
        is_manager=staff.is_manager,
    )


async def _family_viewer(
    session: AsyncSession, token: VerifiedToken, pid_hash: list[bytes], today: date
) -> Viewer | None:
    """Every guardian row and every child row of this person: each log has its own rows
    (``models.operations.person``), so a person in several logs has several of each. One
    statement finds both."""
    connection = await session.connection()
    rows = (await connection.execute(_FAMILY, {"pid_hashes": pid_hash})).all()
    guardian_ids = frozenset(row.id for row in rows if row.kind == "GUARDIAN")
    child_rows = [row for row in rows if row.kind == "CHILD"]
    subject_ids: frozenset[uuid.UUID] = frozenset()
    if child_rows:
        try:
            age: int | None = age_on(parse_national_id(token.pid), today)
        except NationalIdError:
            age = None
        subject_ids = frozenset(row.id for row in child_rows if age is not None and age >= row.age)
    if not guardian_ids and not subject_ids:
        return None
    return Viewer(
        kind=ViewerKind.GUARDIAN if guardian_ids else ViewerKind.SUBJECT,
        audience=Audience.FAMILY,
        acr=token.acr,
        guardian_ids=guardian_ids,
        subject_child_ids=subject_ids,
    )


async def home_audience(
    session: AsyncSession, token: VerifiedToken, asked: Audience, today: date
) -> Audience | None:
    """The endpoint that would admit the person of a token that ``asked`` does not admit.

    Asked only after ``resolve_viewer`` found nobody, so a front end that sends a guardian
    to the staff endpoint is told where to go (the token's owner learns only about
    themself). ``None``: nobody anywhere, the public surface as before."""
    for audience in Audience:
        if audience is not asked and await resolve_viewer(session, token, audience, today):
            return audience
    return None
