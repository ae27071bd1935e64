"""Building blocks for data: the demo municipality, test factories and benchmark seeds all
create rows through these, with synthetic national ids only."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    ActorMembership,
    AttentionConversation,
    Child,
    ChildGuardian,
    Consent,
    ConsentDocument,
    Evaluation,
    Guardian,
    LevelChange,
    Measure,
    MeasureResponsible,
    Meeting,
    MeetingParticipant,
    Municipality,
    Note,
    Organisation,
    PointOfAttention,
    RelayLog,
    Sparkle,
    StaffAccount,
    audit,
)
from models.audit import AuditEntry
from models.enums import (
    AuthorKind,
    CloseReason,
    ConsentEvidence,
    ConsentScope,
    EvaluationOutcome,
    MeasureType,
    MeetingStatus,
    OrganisationKind,
    ParticipantKind,
    PointCategory,
    RelayLogStatus,
    StaffRole,
    StatusAfterEvaluation,
)
from models.national_id import parse_national_id, synthetic_national_id
from models.secrets import keyed_hash

__all__ = ["Seeder"]

_sequence = itertools.count()
SCOPES_FOR_LEVEL = {
    0: (),
    1: (ConsentScope.CREATE,),
    2: (ConsentScope.CREATE, ConsentScope.SHARE),
    3: (ConsentScope.CREATE, ConsentScope.SHARE, ConsentScope.BROAD),
}


def new_national_id(birth_date: date) -> str:
    """A fresh synthetic id (month + 80): never a real person's."""
    return synthetic_national_id(birth_date, next(_sequence) % 200)


