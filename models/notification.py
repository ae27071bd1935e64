"""Notifications: the mails the worker owes people, and how each person wants them.

A ``Notification`` row is one mail to one person, with its idempotency key: the worker
creates it (from a domain event, a reminder, a report), a job sends it, and the row says
whether it went (``SENT``), was skipped (``SKIPPED``: no or malformed address, mail turned
off, nothing the person may read any more) or gave up after the last try (``DEAD``, the
dead letter the operator sees in ``relaylog worker-status``). A job that runs twice finds the
row ``SENT`` and sends nothing: the row, not the job queue, is what makes a mail go once.

The rows hold ids, kinds and times only: the address is looked up when the mail is sent,
and the mail itself names no child, no person and no content (``relaylog.mail_texts``).

Rules of the product (issue 16):
- **At most one mail per person per log per hour** (``next_mail_at``, for news and reminders
  alike). News waits in one ``PENDING`` row per person and log (``coalesce_key``, unique
  while pending); a new event while one is pending changes nothing, and the next mail about
  a log waits until an hour after the last one sent or owed. Reminders are one per person,
  log and Oslo day, whatever is due in it (the text names no topic).
- The morning digest is one per *person*: a family member is a guardian row in each of
  their children's logs, and all of them share one digest (keyed by the national id's
  keyed hash, as the preference is).
- **Preferences per person**: ``IMMEDIATE`` (news within the hour), ``DAILY`` (one digest
  each morning at 07:00 Oslo time with the number of logs that have news), ``OFF`` (no news,
  no reminders). Defaults: guardians ``IMMEDIATE`` (they sign in rarely; the hourly limit
  keeps it calm), staff ``DAILY`` (they follow many logs and work in them daily). Reminders
  of deadlines go to ``IMMEDIATE`` and ``DAILY`` people alike (they are time-bound); the unit
  manager's passive-log report goes whatever the preference (a duty of the control routine).
- Language: ``nb`` unless the person chose another language of the catalogs
  (``models.i18n.Language``: the mails are complete in all of them).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, UUIDPrimaryKey, utcnow
from models.i18n import Language
from models.person import Guardian
from models.relay_log import OSLO

__all__ = [
    "DEFAULT_DELIVERY",
    "DIGEST_AT",
    "NEWS_INTERVAL",
    "Delivery",
    "Language",
    "Notification",
    "NotificationKind",
    "NotificationPreference",
    "NotificationStatus",
    "Recipient",
    "RecipientKind",
    "next_digest_at",
    "next_mail_at",
    "person_hash_of_guardians",
    "preference_of",
    "queue_news",
    "queue_once",
]

NEWS_INTERVAL = timedelta(hours=1)
DIGEST_AT = time(7, 0)


class Delivery(StrEnum):
    IMMEDIATE = "IMMEDIATE"
    DAILY = "DAILY"
    OFF = "OFF"


class RecipientKind(StrEnum):
    STAFF = "STAFF"
    GUARDIAN = "GUARDIAN"


class NotificationKind(StrEnum):
    NEWS = "NEWS"  # there is news in a log you follow
    DIGEST = "DIGEST"  # the morning summary: news in N logs
    REMINDER = "REMINDER"  # a deadline, a meeting tomorrow, an activity plan
    REPORT = "REPORT"  # the passive-log report is ready (unit managers)


class NotificationStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    SKIPPED = "SKIPPED"
    DEAD = "DEAD"


DEFAULT_DELIVERY = {RecipientKind.STAFF: Delivery.DAILY, RecipientKind.GUARDIAN: Delivery.IMMEDIATE}


class NotificationPreference(UUIDPrimaryKey, TimestampMixin, Base):
    """How one person wants to be told: staff by account, family members by the keyed hash
    of their national id (one person, whichever of their per-log guardian rows)."""

    __tablename__ = "notification_preference"
    __table_args__ = (
        CheckConstraint("(staff_id IS NULL) <> (person_hash IS NULL)", name="one_person"),
        CheckConstraint("delivery IN ('IMMEDIATE', 'DAILY', 'OFF')", name="delivery"),
        CheckConstraint(
            "language IN ('nb', 'nn', 'en', 'se', 'pl', 'lt', 'so', 'ar', 'uk', 'ti')",
            name="language",
        ),
    )

    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_account.id"), unique=True)
    person_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32), unique=True)
    delivery: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5), default=Language.NB.value)


class Notification(UUIDPrimaryKey, Base):
    __tablename__ = "notification"
    __table_args__ = (
        CheckConstraint("status IN ('PENDING', 'SENT', 'SKIPPED', 'DEAD')", name="status"),
        CheckConstraint("kind IN ('NEWS', 'DIGEST', 'REMINDER', 'REPORT')", name="kind"),
        CheckConstraint("recipient_kind IN ('STAFF', 'GUARDIAN')", name="recipient_kind"),
        Index(
            "uq_notification_pending",
            "coalesce_key",
            unique=True,
            postgresql_where=text("status = 'PENDING'"),
        ),
        Index(
            "ix_notification_due",
            "not_before",
            postgresql_where=text("status = 'PENDING'"),
        ),
        Index("ix_notification_recipient", "recipient_id", "kind", "log_id"),
    )

    kind: Mapped[str] = mapped_column(String(20))
    recipient_kind: Mapped[str] = mapped_column(String(20))
    recipient_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    log_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("relay_log.id"), index=True)
    topic: Mapped[str | None] = mapped_column(String(40))  # a reminder's kind
    object_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    coalesce_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=NotificationStatus.PENDING.value)
    not_before: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    problem: Mapped[str | None] = mapped_column(String(100))  # a class of error, never text
    message_id: Mapped[str | None] = mapped_column(String(200))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), default=utcnow
    )


class Recipient:
    """A person who may be mailed: a staff account or a guardian row (by id)."""

    __slots__ = ("id", "kind")

    def __init__(self, kind: RecipientKind, id: uuid.UUID) -> None:
        self.kind = kind
        self.id = id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Recipient) and (self.kind, self.id) == (other.kind, other.id)

    def __hash__(self) -> int:
        return hash((self.kind, self.id))

    def __repr__(self) -> str:
        return f"Recipient({self.kind.value}, {self.id})"


def next_digest_at(now: datetime) -> datetime:
    """The next morning digest time (07:00 Oslo) after ``now``."""
    local = now.astimezone(OSLO)
    day: date = local.date()
    at = datetime.combine(day, DIGEST_AT, tzinfo=OSLO)
    if at <= local:
        at = datetime.combine(day + timedelta(days=1), DIGEST_AT, tzinfo=OSLO)
    return at


async def next_mail_at(
    session: AsyncSession, recipient: Recipient, log_id: uuid.UUID, now: datetime
) -> datetime:
    """The earliest a mail to this person about this log may go: ``now``, or an hour after
    the last one sent or still owed (news or a reminder), whichever is later."""
    last = await session.scalar(
        select(func.max(func.coalesce(Notification.sent_at, Notification.not_before))).where(
            Notification.recipient_id == recipient.id,
            Notification.recipient_kind == recipient.kind.value,
            Notification.log_id == log_id,
            Notification.status.in_(
                [NotificationStatus.SENT.value, NotificationStatus.PENDING.value]
            ),
        )
    )
    return max(now, last + NEWS_INTERVAL) if last is not None else now


async def queue_once(
    session: AsyncSession,
    *,
    kind: NotificationKind,
    recipient: Recipient,
    idempotency_key: str,
    not_before: datetime,
    log_id: uuid.UUID | None = None,
    topic: str | None = None,
    object_id: uuid.UUID | None = None,
    coalesce_key: str | None = None,
) -> uuid.UUID | None:
    """Owe this mail unless a row with the key (or a pending one to coalesce with) exists:
    the id of the new row, or ``None`` when it was already owed or sent."""
    statement = (
        insert(Notification)
        .values(
            id=uuid.uuid4(),
            kind=kind.value,
            recipient_kind=recipient.kind.value,
            recipient_id=recipient.id,
            log_id=log_id,
            topic=topic,
            object_id=object_id,
            idempotency_key=idempotency_key,
            coalesce_key=coalesce_key,
            status=NotificationStatus.PENDING.value,
            not_before=not_before,
            attempts=0,
        )
        .on_conflict_do_nothing()
        .returning(Notification.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def queue_news(
    session: AsyncSession,
    recipient: Recipient,
    log_id: uuid.UUID,
    delivery: Delivery,
    now: datetime,
) -> uuid.UUID | None:
    """There is news in this log for this person: owe them one mail (immediately, but not
    within an hour of the last one for this log) or a place in tomorrow's digest."""
    if delivery is Delivery.OFF:
        return None
    if delivery is Delivery.DAILY:
        at = next_digest_at(now)
        key = f"digest:{await _person_key(session, recipient)}"
        return await queue_once(
            session,
            kind=NotificationKind.DIGEST,
            recipient=recipient,
            idempotency_key=f"{key}:{at.isoformat()}",
            coalesce_key=key,
            not_before=at,
        )
    at = await next_mail_at(session, recipient, log_id, now)
    key = f"news:{recipient.kind.value}:{recipient.id}:{log_id}"
    return await queue_once(
        session,
        kind=NotificationKind.NEWS,
        recipient=recipient,
        log_id=log_id,
        idempotency_key=f"{key}:{at.isoformat()}",
        coalesce_key=key,
        not_before=at,
    )


