"""No mutation tells whether an object exists: for every mutation that names an object by id,
in every schema that has it, an existing object the caller may not see answers exactly like
an id that does not exist — whoever asks: someone with no relation to the log, a unit
manager for content of her unit's logs, no token, a reporter's token, a family token on the
staff endpoint, a staff token on the family endpoint.

The mutations and their inputs come from the schema, so a new mutation is covered as soon
as it names an object by an id field the write gate knows (``auth.gate.OBJECT_KINDS``)."""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from typing import Any

import pytest
import strawberry
from sqlalchemy import select
from strawberry.types.base import StrawberryList, StrawberryOptional, has_object_definition
from strawberry.types.enum import StrawberryEnumDefinition
from strawberry.types.field import StrawberryField

from auth.gate import OBJECT_KINDS
from auth.policy import Audience, Relation, can_read
from models import (
    ActorMembership,
    ArchiveRecord,
    AttentionConversation,
    Consent,
    Measure,
    Meeting,
    Note,
    PointOfAttention,
    RelayLog,
    Sparkle,
    Transfer,
)
from schema.build import field_is_in
from schema.mutations.base import MUTATIONS
from schema.node import encode_global_id
from tests.factories import World
from tests.graphql import GraphQLClient

ROWS: dict[str, type[Any]] = {
    "PointOfAttention": PointOfAttention,
    "Measure": Measure,
    "Meeting": Meeting,
    "Note": Note,
    "AttentionConversation": AttentionConversation,
    "Sparkle": Sparkle,
    "Consent": Consent,
    "Actor": ActorMembership,
    "Transfer": Transfer,
}
KIND_OF_FIELD = {kind.field: kind for kind in OBJECT_KINDS.values()}
SAMPLES: dict[Any, Any] = {
    str: "x",
    int: 1,
    bool: False,
    datetime.date: "2026-11-25",
    datetime.time: "09:00:00",
}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _required(field: Any) -> bool:
    no_default = field.default is dataclasses.MISSING and (
        getattr(field, "default_factory", dataclasses.MISSING) is dataclasses.MISSING
    )
    return no_default and not isinstance(field.type, StrawberryOptional)


def _sample(type_: Any, name: str, ids: dict[str, str]) -> Any:
    """A value GraphQL accepts for this input type (the gate answers before it is read)."""
    if isinstance(type_, StrawberryOptional):
        type_ = type_.of_type
    if isinstance(type_, StrawberryList):
        return []
    if type_ is strawberry.ID:
        return ids.get(name, encode_global_id("StaffAccount", uuid.uuid4()))
    if isinstance(type_, StrawberryEnumDefinition):
        return type_.values[0].name
    if has_object_definition(type_):
        return _input(type_.__strawberry_definition__.fields, ids)
    return SAMPLES[type_]


def _input(fields: list[Any], ids: dict[str, str]) -> dict[str, Any]:
    """The required fields, plus the one that names the object."""
    return {
        _camel(f.python_name): _sample(f.type, _camel(f.python_name), ids)
        for f in fields
        if _required(f) or _camel(f.python_name) in ids
    }


def _object_field(mutation: StrawberryField) -> str | None:
    """The id field (argument, or field of its input) that names the object it changes."""
    names: list[str] = []
    for argument in mutation.arguments:
        inner = argument.type
        if has_object_definition(inner):
            names += [_camel(f.python_name) for f in inner.__strawberry_definition__.fields]
        else:
            names.append(_camel(argument.python_name))
    return next((name for name in names if name in KIND_OF_FIELD), None)


def _cases() -> list[Any]:
    cases = []
    for python_name, mutation in MUTATIONS.items():
        id_field = _object_field(mutation)
        if id_field is None:
            continue
        for audience in (Audience.STAFF, Audience.FAMILY):
            if field_is_in(audience, mutation):
                cases.append(
                    pytest.param(
                        python_name, id_field, audience, id=f"{_camel(python_name)}-{audience}"
                    )
                )
    return cases


