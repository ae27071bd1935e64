"""What the i18n pass had left in English: a refused token, the reason a national id is
refused, and the enumerations ``labels(language:)`` did not name (Relation, LogOrder,
NotificationDelivery). Each now reads in the reader's language."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

import pytest
from babel.messages.pofile import read_po
from graphql import GraphQLEnumType

from auth.policy import Audience
from models.errors import InvalidInput
from models.i18n import Domain, Language, catalog_path
from models.i18n.enums import ENGLISH, FAMILY_SEEN, PRINTED
from models.operations.person import valid_national_id
from relaylog.app import ENDPOINTS
from schema.build import build_schema
from schema.labels import LABELLED
from tests.factories import World
from tests.graphql import GraphQLClient

EXPIRED = {
    "nb": "Innloggingen din er utløpt; logg inn på nytt.",
    "nn": "Innlogginga di har gått ut; logg inn på nytt.",
    "en": "Your sign-in has expired; sign in again.",
    "se": "Du sisačáliheapmi lea nohkan; čálit sisa ođđasit.",
}


def expired_token(client: GraphQLClient, pid: str) -> str:
    settings = client.settings
    return client.keys.mint(
        pid,
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        now=datetime.now(UTC) - timedelta(hours=3),
        lifetime=timedelta(hours=1),
    )


@pytest.mark.parametrize("language", ["nb", "nn", "en", "se"])
async def test_a_guardians_expired_token_is_refused_in_her_language(
    client: GraphQLClient, world: World, language: str
) -> None:
    response = await client.http.post(
        ENDPOINTS[Audience.FAMILY],
        json={"query": "{ viewer { kind } }"},
        headers={
            "Authorization": f"Bearer {expired_token(client, world.guardian.national_id)}",
            "Accept-Language": f"{language}-NO, en;q=0.5",
        },
    )

    assert response.status_code == 401
    [error] = response.json()["errors"]
    assert error["message"] == EXPIRED[language]
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "EXPIRED"}


async def test_any_other_refused_token_and_the_wrong_endpoint_read_in_bokmal_too(
    client: GraphQLClient, world: World
) -> None:
    nb = {"Accept-Language": "nb"}
    garbage = await client.http.post(
        ENDPOINTS[Audience.FAMILY],
        json={"query": "{ viewer { kind } }"},
        headers={"Authorization": "Bearer not-a-token", **nb},
    )
    wrong = await client.post(
        "{ viewer { kind } }", as_=world.guardian, audience=Audience.STAFF, headers=nb
    )

    [error] = garbage.json()["errors"]
    assert error["message"] == "Innloggingen er ikke gyldig; logg inn på nytt."
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "MALFORMED"}
    [error] = wrong.json()["errors"]
    assert error["message"] == (
        "Dette endepunktet er ikke for deg; send forespørslene dine til /graphql/family."
    )
    assert error["extensions"] == {"code": "WRONG_ENDPOINT", "endpoint": "/graphql/family"}


NATIONAL_ID = {
    ("12345", "nb"): "child.nationalId er ikke et gyldig fødselsnummer "
    "(det må ha nøyaktig 11 sifre).",
    ("12345", "nn"): "child.nationalId er ikkje eit gyldig fødselsnummer "
    "(det må ha nøyaktig 11 siffer).",
    ("12345", "en"): "child.nationalId is not a valid national id "
    "(national id must be exactly 11 digits).",
    ("15889010068", "nb"): "child.nationalId er ikke et gyldig fødselsnummer "
    "(kontrollsifrene stemmer ikke).",
    ("15889010068", "nn"): "child.nationalId er ikkje eit gyldig fødselsnummer "
    "(kontrollsifra stemmer ikkje).",
    ("15889010068", "en"): "child.nationalId is not a valid national id "
    "(national id check digits do not match).",
}


@pytest.mark.parametrize(("raw", "language"), list(NATIONAL_ID), ids=str)
def test_why_a_national_id_is_refused_is_translated_too(raw: str, language: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        valid_national_id(raw, "child.nationalId", date(2026, 3, 4))
    assert refused.value.localized(Language(language)) == NATIONAL_ID[raw, language]
    assert raw not in refused.value.localized(Language(language))


# Enumerations of the staff and family schemas that have no labels, and why.
UNLABELLED = {
    "ErrorCode": "a code for programs; the error's message is translated",
    "Language": "a language is named in itself (Norsk, Davvisámegiella), never translated",
    "ExportLanguage": "as Language",
    "LogEventKind": "a live event's kind, for programs",
    "MyLogChangeKind": "a live event's kind, for programs",
    "DataKind": "not labelled yet (the policy's fields)",
    "AccessKind": "not labelled yet (access history)",
    "AccessorKind": "not labelled yet (access history)",
    "TaskKind": "not labelled yet (staff tasks)",
    "ArchiveReason": "not labelled yet (staff archive)",
}


def _graphql_name(enum: type[StrEnum]) -> str:
    return str(enum.__strawberry_definition__.name)  # type: ignore[attr-defined]


def _translated(domain: Domain, language: Language) -> set[tuple[str | None, str]]:
    with catalog_path(domain, language).open("rb") as f:
        catalog = read_po(f, locale=language.value)
    return {(m.context, str(m.id)) for m in catalog if m.id and m.string}


@pytest.mark.parametrize("audience", [Audience.STAFF, Audience.FAMILY])
def test_every_enumeration_a_labels_schema_names_has_labels_or_a_reason(
    audience: Audience,
) -> None:
    schema = build_schema(audience)._schema
    assert schema.query_type is not None
    assert "labels" in schema.query_type.fields
    enums = {
        name
        for name, kind in schema.type_map.items()
        if isinstance(kind, GraphQLEnumType) and not name.startswith("__")
    }
    labelled = {_graphql_name(enum) for enum in LABELLED}
    assert enums - labelled - set(UNLABELLED) == set()
    assert labelled & set(UNLABELLED) == set()


def test_every_label_is_in_every_complete_language_and_the_familys_in_sami() -> None:
    family = FAMILY_SEEN | {enum.__name__ for enum in PRINTED}
    gaps = []
    for language in (Language.NB, Language.NN, Language.EN, Language.SE):
        have = _translated(Domain.ENUMS, language)
        for enum in LABELLED:
            name = enum.__name__
            if language is Language.SE and name not in family:
                continue
            gaps += [
                f"{language}: {name}.{value}"
                for value, label in ENGLISH[name].items()
                if (name, label) not in have
            ]
    assert gaps == []
    assert {"Relation", "LogOrder", "Delivery"} <= FAMILY_SEEN


LABELS = """query($language: Language) { labels(language: $language) {
  relation { value label } logOrder { value label } notificationDelivery { value label } } }"""


async def test_a_front_end_reads_relation_order_and_delivery_labels(
    client: GraphQLClient, world: World
) -> None:
    data = await client.query(
        LABELS, as_=world.guardian, audience=Audience.FAMILY, variables={"language": "NN"}
    )
    labels = data["labels"]
    assert {"value": "GUARDIAN", "label": "Føresett"} in labels["relation"]
    assert {"value": "NEXT_DEADLINE", "label": "Neste frist"} in labels["logOrder"]
    assert {"value": "DAILY", "label": "Éin gong om dagen"} in labels["notificationDelivery"]
    assert len(labels["relation"]) == 7