class Seeder:
    def __init__(self, session: AsyncSession, today: date | None = None) -> None:
        self.session = session
        self.today = today or date.today()

    async def _add(self, row: Any) -> Any:
        self.session.add(row)
        await self.session.flush()
        return row

    async def municipality(
        self, name: str = "Demo kommune", number: str | None = None
    ) -> Municipality:
        number = number or f"{next(_sequence) % 10000:04d}"
        return await self._add(Municipality(name=name, number=number))

    async def organisation(
        self,
        municipality: Municipality,
        name: str,
        kind: OrganisationKind = OrganisationKind.SCHOOL,
    ) -> Organisation:
        return await self._add(Organisation(municipality_id=municipality.id, name=name, kind=kind))

    async def staff(
        self,
        organisation: Organisation,
        name: str,
        *,
        national_id: str | None = None,
        position: str = "Lærer",
        is_manager: bool = False,
        role: StaffRole = StaffRole.STAFF,
        mobile: str | None = "+47 900 00 000",
    ) -> StaffAccount:
        nid = national_id or new_national_id(date(1980, 5, 17))
        return await self._add(
            StaffAccount(
                organisation_id=organisation.id,
                national_id=nid,
                national_id_hash=keyed_hash(nid),
                name=name,
                position=position,
                office_phone="+47 22 00 00 00",
                mobile=mobile,
                email=f"{name.split()[0].lower()}@demo.kommune.no",
                is_manager=is_manager,
                role=role,
            )
        )

    async def guardian(self, name: str, *, national_id: str | None = None) -> Guardian:
        nid = national_id or new_national_id(date(1985, 3, 9))
        return await self._add(
            Guardian(
                name=name,
                national_id=nid,
                national_id_hash=keyed_hash(nid),
                phone="+47 911 11 111",
                email=f"{name.split()[0].lower()}@example.no",
            )
        )

    async def child(
        self,
        municipality: Municipality,
        name: str,
        guardians: list[Guardian],
        *,
        national_id: str | None = None,
        birth_date: date | None = None,
    ) -> Child:
        nid = national_id or new_national_id(birth_date or date(2016, 8, 1))
        child = await self._add(
            Child(
                municipality_id=municipality.id,
                name=name,
                national_id=nid,
                national_id_hash=keyed_hash(nid),
                birth_date=parse_national_id(nid).birth_date,
                address="Storgata 1, 0155 Oslo",
            )
        )
        for guardian in guardians:
            self.session.add(ChildGuardian(child_id=child.id, guardian_id=guardian.id))
        await self.session.flush()
        return child

    async def log(
        self,
        child: Child,
        holder: StaffAccount,
        *,
        level: int = 1,
        status: RelayLogStatus | None = None,
        consenting: list[Guardian] | None = None,
    ) -> RelayLog:
        log = await self._add(
            RelayLog(
                municipality_id=child.municipality_id,
                child_id=child.id,
                level=level,
                status=status or (RelayLogStatus.ACTIVE if level else RelayLogStatus.DRAFT),
            )
        )
        self.session.add(
            ActorMembership(
                log_id=log.id,
                staff_id=holder.id,
                organisation_id=holder.organisation_id,
                is_holder=True,
            )
        )
        self.session.add(
            LevelChange(log_id=log.id, from_level=None, to_level=level, reason="Opprettet")
        )
        for guardian in consenting or []:
            for scope in SCOPES_FOR_LEVEL[level]:
                await self.consent(log, guardian, scope)
        await self.session.flush()
        return log

    async def consent(
        self,
        log: RelayLog,
        guardian: Guardian | None,
        scope: ConsentScope,
        *,
        with_document: bool = True,
        valid_until: date | None = None,
        given_on: date | None = None,
    ) -> Consent:
        document = None
        if with_document:
            content = b"%PDF-1.4\n% signed consent form (synthetic)\n"
            document = await self._add(
                ConsentDocument(
                    log_id=log.id,
                    content_type="application/pdf",
                    size_bytes=len(content),
                    sha256="0" * 64,
                    content=content,
                )
            )
        return await self._add(
            Consent(
                log_id=log.id,
                scope=scope,
                given_by_kind=AuthorKind.GUARDIAN if guardian else AuthorKind.SUBJECT,
                given_by_guardian_id=guardian.id if guardian else None,
                evidence=ConsentEvidence.UPLOADED_FORM if document else ConsentEvidence.IN_APP,
                document_id=document.id if document else None,
                given_on=given_on or min(self.today, valid_until or self.today),
                valid_until=valid_until,
            )
        )

    async def actor(
        self, log: RelayLog, staff: StaffAccount, *, shares_mobile: bool = False
    ) -> ActorMembership:
        return await self._add(
            ActorMembership(
                log_id=log.id,
                staff_id=staff.id,
                organisation_id=staff.organisation_id,
                shares_mobile=shares_mobile,
            )
        )

    async def point(
        self,
        log: RelayLog,
        description: str = "Konsentrasjon i timene",
        category: PointCategory = PointCategory.CONCENTRATION_ATTENTION,
        goal: str = "Vi ser at hun holder fokus en hel økt",
    ) -> PointOfAttention:
        return await self._add(
            PointOfAttention(
                log_id=log.id,
                category=category,
                description=description,
                goal=goal,
                informed_guardian=True,
                assessed_level=log.level,
            )
        )

    async def measure(
        self,
        point: PointOfAttention,
        description: str = "Faste pauser hver 20. minutt",
        *,
        type: MeasureType = MeasureType.ONE_ON_ONE,
        responsible: list[StaffAccount] | None = None,
        responsible_guardians: bool = False,
        responsible_child: bool = False,
        days: int = 30,
        initiated_on: date | None = None,
    ) -> Measure:
        start = initiated_on or self.today
        measure = await self._add(
            Measure(
                log_id=point.log_id,
                point_id=point.id,
                type=type,
                description=description,
                responsible_guardians=responsible_guardians,
                responsible_child=responsible_child,
                initiated_on=start,
                finished_by=start + timedelta(days=days),
            )
        )
        for staff in responsible or []:
            self.session.add(MeasureResponsible(measure_id=measure.id, staff_id=staff.id))
        await self.session.flush()
        return measure

    async def evaluation(
        self,
        measure: Measure,
        author: StaffAccount,
        outcome: EvaluationOutcome = EvaluationOutcome.SOME_EFFECT,
        status_after: StatusAfterEvaluation = StatusAfterEvaluation.WILL_BE_ADJUSTED,
        comment: str = "Bedre etter to uker",
    ) -> Evaluation:
        return await self._add(
            Evaluation(
                log_id=measure.log_id,
                measure_id=measure.id,
                outcome=outcome,
                status_after=status_after,
                comment=comment,
                author_kind=AuthorKind.STAFF,
                author_staff_id=author.id,
            )
        )

    async def meeting(
        self,
        log: RelayLog,
        *,
        held_on: date | None = None,
        status: MeetingStatus = MeetingStatus.PLANNED,
        actors: list[StaffAccount] | None = None,
        guardians: list[Guardian] | None = None,
        child_present: bool = False,
    ) -> Meeting:
        meeting = await self._add(
            Meeting(
                log_id=log.id,
                held_on=held_on or self.today + timedelta(days=7),
                starts_at=time(14, 0),
                ends_at=time(15, 0),
                place="Møterom 2",
                status=status,
            )
        )
        done = status is MeetingStatus.COMPLETED
        for staff in actors or []:
            self.session.add(
                MeetingParticipant(
                    meeting_id=meeting.id,
                    kind=ParticipantKind.ACTOR,
                    staff_id=staff.id,
                    present=True if done else None,
                )
            )
        for guardian in guardians or []:
            self.session.add(
                MeetingParticipant(
                    meeting_id=meeting.id,
                    kind=ParticipantKind.GUARDIAN,
                    guardian_id=guardian.id,
                    present=True if done else None,
                )
            )
        if child_present:
            self.session.add(
                MeetingParticipant(meeting_id=meeting.id, kind=ParticipantKind.CHILD, present=True)
            )
        await self.session.flush()
        return meeting

    async def note(
        self,
        log: RelayLog,
        text: str = "Referat fra loggmøte",
        *,
        staff: StaffAccount | None = None,
        guardian: Guardian | None = None,
        adults_only: bool = False,
        is_summary: bool = False,
    ) -> Note:
        return await self._add(
            Note(
                log_id=log.id,
                text=text,
                adults_only=adults_only,
                is_summary=is_summary,
                **_author(staff, guardian),
            )
        )

    async def sparkle(
        self,
        log: RelayLog,
        text: str = "Hun rakk opp hånda i matte i dag!",
        *,
        staff: StaffAccount | None = None,
        guardian: Guardian | None = None,
    ) -> Sparkle:
        return await self._add(
            Sparkle(log_id=log.id, occurred_on=self.today, text=text, **_author(staff, guardian))
        )

    async def access(
        self,
        log: RelayLog,
        who: StaffAccount | Guardian | Child,
        relation: str,
        action: str = "READ",
        *,
        fields: tuple[str, ...] = ("LOG_SUMMARY",),
        at: datetime | None = None,
    ) -> None:
        """An audit event, as if ``who`` had read (or changed) the log at ``at``."""
        kind = (
            "STAFF"
            if isinstance(who, StaffAccount)
            else "GUARDIAN"
            if isinstance(who, Guardian)
            else "SUBJECT"
        )
        await audit.append(
            self.session,
            [
                AuditEntry(
                    actor_kind=kind,
                    actor_id=who.id,
                    relation=relation,
                    action=action,
                    object_type="RelayLog",
                    object_id=log.id,
                    log_id=log.id,
                    fields=fields if action == "READ" else (),
                    occurred_at=at,
                )
            ],
        )

    async def close(
        self,
        log: RelayLog,
        reason: CloseReason = CloseReason.GOAL_REACHED,
        *,
        closed_at: datetime | None = None,
        status: RelayLogStatus = RelayLogStatus.CLOSED,
    ) -> RelayLog:
        """Mark a log closed (or archived) as of ``closed_at``, as the lifecycle would."""
        log.status = status
        log.close_reason = reason
        log.closed_at = closed_at or datetime.combine(self.today, time(12), tzinfo=UTC)
        log.last_activity_at = log.closed_at
        await self.session.flush()
        return log

    async def concern(
        self, log: RelayLog, staff: StaffAccount, *, held_on: date, observation: str = "Uro"
    ) -> AttentionConversation:
        return await self._add(
            AttentionConversation(
                log_id=log.id, staff_id=staff.id, observation=observation, held_on=held_on
            )
        )


def _author(staff: StaffAccount | None, guardian: Guardian | None) -> dict[str, Any]:
    if staff is not None:
        return {"author_kind": AuthorKind.STAFF, "author_staff_id": staff.id}
    if guardian is not None:
        return {"author_kind": AuthorKind.GUARDIAN, "author_guardian_id": guardian.id}
    return {"author_kind": AuthorKind.SUBJECT}
