"""Documents that would cost the validator or executor seconds are refused in milliseconds,
with a typed error; the spec's rules about fragments and operation names hold; production
answers give away no schema names."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLError, ValidationRule, parse
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from strawberry.extensions import AddValidationRules

from auth.dev_keys import DevKeys
from auth.policy import Audience
from relaylog.app import Services, build_app
from relaylog.services import make_verifier
from relaylog.settings import Settings
from schema.build import build_schema
from schema.document_limits import Limits, check_document
from tests.conftest import _joined_session
from tests.factories import TODAY, World
from tests.graphql import GraphQLClient
from tests.schema.test_hardening import sql_run

# The reproduction from issue 13: each fragment spreads the next twice, 2^20 in all.
FAN_OUT = (
    "query{...F0} "
    + " ".join(f"fragment F{i} on Query{{...F{i + 1} ...F{i + 1}}}" for i in range(20))
    + " fragment F20 on Query{__typename}"
)


def repeated(field: str, times: int) -> str:
    return "{ " + " ".join([field] * times) + " }"


def nested_repeats(outer: int, inner: int) -> str:
    """``myLogs`` holding ``outer`` copies of ``edges``, each with ``inner`` copies of a node."""
    edges = "edges { " + " ".join(["node { id }"] * inner) + " }"
    return "{ myLogs { " + " ".join([edges] * outer) + " } }"


def fragment_chain(length: int) -> str:
    return (
        "{ ...F0 } "
        + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(length))
        + f" fragment F{length} on Query {{ __typename }}"
    )


def complexity(body: dict[str, Any]) -> dict[str, Any]:
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX"}, error
    return error


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(FAN_OUT, id="fragment fan-out 2^20"),
        pytest.param(repeated("myLogs { edges { node { id } } }", 360), id="360 myLogs"),
        pytest.param(repeated("viewer { kind }", 300), id="300 viewer"),
        pytest.param(repeated("... on Query { viewer { kind } }", 300), id="300 inline fragments"),
        pytest.param(nested_repeats(20, 20), id="20 edges of 20 nodes"),
        pytest.param(fragment_chain(40), id="a chain of 40 fragments"),
        pytest.param(
            "{ " + "... on Query { " * 40 + "__typename" + " }" * 40 + " }",
            id="inline fragments 40 deep",
        ),
    ],
)
async def test_a_costly_document_is_refused_fast_before_any_query_runs(
    client: GraphQLClient, count_statements: Any, document: str
) -> None:
    with count_statements() as counter:
        response = await client.post(document)

    # Refused by the cost check (which stands before every validation rule): a rule or the
    # executor walking one of these would take seconds, or never end (2^20 fragments).
    assert response.status_code == 200
    complexity(response.json())
    assert sql_run(counter.statements) == []


def test_the_cost_counts_every_expanded_selection_once_per_fragment() -> None:
    limits = Limits(max_cost=100)
    # 2^60 selections once expanded, counted in 61 steps.
    huge = parse(
        "{ ...F0 } "
        + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(60))
        + " fragment F60 on Query { __typename }"
    )
    at_limit = parse(repeated("a: viewer { kind }", 50))  # 50 fields with one child each
    over = parse(repeated("a: viewer { kind }", 50).replace("kind", "kind name", 1))

    error = check_document(huge, limits, operation_name=None)  # unmemoised: never returns
    assert error is not None
    assert error.extensions == {"code": "QUERY_TOO_COMPLEX"}
    assert check_document(at_limit, limits, operation_name=None) is None
    assert check_document(over, limits, operation_name=None) is not None


async def test_a_document_using_fragments_within_the_limits_is_answered(
    client: GraphQLClient, world: World
) -> None:
    await world.full_log(level=2)
    document = """
      query Logs { myLogs { edges { node { ...Summary ...Content } } } }
      fragment Summary on RelayLog { id level status child { name } }
      fragment Content on RelayLog { id notes { text } ...Points }
      fragment Points on RelayLog { pointsOfAttention { description measures { description } } }
    """

    data = await client.query(document, as_=world.holder)

    assert data["myLogs"]["edges"][0]["node"]["notes"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param("query{...Nope}", "Unknown fragment 'Nope'.", id="unknown fragment"),
        pytest.param(
            "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
            "Cannot spread fragment 'A' within itself.",
            id="fragment cycle",
        ),
    ],
)
async def test_a_broken_fragment_is_a_validation_error_not_an_exceptions_text(
    client: GraphQLClient, document: str, message: str
) -> None:
    response = await client.post(document)

    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == message
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


async def test_a_validation_rule_that_crashes_is_reported_without_its_text() -> None:
    class Crashing(ValidationRule):
        def enter_document(self, *_args: Any) -> None:
            raise KeyError("db-internal.example 15889010069")

    schema = build_schema(
        Audience.STAFF, extra_extensions=(lambda: AddValidationRules([Crashing]),)
    )

    result = await schema.execute("{ health { database } }", context_value=None)

    assert result.data is None
    [error] = result.errors or []
    assert error.message == "The document could not be validated."
    assert "db-internal" not in str(result.errors)


TWO_OPERATIONS = """
  query First { viewer { kind } }
  mutation Second { addSparkle(input: {logId: "x", text: "y"}) { error { code } } }
