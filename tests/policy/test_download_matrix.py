"""The downloads' policy matrix, generated from ``READ_POLICY``: a signed consent form is
handed over exactly where its row (``CONSENT_DOCUMENT``, with its "own only" cell) lets the
viewer read it, and a meeting's calendar invitation exactly where ``MEETINGS`` does and the
viewer is invited (or holds the log). Everyone else gets the answer of a missing id (or,
for a meeting they may read but were not invited to, ``NOT_ALLOWED``).

Every relation × level 0-3, for a consent given by a guardian and one given by the youth,
and for a meeting the family is invited to and one only the actors are.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from auth.policy import Facts, PolicyField, Relation, can_read
from models import Consent, ConsentDocument, Meeting
from models.enums import AuthorKind
from tests.factories import TODAY, World
from tests.graphql import GraphQLClient
from tests.mutations.content import gid
from tests.policy.test_policy_matrix import CELLS
from tests.policy.viewers import VIEWERS

FORM = """mutation($id: ID!) { downloadConsentForm(consentId: $id) {
  form { contentType sizeBytes sha256 contentBase64 } error { code message field } } }"""
INVITATION = """mutation($id: ID!) { downloadMeetingInvitation(meetingId: $id) {
  invitation { contentType contentBase64 } error { code message field } } }"""
NO_CONSENT = {"code": "NOT_FOUND", "message": "No such consent.", "field": "consentId"}
NO_MEETING = {"code": "NOT_FOUND", "message": "No such meeting.", "field": "meetingId"}
NOT_INVITED = {
    "code": "NOT_ALLOWED",
    "message": "You are not invited to this meeting.",
    "field": "meetingId",
}
# Who each meeting invites, by relation (the holder organises both).
FAMILY_MEETING = {Relation.HOLDER, Relation.GUARDIAN, Relation.SUBJECT}
ACTORS_MEETING = {Relation.ACTOR, Relation.EXTERNAL_ACTOR}


def _form_expected(relation: Relation, level: int, by_youth: bool) -> bool:
    own = by_youth == (relation is Relation.SUBJECT)
    return can_read(relation, level, PolicyField.LOG_SUMMARY) and can_read(
        relation, level, PolicyField.CONSENT_DOCUMENT, Facts(own=own)
    )


def _invitation_expected(relation: Relation, level: int, invited: set[Relation]) -> Any:
    if not (
        can_read(relation, level, PolicyField.LOG_SUMMARY)
        and can_read(relation, level, PolicyField.MEETINGS)
    ):
        return NO_MEETING
    if relation in invited or relation is Relation.HOLDER:
        return None
    return NOT_INVITED


@pytest.mark.parametrize(("relation", "level"), CELLS)
async def test_downloads_are_handed_over_exactly_where_the_read_policy_says(
    client: GraphQLClient, world: World, relation: Relation, level: int
) -> None:
    log = await world.full_log(level)
    await world.seed.access(log, world.external, Relation.EXTERNAL_ACTOR.value)
    session = world.seed.session
    actors_meeting = await world.seed.meeting(
        log, held_on=TODAY + timedelta(days=7), actors=[world.actor, world.external]
    )
    family_meeting = await session.scalar(
        select(Meeting).where(Meeting.log_id == log.id, Meeting.id != actors_meeting.id)
    )
    assert family_meeting is not None
    consents = list(await session.scalars(select(Consent).where(Consent.log_id == log.id)))
    person_key, audience = VIEWERS[relation]
    who = getattr(world, person_key)

    async def call(query: str, object_id: str) -> Any:
        data = await client.query(query, as_=who, audience=audience, variables={"id": object_id})
        return next(iter(data.values()))

    problems = []
    for consent in consents:
        by_youth = consent.given_by_kind is AuthorKind.SUBJECT
        answer = await call(FORM, gid("Consent", consent))
        if _form_expected(relation, level, by_youth):
            stored = await session.scalar(
                select(ConsentDocument.content).where(ConsentDocument.id == consent.document_id)
            )
            if answer["error"] is not None:
                problems.append(f"form by {'youth' if by_youth else 'guardian'}: {answer}")
                continue
            content = base64.b64decode(answer["form"]["contentBase64"])
            if content != stored:
                problems.append(f"form by {'youth' if by_youth else 'guardian'}: {answer}")
            assert answer["form"]["sha256"] == hashlib.sha256(content).hexdigest()
        elif answer != {"form": None, "error": NO_CONSENT}:
            problems.append(f"form by {'youth' if by_youth else 'guardian'} leaked: {answer}")
    for meeting, invited in ((family_meeting, FAMILY_MEETING), (actors_meeting, ACTORS_MEETING)):
        answer = await call(INVITATION, gid("Meeting", meeting))
        expected = _invitation_expected(relation, level, invited)
        if expected is None:
            if answer["error"] is not None or answer["invitation"]["contentType"] != (
                "text/calendar"
            ):
                problems.append(f"invitation {sorted(invited)}: {answer}")
        elif answer != {"invitation": None, "error": expected}:
            problems.append(f"invitation {sorted(invited)}: {answer} (expected {expected})")
    assert not problems, "\n".join(problems)
