"""A small municipality with one person of every relation, and fully populated logs."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from PIL import Image
from pypdf import PdfWriter
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Child,
    Guardian,
    Municipality,
    Note,
    Organisation,
    RelayLog,
    StaffAccount,
    Transfer,
    TransferApproval,
)
from models.base import utcnow
from models.enums import (
    ActorStatus,
    AuthorKind,
    ConsentScope,
    MeetingStatus,
    OrganisationKind,
    RelayLogStatus,
    StaffRole,
    TransferStatus,
)
from models.operations.note import edit_note
from relaylog.seed import Seeder

__all__ = ["TODAY", "World", "build_world", "other_municipality"]

TODAY = date(2026, 11, 25)


@dataclass
class World:
    seed: Seeder
    municipality: Municipality
    school: Organisation
    health: Organisation
    holder: StaffAccount
    actor: StaffAccount
    external: StaffAccount
    manager: StaffAccount
    outsider: StaffAccount
    other_manager: StaffAccount
    admin: StaffAccount
    reporter: StaffAccount
    guardian: Guardian
    other_guardian: Guardian
    youth: Child

    async def full_log(self, level: int, *, every_field: bool = False) -> RelayLog:
        """A log of the youth at ``level`` with every kind of data in it.

        The actor shares their mobile with the family; the external actor does not.
        ``every_field`` also fills what only some logs have (a paused reason, a deactivated
        actor, a transfer the family approved and the holder then cancelled), so that the
        policy matrix sees a value in every field.
        """
        s = self.seed
        log = await s.log(self.youth, self.holder, level=level, consenting=[self.guardian])
        await s.consent(log, None, ConsentScope.CREATE, with_document=True)
        await s.actor(log, self.actor, shares_mobile=True)
        await s.actor(log, self.external, shares_mobile=False)
        point = await s.point(log)
        measure = await s.measure(point, responsible=[self.actor], responsible_guardians=True)
        await s.evaluation(measure, self.actor)
        meeting = await s.meeting(
            log,
            held_on=TODAY - timedelta(days=3),
            status=MeetingStatus.COMPLETED,
            actors=[self.holder],
            guardians=[self.guardian],
            child_present=True,
        )
        await s.note(log, "Til alle", staff=self.holder)
        await s.note(log, "Bare for voksne", staff=self.holder, adults_only=True)
        await s.sparkle(log, staff=self.actor)
        await s.concern(log, self.holder, held_on=TODAY - timedelta(days=30))
        if every_field:
            meeting.agenda = "Status for tiltakene; veien videre"
            await self.minutes(log, meeting.id)
            gone = await s.actor(log, self.outsider)
            gone.status = ActorStatus.DEACTIVATED
            gone.deactivated_at = utcnow()
            gone.deactivated_reason = "Sluttet i stillingen"
            transfer = Transfer(
                log_id=log.id,
                from_staff_id=self.holder.id,
                to_staff_id=self.external.id,
                from_organisation_id=self.school.id,
                to_organisation_id=self.health.id,
                status=TransferStatus.CANCELLED,
                reason="Flytter til helsestasjonen",
                decided_at=utcnow(),
            )
            s.session.add(transfer)
            await s.session.flush()
            s.session.add(
                TransferApproval(
                    transfer_id=transfer.id,
                    log_id=log.id,
                    given_by_kind=AuthorKind.GUARDIAN,
                    given_by_guardian_id=self.guardian.id,
                )
            )
            log.status = RelayLogStatus.PAUSED
            log.paused_reason = "Sommerferie etter avtale"
            await s.session.flush()
        return log

    async def minutes(self, log: RelayLog, meeting_id: uuid.UUID) -> Note:
        """The holder's minutes of a meeting, edited twice: first written adults-only
        (that version stays hidden from the youth), then opened to all, then corrected."""
        s = self.seed
        note = await s.note(log, "Utkast til referat", staff=self.holder, adults_only=True)
        note.meeting_id = meeting_id
        await s.session.flush()
        await edit_note(
            s.session, note, note.version, text="Referat, andre utkast", adults_only=False
        )
        await edit_note(s.session, note, note.version, text="Referat fra loggmøtet")
        return note

    async def several_children(self) -> list[RelayLog]:
        """Five logs of five children held by the holder, for lists: names out of their
        creation order, levels 0-3, open measures with different deadlines (one log with
        none), an activity plan, two logs with the same last activity; the actor in the
        first three, the external actor in the last three. Returned in creation order."""
        s = self.seed
        people = [
            ("Dag Ek", "Dorte Ek", 2, 20, 5),
            ("Åse Berg", "Arne Berg", 1, 5, 4),
            ("Cecilie Aas", "Cato Aas", 3, None, 4),
            ("Bjørn Dahl", "Berit Dahl", 2, -2, 2),
            ("Ella Fjell", "Erik Fjell", 0, None, 1),
        ]
        logs = []
        now = utcnow().replace(microsecond=0)
        for index, (child_name, guardian_name, level, days, hours_ago) in enumerate(people):
            guardian = await s.guardian(guardian_name)
            child = await s.child(self.municipality, child_name, [guardian])
            log = await s.log(child, self.holder, level=level, consenting=[guardian])
            if index < 3:
                await s.actor(log, self.actor)
            if index >= 2:
                await s.actor(log, self.external)
            if days is not None:
                point = await s.point(log)
                await s.measure(point, days=days + 10, initiated_on=TODAY - timedelta(days=10))
            log.last_activity_at = now - timedelta(hours=hours_ago)
            logs.append(log)
        logs[2].activity_plan_reported_on = TODAY - timedelta(days=2)
        await s.session.flush()
        return logs


async def build_world(session: AsyncSession) -> World:
    s = Seeder(session, TODAY)
    kommune = await s.municipality("Testkommune")
    school = await s.organisation(kommune, "Bakken skole", OrganisationKind.SCHOOL)
    health = await s.organisation(kommune, "Helsestasjonen", OrganisationKind.HEALTH)
    other_school = await s.organisation(kommune, "Dalen skole", OrganisationKind.SCHOOL)
    office = await s.organisation(kommune, "Kommunen", OrganisationKind.PPT)
    return World(
        seed=s,
        municipality=kommune,
        school=school,
        health=health,
        holder=await s.staff(school, "Hanne Holder", mobile="+47 900 00 001"),
        actor=await s.staff(school, "Anders Aktør", mobile="+47 900 00 002"),
        external=await s.staff(health, "Eva Ekstern", mobile="+47 900 00 003"),
        manager=await s.staff(school, "Mona Leder", is_manager=True),
        outsider=await s.staff(school, "Olav Utenfor"),
        other_manager=await s.staff(other_school, "Per Annen", is_manager=True),
        admin=await s.staff(office, "Kari Admin", role=StaffRole.MUNICIPAL_ADMIN),
        reporter=await s.staff(office, "Rune Rapport", role=StaffRole.REPORTER),
        guardian=(guardian := await s.guardian("Gunnar Foresatt")),
        other_guardian=(other := await s.guardian("Marit Foresatt")),
        youth=await s.child(kommune, "Ylva Ungdom", [guardian, other], birth_date=date(2010, 3, 1)),
    )


def png_file() -> bytes:
    """A real (tiny) scanned form: a PNG that decodes."""
    out = io.BytesIO()
    Image.new("L", (8, 8), 255).save(out, format="PNG")
    return out.getvalue()


def jpeg_file() -> bytes:
    """A real (tiny) photographed form: a JPEG that decodes."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (255, 255, 255)).save(out, format="JPEG")
    return out.getvalue()


def pdf_file(size: int | None = None) -> bytes:
    """A one-page PDF that parses; ``size``: exactly that many bytes (padded with an
    embedded file, so it still parses)."""

    def build(padding: int) -> bytes:
        writer = PdfWriter()
        writer.add_blank_page(595, 842)
        if padding:
            writer.add_attachment("padding.bin", b"\x00" * padding)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    content = build(0)
    if size is None:
        return content
    padding = max(size - len(content) - 200, 1)
    for _ in range(5):
        content = build(padding)
        if len(content) == size:
            return content
        padding += size - len(content)
    raise AssertionError(f"could not build a PDF of {size} bytes")


async def other_municipality(world: World) -> tuple[Organisation, StaffAccount]:
    """A neighbouring municipality with one unit and its own admin: nothing of ours is theirs."""
    s = world.seed
    elsewhere = await s.municipality("Nabokommune")
    unit = await s.organisation(elsewhere, "Nabo skole", OrganisationKind.SCHOOL)
    office = await s.organisation(elsewhere, "Nabokommunen", OrganisationKind.PPT)
    admin = await s.staff(office, "Nina Naboadmin", role=StaffRole.MUNICIPAL_ADMIN)
    return unit, admin
