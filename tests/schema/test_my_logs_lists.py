"""``myLogs``: orderings, search within what the viewer may read, Relay paging both ways, and
the typed refusal of bad arguments on the executor and the compiled path alike."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from models import Child, RelayLog
from models import secrets as data_protection
from resolvers.pagination import encode_order_cursor
from schema.trusted import trusted_documents
from tests.conftest import TEST_SECRET
from tests.factories import World
from tests.graphql import GraphQLClient

LIST = """query($first: Int, $last: Int, $after: String, $before: String, $orderBy: LogOrder!,
    $search: String) {
  myLogs(first: $first, last: $last, after: $after, before: $before, orderBy: $orderBy,
      search: $search) {
    edges { cursor node { child { name } level } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


async def _names(
    client: GraphQLClient, person: Any, order: str = "LAST_ACTIVITY", **kw: Any
) -> Any:
    data = await client.query(LIST, as_=person, variables={"orderBy": order, **kw})
    return [edge["node"]["child"]["name"] for edge in data["myLogs"]["edges"]]


NEW_SECRET = b"the-next-data-secret-of-this-municipality-01"
NAMES = ["Dag Ek", "Åse Berg", "Cecilie Aas", "Bjørn Dahl", "Ella Fjell"]  # creation order


def _by_id(logs: list[RelayLog], *indexes: int) -> list[str]:
    return [NAMES[logs.index(log)] for log in sorted((logs[i] for i in indexes), key=_id)]


def _id(log: RelayLog) -> uuid.UUID:
    return log.id


async def test_the_holder_orders_her_logs_by_activity_level_name_and_next_deadline(
    client: GraphQLClient, world: World
) -> None:
    logs = await world.several_children()
    tie = _by_id(logs, 1, 2)  # Åse's and Cecilie's: the same last activity, the same deadline
    assert await _names(client, world.holder) == ["Ella Fjell", "Bjørn Dahl", *tie[::-1], "Dag Ek"]
    assert await _names(client, world.holder, "LEVEL") == [
        "Cecilie Aas",
        "Bjørn Dahl",  # level 2, more recent activity than Dag's
        "Dag Ek",
        "Åse Berg",
        "Ella Fjell",
    ]
    names = await _names(client, world.holder, "CHILD_NAME")
    assert [n for n in names if n != "Åse Berg"] == [
        "Bjørn Dahl",
        "Cecilie Aas",
        "Dag Ek",
        "Ella Fjell",
    ]
    # An overdue measure first; a measure and an activity plan due in five days; a measure
    # due in 20 days; no deadline last.
    assert await _names(client, world.holder, "NEXT_DEADLINE") == [
        "Bjørn Dahl",
        *tie,
        "Dag Ek",
        "Ella Fjell",
    ]


async def test_the_managers_next_deadline_knows_no_measure_deadline(
    client: GraphQLClient, world: World
) -> None:
    """The unit manager reads activity (the activity plan) but never measures: the plan's log
    comes first, the others in id order as if they had no deadline."""
    logs = await world.several_children()
    expected = ["Cecilie Aas", *_by_id(logs, 0, 1, 3, 4)]
    assert await _names(client, world.manager, "NEXT_DEADLINE") == expected


@pytest.mark.parametrize(
    ("person_key", "search", "found"),
    [
        pytest.param("holder", "berg", ["Åse Berg"], id="holder-child-name"),
        pytest.param("holder", "ARNE", ["Åse Berg"], id="holder-guardian-name"),
        pytest.param("actor", "Arne Berg", ["Åse Berg"], id="actor-guardian-name-level-1"),
        pytest.param("manager", "Arne Berg", [], id="manager-cannot-read-guardians"),
        pytest.param("manager", "Åse", ["Åse Berg"], id="manager-child-name"),
        pytest.param("external", "Erik", [], id="external-level-0-log-hidden"),
        pytest.param("external", "Ella", [], id="external-level-0-child-hidden"),
        pytest.param("external", "Cato", ["Cecilie Aas"], id="external-guardian-level-3"),
        pytest.param("holder", "%", [], id="wildcard-is-literal"),
        pytest.param("holder", "  ", None, id="blank-is-no-search"),
    ],
)
async def test_search_finds_only_what_the_viewer_may_read(
    client: GraphQLClient, world: World, person_key: str, search: str, found: list[str] | None
) -> None:
    await world.several_children()
    person = getattr(world, person_key)
    names = await _names(client, person, "CHILD_NAME", search=search)
    if found is None:
        assert len(names) == 5
    else:
        assert names == found


async def test_a_national_id_finds_the_child_only_for_those_who_may_read_it(
    client: GraphQLClient, world: World
) -> None:
    logs = await world.several_children()
    child = await world.seed.session.get(Child, logs[0].child_id)
    assert child is not None
    assert child.national_id is not None
    assert await _names(client, world.holder, search=child.national_id) == ["Dag Ek"]
    for person in (world.actor, world.manager):
        assert await _names(client, person, search=child.national_id) == []


async def test_a_national_id_finds_a_child_not_yet_rehashed_mid_rotation_on_both_paths(
    client: GraphQLClient, world: World
) -> None:
    """During ``relaylog rotate-data-secret`` the rows not yet rotated carry the old secret's
    hash: a search by national id finds them by either hash, as sign-in does."""
    logs = await world.several_children()
    child = await world.seed.session.get(Child, logs[0].child_id)
    assert child is not None
    assert child.national_id is not None
    my_logs = next(d for d in trusted_documents() if d.name == "HolderMyLogs")
    search = {"search": child.national_id}

    data_protection.configure(NEW_SECRET, accepted=TEST_SECRET)  # the rows: TEST_SECRET's
    try:
        responses = [
            await client.post(my_logs.text, as_=world.holder, variables=search),
            await client.post_document(my_logs.document_id, as_=world.holder, variables=search),
        ]
    finally:
        data_protection.configure(TEST_SECRET)

    for response in responses:
        edges = response.json()["data"]["myLogs"]["edges"]
        assert [edge["node"]["child"]["name"] for edge in edges] == ["Dag Ek"]


async def test_paging_backward_from_the_end_and_forward_again(
    client: GraphQLClient, world: World
) -> None:
    await world.several_children()
    everything = await _names(client, world.holder, "CHILD_NAME", first=5)
    data = await client.query(
        LIST, as_=world.holder, variables={"orderBy": "CHILD_NAME", "last": 2}
    )
    page = data["myLogs"]
    assert [e["node"]["child"]["name"] for e in page["edges"]] == everything[3:]
    assert page["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": page["edges"][0]["cursor"],
        "endCursor": page["edges"][1]["cursor"],
    }
    before = page["pageInfo"]["startCursor"]
    earlier = await _names(client, world.holder, "CHILD_NAME", last=10, before=before)
    assert earlier == everything[:3]
    between = await _names(
        client, world.holder, "CHILD_NAME", first=10, after=page["edges"][0]["cursor"]
    )
    assert between == everything[4:]


async def test_a_cursor_naming_a_hidden_log_finds_what_one_naming_no_log_finds(
    client: GraphQLClient, world: World
) -> None:
    logs = await world.several_children()
    hidden = encode_order_cursor("CHILD_NAME", logs[0].id)  # the external actor: level 2, not his
    missing = encode_order_cursor("CHILD_NAME", uuid.uuid4())
    answers = [
        (
            await client.post(
                LIST, as_=world.external, variables={"orderBy": "CHILD_NAME", "after": cursor}
            )
        ).json()
        for cursor in (hidden, missing)
    ]
    assert answers[0] == answers[1]
    assert answers[0]["data"]["myLogs"]["edges"] == []


BAD = [
    pytest.param({"after": "bm9wZQ=="}, "after", id="bad-after"),
    pytest.param({"before": "x"}, "before", id="bad-before"),
    pytest.param({"first": 2, "last": 2}, "last", id="first-and-last"),
    pytest.param({"last": -1}, "last", id="negative-last"),
    pytest.param({"first": 0}, "first", id="zero-first"),
    pytest.param({"first": 101}, "first", id="first-over-max"),
    pytest.param({"search": "x" * 101}, "search", id="search-too-long"),
    pytest.param(
        {"orderBy": "CHILD_NAME", "after": encode_order_cursor("LEVEL", uuid.uuid4())},
        "after",
        id="cursor-of-another-ordering",
    ),
]


@pytest.mark.parametrize(("variables", "field"), BAD)
async def test_bad_arguments_are_typed_errors_on_both_paths(
    client: GraphQLClient, world: World, variables: dict[str, Any], field: str
) -> None:
    await world.full_log(1)
    my_logs = next(d for d in trusted_documents() if d.name == "HolderMyLogs")
    for response in (
        await client.post(my_logs.text, as_=world.holder, variables=variables),
        await client.post_document(my_logs.document_id, as_=world.holder, variables=variables),
    ):
        assert response.status_code == 200
        body = response.json()
        assert body["data"] is None
        (error,) = body["errors"]
        assert error["extensions"] == {"code": "INVALID_INPUT", "field": field}


async def test_an_ordered_searched_page_costs_the_same_statements_for_1_or_5_logs(
    client: GraphQLClient, world: World, count_statements: Any
) -> None:
    query = """{ myLogs(orderBy: NEXT_DEADLINE, search: "e", last: 10) { edges { node {
        child { name } activity { overdueMeasures } guardians { name } } } } }"""
    counts = []
    for build in (lambda: world.full_log(2), world.several_children):
        await build()
        with count_statements() as counter:
            await client.query(query, as_=world.holder)
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
