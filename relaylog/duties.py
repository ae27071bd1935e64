"""The time-driven duties of the routine, each a periodic job (``relaylog.jobs.duty``).

Every duty is idempotent (a second run on the same day changes nothing: keys and states,
not counters), runs once per tick across workers (procrastinate's periodic defers, plus an
advisory lock), writes its changes, their audit entries and their events in one
transaction, and names people by id only.

Schedules are cron in UTC. Oslo is UTC+1 in winter and UTC+2 in summer, so an hourly job at
minute 0 runs exactly at Oslo midnight all year: that is the consent expiry. The morning
jobs run at 05:00 UTC (06:00 or 07:00 in Oslo), the purge at 01:00 UTC (night in Oslo).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy import exists, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from auth.notifications import may_be_reminded
from models import audit
from models.audit_checkpoint import write_checkpoint
from models.enums import RelayLogStatus
from models.events import DomainEvent, Event, EventKind, record_events
from models.notification import (
    Delivery,
    NotificationKind,
    Recipient,
    RecipientKind,
    next_mail_at,
    queue_once,
)
from models.operations.relay_log import follow_expired_consents
from models.organisation import StaffAccount
from models.relay_log import Consent, RelayLog
from models.reminders import due_reminders
from models.retention import SYSTEM_ACTOR, RetentionTooShort, purge, purge_candidates
from relaylog.audit_keys import signing_key
from relaylog.jobs import DutyRun, duty
from relaylog.notifier import followers, log_levels, preferences

__all__ = [
    "CONSENT_EXPIRING_DAYS",
    "expire_consents",
    "passive_log_reports",
    "purge_expired_logs",
    "remind",
    "sign_audit_checkpoint",
]

log = logging.getLogger("relaylog.duties")

CONSENT_EXPIRING_DAYS = 14
EXPIRE_CONSENT_ACTION = "EXPIRE_CONSENT"
REPORT_MAILED_ACTION = "REPORT_PASSIVE_MAILED"


def _system_event(kind: EventKind, log_id: uuid.UUID, object_id: uuid.UUID | None) -> Event:
    return Event(kind, log_id=log_id, object_id=object_id, actor_kind=SYSTEM_ACTOR)


async def _locked_log(session: AsyncSession, log_id: uuid.UUID) -> RelayLog | None:
    """The log row locked as the mutation layer locks it: a duty and a write take turns."""
    return await session.scalar(
        select(RelayLog)
        .where(RelayLog.id == log_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )


@duty("0 * * * *")
async def expire_consents(run: DutyRun) -> None:
    """At Oslo midnight: logs whose consents ran out drop to the level the valid ones allow;
    the actors the lower level no longer admits lose access with the reason."""
    today = run.today
    candidates = await run.session.scalars(
        select(RelayLog.id)
        .where(
            RelayLog.level > 0,
            RelayLog.status.in_([RelayLogStatus.ACTIVE, RelayLogStatus.PAUSED]),
            exists().where(
                Consent.log_id == RelayLog.id,
                Consent.withdrawn_at.is_(None),
                Consent.valid_until < today,
            ),
        )
        .order_by(RelayLog.id)
    )
    for log_id in list(candidates):
        row = await _locked_log(run.session, log_id)
        if row is None or not await follow_expired_consents(run.session, row, today, run.now):
            continue
        run.changed += 1
        await audit.append(
            run.session,
            [
                audit.AuditEntry(
                    actor_kind=SYSTEM_ACTOR,
                    action=EXPIRE_CONSENT_ACTION,
                    object_type="RelayLog",
                    object_id=log_id,
                    log_id=log_id,
                )
            ],
        )
        await record_events(
            run.session,
            [
                _system_event(EventKind.CONSENT_EXPIRED, log_id, log_id),
                _system_event(EventKind.LEVEL_CHANGED, log_id, log_id),
            ],
        )
    await _consents_expiring(run)


async def _consents_expiring(run: DutyRun) -> None:
    """A consent that runs out in 14 days is news to whoever may read the log's consents
    (once per consent: the event is not written again)."""
    soon = await run.session.execute(
        select(Consent.id, Consent.log_id)
        .join(RelayLog, RelayLog.id == Consent.log_id)
        .where(
            Consent.withdrawn_at.is_(None),
            Consent.valid_until == run.today + timedelta(days=CONSENT_EXPIRING_DAYS),
            RelayLog.status.in_([RelayLogStatus.ACTIVE, RelayLogStatus.PAUSED]),
            ~exists().where(
                DomainEvent.object_id == Consent.id,
                DomainEvent.kind == EventKind.CONSENT_EXPIRING.value,
            ),
        )
    )
    events = [_system_event(EventKind.CONSENT_EXPIRING, r.log_id, r.id) for r in soon]
    await record_events(run.session, events)
    run.changed += len(events)


@duty("0 5 * * *")
async def remind(run: DutyRun) -> None:
    """The morning reminders (``models.reminders``): one mail per person, log and day,
    whatever is due in it (the text names no topic; the row keeps the first), to people who
    still follow the log and may read what it is about, and never within an hour of the
    last mail to them about that log (``next_mail_at``, the rule news keeps too)."""
    due = await due_reminders(run.session, run.today)
    log_ids = list({d.log_id for d in due})
    levels = await log_levels(run.session, log_ids)
    following = await followers(run.session, log_ids)
    chosen = await preferences(
        run.session, {f.recipient for people in following.values() for f in people}
    )
    reminded: set[tuple[Recipient, uuid.UUID]] = set()
    for item in due:
        recipient = Recipient(RecipientKind(item.person_kind), item.person_id)
        if (recipient, item.log_id) in reminded:
            continue
        relation = next(
            (f.relation for f in following.get(item.log_id, []) if f.recipient == recipient),
            None,
        )
        if relation is None or not may_be_reminded(relation, levels[item.log_id], item.topic):
            continue
        if chosen[recipient].delivery is Delivery.OFF:
            continue
        reminded.add((recipient, item.log_id))
        owed = await queue_once(
            run.session,
            kind=NotificationKind.REMINDER,
            recipient=recipient,
            idempotency_key=(
                f"reminder:{recipient.kind.value}:{recipient.id}:{item.log_id}:"
                f"{run.today.isoformat()}"
            ),
            not_before=await next_mail_at(run.session, recipient, item.log_id, run.now),
            log_id=item.log_id,
            topic=item.topic,
            object_id=item.object_id,
        )
        run.changed += owed is not None


_UNITS_WITH_OPEN_LOGS = text(
    """
    SELECT DISTINCT h.organisation_id
    FROM actor_membership AS h JOIN relay_log AS l ON l.id = h.log_id
    WHERE h.is_holder AND l.status IN ('DRAFT', 'ACTIVE')
    """
)


@duty("30 5 * * *")
async def passive_log_reports(run: DutyRun) -> None:
    """On the control dates (twice per half-year, ``RELAYLOG_PASSIVE_REPORT_DATES``): tell
    each unit manager of a unit holding open logs that the passive-log report is ready (a
    link, never the report itself)."""
    if (run.today.month, run.today.day) not in run.settings.passive_report_days():
        return
    units = list(await run.session.scalars(_UNITS_WITH_OPEN_LOGS))
    managers = await run.session.execute(
        select(StaffAccount.id, StaffAccount.organisation_id).where(
            StaffAccount.is_manager,
            StaffAccount.active,
            StaffAccount.organisation_id.in_(units),
        )
    )
    reported: set[uuid.UUID] = set()
    for manager_id, unit_id in managers:
        owed = await queue_once(
            run.session,
            kind=NotificationKind.REPORT,
            recipient=Recipient(RecipientKind.STAFF, manager_id),
            idempotency_key=f"report:{unit_id}:{manager_id}:{run.today.isoformat()}",
            not_before=run.now,
            object_id=unit_id,
        )
        if owed is not None:
            run.changed += 1
            reported.add(unit_id)
    await audit.append(
        run.session,
        [
            audit.AuditEntry(
                actor_kind=SYSTEM_ACTOR,
                action=REPORT_MAILED_ACTION,
                object_type="Organisation",
                object_id=unit_id,
            )
            for unit_id in sorted(reported, key=str)
        ],
    )


@duty("0 1 * * *")
async def purge_expired_logs(run: DutyRun) -> None:
    """Nightly: closed logs past their municipality's retention period are purged
    (``models.retention``: never under ``RELAYLOG_RETENTION_MINIMUM_DAYS``; it keeps the
    statistics and audits each purge). A period under the minimum stops the purge and says
    so in the log, naming no person. Logs held back because the archive has not received
    their copy are one warning line with their number only (no log, child or unit)."""
    try:
        candidates = await purge_candidates(
            run.session, run.now, run.settings.retention_minimum_days
        )
    except RetentionTooShort:
        log.warning(
            "retention purge refused: a municipality keeps closed logs for less than the "
            "legal minimum (see relaylog purge --dry-run)"
        )
        return
    if not candidates:
        return
    result = await purge(
        run.session,
        [c.log_id for c in candidates],
        request_id=f"duty-purge-{run.today.isoformat()}",
    )
    run.changed += result.logs
    if result.held_back:
        log.warning(
            "retention purge held back logs whose archive copies the archive has not received "
            "(the unit files them and marks them received; see relaylog purge --dry-run)",
            extra={"held_back": len(result.held_back)},
        )


@duty("0 2 * * *")
async def sign_audit_checkpoint(run: DutyRun) -> None:
    """Nightly: sign a Merkle root over the heads of every audit chain with the key kept
    outside the database (``models.audit_checkpoint``), so ``relaylog audit verify --against``
    finds a chain rewritten since. Daily, not hourly: a checkpoint stores every head (about
    100 bytes per log); exporting it off-site stays the operator's step
    (``relaylog audit checkpoint --export``)."""
    await write_checkpoint(run.session, signing_key(run.settings))
    run.changed += 1
