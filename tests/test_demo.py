"""The demo municipality: loads once, and every demo user's token (as ``relaylog token``
mints it) opens their own endpoint and shows the logs the demo promises."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from auth.policy import Audience
from relaylog.demo import DEMO_USERS, load_demo
from tests.factories import TODAY
from tests.graphql import GraphQLClient

AUDIENCE_OF_PATH = {
    "/graphql": Audience.STAFF,
    "/graphql/family": Audience.FAMILY,
    "/graphql/reporting": Audience.REPORTING,
}


@pytest.fixture
async def demo(session: AsyncSession) -> None:
    assert await load_demo(session, TODAY)


def as_demo_user(key: str) -> tuple[SimpleNamespace, Audience]:
    user = DEMO_USERS[key]
    return SimpleNamespace(national_id=user.national_id), AUDIENCE_OF_PATH[user.audience_path]


async def test_the_demo_loads_once(session: AsyncSession) -> None:
    assert await load_demo(session, TODAY) is True
    assert await load_demo(session, TODAY) is False


def test_every_demo_user_has_a_distinct_national_id() -> None:
    ids = [user.national_id for user in DEMO_USERS.values()]

    assert len(set(ids)) == len(ids)


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize(
    ("key", "kind"),
    [
        pytest.param("holder", "STAFF", id="holder"),
        pytest.param("actor", "STAFF", id="actor"),
        pytest.param("external", "STAFF", id="external"),
        pytest.param("manager", "STAFF", id="manager"),
        pytest.param("teacher", "STAFF", id="teacher"),
        pytest.param("doctor", "STAFF", id="doctor"),
        pytest.param("admin", "MUNICIPAL_ADMIN", id="admin"),
        pytest.param("reporter", "REPORTER", id="reporter"),
        pytest.param("guardian", "GUARDIAN", id="guardian"),
        pytest.param("youth", "SUBJECT", id="youth"),
    ],
)
async def test_each_demo_user_is_known_on_their_own_endpoint(
    client: GraphQLClient, key: str, kind: str
) -> None:
    person, audience = as_demo_user(key)
    expected = {"kind": kind, "name": DEMO_USERS[key].name}
    if audience is Audience.REPORTING:
        del expected["name"]  # reporting never sees a person, not even the viewer's name

    data = await client.query(
        f"{{ viewer {{ {' '.join(expected)} }} }}", as_=person, audience=audience
    )

    assert data["viewer"] == expected


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize(
    ("key", "levels"),
    [
        pytest.param("holder", [0, 1, 2], id="holder holds all three"),
        pytest.param("actor", [1, 2], id="actor in the level-1 and level-2 logs"),
        pytest.param("external", [2], id="external only in the level-2 log"),
        pytest.param("guardian", [1, 2], id="guardian of both children"),
        pytest.param("youth", [2], id="youth sees her own log"),
        pytest.param("manager", [0, 1, 2], id="manager sees the school's logs"),
        pytest.param("admin", [], id="admin sees no log"),
        pytest.param("teacher", [], id="the other school's teacher sees none yet"),
        pytest.param("doctor", [], id="BUP sees none until added at level 3"),
    ],
)
async def test_each_demo_user_sees_the_promised_logs(
    client: GraphQLClient, key: str, levels: list[int]
) -> None:
    person, audience = as_demo_user(key)

    data = await client.query(
        "{ myLogs { edges { node { level } } } }", as_=person, audience=audience
    )

    assert sorted(edge["node"]["level"] for edge in data["myLogs"]["edges"]) == levels


@pytest.mark.usefixtures("demo")
async def test_the_demo_admin_sees_the_organisations(client: GraphQLClient) -> None:
    person, audience = as_demo_user("admin")

    data = await client.query("{ organisations { name } }", as_=person, audience=audience)

    assert {"Bakken skole", "Helsestasjonen"} <= {org["name"] for org in data["organisations"]}


@pytest.mark.usefixtures("demo")
async def test_the_demo_has_every_kind_of_unit_each_with_a_manager(client: GraphQLClient) -> None:
    person, audience = as_demo_user("admin")

    data = await client.query(
        "{ organisations { name kind } staffAccounts { organisationId isManager } }",
        as_=person,
        audience=audience,
    )

    kinds = [org["kind"] for org in data["organisations"]]
    assert {"KINDERGARTEN", "HEALTH", "PPT", "CHILD_WELFARE", "SPECIALIST_HEALTH"} <= set(kinds)
    assert kinds.count("SCHOOL") == 2
    managed = {a["organisationId"] for a in data["staffAccounts"] if a["isManager"]}
    assert len(managed) == 7  # every unit but the admin office