async def _person_key(session: AsyncSession, recipient: Recipient) -> str:
    """One person, whichever row: a staff account's id, or the keyed hash of a family
    member's national id (their guardian rows in each child's log share it)."""
    if recipient.kind is RecipientKind.GUARDIAN:
        person = await session.scalar(
            select(Guardian.national_id_hash).where(Guardian.id == recipient.id)
        )
        if person is not None:
            return f"{recipient.kind.value}:{person.hex()}"
    return f"{recipient.kind.value}:{recipient.id}"


async def person_hash_of_guardians(
    session: AsyncSession, guardian_ids: frozenset[uuid.UUID]
) -> bytes | None:
    """The keyed hash of the national id behind these guardian rows (one person's)."""
    if not guardian_ids:
        return None
    return await session.scalar(
        select(Guardian.national_id_hash).where(Guardian.id.in_(sorted(guardian_ids))).limit(1)
    )


async def preference_of(
    session: AsyncSession, *, staff_id: uuid.UUID | None = None, person_hash: bytes | None = None
) -> tuple[Delivery, Language]:
    """One person's choice, or the default of their kind."""
    column = (
        NotificationPreference.staff_id == staff_id
        if staff_id is not None
        else NotificationPreference.person_hash == person_hash
    )
    row = (
        await session.execute(
            select(NotificationPreference.delivery, NotificationPreference.language).where(column)
        )
    ).first()
    if row is None:
        kind = RecipientKind.STAFF if staff_id is not None else RecipientKind.GUARDIAN
        return DEFAULT_DELIVERY[kind], Language.NB
    return Delivery(row.delivery), Language(row.language)


async def set_preference(
    session: AsyncSession,
    *,
    delivery: Delivery,
    language: Language,
    staff_id: uuid.UUID | None = None,
    person_hash: bytes | None = None,
) -> None:
    """Record one person's choice (replacing any earlier one)."""
    assert (staff_id is None) != (person_hash is None)
    values = {
        "id": uuid.uuid4(),
        "staff_id": staff_id,
        "person_hash": person_hash,
        "delivery": delivery.value,
        "language": language.value,
    }
    target = "staff_id" if staff_id is not None else "person_hash"
    statement = insert(NotificationPreference).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[target],
            set_={
                "delivery": statement.excluded.delivery,
                "language": statement.excluded.language,
                "updated_at": utcnow(),
            },
        )
    )
