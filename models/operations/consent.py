"""Consent: who agreed to what, on what evidence, until when — and what level that allows.

Decisions (docs/design.md §3 left room for them):

- **Scopes are cumulative.** Level 1 needs a valid ``CREATE`` consent, level 2 ``CREATE`` and
  ``SHARE``, level 3 all three (``REQUIRED_SCOPES``). Sharing with other services without
  consent to the log itself would make no sense.
- **A scope is valid** when every required consenter has a consent row of that scope that is
  not withdrawn, already given (``given_on <= today``) and not expired
  (``valid_until`` is empty or ``>= today``). Renewals add rows; any valid row counts.
- **The required consenters** are every guardian with parental responsibility for the child,
  and — when the child has reached the municipality's ``subject_consent_age`` (15 or 16) on
  ``today`` — the youth as well. Guardians keep consenting after the youth comes of age: the
  youth's consent is *added*, not substituted (a youth who says no stops the log, and so does a
  guardian). A child with an unknown birth date has no own consent. Nobody to consent (no
  guardian registered) means no scope is valid.
- **Evidence.** A signed form uploaded by the holder (PDF/JPEG/PNG, at most 10 MB, the type
  decided by the file's first bytes, never by a declared type) gives one consent row per
  signer and scope, all pointing at the one document; an in-app consent is given by the
  guardian or youth themself, signed in with ID-porten "high" (the API checks the sign-in).
- **Withdrawal** lowers the level at once to what the remaining valid consents allow
  (deactivating the actors the lower level no longer admits, recorded as a level change with
  the reason ``"consent withdrawn"``). When not even ``CREATE`` remains valid, the log cannot
  go on: it is closed as ended by the family, at level 1 at most, so the family still sees
  its history and nobody outside the holder's organisation does.
- Expiry: an expired consent stops a raise of the level (``CONSENT_REQUIRED``) at once; the
  worker's consent-expiry duty, at Oslo midnight, lowers the level to what the valid consents
  still allow (``relay_log.follow_expired_consents``: actors it no longer admits are
  deactivated with the reason, and the log stays open).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.authorship import Author
from models.enums import AuthorKind, ConsentEvidence, ConsentScope
from models.errors import ConsentRequired, InvalidInput, NotFound
from models.i18n import N_
from models.organisation import Municipality
from models.person import Child, ChildGuardian
from models.relay_log import Consent, ConsentDocument, RelayLog

__all__ = [
    "CONSENT_FORM_MAX_BYTES",
    "REQUIRED_SCOPES",
    "ConsentState",
    "Consenter",
    "SignedForm",
    "allowed_level",
    "consent_state",
    "decode_consent_form",
    "give_consent",
    "record_signed_form",
    "require_consent_for_level",
    "signed_form",
    "sniff_content_type",
    "withdraw_consent",
]

CONSENT_FORM_MAX_BYTES = 10 * 1024 * 1024
WITHDRAWN_REASON_MAX = 1000

REQUIRED_SCOPES: dict[int, tuple[ConsentScope, ...]] = {
    0: (),
    1: (ConsentScope.CREATE,),
    2: (ConsentScope.CREATE, ConsentScope.SHARE),
    3: (ConsentScope.CREATE, ConsentScope.SHARE, ConsentScope.BROAD),
}
SCOPE_NAMES = {
    ConsentScope.CREATE: N_("consent to create the log"),
    ConsentScope.SHARE: N_("consent to share with other services"),
    ConsentScope.BROAD: N_("consent to broad collaboration (incl. specialist health)"),
}
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


@dataclass(frozen=True, slots=True)
class Consenter:
    """Someone whose consent counts: a guardian (by id) or the youth (``guardian_id`` None)."""

    guardian_id: uuid.UUID | None = None

    @classmethod
    def of(cls, author: Author) -> Consenter:
        """The family member signed in (a guardian, else the youth), as these rules name them."""
        return cls(author.guardian_id if author.kind is AuthorKind.GUARDIAN else None)

    @property
    def is_youth(self) -> bool:
        return self.guardian_id is None

    def gave(self, consent: Consent) -> bool:
        if self.guardian_id is None:
            return consent.given_by_kind is AuthorKind.SUBJECT
        return (
            consent.given_by_kind is AuthorKind.GUARDIAN
            and consent.given_by_guardian_id == self.guardian_id
        )


def is_valid(consent: Consent, today: date) -> bool:
    return (
        consent.withdrawn_at is None
        and consent.given_on <= today
        and (consent.valid_until is None or consent.valid_until >= today)
    )


def _expired(consent: Consent, today: date) -> bool:
    return (
        consent.withdrawn_at is None
        and consent.valid_until is not None
        and consent.valid_until < today
    )


@dataclass(frozen=True, slots=True)
class ConsentState:
    """The consents of one log as of one day."""

    consenters: frozenset[Consenter]
    consents: tuple[Consent, ...]
    today: date

    @property
    def youth_consents(self) -> bool:
        return any(c.is_youth for c in self.consenters)

    def missing(self, scope: ConsentScope) -> list[Consenter]:
        return [
            who
            for who in self.consenters
            if not any(
                who.gave(c) and c.scope is scope and is_valid(c, self.today) for c in self.consents
            )
        ]

    def is_valid(self, scope: ConsentScope) -> bool:
        return bool(self.consenters) and not self.missing(scope)

    def has_expired(self, scope: ConsentScope) -> bool:
        """Would this scope be valid but for consents that ran out?"""
        return bool(self.consenters) and all(
            any(who.gave(c) and c.scope is scope and _expired(c, self.today) for c in self.consents)
            for who in self.missing(scope)
        )

    @property
    def valid_scopes(self) -> frozenset[ConsentScope]:
        return frozenset(scope for scope in ConsentScope if self.is_valid(scope))


def allowed_level(state: ConsentState) -> int:
    """The highest level the valid consents allow."""
    valid = state.valid_scopes
    return max(level for level, scopes in REQUIRED_SCOPES.items() if set(scopes) <= valid)


def _age(birth_date: date, on: date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


async def youth_consents_for_themself(
    session: AsyncSession, log: RelayLog, child: Child, today: date
) -> bool:
    """Has the child reached the age at which their own consent is needed (15 or 16)?"""
    if child.birth_date is None or child.birth_date > today:
        return False
    consent_age = await session.scalar(
        select(Municipality.subject_consent_age).where(Municipality.id == log.municipality_id)
    )
    return consent_age is not None and _age(child.birth_date, today) >= consent_age


async def guardians_with_responsibility(
    session: AsyncSession, child_id: uuid.UUID
) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(ChildGuardian.guardian_id).where(
            ChildGuardian.child_id == child_id, ChildGuardian.parental_responsibility
        )
    )
    return list(rows)


async def consent_state(session: AsyncSession, log: RelayLog, today: date) -> ConsentState:
    child = await session.get(Child, log.child_id)
    if child is None:  # pragma: no cover - a foreign key guarantees it
        raise NotFound("No such child.")
    consenters = {Consenter(g) for g in await guardians_with_responsibility(session, child.id)}
    if await youth_consents_for_themself(session, log, child, today):
        consenters.add(Consenter(None))
    consents = await session.scalars(select(Consent).where(Consent.log_id == log.id))
    return ConsentState(frozenset(consenters), tuple(consents), today)


async def require_consent_for_level(
    session: AsyncSession, log: RelayLog, level: int, today: date
) -> ConsentState:
    """Raise ``ConsentRequired`` unless the valid consents allow ``level``."""
    state = await consent_state(session, log, today)
    for scope in REQUIRED_SCOPES[level]:
        if state.is_valid(scope):
            continue
        who = (
            N_("every guardian with parental responsibility and the youth")
            if state.youth_consents
            else N_("every guardian with parental responsibility")
        )
        if state.has_expired(scope):
            raise ConsentRequired(
                "Level {level} needs a valid {scope_name}; it has expired. Upload a "
                "renewed consent first.",
                field="level",
                level=level,
                scope_name=SCOPE_NAMES[scope],
            )
        raise ConsentRequired(
            "Level {level} needs a valid {scope_name} from {who}.",
            field="level",
            level=level,
            scope_name=SCOPE_NAMES[scope],
            who=who,
        )
    return state


# --- evidence -------------------------------------------------------------------------------


def sniff_content_type(content: bytes) -> str | None:
    """The file's type from its first bytes (PDF, JPEG, PNG), whatever it claims to be."""
    for magic, content_type in _MAGIC:
        if content.startswith(magic):
            return content_type
    return None


