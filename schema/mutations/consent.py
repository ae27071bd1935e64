"""Consent mutations: the holder uploads a signed form; a guardian or the youth consents in
the app (strongly signed in) or withdraws their own consent."""

from __future__ import annotations

import datetime

import strawberry
from strawberry.types import Info

from auth.policy import Audience
from resolvers.mutations import consent as r
from schema.enums import ConsentScope
from schema.mutation import MUTATION_TYPES, MutationError, payload
from schema.mutations.ids import IdError, guardian_ids, object_id
from schema.permissions import audiences
from schema.relay_log import Consent

__all__ = ["ConsentMutations"]

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


@strawberry.type
class ConsentMutations:
    @audiences(STAFF, description="Upload a signed (or renewed) consent form (the holder).")
    async def upload_consent(self, info: Info, input: UploadConsentInput) -> ConsentsPayload:
        try:
            log_id = object_id(input.log_id, "RelayLog", "log", "logId")
            signers = guardian_ids(input.signed_by_guardians, "signedByGuardians")
        except IdError as exc:
            return payload(ConsentsPayload, "consents", exc.error)
        result = await r.upload_consent(
            info,
            log_id,
            file=input.file,
            scopes=input.scopes,
            guardian_ids=signers,
            youth=input.signed_by_youth,
            given_on=input.given_on,
            valid_until=input.valid_until,
        )
        return payload(ConsentsPayload, "consents", result)

    @audiences(
        FAMILY,
        description=(
            "Consent in the app, as a guardian or as the youth; needs sign-in with BankID "
            "(ID-porten high)."
        ),
    )
    async def give_consent(self, info: Info, input: GiveConsentInput) -> ConsentsPayload:
        try:
            log_id = object_id(input.log_id, "RelayLog", "log", "logId")
        except IdError as exc:
            return payload(ConsentsPayload, "consents", exc.error)
        result = await r.give_consent(info, log_id, input.scopes, input.valid_until)
        return payload(ConsentsPayload, "consents", result)

    @audiences(
        FAMILY,
        description=(
            "Withdraw your consent. The log's level drops at once to what the remaining "
            "consents allow; without consent to the log itself, the log ends."
        ),
    )
    async def withdraw_consent(self, info: Info, input: WithdrawConsentInput) -> ConsentPayload:
        try:
            consent_id = object_id(input.consent_id, "Consent", "consent", "consentId")
        except IdError as exc:
            return payload(ConsentPayload, "consent", exc.error)
        return payload(
            ConsentPayload, "consent", await r.withdraw_consent(info, consent_id, input.reason)
        )


MUTATION_TYPES.append(ConsentMutations)