"""


async def test_several_operations_without_an_operation_name_are_an_error(
    client: GraphQLClient, world: World, count_statements: Any
) -> None:
    with count_statements() as counter:
        response = await client.post(TWO_OPERATIONS, as_=world.holder)

    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == (
        "Must provide operation name if query contains multiple operations."
    )
    assert error["extensions"] == {"code": "OPERATION_NAME_REQUIRED"}
    assert not [s for s in sql_run(counter.statements) if "sparkle" in s.lower()]


async def test_the_named_operation_of_several_is_the_one_that_runs(
    client: GraphQLClient, world: World
) -> None:
    response = await client.http.post(
        "/graphql",
        json={"query": TWO_OPERATIONS, "operationName": "First"},
        headers={"Authorization": f"Bearer {client.token_for(world.holder)}"},
    )

    assert response.json() == {"data": {"viewer": {"kind": "STAFF"}}}


@pytest.fixture
async def production_client(
    settings: Settings, engine: AsyncEngine, connection: AsyncConnection, dev_keys: DevKeys
) -> AsyncIterator[GraphQLClient]:
    production = settings.model_copy(update={"mode": "production"})
    services = Services(
        settings=production,
        engine=engine,
        session_factory=lambda: _joined_session(connection),
        verifier=make_verifier(production),
        today=lambda: TODAY,
    )
    transport = httpx.ASGITransport(app=build_app(services))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, dev_keys, production)


MISTAKES = [
    pytest.param("{ viewr { kind } }", None, id="mistyped field"),
    pytest.param("{ myLogs(frist: 5) { edges { cursor } } }", None, id="mistyped argument"),
    pytest.param("{ myLogs(status: ACTIV) { edges { cursor } } }", None, id="mistyped enum"),
    pytest.param(
        "query($s: RelayLogStatus) { myLogs(status: $s) { edges { cursor } } }",
        {"s": "ACTIV"},
        id="mistyped enum in variables",
    ),
    pytest.param("query($s: RelayLgStatus) { viewer { kind } }", None, id="mistyped type"),
]


@pytest.mark.parametrize(("document", "variables"), MISTAKES)
async def test_production_answers_a_mistake_without_suggesting_real_names(
    production_client: GraphQLClient,
    client: GraphQLClient,
    world: World,
    document: str,
    variables: dict[str, Any] | None,
) -> None:
    production = await production_client.post(document, as_=world.holder, variables=variables)
    dev = await client.post(document, as_=world.holder, variables=variables)

    assert production.json()["errors"]
    assert "Did you mean" not in production.text
    assert "Did you mean" in dev.text  # the mistake is one graphql-core makes suggestions for


def test_a_suggestion_is_cut_from_the_message_and_the_rest_kept() -> None:
    from schema.suggestions import without_suggestion

    message = "Cannot query field 'viewr' on type 'Query'. Did you mean 'viewer'?"

    assert without_suggestion(message) == "Cannot query field 'viewr' on type 'Query'."
    assert without_suggestion("Unknown fragment 'Nope'.") == "Unknown fragment 'Nope'."
    assert isinstance(GraphQLError(without_suggestion(message)), GraphQLError)
