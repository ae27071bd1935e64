"""From domain events to mails: who follows a log, what each is told, and sending one mail
exactly as the ``notification`` row says (``models.notification`` has the rules).

``dispatch`` turns new outbox rows into owed mails (one ``PENDING`` row per person and log;
the hourly limit and the digest are decided there) and marks the rows dispatched, all in one
transaction with the rows locked ``SKIP LOCKED``, so several workers share the outbox and no
event is dispatched twice. Minutes are owed only to the people marked present at their
meeting (``auth.notifications.PRESENT_ONLY_EVENTS``). ``deliver`` sends one owed mail: it
locks the row, sends, and records ``SENT`` before the job queue hears that the job is done,
so a job run again (a worker killed after sending) finds the row sent and sends nothing.

Nothing here logs or stores an address, a name or a text: log lines carry the
notification's id, its kind, the attempt and the class of an error.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.notifications import PRESENT_ONLY_EVENTS, hears_of
from auth.policy import Relation
from models.events import DomainEvent, EventKind
from models.notification import (
    DEFAULT_DELIVERY,
    Delivery,
    Language,
    Notification,
    NotificationKind,
    NotificationPreference,
    NotificationStatus,
    Recipient,
    RecipientKind,
    queue_news,
)
from models.organisation import StaffAccount
from models.person import Guardian
from models.relay_log import RelayLog
from relaylog.mail import Mailer, OutgoingMail, checked_address, message_id_for
from relaylog.mail_texts import mail_text
from relaylog.settings import Settings

__all__ = [
    "DeliveryOutcome",
    "Follower",
    "Preference",
    "deliver",
    "dispatch",
    "due_notifications",
    "followers",
    "log_levels",
    "preferences",
    "present_at_minutes",
    "record_failure",
    "unknown_events",
]

log = logging.getLogger("relaylog.notify")

_FOLLOWERS = text(
    """
    SELECT am.log_id, 'STAFF' AS kind, am.staff_id AS person_id,
        CASE WHEN am.is_holder THEN 'HOLDER'
             WHEN am.organisation_id = h.organisation_id THEN 'ACTOR'
             ELSE 'EXTERNAL_ACTOR' END AS relation
    FROM actor_membership AS am
    JOIN actor_membership AS h ON h.log_id = am.log_id AND h.is_holder
    JOIN staff_account AS s ON s.id = am.staff_id AND s.active
    WHERE am.status = 'ACTIVE' AND am.log_id = ANY(:logs)
    UNION ALL
    SELECT l.id, 'GUARDIAN', cg.guardian_id, 'GUARDIAN'
    FROM relay_log AS l JOIN child_guardian AS cg ON cg.child_id = l.child_id
    WHERE l.id = ANY(:logs)
    UNION ALL
    SELECT t.log_id, 'STAFF', t.to_staff_id, 'NONE'
    FROM transfer AS t JOIN staff_account AS s ON s.id = t.to_staff_id AND s.active
    WHERE t.status = 'PENDING' AND t.log_id = ANY(:logs)
      AND NOT EXISTS (
          SELECT 1 FROM actor_membership AS m
          WHERE m.log_id = t.log_id AND m.staff_id = t.to_staff_id AND m.status = 'ACTIVE')
    """
)


_PRESENT = text(
    """
    SELECT n.id AS note_id, p.kind, p.staff_id, p.guardian_id
    FROM note AS n JOIN meeting_participant AS p ON p.meeting_id = n.meeting_id
    WHERE n.id = ANY(:notes) AND p.present AND p.kind IN ('ACTOR', 'GUARDIAN')
    """
)


@dataclass(frozen=True, slots=True)
class Follower:
    recipient: Recipient
    relation: Relation


@dataclass(frozen=True, slots=True)
class Preference:
    delivery: Delivery
    language: Language


async def followers(
    session: AsyncSession, log_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Follower]]:
    """The people who follow each log now: its active actors (the holder included), the
    child's guardians, and the staff member a pending transfer is offered to (relation
    ``NONE`` until they accept), each with their relation to it."""
    found: dict[uuid.UUID, list[Follower]] = defaultdict(list)
    if not log_ids:
        return found
    for row in await session.execute(_FOLLOWERS, {"logs": log_ids}):
        recipient = Recipient(RecipientKind(row.kind), row.person_id)
        found[row.log_id].append(Follower(recipient, Relation(row.relation)))
    return found


async def present_at_minutes(
    session: AsyncSession, note_ids: list[uuid.UUID]
) -> dict[uuid.UUID, set[Recipient]]:
    """For each note that is a meeting's minutes, the people marked present at that meeting
    (the youth, who has no address, is never one to mail)."""
    found: dict[uuid.UUID, set[Recipient]] = defaultdict(set)
    if not note_ids:
        return found
    for row in await session.execute(_PRESENT, {"notes": note_ids}):
        if row.kind == "ACTOR":
            found[row.note_id].add(Recipient(RecipientKind.STAFF, row.staff_id))
        else:
            found[row.note_id].add(Recipient(RecipientKind.GUARDIAN, row.guardian_id))
    return found


async def log_levels(session: AsyncSession, log_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = await session.execute(
        select(RelayLog.id, RelayLog.level).where(RelayLog.id.in_(log_ids))
    )
    return {log_id: level for log_id, level in rows}


async def preferences(
    session: AsyncSession, recipients: set[Recipient]
) -> dict[Recipient, Preference]:
    """Each person's choice, or the default for their kind."""
    staff = [r.id for r in recipients if r.kind is RecipientKind.STAFF]
    guardians = [r.id for r in recipients if r.kind is RecipientKind.GUARDIAN]
    chosen: dict[Recipient, Preference] = {}
    if staff:
        rows = await session.execute(
            select(NotificationPreference).where(NotificationPreference.staff_id.in_(staff))
        )
        for (p,) in rows:
            assert p.staff_id is not None
            chosen[Recipient(RecipientKind.STAFF, p.staff_id)] = _preference(p)
    if guardians:
        linked = await session.execute(
            select(Guardian.id, NotificationPreference)
            .join(
                NotificationPreference,
                NotificationPreference.person_hash == Guardian.national_id_hash,
            )
            .where(Guardian.id.in_(guardians))
        )
        for guardian_id, row in linked:
            chosen[Recipient(RecipientKind.GUARDIAN, guardian_id)] = _preference(row)
    return {r: chosen.get(r, Preference(DEFAULT_DELIVERY[r.kind], Language.NB)) for r in recipients}