def _document(mutation: StrawberryField, ids: dict[str, str]) -> tuple[str, dict[str, Any]]:
    arguments, variables, params = [], {}, []
    for argument in mutation.arguments:
        name = _camel(argument.python_name)
        if has_object_definition(argument.type):
            type_name = argument.type.__strawberry_definition__.name
            variables[name] = _input(argument.type.__strawberry_definition__.fields, ids)
        elif argument.type is strawberry.ID:
            type_name, variables[name] = "ID", _sample(argument.type, name, ids)
        else:
            continue  # an optional scalar with a default (a language, a reason)
        params.append(f"${name}: {type_name}!")
        arguments.append(f"{name}: ${name}")
    query = (
        f"mutation({', '.join(params)}) {{ {_camel(mutation.python_name)}"
        f"({', '.join(arguments)}) {{ error {{ code message field }} }} }}"
    )
    return query, variables


async def _existing(world: World, kind: str, log: RelayLog) -> uuid.UUID:
    if kind == "RelayLog":
        return log.id
    session = world.seed.session
    if kind == "Transfer":
        transfer = Transfer(
            log_id=log.id,
            from_staff_id=world.holder.id,
            to_staff_id=world.actor.id,
            from_organisation_id=world.school.id,
            to_organisation_id=world.school.id,
        )
        session.add(transfer)
        await session.flush()
        return transfer.id
    if kind == "ArchiveRecord":
        # Another unit's package (Dalen's copy): nobody of Bakken's, its manager included,
        # may tell it from a missing one.
        record = ArchiveRecord(
            log_id=log.id,
            reason="TRANSFER",
            case_title="Stafettlogg",
            document_title="Stafettlogg, ved overføring",
            author_organisation_id=world.other_manager.organisation_id,
            holder_id=world.other_manager.id,
            size_bytes=1,
            sha256="0" * 64,
            package=b"zip",
        )
        session.add(record)
        await session.flush()
        return record.id
    model = ROWS[kind]
    found = await session.scalar(select(model.id).where(model.log_id == log.id).limit(1))
    assert found is not None, f"the full log has no {kind}"
    return found


# Valid tokens of people another endpoint serves (relaylog.app WrongEndpoint).
TOLD_THE_RIGHT_ENDPOINT = {
    "reporter",
    "staff on the family endpoint",
    "family on the staff endpoint",
}


@pytest.mark.parametrize(("python_name", "id_field", "audience"), _cases())
async def test_a_hidden_object_answers_exactly_like_a_missing_one(
    client: GraphQLClient, world: World, python_name: str, id_field: str, audience: Audience
) -> None:
    mutation = MUTATIONS[python_name]
    kind = KIND_OF_FIELD[id_field]
    log = await world.full_log(1)
    existing = encode_global_id(kind.type_name, await _existing(world, kind.type_name, log))
    missing = encode_global_id(kind.type_name, uuid.uuid4())
    stranger = await world.seed.guardian("Fremmed Forelder")
    await world.seed.child(world.municipality, "Annet Barn", [stranger])
    callers: dict[str, tuple[Any, Audience]] = {
        "no relation": (world.outsider if audience is Audience.STAFF else stranger, audience),
        "no token": (None, audience),
        "reporter": (world.reporter, audience),
        "staff on the family endpoint": (world.holder, Audience.FAMILY),
        "family on the staff endpoint": (world.guardian, Audience.STAFF),
    }
    manager_reads = kind.read_as is not None and can_read(Relation.MANAGER, 1, kind.read_as)
    if audience is Audience.STAFF and not manager_reads:
        callers["unit manager"] = (world.manager, audience)

    async def answer(object_id: str, who: Any, endpoint: Audience) -> Any:
        query, variables = _document(mutation, {id_field: object_id})
        response = await client.post(query, as_=who, audience=endpoint, variables=variables)
        return response.status_code, response.json()

    expected_error = {"code": "NOT_FOUND", "message": f"No such {kind.label}.", "field": id_field}
    baseline = await answer(missing, *callers["no relation"])
    assert baseline[1]["data"][_camel(python_name)]["error"] == expected_error
    for name, (who, endpoint) in callers.items():
        if not field_is_in(endpoint, mutation):
            continue  # not in that endpoint's schema at all: nothing to compare
        hidden = await answer(existing, who, endpoint)
        absent = await answer(missing, who, endpoint)
        if name in TOLD_THE_RIGHT_ENDPOINT:
            # Refused before anything is looked up: the same 403 for hidden and missing.
            assert hidden == absent, name
            assert hidden[0] == 403, name
            assert hidden[1]["errors"][0]["extensions"]["code"] == "WRONG_ENDPOINT", name
        else:
            assert hidden == absent == baseline, name
