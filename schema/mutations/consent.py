"""Consent mutations: the holder uploads a signed form; a guardian or the youth consents in
the app (strongly signed in) or withdraws their own consent; whoever may read a signed form
(``CONSENT_DOCUMENT``: the holder, the guardians, the youth her own) downloads it."""

from __future__ import annotations

import datetime

import strawberry

from auth.gate import CONSENT_FORM, OBJECT_KINDS
from auth.ownership import facts_for
from auth.policy import Action, Audience, PolicyField, WriteFacts
from exports.archive import file_closure
from models.base import utcnow
from models.enums import RelayLogStatus
from models.events import EventKind
from models.operations import consent as ops
from models.operations import relay_log as log_ops
from schema.download import FileDownload, file_download
from schema.enums import ConsentScope
from schema.mutations.base import LOGS, MutationError, Write, id_list, mutation, reply
from schema.relay_log import Consent

__all__ = [
    "ConsentFormPayload",
    "ConsentPayload",
    "ConsentsPayload",
    "download_consent_form",
    "give_consent",
    "upload_consent",
    "withdraw_consent",
]

CONSENT = OBJECT_KINDS["Consent"]

STAFF = [Audience.STAFF]
FAMILY = [Audience.FAMILY]


@strawberry.type
class ConsentsPayload:
    consents: list[Consent] | None = None
    error: MutationError | None = None


@strawberry.type
class ConsentPayload:
    consent: Consent | None = None
    error: MutationError | None = None


@strawberry.input(
    description=(
        "A scanned, signed consent form (or a renewed one): PDF, JPEG or PNG, checked by its "
        "content, at most 10 MB, base64-encoded. One consent per signer and scope."
    )
)
class UploadConsentInput:
    log_id: strawberry.ID
    file: str
    scopes: list[ConsentScope]
    signed_by_guardians: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Guardian ids (`log.guardians { id }`)."
    )
    signed_by_youth: bool = False
    given_on: datetime.date | None = strawberry.field(default=None, description="Default: today.")
    valid_until: datetime.date | None = None


@strawberry.input
class GiveConsentInput:
    log_id: strawberry.ID
    scopes: list[ConsentScope]
    valid_until: datetime.date | None = None


@strawberry.input
class WithdrawConsentInput:
    consent_id: strawberry.ID
    reason: str | None = None


@mutation(
    STAFF,
    audit="ConsentDocument",
    event=EventKind.CONSENT_GIVEN,
    description="Upload a signed (or renewed) consent form (the holder).",
)
async def upload_consent(w: Write, input: UploadConsentInput) -> ConsentsPayload:
    access = await w.log(input.log_id, Action.UPLOAD_CONSENT)
    signers = id_list(input.signed_by_guardians, "Guardian", "signedByGuardians")
    content, content_type = ops.decode_consent_form(input.file, "file")
    log = await log_ops.load_log(w.session, access.log_id)
    consents = await ops.record_signed_form(
        w.session,
        log,
        content=content,
        content_type=content_type,
        scopes=input.scopes,
        guardian_ids=signers,
        youth=input.signed_by_youth,
        given_on=input.given_on or w.today,
        valid_until=input.valid_until,
        today=w.today,
    )
    return reply(ConsentsPayload, consents=consents)


@mutation(
    FAMILY,
    audit="Consent",
    event=EventKind.CONSENT_GIVEN,
    description=(
        "Consent in the app, as a guardian or as the youth; needs sign-in with BankID "
        "(ID-porten high)."
    ),
)
async def give_consent(w: Write, input: GiveConsentInput) -> ConsentsPayload:
    access = await w.log(input.log_id, Action.GIVE_CONSENT)
    log = await log_ops.load_log(w.session, access.log_id)
    consents = await ops.give_consent(
        w.session, log, ops.Consenter.of(w.author), input.scopes, input.valid_until, w.today
    )
    return reply(ConsentsPayload, consents=consents)


@mutation(
    FAMILY,
    audit="Consent",
    event=EventKind.CONSENT_WITHDRAWN,
    description=(
        "Withdraw your consent. The log's level drops at once to what the remaining "
        "consents allow; without consent to the log itself, the log ends."
    ),
)
async def withdraw_consent(w: Write, input: WithdrawConsentInput) -> ConsentPayload:
    consent = await w.find(input.consent_id, CONSENT)
    assert w.access is not None
    given_by_viewer = facts_for(w.viewer, w.access.relation, consent).own
    w.allow(Action.WITHDRAW_CONSENT, WriteFacts(author=given_by_viewer))
    now = utcnow()
    await ops.withdraw_consent(w.session, consent, input.reason, now)
    log = await log_ops.load_log(w.session, consent.log_id)
    was_open, level = log.status is not RelayLogStatus.CLOSED, log.level
    await log_ops.follow_consents(w.session, log, w.today, now)
    if log.level != level:
        w.emit(EventKind.LEVEL_CHANGED, object_id=log.id)
    if was_open and log.status is RelayLogStatus.CLOSED:
        w.emit(EventKind.LOG_ENDED, object_id=log.id)
    await file_closure(w.session, log, read=w.archive_reader(), today=w.today, was_open=was_open)
    return reply(ConsentPayload, consent=consent)


@strawberry.type
class ConsentFormPayload:
    form: FileDownload | None = None
    error: MutationError | None = None


@mutation(
    LOGS,
    audit="ConsentDocument",
    activity=False,
    description=(
        "Download the signed form of a consent (PDF, JPEG or PNG, as uploaded), inline as "
        "base64: the holder and the guardians; the youth her own. Audited."
    ),
)
async def download_consent_form(w: Write, consent_id: strawberry.ID) -> ConsentFormPayload:
    consent = await w.find(consent_id, CONSENT_FORM)
    w.allow(Action.EXPORT)
    form = await ops.signed_form(w.session, consent)
    w.object_id = form.document_id
    w.context.record_read(consent.log_id, PolicyField.CONSENT_DOCUMENT)
    return ConsentFormPayload(form=file_download(form.file_name, form.content_type, form.content))