def _preference(row: NotificationPreference) -> Preference:
    return Preference(Delivery(row.delivery), Language(row.language))


_KNOWN_KINDS = [kind.value for kind in EventKind]


async def dispatch(session: AsyncSession, now: datetime, batch: int = 500) -> int:
    """Turn up to ``batch`` undispatched events into owed mails; return how many events.
    An event of a kind this code does not know (a newer version wrote it, or a bad row) is
    left undispatched rather than stopping the outbox behind it: ``unknown_events`` counts
    them for the log line and ``relaylog worker-status``, and a worker that knows the kind
    dispatches them later."""
    events = list(
        await session.scalars(
            select(DomainEvent)
            .where(DomainEvent.dispatched_at.is_(None), DomainEvent.kind.in_(_KNOWN_KINDS))
            .order_by(DomainEvent.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
    )
    if not events:
        return 0
    log_ids = list({e.log_id for e in events if e.log_id is not None})
    levels = await log_levels(session, log_ids)
    following = await followers(session, log_ids)
    everyone = {f.recipient for people in following.values() for f in people}
    chosen = await preferences(session, everyone)
    present = await present_at_minutes(
        session,
        [
            e.object_id
            for e in events
            if e.object_id is not None and EventKind(e.kind) in PRESENT_ONLY_EVENTS
        ],
    )
    owed: set[tuple[Recipient, uuid.UUID]] = set()
    for event in events:
        if event.log_id is None or event.log_id not in levels:
            continue
        kind = EventKind(event.kind)
        for follower in following.get(event.log_id, []):
            if follower.recipient.id == event.actor_id:
                continue  # nobody is told of their own change
            if kind in PRESENT_ONLY_EVENTS and (
                event.object_id is None or follower.recipient not in present[event.object_id]
            ):
                continue  # minutes: told to those present only
            if hears_of(follower.relation, levels[event.log_id], kind):
                owed.add((follower.recipient, event.log_id))
    for recipient, log_id in sorted(owed, key=lambda o: (str(o[0].id), str(o[1]))):
        await queue_news(session, recipient, log_id, chosen[recipient].delivery, now)
    await session.execute(
        update(DomainEvent)
        .where(DomainEvent.id.in_([e.id for e in events]))
        .values(dispatched_at=now)
        .execution_options(synchronize_session=False)
    )
    return len(events)


async def unknown_events(session: AsyncSession) -> int:
    """Undispatched events of a kind ``dispatch`` does not know (and so leaves alone)."""
    count = await session.scalar(
        select(func.count()).where(
            DomainEvent.dispatched_at.is_(None), DomainEvent.kind.not_in(_KNOWN_KINDS)
        )
    )
    return int(count or 0)


async def due_notifications(
    session: AsyncSession, until: datetime, limit: int = 1000
) -> list[tuple[uuid.UUID, datetime]]:
    """Owed mails due by ``until`` (id, not before), oldest first: the jobs to have."""
    rows = await session.execute(
        select(Notification.id, Notification.not_before)
        .where(
            Notification.status == NotificationStatus.PENDING.value,
            Notification.not_before <= until,
        )
        .order_by(Notification.not_before)
        .limit(limit)
    )
    return [(row.id, row.not_before) for row in rows]


class DeliveryOutcome:
    SENT = "sent"
    ALREADY_DONE = "already done"
    NOT_DUE = "not due"
    BUSY = "busy"
    SKIPPED = "skipped"


class DeliveryFailed(Exception):
    """The SMTP server could not take the mail (the job queue retries with backoff)."""


async def _address_and_language(
    session: AsyncSession, note: Notification
) -> tuple[str | None, Preference, bool]:
    """The stored address, the person's preference, and whether they are still there."""
    recipient = Recipient(RecipientKind(note.recipient_kind), note.recipient_id)
    address: str | None
    if recipient.kind is RecipientKind.STAFF:
        row = (
            await session.execute(
                select(StaffAccount.email, StaffAccount.active).where(
                    StaffAccount.id == recipient.id
                )
            )
        ).first()
        present = row is not None and bool(row.active)
        address = row.email if row is not None else None
    else:
        address = await session.scalar(select(Guardian.email).where(Guardian.id == recipient.id))
        present = (
            address is not None
            or (await session.scalar(select(Guardian.id).where(Guardian.id == recipient.id)))
            is not None
        )
    chosen = (await preferences(session, {recipient}))[recipient]
    return address, chosen, present


async def _still_follows(session: AsyncSession, note: Notification) -> bool:
    """Does the person still follow the log (a removed actor is not told of it)?"""
    if note.log_id is None:
        return True
    people = (await followers(session, [note.log_id])).get(note.log_id, [])
    return any(f.recipient.id == note.recipient_id for f in people)


def _link(settings: Settings, note: Notification) -> str:
    base = settings.public_url.rstrip("/")
    if note.kind == NotificationKind.REPORT.value:
        return f"{base}/passive-logs"
    if note.log_id is not None:
        return f"{base}/logs/{note.log_id}"
    return f"{base}/"


def _count_failure(note: Notification, error: BaseException, final_attempt: bool) -> None:
    """A failed try, whatever failed: its error class recorded, the row dead on the last
    try, and a log line with ids and the class only."""
    note.problem = type(error).__name__[:100]
    if final_attempt:
        note.status = NotificationStatus.DEAD.value
    log.warning(
        "mail delivery failed",
        extra={
            "notification": str(note.id),
            "kind": note.kind,
            "attempt": note.attempts,
            "error": note.problem,
            "dead_letter": final_attempt,
        },
    )


async def record_failure(
    session: AsyncSession, notification_id: uuid.UUID, error: BaseException, *, final_attempt: bool
) -> None:
    """A try that failed outside the SMTP exchange (a bug, the database, a text that could
    not be made), in a transaction of its own after the failed one rolled back: counted as
    a failed send is, and on the last try the row is ``DEAD`` too, so no mail stays owed
    with no job left to send it. A row no longer pending (sent meanwhile) is left alone."""
    note = await session.scalar(
        select(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status == NotificationStatus.PENDING.value,
        )
        .with_for_update()
    )
    if note is None:
        return
    note.attempts += 1
    _count_failure(note, error, final_attempt)


async def deliver(
    session: AsyncSession,
    mailer: Mailer,
    settings: Settings,
    notification_id: uuid.UUID,
    now: datetime,
    *,
    final_attempt: bool,
) -> str:
    """Send this owed mail once. When the server cannot take it, the attempt is recorded
    (on the last one the row becomes ``DEAD``, the dead letter) and ``DeliveryFailed`` is
    raised, so the job queue retries it with backoff or marks the job failed. The caller
    commits either way."""
    note = await session.scalar(
        select(Notification)
        .where(Notification.id == notification_id)
        .with_for_update(skip_locked=True)
    )
    if note is None:
        exists = await session.scalar(
            select(Notification.id).where(Notification.id == notification_id)
        )
        return DeliveryOutcome.BUSY if exists is not None else DeliveryOutcome.ALREADY_DONE
    if note.status != NotificationStatus.PENDING.value:
        return DeliveryOutcome.ALREADY_DONE
    if note.not_before > now:
        return DeliveryOutcome.NOT_DUE
    address, chosen, present = await _address_and_language(session, note)
    problem = None
    if not present:
        problem = "recipient gone"
    elif chosen.delivery is Delivery.OFF and note.kind != NotificationKind.REPORT.value:
        problem = "turned off"
    elif note.kind in {NotificationKind.NEWS.value, NotificationKind.REMINDER.value} and (
        not await _still_follows(session, note)
    ):
        problem = "no longer follows the log"
    elif address is None:
        problem = "no address"
    elif checked_address(address) is None:
        problem = "malformed address"
    if problem is not None:
        note.status, note.problem = NotificationStatus.SKIPPED.value, problem
        log.info(
            "mail skipped",
            extra={"notification": str(note.id), "kind": note.kind, "reason": problem},
        )
        return DeliveryOutcome.SKIPPED
    assert address is not None
    mail = OutgoingMail(
        to=address,
        language=chosen.language.value,
        text=mail_text(note.kind, chosen.language, _link(settings, note)),
        notification_id=note.id,
    )
    note.attempts += 1
    try:
        await mailer.send(mail)
    except Exception as exc:
        _count_failure(note, exc, final_attempt)
        raise DeliveryFailed(note.problem) from None
    note.status = NotificationStatus.SENT.value
    note.sent_at = now
    note.problem = None
    note.message_id = message_id_for(note.id)
    log.info(
        "mail sent",
        extra={"notification": str(note.id), "kind": note.kind, "attempt": note.attempts},
    )
    return DeliveryOutcome.SENT
