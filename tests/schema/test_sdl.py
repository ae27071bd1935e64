"""The committed SDL files are the contract with the front ends: they must match the code,
and each audience's schema must hold only what that audience may ever read."""

from __future__ import annotations

import pytest

from auth.policy import Audience
from schema.build import printed_schema, sdl_path


@pytest.mark.parametrize("audience", list(Audience), ids=lambda a: a.value.lower())
def test_the_committed_sdl_matches_the_code(audience: Audience) -> None:
    assert sdl_path(audience).read_text() == printed_schema(audience), (
        f"{sdl_path(audience).name} is out of date: run `python3 dev.py sdl`"
    )


def test_the_family_schema_shows_no_staff_only_field() -> None:
    family = printed_schema(Audience.FAMILY)
    for staff_only in ("staffAccounts", "organisations", "type StaffAccount", "isManager"):
        assert staff_only not in family


def test_the_reporting_schema_shows_no_person() -> None:
    reporting = printed_schema(Audience.REPORTING)
    for personal in ("RelayLog", "Guardian", "Child", "nationalId", "name", "node("):
        assert personal not in reporting


def test_the_staff_schema_carries_the_holders_identity_fields_and_actor_contacts() -> None:
    staff = printed_schema(Audience.STAFF)
    assert "nationalId" in staff  # the holder reads the child's and the guardians' ids
    assert "type Actor" in staff
    assert "mobile" in staff


def test_each_audience_schema_is_built_once_per_process_for_each_set_of_limits() -> None:
    from schema.build import build_schema

    assert build_schema(Audience.STAFF) is build_schema(Audience.STAFF)
    assert build_schema(Audience.STAFF) is not build_schema(Audience.FAMILY)
    assert build_schema(Audience.STAFF, introspection=False) is not build_schema(Audience.STAFF)
