"""Creating a log: the holder registers the child and the guardians, hands in the signed
consent form, and picks the lowest level that will do — which the consents must allow."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from models import (
    AttentionConversation,
    Consent,
    ConsentDocument,
    Guardian,
    RelayLog,
)
from models.enums import ConcernOutcome
from models.national_id import synthetic_national_id
from tests.factories import World, pdf_file
from tests.graphql import GraphQLClient
from tests.mutations.lifecycle import PDF, b64, call, count, gid

CHILD = synthetic_national_id(date(2017, 4, 12), 5)
MOTHER = synthetic_national_id(date(1988, 6, 1), 1)
FATHER = synthetic_national_id(date(1987, 2, 14), 2)
BAD_MOTHER = MOTHER[:-1] + str((int(MOTHER[-1]) + 1) % 10)
YOUTH = synthetic_national_id(date(2010, 1, 5), 4)  # 16 on TODAY: consents for themself
LOG = """log { id level status version child { name nationalId birthDate address }
  guardians { name phone email } consents { scope givenByKind evidence document { contentType } }
  meetings { heldOn place status participants { kind invited } }
  attentionConversations { outcome } }"""
ERRORLESS = "log { id }"


def _guardians() -> list[dict[str, Any]]:
    return [
        {
            "name": "Mari Mor",
            "nationalId": MOTHER,
            "phone": "+47 911 22 333",
            "email": "mari@example.no",
        },
        {"name": "Frode Far", "nationalId": FATHER},
    ]


def _form(*signers: str, scopes: tuple[str, ...] = ("CREATE",), **extra: Any) -> dict[str, Any]:
    return {
        "file": b64(PDF),
        "scopes": list(scopes),
        "signedByGuardianNationalIds": list(signers),
    } | extra


def _input(**overrides: Any) -> dict[str, Any]:
    return {
        "child": {"name": "Emil Eksempel", "nationalId": CHILD, "address": "Bakkeveien 2"},
        "guardians": _guardians(),
        "level": 1,
        "consentForms": [_form(MOTHER, FATHER)],
    } | overrides


async def test_the_holder_turns_a_concern_into_a_log_with_the_signed_consent(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    concern = await call(
        client,
        "registerConcern",
        {"childName": "Emil", "observation": "Sliten og lei seg."},
        as_=world.holder,
        selection="concern { id version }",
    )
    out = await call(
        client,
        "createLog",
        _input(
            concernId=concern["concern"]["id"],
            expectedVersion=concern["concern"]["version"],
            firstMeeting={
                "heldOn": "2026-12-01",
                "startsAt": "14:00",
                "endsAt": "15:00",
                "place": "Bakken skole",
            },
        ),
        as_=world.holder,
        selection=LOG,
    )
    assert out["error"] is None
    log = out["log"]
    assert (log["level"], log["status"]) == (1, "ACTIVE")
    assert log["child"] == {
        "name": "Emil Eksempel",
        "nationalId": CHILD,
        "birthDate": "2017-04-12",
        "address": "Bakkeveien 2",
    }
    assert sorted(g["name"] for g in log["guardians"]) == ["Frode Far", "Mari Mor"]
    assert (
        sorted(
            (c["scope"], c["givenByKind"], c["evidence"], c["document"]["contentType"])
            for c in log["consents"]
        )
        == [("CREATE", "GUARDIAN", "UPLOADED_FORM", "application/pdf")] * 2
    )
    assert log["meetings"][0]["status"] == "PLANNED"
    assert sorted(p["kind"] for p in log["meetings"][0]["participants"]) == [
        "ACTOR",
        "GUARDIAN",
        "GUARDIAN",
    ]
    assert log["attentionConversations"] == [{"outcome": "LOG_CREATED"}]
    assert await count(session, RelayLog) == 1  # the concern's draft became the log
    assert await count(session, ConsentDocument) == 1  # one form, two signers


async def test_a_guardian_signs_in_and_sees_the_new_log(
    client: GraphQLClient, world: World
) -> None:
    out = await call(client, "createLog", _input(), as_=world.holder, selection=ERRORLESS)
    mother = type("Person", (), {"national_id": MOTHER})()
    data = await client.query(
        "{ myLogs { edges { node { id level child { name } } } } }",
        as_=mother,
        audience=Audience.FAMILY,
    )
    assert [e["node"]["id"] for e in data["myLogs"]["edges"]] == [out["log"]["id"]]


async def test_a_guardian_known_from_another_log_gets_a_row_of_their_own_in_this_log(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    other_log = await world.seed.log(world.youth, world.holder, level=1)
    before = await count(session, Guardian)
    guardians = [{"name": "Gunnar", "nationalId": world.guardian.national_id}]
    out = await call(
        client,
        "createLog",
        _input(guardians=guardians, consentForms=[_form(world.guardian.national_id)]),
        as_=world.holder,
        selection=ERRORLESS,
    )
    assert out["error"] is None
    assert await count(session, Guardian) == before + 1
    await session.refresh(world.guardian)
    assert world.guardian.name == "Gunnar Foresatt"  # the other log's row is untouched
    data = await client.query(
        "{ myLogs { edges { node { id } } } }", as_=world.guardian, audience=Audience.FAMILY
    )
    assert {e["node"]["id"] for e in data["myLogs"]["edges"]} == {
        out["log"]["id"],
        gid("RelayLog", other_log),
    }


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        pytest.param(
            {"child": {"name": "Emil", "nationalId": "12345678901"}},
            "child.nationalId",
            "child.nationalId is not a valid national id (national id check digits do not match).",
            id="invalid-child-national-id",
        ),
        pytest.param(
            {"child": {"name": "Emil", "nationalId": "1234"}},
            "child.nationalId",
            "child.nationalId is not a valid national id (national id must be exactly 11 digits).",
            id="short-child-national-id",
        ),
        pytest.param(
            {"guardians": [{"name": "Mari", "nationalId": BAD_MOTHER}]},
            "guardians.0.nationalId",
            None,
            id="invalid-guardian-national-id",
        ),
        pytest.param(
            {"guardians": []},
            "guardians",
            "guardians must name at least one guardian.",
            id="no-guardian",
        ),
        pytest.param(
            {"guardians": [{"name": "Mari", "nationalId": MOTHER, "email": "mari.example.no"}]},
            "guardians.0.email",
            "guardians.0.email is not an e-mail address.",
            id="bad-email",
        ),
        pytest.param(
            {"child": {"name": "x" * 201, "nationalId": CHILD}},
            "child.name",
            "child.name must be at most 200 characters.",
            id="over-long-name",
        ),
        pytest.param(
            {"level": 0},
            "level",
            "A log is created at level 1, 2 or 3.",
            id="level-0",
        ),
        pytest.param(
            {"level": 4},
            "level",
            "A log is created at level 1, 2 or 3.",
            id="level-4",
        ),
        pytest.param(
            {"consentForms": [_form(MOTHER, FATHER, scopes=())]},
            "consentForms.0.scopes",
            "consentForms.0.scopes must name at least one scope.",
            id="no-scope",
        ),
        pytest.param(
            {"consentForms": [_form(MOTHER, synthetic_national_id(date(1970, 1, 1), 9))]},
            "consentForms.0.signedByGuardianNationalIds.1",
            "consentForms.0.signedByGuardianNationalIds.1 is not one of the guardians given.",
            id="signer-not-a-guardian",
        ),
        pytest.param(
            {"consentForms": [_form(MOTHER, FATHER)] * 4},
            "consentForms",
            "At most 3 consent forms can be uploaded with a new log.",
            id="too-many-forms",
        ),
        pytest.param(
            {"consentForms": [_form(MOTHER, FATHER, validUntil="2026-01-01")]},
            "consentForms.0.validUntil",
            "consentForms.0.validUntil must not be before givenOn.",
            id="expired-before-given",
        ),
    ],
)
async def test_bad_input_is_refused_with_the_field_and_nothing_is_created(
    client: GraphQLClient,
    world: World,
    session: AsyncSession,
    overrides: dict[str, Any],
    field: str,
    message: str | None,
) -> None:
    out = await call(
        client, "createLog", _input(**overrides), as_=world.holder, selection=ERRORLESS
    )
    assert out["log"] is None
    assert out["error"]["code"] == "INVALID_INPUT"
    assert out["error"]["field"] == field
    if message is not None:
        assert out["error"]["message"] == message
    assert await count(session, RelayLog) == 0
    assert await count(session, Consent) == 0


async def test_a_log_without_the_consent_form_is_refused(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    out = await call(
        client, "createLog", _input(consentForms=[]), as_=world.holder, selection=ERRORLESS
    )
    assert out["error"] == {
        "code": "CONSENT_REQUIRED",
        "message": "Level 1 needs a valid consent to create the log from every guardian with "
        "parental responsibility.",
        "field": "level",
    }
    assert await count(session, RelayLog) == 0
    assert await count(session, Guardian) == 2  # the world's guardians only: nothing written


async def test_both_guardians_with_parental_responsibility_must_sign(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    out = await call(
        client,
        "createLog",
        _input(consentForms=[_form(MOTHER)]),
        as_=world.holder,
        selection=ERRORLESS,
    )
    assert out["error"]["code"] == "CONSENT_REQUIRED"
    guardians = _guardians()
    guardians[1]["parentalResponsibility"] = False
    alone = await call(
        client,
        "createLog",
        _input(guardians=guardians, consentForms=[_form(MOTHER)]),
        as_=world.holder,
        selection=ERRORLESS,
    )
    assert alone["error"] is None


async def test_level_2_at_creation_needs_the_share_consent_too(
    client: GraphQLClient, world: World
) -> None:
    out = await call(client, "createLog", _input(level=2), as_=world.holder, selection=ERRORLESS)
    assert out["error"]["code"] == "CONSENT_REQUIRED"
    assert "share with other services" in out["error"]["message"]
    both = _form(MOTHER, FATHER, scopes=("CREATE", "SHARE"))
    ok = await call(
        client,
        "createLog",
        _input(level=2, consentForms=[both]),
        as_=world.holder,
        selection="log { level }",
    )
    assert ok == {"log": {"level": 2}, "error": None}


async def test_a_youth_of_consent_age_signs_the_form_too(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    child = {"name": "Ylva", "nationalId": YOUTH}
    without = await call(
        client, "createLog", _input(child=child), as_=world.holder, selection=ERRORLESS
    )
    assert without["error"] == {
        "code": "CONSENT_REQUIRED",
        "message": "Level 1 needs a valid consent to create the log from every guardian with "
        "parental responsibility and the youth.",
        "field": "level",
    }
    form = _form(MOTHER, FATHER, signedByYouth=True)
    ok = await call(
        client,
        "createLog",
        _input(child=child, consentForms=[form]),
        as_=world.holder,
        selection=ERRORLESS,
    )
    assert ok["error"] is None
    kinds = sorted((await session.scalars(select(Consent.given_by_kind))).all())
    assert [k.value for k in kinds] == ["GUARDIAN", "GUARDIAN", "SUBJECT"]


async def test_a_young_child_cannot_sign_for_themself(client: GraphQLClient, world: World) -> None:
    form = _form(MOTHER, FATHER, signedByYouth=True)
    out = await call(
        client, "createLog", _input(consentForms=[form]), as_=world.holder, selection=ERRORLESS
    )
    assert out["error"] == {
        "code": "INVALID_INPUT",
        "message": "consentForms.0.signedByYouth: the child is under the municipality's "
        "consent age.",
        "field": "consentForms.0.signedByYouth",
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"GIF89a" + b"\x00" * 20, "must be a PDF, JPEG or PNG file.", id="gif"),
        pytest.param(b"PK\x03\x04 not a pdf", "must be a PDF, JPEG or PNG file.", id="zip"),
        pytest.param(
            b"%PDF-" + b"\x00" * (10 * 1024 * 1024), "must be at most 10 MB.", id="oversize"
        ),
    ],
)
async def test_a_consent_form_of_the_wrong_type_or_size_is_refused(
    client: GraphQLClient, world: World, session: AsyncSession, content: bytes, message: str
) -> None:
    form = _form(MOTHER, FATHER) | {"file": b64(content)}
    out = await call(
        client, "createLog", _input(consentForms=[form]), as_=world.holder, selection=ERRORLESS
    )
    assert out["error"] == {
        "code": "INVALID_INPUT",
        "message": f"consentForms.0.file {message}",
        "field": "consentForms.0.file",
    }
    assert await count(session, ConsentDocument) == 0


async def test_a_form_of_exactly_10_mb_is_accepted(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    content = pdf_file(size=10 * 1024 * 1024)
    form = _form(MOTHER, FATHER) | {"file": b64(content)}
    out = await call(
        client, "createLog", _input(consentForms=[form]), as_=world.holder, selection=ERRORLESS
    )
    assert out["error"] is None
    document = await session.scalar(select(ConsentDocument))
    assert document is not None
    assert document.size_bytes == 10 * 1024 * 1024


async def test_a_stale_concern_version_is_a_conflict(
    client: GraphQLClient, world: World, session: AsyncSession
) -> None:
    concern = await call(
        client,
        "registerConcern",
        {"childName": "Emil", "observation": "Uro."},
        as_=world.holder,
        selection="concern { id version }",
    )
    out = await call(
        client,
        "createLog",
        _input(concernId=concern["concern"]["id"], expectedVersion=7),
        as_=world.holder,
        selection=ERRORLESS,
    )
    assert out["error"]["code"] == "CONFLICT"
    outcome = await session.scalar(select(AttentionConversation.outcome))
    assert outcome is ConcernOutcome.OPEN
