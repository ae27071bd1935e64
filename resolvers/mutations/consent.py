"""Upload a signed consent form (holder), consent in the app or withdraw (guardian, youth)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from strawberry.types import Info

from auth.ownership import facts_for
from auth.policy import Action, Relation
from models import Consent
from models.base import utcnow
from models.enums import ConsentScope, RelayLogStatus
from models.operations import consent as ops
from models.operations import relay_log as log_ops
from resolvers.mutation import MutationError, WriteScope, write
from resolvers.mutations.archiving import file_closure
from resolvers.mutations.hidden import missing, write_on

__all__ = ["give_consent", "upload_consent", "withdraw_consent"]


async def upload_consent(
    info: Info,
    log_id: uuid.UUID,
    *,
    file: str,
    scopes: Sequence[ConsentScope],
    guardian_ids: Sequence[uuid.UUID],
    youth: bool,
    given_on: date | None,
    valid_until: date | None,
) -> list[Consent] | MutationError:
    async def run(scope: WriteScope) -> list[Consent]:
        content, content_type = ops.decode_consent_form(file, "file")
        log = await log_ops.load_log(scope.session, log_id)
        return await ops.record_signed_form(
            scope.session,
            log,
            content=content,
            content_type=content_type,
            scopes=scopes,
            guardian_ids=guardian_ids,
            youth=youth,
            given_on=given_on or scope.today,
            valid_until=valid_until,
            today=scope.today,
        )

    return await write(info, log_id, Action.UPLOAD_CONSENT, run, object_type="ConsentDocument")


def _consenter(scope: WriteScope) -> ops.Consenter:
    """The guardian row of this log (``scope.author``), or the youth."""
    assert scope.access is not None
    if scope.access.relation is Relation.GUARDIAN:
        assert scope.author.guardian_id is not None
        return ops.Consenter(scope.author.guardian_id)
    return ops.Consenter(None)


async def give_consent(
    info: Info,
    log_id: uuid.UUID,
    scopes: Sequence[ConsentScope],
    valid_until: date | None,
) -> list[Consent] | MutationError:
    async def run(scope: WriteScope) -> list[Consent]:
        log = await log_ops.load_log(scope.session, log_id)
        return await ops.give_consent(
            scope.session, log, _consenter(scope), scopes, valid_until, scope.today
        )

    return await write(info, log_id, Action.GIVE_CONSENT, run, object_type="Consent")


async def withdraw_consent(
    info: Info, consent_id: uuid.UUID, reason: str | None
) -> Consent | MutationError:
    not_found = missing("consent", "consentId")
    consent = await info.context.loaders.consent.load(consent_id)

    async def run(scope: WriteScope, consent: Consent) -> Consent:
        assert scope.access is not None
        own = facts_for(scope.viewer, scope.access.relation, consent).own
        scope.ensure(author=own, missing="No such consent.")
        now = utcnow()
        await ops.withdraw_consent(scope.session, consent, reason, now)
        log = await log_ops.load_log(scope.session, consent.log_id)
        was_open = log.status is not RelayLogStatus.CLOSED
        await log_ops.follow_consents(scope.session, log, scope.today, now)
        await file_closure(scope, log, was_open=was_open)
        return consent

    return await write_on(
        info, consent, not_found, Action.WITHDRAW_CONSENT, run, object_type="Consent"
    )
