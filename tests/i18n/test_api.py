"""The API answers in the reader's language: the same typed error in bokmål, nynorsk, English
and Northern Sami by ``Accept-Language``, and every enumeration's labels by argument."""

from __future__ import annotations

from datetime import timedelta

import pytest

from auth.policy import Audience
from schema.node import encode_global_id
from tests.factories import World
from tests.graphql import GraphQLClient

ADD = """mutation($input: AddSparkleInput!) { addSparkle(input: $input) {
  sparkle { id } error { code message field } } }"""
LABELS = """query($language: Language) { labels(language: $language) { language
  pointCategory { value label } measureStatus { value label } pointStatus { value label }
  evaluationOutcome { value label } } }"""

FUTURE = {
    "nb": "occurredOn kan ikke være fram i tid.",
    "nn": "occurredOn kan ikkje vere fram i tid.",
    "en": "occurredOn must not be in the future.",
    "se": "occurredOn ii sáhte leat boahtteáiggis.",
}
TOO_LONG = {
    "nb": "text kan ha høyst 280 tegn.",
    "nn": "text kan ha høgst 280 teikn.",
    "en": "text must be at most 280 characters.",
    "se": "text sáhttá leat eanemusat 280 mearkka.",
}


@pytest.mark.parametrize("language", ["nb", "nn", "en", "se"])
async def test_a_guardians_refused_sparkle_reads_in_her_language(
    client: GraphQLClient, world: World, language: str
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    log_id = encode_global_id("RelayLog", log.id)
    tomorrow = (world.seed.today + timedelta(days=1)).isoformat()
    header = {"Accept-Language": f"{language}-NO, en;q=0.5"}

    answers = [
        await client.query(
            ADD,
            as_=world.guardian,
            audience=Audience.FAMILY,
            variables={"input": {"logId": log_id, **input_}},
            headers=header,
        )
        for input_ in ({"text": "Ny venn!", "occurredOn": tomorrow}, {"text": "x" * 281})
    ]
    future, too_long = answers

    assert future["addSparkle"]["error"] == {
        "code": "INVALID_INPUT",
        "message": FUTURE[language],
        "field": "occurredOn",
    }
    assert too_long["addSparkle"]["error"] == {
        "code": "INVALID_INPUT",
        "message": TOO_LONG[language],
        "field": "text",
    }


async def test_without_accept_language_an_error_reads_in_english_as_before(
    client: GraphQLClient, world: World
) -> None:
    log = await world.seed.log(world.youth, world.holder, level=1)
    data = await client.query(
        ADD,
        as_=world.holder,
        variables={"input": {"logId": encode_global_id("RelayLog", log.id), "text": "x" * 281}},
    )
    assert data["addSparkle"]["error"]["message"] == TOO_LONG["en"]


async def test_a_front_end_reads_every_label_in_the_language_it_asks_for(
    client: GraphQLClient, world: World
) -> None:
    asked = await client.query(
        LABELS, as_=world.guardian, audience=Audience.FAMILY, variables={"language": "NN"}
    )
    by_header = await client.query(
        LABELS, audience=Audience.STAFF, headers={"Accept-Language": "ti"}
    )

    labels = asked["labels"]
    assert labels["language"] == "NN"
    assert {"value": "WELLBEING", "label": "Trivsel"} in labels["pointCategory"]
    assert {"value": "ENDED", "label": "Avslutta"} in labels["measureStatus"]
    assert {"value": "SOME_EFFECT", "label": "Noko effekt av tiltaket"} in labels[
        "evaluationOutcome"
    ]
    assert by_header["labels"]["language"] == "TI"
    assert {"value": "HEALTH", "label": "ጥዕና"} in by_header["labels"]["pointCategory"]
    assert len(labels["pointCategory"]) == 9


PAGE_TOO_LARGE = {
    "nb": "first må være mellom 1 og {maximum}",
    "nn": "first må vere mellom 1 og {maximum}",
    "en": "first must be between 1 and {maximum}",
}


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
async def test_a_query_refused_before_it_reads_says_why_in_the_readers_language(
    client: GraphQLClient, world: World, language: str
) -> None:
    """The top-level typed errors (paging, cursors, reports) are catalog messages too."""
    maximum = client.settings.page_size_max
    answer = await client.post(
        "query($first: Int!) { myLogs(first: $first) { edges { cursor } } }",
        as_=world.holder,
        variables={"first": maximum + 1},
        headers={"Accept-Language": language},
    )
    [error] = answer.json()["errors"]
    assert error["message"] == PAGE_TOO_LARGE[language].format(maximum=maximum)
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": "first"}
