"""People on a log: the holder corrects the child's address and the guardians' contact
details, adds a guardian later and removes one (custody changed); a guardian corrects their
own phone and e-mail. Versioned on the log; the rules are in ``models.operations.people``."""

from __future__ import annotations

from typing import Any

import strawberry

from auth.policy import Action, Audience
from models.base import utcnow
from models.operations import people as ops
from models.operations import relay_log as log_ops
from models.relay_log import RelayLog as LogRow
from schema.mutations.base import Write, mutation, reference, reply
from schema.mutations.relay_log import VERSION, RelayLogPayload

__all__ = ["add_guardian", "edit_child", "edit_guardian", "edit_own_contact", "remove_guardian"]

STAFF = [Audience.STAFF]
FAMILY = [Audience.FAMILY]


@strawberry.input
class EditChildInput:
    log_id: strawberry.ID
    expected_version: int = strawberry.field(description=VERSION)
    address: str | None = strawberry.field(description="Null or empty clears it.")


@strawberry.input(description="Only the fields given change; null clears a phone or e-mail.")
class EditGuardianInput:
    log_id: strawberry.ID
    guardian_id: strawberry.ID = strawberry.field(description="From log.guardians { id }.")
    expected_version: int = strawberry.field(description=VERSION)
    name: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET


@strawberry.input(description="Only the fields given change; null clears it.")
class EditOwnContactInput:
    log_id: strawberry.ID
    expected_version: int = strawberry.field(description=VERSION)
    phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET


@strawberry.input
class AddGuardianInput:
    log_id: strawberry.ID
    expected_version: int = strawberry.field(description=VERSION)
    name: str
    national_id: str = strawberry.field(description="11 digits with valid check digits.")
    phone: str | None = None
    email: str | None = None
    parental_responsibility: bool = strawberry.field(
        default=True,
        description="With it, the guardian must consent too: every scope that needs every "
        "guardian with parental responsibility is incomplete until they do (the current "
        "level stays; no raise until then).",
    )


@strawberry.input
class RemoveGuardianInput:
    log_id: strawberry.ID
    guardian_id: strawberry.ID
    expected_version: int = strawberry.field(description=VERSION)
    reason: str = strawberry.field(description="Kept in the log's history (custody changed).")


def _given(value: Any) -> Any:
    return ops.UNSET if value is strawberry.UNSET else value


async def _open(w: Write, log_id: strawberry.ID, action: Action) -> LogRow:
    access = await w.log(log_id, action)
    return await log_ops.load_log(w.session, access.log_id)


def _guardian_id(raw: strawberry.ID) -> Any:
    return reference(raw, "Guardian", "guardian", "guardianId")


def _staff_id(w: Write) -> Any:
    return w.viewer.staff_id


@mutation(STAFF, audit="Child", description="Correct the child's address (the holder).")
async def edit_child(w: Write, input: EditChildInput) -> RelayLogPayload:
    log = await _open(w, input.log_id, Action.EDIT_PEOPLE)
    w.object_id = log.child_id
    changed = await ops.edit_child(w.session, log, input.expected_version, input.address)
    return reply(RelayLogPayload, log=changed)


@mutation(
    STAFF, audit="Guardian", description="Correct a guardian's name, phone or e-mail (the holder)."
)
async def edit_guardian(w: Write, input: EditGuardianInput) -> RelayLogPayload:
    log = await _open(w, input.log_id, Action.EDIT_PEOPLE)
    guardian, _ = await ops.guardian_of_log(w.session, log, _guardian_id(input.guardian_id))
    w.object_id = guardian.id
    contact = ops.Contact(
        name=_given(input.name) if input.name is not None else ops.UNSET,
        phone=_given(input.phone),
        email=_given(input.email),
    )
    changed = await ops.edit_guardian(w.session, log, guardian, input.expected_version, contact)
    return reply(RelayLogPayload, log=changed)


@mutation(FAMILY, audit="Guardian", description="Correct your own phone and e-mail (a guardian).")
async def edit_own_contact(w: Write, input: EditOwnContactInput) -> RelayLogPayload:
    log = await _open(w, input.log_id, Action.EDIT_OWN_CONTACT)
    guardian, _ = await ops.guardian_of_log(w.session, log, w.author.guardian_id, "logId")
    w.object_id = guardian.id
    contact = ops.Contact(phone=_given(input.phone), email=_given(input.email))
    changed = await ops.edit_guardian(w.session, log, guardian, input.expected_version, contact)
    return reply(RelayLogPayload, log=changed)


@mutation(
    STAFF,
    audit="Guardian",
    description="Add a guardian to the log (the holder), e.g. the second parent with shared "
    "custody. With parental responsibility they must consent too: the level stays, raises "
    "wait for their consent.",
)
async def add_guardian(w: Write, input: AddGuardianInput) -> RelayLogPayload:
    log = await _open(w, input.log_id, Action.CHANGE_GUARDIANS)
    guardian = await ops.add_guardian(
        w.session,
        log,
        input.expected_version,
        name=input.name,
        national_id=input.national_id,
        phone=input.phone,
        email=input.email,
        parental_responsibility=input.parental_responsibility,
        added_by=_staff_id(w),
        today=w.today,
    )
    w.object_id = guardian.id
    return reply(RelayLogPayload, log=log)


@mutation(
    STAFF,
    audit="Guardian",
    description="Remove a guardian from the log (the holder; custody changed), with the "
    "reason. They no longer see the log and their consents stop counting.",
)
async def remove_guardian(w: Write, input: RemoveGuardianInput) -> RelayLogPayload:
    log = await _open(w, input.log_id, Action.CHANGE_GUARDIANS)
    guardian, link = await ops.guardian_of_log(w.session, log, _guardian_id(input.guardian_id))
    w.object_id = guardian.id
    changed = await ops.remove_guardian(
        w.session,
        log,
        guardian,
        link,
        input.expected_version,
        input.reason,
        removed_by=_staff_id(w),
        now=utcnow(),
    )
    return reply(RelayLogPayload, log=changed)