def decode_consent_form(data: str, field: str) -> tuple[bytes, str]:
    """A base64 upload, checked: at most 10 MB, and truly a PDF, JPEG or PNG."""
    text = data.strip()
    if not text:
        raise InvalidInput("{field} must not be empty.", field=field)
    if len(text) > (CONSENT_FORM_MAX_BYTES // 3 + 1) * 4 + 8:
        raise InvalidInput("{field} must be at most 10 MB.", field=field)
    try:
        content = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("{field} must be base64-encoded.", field=field) from None
    if not content:
        raise InvalidInput("{field} must not be empty.", field=field)
    if len(content) > CONSENT_FORM_MAX_BYTES:
        raise InvalidInput("{field} must be at most 10 MB.", field=field)
    content_type = sniff_content_type(content)
    if content_type is None:
        raise InvalidInput("{field} must be a PDF, JPEG or PNG file.", field=field)
    if not really_decodes(content, content_type):
        raise InvalidInput(
            "{field} is not a readable {content_type_name} file.",
            field=field,
            content_type_name=_TYPE_NAMES[content_type],
        )
    return content, content_type


_TYPE_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
# Where each format ends: nothing may follow it (a PNG with a ZIP behind it is a polyglot).
_ENDINGS = {"application/pdf": b"%%EOF", "image/jpeg": b"\xff\xd9", "image/png": b"IEND\xaeB`\x82"}


def really_decodes(content: bytes, content_type: str) -> bool:
    """Is this the file its first bytes claim: a PDF that parses with at least one page, an
    image that decodes within the decompression-bomb limit, ending where the format ends?

    The magic bytes alone let anything through behind them (a ZIP after a PNG signature, an
    archive a viewer of the municipal archive might open). Any parser error is a refusal:
    the input is hostile until it has parsed."""
    ending = content.rstrip(b"\r\n\t \x00") if content_type == "application/pdf" else content
    if not ending.endswith(_ENDINGS[content_type]):
        return False
    try:
        if content_type == "application/pdf":
            return len(PdfReader(io.BytesIO(content)).pages) > 0
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                image.verify()
    except Exception:
        return False
    return True


def _scopes(scopes: Sequence[ConsentScope], field: str) -> list[ConsentScope]:
    if not scopes:
        raise InvalidInput("{field} must name at least one scope.", field=field)
    if len(set(scopes)) != len(scopes):
        raise InvalidInput("{field} names a scope twice.", field=field)
    return list(scopes)


def _dates(given_on: date, valid_until: date | None, today: date, prefix: str) -> None:
    if given_on > today:
        raise InvalidInput(
            "{prefix}givenOn must not be in the future.", field=f"{prefix}givenOn", prefix=prefix
        )
    if valid_until is not None and valid_until < given_on:
        raise InvalidInput(
            "{prefix}validUntil must not be before givenOn.",
            field=f"{prefix}validUntil",
            prefix=prefix,
        )
    if valid_until is not None and valid_until < today:
        raise InvalidInput(
            "{prefix}validUntil must not be in the past.",
            field=f"{prefix}validUntil",
            prefix=prefix,
        )


async def record_signed_form(
    session: AsyncSession,
    log: RelayLog,
    *,
    content: bytes,
    content_type: str,
    scopes: Sequence[ConsentScope],
    guardian_ids: Sequence[uuid.UUID],
    youth: bool,
    given_on: date,
    valid_until: date | None,
    today: date,
    prefix: str = "",
    signers_field: str = "signedByGuardians",
) -> list[Consent]:
    """File a signed consent form: one document, one consent per signer and scope.

    ``guardian_ids`` must be guardians with parental responsibility for the log's child;
    ``youth`` only counts once the child has reached the municipality's consent age.
    """
    scopes = _scopes(scopes, f"{prefix}scopes")
    _dates(given_on, valid_until, today, prefix)
    signers_field = f"{prefix}{signers_field}"
    if not guardian_ids and not youth:
        raise InvalidInput("{field} must name who signed the form.", field=signers_field)
    if len(set(guardian_ids)) != len(guardian_ids):
        raise InvalidInput("{field} names a guardian twice.", field=signers_field)
    responsible = set(await guardians_with_responsibility(session, log.child_id))
    if not set(guardian_ids) <= responsible:
        raise InvalidInput(
            "{field} must be guardians with parental responsibility for the child.",
            field=signers_field,
        )
    if youth:
        child = await session.get(Child, log.child_id)
        assert child is not None
        if not await youth_consents_for_themself(session, log, child, today):
            raise InvalidInput(
                "{prefix}signedByYouth: the child is under the municipality's consent age.",
                field=f"{prefix}signedByYouth",
                prefix=prefix,
            )
    document = ConsentDocument(
        log_id=log.id,
        content_type=content_type,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )
    session.add(document)
    await session.flush()
    signers: list[Consenter] = [Consenter(g) for g in guardian_ids]
    if youth:
        signers.append(Consenter(None))
    consents = [
        _consent(log, who, scope, ConsentEvidence.UPLOADED_FORM, document.id, given_on, valid_until)
        for who in signers
        for scope in scopes
    ]
    session.add_all(consents)
    await session.flush()
    return consents


def _consent(
    log: RelayLog,
    who: Consenter,
    scope: ConsentScope,
    evidence: ConsentEvidence,
    document_id: uuid.UUID | None,
    given_on: date,
    valid_until: date | None,
) -> Consent:
    return Consent(
        log_id=log.id,
        scope=scope,
        given_by_kind=AuthorKind.SUBJECT if who.is_youth else AuthorKind.GUARDIAN,
        given_by_guardian_id=who.guardian_id,
        evidence=evidence,
        document_id=document_id,
        given_on=given_on,
        valid_until=valid_until,
    )


async def give_consent(
    session: AsyncSession,
    log: RelayLog,
    who: Consenter,
    scopes: Sequence[ConsentScope],
    valid_until: date | None,
    today: date,
) -> list[Consent]:
    """An in-app consent by a guardian or the youth themself (the API checked the sign-in)."""
    scopes = _scopes(scopes, "scopes")
    _dates(today, valid_until, today, "")
    if who.is_youth:
        child = await session.get(Child, log.child_id)
        assert child is not None
        if not await youth_consents_for_themself(session, log, child, today):
            raise InvalidInput(
                "Only a youth of the municipality's consent age consents for themself.",
                field="scopes",
            )
    elif who.guardian_id not in await guardians_with_responsibility(session, log.child_id):
        raise InvalidInput("Only a guardian with parental responsibility consents.", field="scopes")
    consents = [
        _consent(log, who, scope, ConsentEvidence.IN_APP, None, today, valid_until)
        for scope in scopes
    ]
    session.add_all(consents)
    await session.flush()
    return consents


async def withdraw_consent(
    session: AsyncSession,
    consent: Consent,
    reason: str | None,
    now: datetime,
) -> Consent:
    """Mark one consent withdrawn; the caller then lowers the log to what is left."""
    if consent.withdrawn_at is not None:
        raise InvalidInput("This consent is already withdrawn.", field="consentId")
    text = (reason or "").strip()
    if len(text) > WITHDRAWN_REASON_MAX:
        raise InvalidInput(
            "reason must be at most {withdrawn_reason_max} characters.",
            field="reason",
            withdrawn_reason_max=WITHDRAWN_REASON_MAX,
        )
    consent.withdrawn_at = now
    consent.withdrawn_reason = text or None
    await session.flush()
    return consent


_EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


@dataclass(frozen=True, slots=True)
class SignedForm:
    """The scanned form a consent was given on, as uploaded (checked by its content then)."""

    document_id: uuid.UUID
    file_name: str
    content_type: str
    content: bytes


async def signed_form(session: AsyncSession, consent: Consent) -> SignedForm:
    """The signed form of a consent; an in-app consent has none (``NOT_FOUND``)."""
    row = None
    if consent.document_id is not None:
        row = (
            await session.execute(
                select(
                    ConsentDocument.id, ConsentDocument.content_type, ConsentDocument.content
                ).where(ConsentDocument.id == consent.document_id)
            )
        ).first()
    if row is None:
        raise NotFound("This consent was given without a signed form.", field="consentId")
    extension = _EXTENSIONS.get(row.content_type, "bin")
    return SignedForm(
        document_id=row.id,
        file_name=f"samtykke-{consent.given_on.isoformat()}-{consent.id}.{extension}",
        content_type=row.content_type,
        content=row.content,
    )
